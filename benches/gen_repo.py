#!/usr/bin/env python3
"""Generates a git repository of a chosen shape for attribution benchmarks, with
`git fast-import` (seconds even for tens of thousands of commits).

    python3 benches/gen_repo.py OUT [--commits 5000] [--files 300] [--authors 40]
                                    [--merge-every 50] [--seed 1]

Each commit edits 1-3 random files (insert, delete or change a few lines) as one of the
authors; every `--merge-every` commits a side branch of a few commits is merged back.
The same seed gives the same repository.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--commits", type=int, default=5000)
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--authors", type=int, default=40)
    ap.add_argument("--merge-every", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    subprocess.run(["git", "init", "-q", "-b", "main", a.out], check=True)
    files = {f"src/mod{i // 20}/file{i}.rs": [f"// file {i}", "fn main() {", "}"] for i in range(a.files)}
    out = []
    mark = 0
    t = 1_600_000_000

    def commit(branch: str, parents: list[int], changed: dict[str, list[str]], who: int) -> int:
        nonlocal mark, t
        mark += 1
        t += 60
        msg = f"change {mark}".encode()
        out.append(f"commit refs/heads/{branch}\nmark :{mark}\n")
        out.append(f"author Dev{who} <dev{who}@example.com> {t} +0000\n")
        out.append(f"committer Dev{who} <dev{who}@example.com> {t} +0000\n")
        out.append(f"data {len(msg)}\n{msg.decode()}\n")
        if parents:
            out.append(f"from :{parents[0]}\n")
            for p in parents[1:]:
                out.append(f"merge :{p}\n")
        for path, lines in changed.items():
            data = ("\n".join(lines) + "\n").encode()
            out.append(f"M 100644 inline {path}\ndata {len(data)}\n")
            out.append(data.decode() + "\n")
        return mark

    def edit(state: dict[str, list[str]], n: int) -> dict[str, list[str]]:
        changed = {}
        for path in rng.sample(sorted(state), rng.randint(1, 3)):
            lines = list(state[path])
            for _ in range(rng.randint(1, 4)):
                op = rng.random()
                at = rng.randint(1, max(1, len(lines) - 1))
                if op < 0.6 or len(lines) < 5:
                    lines.insert(at, f"    let x{n}_{rng.randint(0, 99)} = {rng.randint(0, 9999)};")
                elif op < 0.8:
                    del lines[at]
                else:
                    lines[at] = f"    // changed in {n}"
            state[path] = lines
            changed[path] = lines
        return changed

    head = commit("main", [], dict(files), 0)
    n = 1
    while n < a.commits:
        if a.merge_every and n % a.merge_every == 0:
            side = dict(files)
            tip = head
            for _ in range(3):
                tip = commit("side", [tip], edit(side, n), rng.randrange(a.authors))
                n += 1
            main_changes = edit(files, n)
            head = commit("main", [head], main_changes, rng.randrange(a.authors))
            n += 1
            # The merge takes the side's version of the files only it changed.
            merged = dict(files)
            for path, lines in side.items():
                if lines is not files[path] and path not in main_changes:
                    merged[path] = lines
            changed = {p: l for p, l in merged.items() if l is not files[p]}
            files.update(merged)
            head = commit("main", [head, tip], changed, rng.randrange(a.authors))
        else:
            head = commit("main", [head], edit(files, n), rng.randrange(a.authors))
        n += 1
    subprocess.run(["git", "-C", a.out, "fast-import", "--quiet"], input="".join(out).encode(), check=True)
    subprocess.run(["git", "-C", a.out, "checkout", "-q", "-f", "main"], check=True)
    subprocess.run(["git", "-C", a.out, "branch", "-D", "side"], check=False, capture_output=True)
    print(f"{a.out}: {n} commits, {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
