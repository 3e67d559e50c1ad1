#!/usr/bin/env python3
"""Line-by-line parity of `ses blame --rev REV` with `git blame --line-porcelain REV` on
every file of a real repository.

    python3 benches/blame_parity.py REPO [--rev HEAD] [--ses PATH] [--home DIR]

Prints the share of lines where both name the same commit, and every file that differs.
Uses only the standard library; needs `git` and a built `ses`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile


def git_blame(repo: str, rev: str, path: str) -> list[str]:
    out = subprocess.run(
        ["git", "-C", repo, "blame", "--line-porcelain", rev, "--", path],
        capture_output=True, check=True,
    ).stdout
    commits = []
    for line in out.split(b"\n"):
        if len(line) > 41 and line[40:41] == b" " and all(c in b"0123456789abcdef" for c in line[:40]):
            commits.append(line[:40].decode())
    return commits


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("repo")
    ap.add_argument("--rev", default="HEAD")
    ap.add_argument("--ses", default=os.path.expanduser("~/.cache/ses-dev/target/release/ses"))
    ap.add_argument("--home", default=None)
    args = ap.parse_args()
    home = args.home or tempfile.mkdtemp(prefix="ses-parity-")
    files = subprocess.run(
        ["git", "-C", args.repo, "ls-tree", "-r", "-z", "--name-only", args.rev],
        capture_output=True, check=True,
    ).stdout.decode(errors="surrogateescape").split("\0")
    total = same = 0
    differing = []
    for path in filter(None, files):
        theirs = git_blame(args.repo, args.rev, path)
        proc = subprocess.run(
            [args.ses, "--home", home, "blame", "--rev", args.rev, "--json",
             os.path.join(args.repo, path)],
            capture_output=True, text=True,
        )
        if proc.returncode != 0:
            differing.append((path, len(theirs), f"ses failed: {proc.stderr.strip()}"))
            total += len(theirs)
            continue
        ours = [l["commit"] for l in json.loads(proc.stdout)]
        agree = sum(a == b for a, b in zip(ours, theirs))
        total += len(theirs)
        same += agree
        if agree != len(theirs) or len(ours) != len(theirs):
            differing.append((path, len(theirs) - agree, f"{len(ours)} vs {len(theirs)} lines"))
    subprocess.run([args.ses, "--home", home, "daemon", "stop"], capture_output=True)
    pct = 100.0 * same / total if total else 100.0
    print(f"{same}/{total} lines agree ({pct:.3f}%) over {len([f for f in files if f])} files")
    for path, bad, why in differing:
        print(f"  differs: {path}: {bad} lines ({why})")
    return 0 if same == total else 1


if __name__ == "__main__":
    sys.exit(main())
