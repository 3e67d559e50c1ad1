#!/usr/bin/env python3
"""How often `ses blame` agrees with `git blame` when commits are ignored
(`blame.ignoreRevsFile` / `.git-blame-ignore-revs`), on seeded random histories where one
commit in four is ignored: insertions, deletions, edits, re-indented blocks, and lines split
in two or joined. Seeds 0..N-1, so a run repeats exactly; the seeds with a difference are
listed.

    python3 benches/ignore_revs_parity.py [--ses PATH] [--seeds 60] [--commits 120]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import tempfile


def one(ses: str, seed: int, commits: int) -> tuple[int, int]:
    d = tempfile.mkdtemp(prefix="ses-ignore-", dir="/tmp")

    def git(*a, env=None):
        return subprocess.run(["git", "-C", d, *a], capture_output=True, text=True, check=True,
                              env={**os.environ, **(env or {})}).stdout

    git("init", "-q", "-b", "main")
    git("config", "user.name", "X")
    git("config", "user.email", "x@x")
    rng = random.Random(seed)
    vocab = ["}", "", "{", "    return x;", "let y = 1;", "x += 1;", "// note", "if a {", "foo(bar);"]
    files = {f"f{i}.rs": [f"line {i}.{j}" for j in range(12)] for i in range(4)}
    ignored = []
    for step in range(commits):
        for _ in range(rng.randint(1, 3)):
            lines = files[rng.choice(sorted(files))]
            op = rng.random()
            if op < 0.3:
                lines.insert(rng.randrange(len(lines) + 1), rng.choice(vocab) + f" {step}")
            elif op < 0.5 and len(lines) > 3:
                del lines[rng.randrange(len(lines))]
            elif op < 0.7:
                at = rng.randrange(len(lines))
                lines[at] = lines[at] + f" // m{step}"
            elif op < 0.8:
                # Split a line in two, or join it with the next: what reformatters do.
                at = rng.randrange(len(lines))
                if rng.random() < 0.5 or at + 1 == len(lines):
                    cut = rng.randrange(len(lines[at]) + 1)
                    lines[at:at + 1] = [lines[at][:cut], "    " + lines[at][cut:]]
                else:
                    lines[at:at + 2] = [lines[at] + " " + lines[at + 1].strip()]
            else:
                a = rng.randrange(len(lines))
                for k in range(a, min(len(lines), a + rng.randint(1, 5))):
                    lines[k] = "    " + lines[k]
        for name, lines in files.items():
            with open(os.path.join(d, name), "w") as f:
                f.write("\n".join(lines) + "\n")
        who = rng.choice(["A", "B", "C"])
        git("add", "-A")
        git("commit", "-q", "-m", f"s{step}", env={"GIT_AUTHOR_NAME": who, "GIT_AUTHOR_EMAIL": f"{who}@x"})
        if step % 4 == 2:
            ignored.append(git("rev-parse", "HEAD").strip())
    with open(os.path.join(d, ".git-blame-ignore-revs"), "w") as f:
        f.write("\n".join(ignored) + "\n")
    git("add", "-A")
    git("commit", "-q", "-m", "ignore file")
    git("config", "blame.ignoreRevsFile", ".git-blame-ignore-revs")
    same = total = 0
    for name in sorted(files):
        out = git("blame", "--line-porcelain", "HEAD", "--", name)
        theirs = [l[:40] for l in out.split("\n")
                  if len(l) > 41 and l[40] == " " and all(c in "0123456789abcdef" for c in l[:40])]
        proc = subprocess.run([ses, "--home", d + "/home", "blame", "--rev", "HEAD", "--json",
                               os.path.join(d, name)], capture_output=True, text=True, check=True)
        ours = [l["commit"] for l in json.loads(proc.stdout)]
        total += len(theirs)
        same += sum(a == b for a, b in zip(ours, theirs))
    subprocess.run([ses, "--home", d + "/home", "daemon", "stop"], capture_output=True)
    shutil.rmtree(d)
    return same, total


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ses", default=os.path.expanduser("~/.cache/ses-dev/target/release/ses"))
    ap.add_argument("--seeds", type=int, default=60)
    ap.add_argument("--commits", type=int, default=120)
    a = ap.parse_args()
    same = total = 0
    differing = []
    for seed in range(a.seeds):
        s, t = one(a.ses, seed, a.commits)
        same += s
        total += t
        if s != t:
            differing.append(seed)
    print(f"{a.seeds} histories of {a.commits} commits: {same}/{total} lines agree with "
          f"git blame --ignore-revs-file ({100 * same / total:.2f}%)")
    if differing:
        print(f"seeds with a difference: {differing}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
