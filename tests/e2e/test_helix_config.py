"""`ses helix-config` prints a Helix languages.toml that adds ses and keeps Helix's servers.

The table the binary embeds is read here independently (Python's tomllib) as the oracle.
"""

from __future__ import annotations

import tomllib

from conftest import ROOT, Ses

TABLE = tomllib.loads((ROOT / "editors/helix/default-servers.toml").read_text())


def generate(ses: Ses, *args: str) -> dict:
    proc = ses.run("helix-config", *args, check=True)
    return tomllib.loads(proc.stdout)


def servers_by_language(doc: dict) -> dict[str, list]:
    return {lang["name"]: lang["language-servers"] for lang in doc["language"]}


def test_every_language_gets_its_defaults_then_ses(ses):
    doc = generate(ses)
    assert doc["language-server"]["ses"] == {"command": "ses", "args": ["lsp"]}
    got = servers_by_language(doc)
    assert set(got) == set(TABLE["languages"])
    for name, defaults in TABLE["languages"].items():
        assert got[name] == [*defaults, "ses"], name
    # Only language-servers is set, so Helix's merge keeps every other default.
    assert all(set(lang) == {"name", "language-servers"} for lang in doc["language"])


def test_chosen_languages(ses):
    got = servers_by_language(generate(ses, "--languages", "rust,python,typescript"))
    assert got == {
        "python": ["ty", "ruff", "jedi", "pylsp", "ses"],
        "rust": ["rust-analyzer", "ses"],
        "typescript": ["typescript-language-server", "ses"],
    }


def test_output_is_deterministic(ses):
    a = ses.run("helix-config", "--languages", "go,rust", check=True).stdout
    b = ses.run("helix-config", "--languages", "rust,go", check=True).stdout
    assert a == b
    assert "Helix 25.07.1" in a


def test_unknown_language_is_an_error_listing_known_ones(ses):
    proc = ses.run("helix-config", "--languages", "rust,klingon")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.startswith("error: unknown Helix language(s): klingon.")
    assert "known languages: ada," in proc.stderr and " rust," in proc.stderr
