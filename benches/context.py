#!/usr/bin/env python3
"""Context switch and capture latency, measured in the daemon (the `elapsed_ms` each
`context.switch` / `context.capture` answer reports: from the request's params to the
answer, excluding the socket and the editor's own work).

The repository: FILES tracked files (default 2,000 in 40 directories, ~2 KiB each); two
contexts on two branches, each with 50 modified files (30 unstaged edits, 10 staged, 10
untracked, one 64 KiB binary among them) and an editor state of 100 open documents.
The objects of the base commit are packed (`git gc`), as in any repository that has
lived a while. Switches alternate between the two; captures re-capture the current one (a new version
each time, so pruning at 20 versions is part of the figure). With --edit, each switch comes
after a new edit in the context being left (a line appended to one of its modified files,
the cursor moved), so the save always has a new blob, new trees and a new editor state to
write, as after real work.

    python3 benches/context.py [--runs 200] [--files 2000] [--ses PATH] [--dir /tmp] [--edit]

Without --ses it builds and uses the release binary. Prints p50/p95/max per operation:
wall time in the daemon, the CPU time of the thread that ran it (the save lists directories
on helper threads too, which this leaves out), and the time it was runnable but waited for a CPU
(Linux schedstat), which on a shared, loaded machine is most of the wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]


def git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "B", "GIT_AUTHOR_EMAIL": "b@x",
                        "GIT_COMMITTER_NAME": "B", "GIT_COMMITTER_EMAIL": "b@x"})


class Rpc:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(str(path))
        self.f = self.s.makefile("rb")
        self.n = 0

    def call(self, method, params):
        self.n += 1
        self.s.sendall(json.dumps({"jsonrpc": "2.0", "id": self.n, "method": method,
                                   "params": params}).encode() + b"\n")
        msg = json.loads(self.f.readline())
        if "error" in msg:
            raise SystemExit(f"{method}: {msg['error']['message']}")
        return msg["result"]


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--ses")
    ap.add_argument("--dir", default="/tmp",
                    help="where the repository and home live (e.g. /dev/shm for tmpfs)")
    ap.add_argument("--edit", action="store_true",
                    help="edit a file of the context being left before each switch")
    args = ap.parse_args()
    ses = args.ses
    if not ses:
        target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "ses-lsp"], cwd=ROOT, check=True)
        ses = str(target / "release" / "ses")
    rng = random.Random(1)
    w = pathlib.Path(tempfile.mkdtemp(prefix="ses-ctxbench-", dir=args.dir))
    home, repo = w / "home", w / "repo"
    daemon = None
    try:
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        paths = [f"d{i % 40:02}/f{i:05}.txt" for i in range(args.files)]
        for p in paths:
            (repo / p).parent.mkdir(exist_ok=True)
            (repo / p).write_text("".join(f"line {j} of {p}\n" for j in range(80)))
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "base")
        # As real repositories are: their objects in a pack, not 2,000 loose files.
        git(repo, "gc", "-q")
        daemon = subprocess.Popen([ses, "--home", str(home), "daemon", "--idle-timeout", "1h"],
                                  stderr=subprocess.DEVNULL)
        sock = home / "run" / "daemon.sock"
        for _ in range(500):
            if sock.exists():
                break
            subprocess.run(["sleep", "0.01"])
        rpc = Rpc(sock)

        def make_context(name):
            git(repo, "switch", "-q", "-c", name) if name != "main" else None
            picked = rng.sample(paths, 40)
            for p in picked[:30]:
                (repo / p).write_text((repo / p).read_text() + f"edit in {name}\n")
            for p in picked[30:]:
                (repo / p).write_text((repo / p).read_text() + f"staged in {name}\n")
                git(repo, "add", p)
            for i in range(9):
                (repo / f"new-{name}-{i}.txt").write_text(f"untracked {i} in {name}\n")
            (repo / f"blob-{name}.bin").write_bytes(rng.randbytes(64 * 1024))
            docs = [{"uri": f"file://{repo}/{p}", "tab": i, "view_column": 1 + i % 2,
                     "cursor": {"line": i, "character": 0},
                     "selections": [{"start": {"line": i, "character": 0},
                                     "end": {"line": i, "character": 4}}],
                     "visible": {"start": {"line": 0, "character": 0},
                                 "end": {"line": 40, "character": 0}}}
                    for i, p in enumerate(rng.sample(paths, 100))]
            docs[-1]["focused"] = True
            edited[name] = picked[0]
            editor = {"documents": docs, "layout": {"groups": 2},
                      "breakpoints": [{"uri": docs[0]["uri"], "line": 3}],
                      "terminals": [{"name": "sh", "cwd": str(repo)}]}
            rpc.call("context.capture", {"repo": str(repo), "name": name, "editor": editor})
            return editor

        edited = {}
        editors = {"main": make_context("main")}
        # The second context starts from a clean tree on its own branch.
        git(repo, "stash", "-u", "-q")
        editors["other"] = make_context("other")
        git(repo, "stash", "drop", "-q")
        if os.environ.get("SES_BENCH_PAUSE"):
            # For profiling: attach to the daemon now (its pid is in the file named).
            pathlib.Path(os.environ["SES_BENCH_PAUSE"]).write_text(str(daemon.pid))
            import time as _t
            _t.sleep(3)
        switch, capture, rtt, switch_cpu, capture_cpu, waited = [], [], [], [], [], []
        cur = "other"
        import time
        for i in range(args.runs):
            nxt = "main" if cur == "other" else "other"
            if args.edit:
                p = repo / edited[cur]
                p.write_text(p.read_text() + f"work {i}\n")
                editors[cur]["documents"][-1]["cursor"] = {"line": i % 80, "character": 0}
            t = time.perf_counter()
            r = rpc.call("context.switch", {"repo": str(repo), "name": nxt, "editor": editors[cur]})
            rtt.append((time.perf_counter() - t) * 1000)
            assert r["files"] >= 100 and len(r["editor"]["documents"]) == 100, r["files"]
            switch.append(r["elapsed_ms"])
            switch_cpu.append(r.get("cpu_ms", float("nan")))
            waited.append(r.get("waited_ms", float("nan")))
            cur = nxt
        for i in range(args.runs):
            r = rpc.call("context.capture", {"repo": str(repo), "name": cur, "editor": editors[cur]})
            capture.append(r["elapsed_ms"])
            capture_cpu.append(r.get("cpu_ms", float("nan")))
        out = {}
        for name, xs in [("switch (daemon, wall)", switch), ("switch (daemon, cpu)", switch_cpu),
                         ("switch (waiting for a cpu)", waited),
                         ("switch (client round trip)", rtt),
                         ("capture (daemon, wall)", capture), ("capture (daemon, cpu)", capture_cpu)]:
            out[name] = {"p50_ms": round(statistics.median(xs), 2), "p95_ms": round(pct(xs, 95), 2),
                         "max_ms": round(max(xs), 2), "runs": len(xs)}
            print(f"{name:28} p50 {out[name]['p50_ms']:7.2f} ms   p95 {out[name]['p95_ms']:7.2f} ms"
                  f"   max {out[name]['max_ms']:7.2f} ms   ({len(xs)} runs)")
        print(json.dumps({"files": args.files, "edit": args.edit, "results": out}, sort_keys=True))
    finally:
        if daemon:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=10)
        shutil.rmtree(w, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
