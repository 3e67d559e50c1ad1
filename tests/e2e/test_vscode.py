"""The VS Code extension in real VS Code (code-server 4.100.3, Playwright, Debian's Chromium).

The test itself is `editors/vscode/test/e2e/run.mjs`; this packages the extension and runs
it against the `ses` under test. scripts/install-vscode-e2e.sh (run by scripts/test-all.sh)
installs code-server, Chromium and the npm dependencies. Screenshots and logs go to
$SES_VSCODE_ARTIFACTS, default $SES_DEV_CACHE/artifacts/vscode-e2e (replaced on each run).
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess

import pytest
from conftest import ROOT, SES

EXT = ROOT / "editors" / "vscode"
CACHE = pathlib.Path(os.environ.get("SES_DEV_CACHE", pathlib.Path.home() / ".cache" / "ses-dev"))


def artifacts_dir() -> pathlib.Path:
    d = pathlib.Path(os.environ.get("SES_VSCODE_ARTIFACTS", CACHE / "artifacts" / "vscode-e2e"))
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    return d


def test_extension_in_real_vscode():
    assert (EXT / "node_modules" / "playwright-core").is_dir(), (
        "the extension's npm dependencies are missing: run scripts/install-vscode-e2e.sh"
    )
    package = subprocess.run(
        ["npm", "run", "package"], cwd=EXT, capture_output=True, text=True, timeout=300
    )
    assert package.returncode == 0, f"npm run package failed:\n{package.stdout}\n{package.stderr}"

    artifacts = artifacts_dir()
    env = {**os.environ, "SES_BIN": SES, "SES_DEV_CACHE": str(CACHE)}
    run = subprocess.run(
        ["node", "test/e2e/run.mjs", "--vsix", "ses.vsix", "--artifacts", str(artifacts)],
        cwd=EXT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = f"{run.stdout}\n{run.stderr}\nscreenshots and logs: {artifacts}"
    print(report)
    if run.returncode == 3:
        # Everything up to the context commands passed; the server does not know them yet.
        pytest.xfail(f"the server does not know the context commands yet: {run.stdout.strip().splitlines()[-2]}")
    assert run.returncode == 0, report
    for shot in ("1-lenses", "4-revenue-split", "7-switched-alpha", "8-switched-beta"):
        assert (artifacts / f"{shot}.png").stat().st_size > 0
