#!/usr/bin/env python3
"""Language-server latency through the real stdio protocol (`ses lsp --stdio`).

    python3 benches/lsp.py REPO FILE [FILE ...] [--ses PATH] [--runs N]

For each FILE (a path inside REPO, which should have real history, e.g. a ripgrep clone):
  * first lenses: didOpen -> codeLens answered, on a running daemon whose index is built
    (each run reopens the file, so the buffer is attributed again);
  * codeLens (warm): the same document asked again;
  * codeLens/resolve (warm) on the file's lenses;
  * after an edit: didChange (one line inserted) -> codeLens answered;
and, as the reference point, `git blame --porcelain FILE` on the same file in the same run.
Prints p50/p95 in milliseconds. No dependency beyond Python's standard library.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import tempfile
import time


class Lsp:
    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.next_id = 0

    def send(self, msg):
        body = json.dumps(msg).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def read(self):
        length = None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise SystemExit("error: the server closed the connection")
            if line in (b"\r\n", b"\n"):
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return json.loads(self.proc.stdout.read(length))

    def request(self, method, params):
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        while True:
            msg = self.read()
            if "method" in msg and "id" in msg:  # a request from the server: answer it
                self.send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
                continue
            if msg.get("id") == self.next_id and "method" not in msg:
                if "error" in msg:
                    raise SystemExit(f"error: {method}: {msg['error']['message']}")
                return msg["result"]

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def show(name, xs):
    print(f"  {name:<34} p50 {statistics.median(xs) * 1000:8.2f} ms   p95 {pct(xs, 0.95) * 1000:8.2f} ms   (n={len(xs)})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("repo")
    ap.add_argument("files", nargs="+")
    ap.add_argument("--ses", default=os.environ.get("SES_BIN", "ses"))
    ap.add_argument("--runs", type=int, default=30)
    a = ap.parse_args()
    repo = pathlib.Path(a.repo).resolve()
    home = tempfile.mkdtemp(prefix="ses-lsp-bench.")
    ses = [a.ses, "--home", home]
    try:
        subprocess.run([*ses, "attribute", str(repo)], check=True, stdout=subprocess.DEVNULL)
        lsp = Lsp([*ses, "lsp", "--stdio"])
        lsp.request("initialize", {
            "processId": os.getpid(),
            "capabilities": {"workspace": {"codeLens": {"refreshSupport": True}}},
            "workspaceFolders": [{"uri": repo.as_uri(), "name": repo.name}],
        })
        lsp.notify("initialized", {})
        for rel in a.files:
            path = repo / rel
            uri = path.as_uri()
            text = path.read_text()
            lines = text.count("\n")
            doc = {"textDocument": {"uri": uri}}
            first, warm, resolve, edited = [], [], [], []
            lenses = []
            for run in range(a.runs):
                t = time.perf_counter()
                lsp.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "rust", "version": 1, "text": text}})
                lenses = lsp.request("textDocument/codeLens", doc)
                first.append(time.perf_counter() - t)
                lsp.notify("textDocument/didClose", doc)
            lsp.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "rust", "version": 1, "text": text}})
            lsp.request("textDocument/codeLens", doc)
            for run in range(a.runs * 5):
                t = time.perf_counter()
                lenses = lsp.request("textDocument/codeLens", doc)
                warm.append(time.perf_counter() - t)
            for run in range(a.runs * 10):
                lens = lenses[run % len(lenses)]
                t = time.perf_counter()
                lsp.request("codeLens/resolve", lens)
                resolve.append(time.perf_counter() - t)
            for run in range(a.runs):
                line = (run * 37) % lines
                lsp.notify("textDocument/didChange", {
                    "textDocument": {"uri": uri, "version": 2 + run},
                    "contentChanges": [{"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}}, "text": f"// edit {run}\n"}],
                })
                t = time.perf_counter()
                lsp.request("textDocument/codeLens", doc)
                edited.append(time.perf_counter() - t)
            lsp.notify("textDocument/didClose", doc)
            blame = []
            for run in range(5):
                t = time.perf_counter()
                subprocess.run(["git", "-C", str(repo), "blame", "--porcelain", "--", rel], check=True, stdout=subprocess.DEVNULL)
                blame.append(time.perf_counter() - t)
            print(f"{rel}: {lines} lines, {len(lenses) - 1} symbol lenses + 1 file lens")
            show("first lenses after didOpen", first)
            show("codeLens (warm)", warm)
            show("codeLens/resolve (warm)", resolve)
            show("codeLens after a one-line edit", edited)
            show("git blame --porcelain (reference)", blame)
            print(f"  ratio first lenses / git blame (p50): {statistics.median(first) / statistics.median(blame):.2f}")
        lsp.request("shutdown", None)
        lsp.notify("exit", None)
        lsp.proc.wait(timeout=30)
    finally:
        subprocess.run([*ses, "daemon", "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["rm", "-rf", home])


if __name__ == "__main__":
    main()
