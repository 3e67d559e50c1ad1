#!/usr/bin/env python3
"""Writes default-servers.toml: each Helix language's default `language-servers` list.

`ses helix-config` needs these because a `[[language]]` entry's `language-servers`
replaces Helix's list instead of adding to it. Only the server names (and their feature
filters) are copied; nothing else of Helix's languages.toml is kept.

Usage: generate-default-servers.py HELIX_LANGUAGES_TOML HELIX_VERSION > default-servers.toml
e.g. with a Helix checkout:
  git -C helix show 25.07.1:languages.toml > /tmp/languages.toml
  editors/helix/generate-default-servers.py /tmp/languages.toml 25.07.1 > editors/helix/default-servers.toml
"""

import json
import sys
import tomllib


def inline(value) -> str:
    """A TOML inline value; JSON string escapes are valid TOML basic-string escapes."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(inline(v) for v in value) + "]"
    if isinstance(value, dict):
        # Keys keep the order Helix wrote them in (dicts keep file order).
        return "{ " + ", ".join(f"{k} = {inline(v)}" for k, v in value.items()) + " }"
    raise SystemExit(f"unexpected value in language-servers: {value!r}")


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    path, version = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        languages = tomllib.load(f)["language"]
    out = [
        f"# Helix {version}'s default language servers for each of its languages, taken from",
        f"# https://github.com/helix-editor/helix/blob/{version}/languages.toml (MPL-2.0) by",
        "# editors/helix/generate-default-servers.py. Regenerate it for a new Helix release.",
        f'helix = "{version}"',
        "",
        "[languages]",
    ]
    for lang in sorted(languages, key=lambda l: l["name"]):
        name = lang["name"]
        key = name if name.replace("-", "").replace("_", "").isalnum() else json.dumps(name)
        out.append(f"{key} = {inline(lang.get('language-servers', []))}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
