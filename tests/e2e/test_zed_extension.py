"""The Zed extension builds for wasm32-wasip1 and exports what Zed calls.

The module is read with a small reader of the WebAssembly binary format (sections, exports,
imports, custom sections), independent of the Rust toolchain that wrote it.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import tomllib

import pytest
from conftest import ROOT

ZED = ROOT / "editors" / "zed"
TARGET = pathlib.Path(
    os.environ.get(
        "SES_ZED_TARGET",
        pathlib.Path(os.environ.get("SES_DEV_CACHE", pathlib.Path.home() / ".cache/ses-dev"))
        / "target-zed",
    )
)


def leb128(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def name(data: bytes, i: int) -> tuple[str, int]:
    n, i = leb128(data, i)
    return data[i : i + n].decode(), i + n


def read_module(data: bytes) -> dict:
    """Exports (name → kind), imports (module, name) and custom sections of a core module."""
    assert data[:4] == b"\0asm", "not a WebAssembly binary"
    assert data[4:8] == b"\x01\0\0\0", f"not a core module (version {data[4:8].hex()}): a component?"
    exports: dict[str, int] = {}
    imports: list[tuple[str, str]] = []
    custom: dict[str, bytes] = {}
    i = 8
    while i < len(data):
        section = data[i]
        size, i = leb128(data, i + 1)
        body, i = data[i : i + size], i + size
        if section == 0:
            key, j = name(body, 0)
            custom[key] = body[j:]
        elif section == 2:
            count, j = leb128(body, 0)
            for _ in range(count):
                module, j = name(body, j)
                field, j = name(body, j)
                kind = body[j]
                j += 1
                if kind == 0:  # function: type index
                    _, j = leb128(body, j)
                elif kind == 1:  # table: reftype, limits
                    j += 1
                    flags, j = leb128(body, j + 0)
                    _, j = leb128(body, j)
                    if flags & 1:
                        _, j = leb128(body, j)
                elif kind == 2:  # memory: limits
                    flags, j = leb128(body, j)
                    _, j = leb128(body, j)
                    if flags & 1:
                        _, j = leb128(body, j)
                elif kind == 3:  # global: valtype, mutability
                    j += 2
                else:
                    raise AssertionError(f"unknown import kind {kind}")
                imports.append((module, field))
        elif section == 7:
            count, j = leb128(body, 0)
            for _ in range(count):
                export, j = name(body, j)
                kind = body[j]
                _, j = leb128(body, j + 1)
                exports[export] = kind
    return {"exports": exports, "imports": imports, "custom": custom}


@pytest.fixture(scope="module")
def module() -> dict:
    # Zed's own command for a Rust extension; incremental, so cheap when test-all built it.
    proc = subprocess.run(
        ["cargo", "build", "--release", "--locked", "--target", "wasm32-wasip1"],
        cwd=ZED,
        env={**os.environ, "CARGO_TARGET_DIR": str(TARGET)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, (
        "the Zed extension did not build (is the target installed? "
        f"rustup target add wasm32-wasip1):\n{proc.stderr[-3000:]}"
    )
    wasm = TARGET / "wasm32-wasip1" / "release" / "ses_zed.wasm"
    return read_module(wasm.read_bytes())


FUNC, MEMORY = 0, 2


def test_exports_the_extension_entry_points(module):
    exports = module["exports"]
    for entry in [
        "init-extension",
        "language-server-command",
        "language-server-initialization-options",
        "language-server-workspace-configuration",
        "cabi_realloc",
    ]:
        assert exports.get(entry) == FUNC, f"{entry} is not exported as a function"
    assert exports.get("memory") == MEMORY


def test_declares_its_api_version_and_world(module):
    custom = module["custom"]
    # Zed reads the API version the extension was built against from this section.
    assert custom["zed:api-version"] == bytes([0, 0, 0, 7, 0, 0])
    worlds = [k for k in custom if k.startswith("component-type:")]
    assert worlds and all("zed:extension:extension" in k for k in worlds), worlds


def test_imports_only_wasi_preview1_and_the_zed_world(module):
    modules = {m for m, _ in module["imports"]}
    # wit-bindgen imports the world's own functions from "$root"; Zed's adapter turns the
    # preview1 imports into a component.
    assert modules == {"$root", "wasi_snapshot_preview1"}, modules
    # Host functions the extension calls: which, shell-env, settings.
    host = {f for m, f in module["imports"] if m == "$root"}
    assert {"[method]worktree.which", "[method]worktree.shell-env", "get-settings"} <= host


def test_manifest_names_the_server_for_common_languages():
    manifest = tomllib.loads((ZED / "extension.toml").read_text())
    assert manifest["schema_version"] == 1
    server = manifest["language_servers"]["ses"]
    assert {"Rust", "Python", "TypeScript", "JavaScript", "Go", "C", "C++"} <= set(server["languages"])
    assert set(server["language_ids"]) <= set(server["languages"])
