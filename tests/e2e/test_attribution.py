"""`ses attribute` and `ses blame` on repositories built here with git, against git itself."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter

import pytest

ENV_BASE = {"GIT_CONFIG_NOSYSTEM": "1"}


class Repo:
    def __init__(self, path):
        self.path = path
        self.tick = 0
        path.mkdir()
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Local Dev")
        self.git("config", "user.email", "dev@example.com")

    def git(self, *args, env=None, check=True):
        proc = subprocess.run(
            ["git", "-C", str(self.path), *args], capture_output=True, text=True, errors="surrogateescape",
            env={**os.environ, **ENV_BASE, "HOME": str(self.path.parent), **(env or {})},
        )
        if check:
            assert proc.returncode == 0, proc.stderr
        return proc.stdout

    def write(self, rel, text: str | bytes):
        p = self.path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(text if isinstance(text, bytes) else text.encode())

    def commit(self, who, msg, email=None):
        self.tick += 1
        date = f"{1_700_000_000 + self.tick * 60} +0000"
        email = email or f"{who.lower()}@example.com"
        self.git("add", "-A")
        self.git("commit", "-q", "-m", msg, env={
            "GIT_AUTHOR_NAME": who, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_NAME": who, "GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_DATE": date,
        })

    def git_blame(self, path, rev="HEAD"):
        """[(commit, author, author-mail)] per line from `git blame --line-porcelain`."""
        out = self.git("blame", "--line-porcelain", rev, "--", path)
        lines, cur = [], {}
        for l in out.splitlines():
            if len(l) > 41 and l[40] == " " and all(c in "0123456789abcdef" for c in l[:40]):
                cur = {"commit": l[:40]}
            elif l.startswith("author "):
                cur["name"] = l[7:]
            elif l.startswith("author-mail "):
                cur["email"] = l[12:].strip("<>")
            elif l.startswith("\t"):
                lines.append(cur)
        return lines


@pytest.fixture
def repo(scratch):
    r = Repo(scratch / "repo")
    r.write(".mailmap", "Alice Smith <alice@example.com> <alice@old.example.org>\n")
    r.write("src/main.py", "def main():\n    print('hi')\n\n\ndef helper():\n    return 1\n")
    r.write("vendor/lib.js", "var a = 1;\nvar b = 2;\n")
    r.write(".gitattributes", "vendor/** linguist-vendored\n")
    r.commit("Alice", "start", email="alice@old.example.org")
    r.git("checkout", "-q", "-b", "feature")
    r.write("src/main.py", "def main():\n    print('hello')\n\n\ndef helper():\n    return 1\n")
    r.commit("Bob", "greet\n\nCo-authored-by: Carol <carol@example.com>")
    r.git("checkout", "-q", "main")
    r.write("README.md", "# Demo\n")
    r.commit("Carol", "readme")
    r.git("merge", "-q", "--no-ff", "-m", "merge feature", "feature",
          env={"GIT_AUTHOR_DATE": "1700009999 +0000", "GIT_COMMITTER_DATE": "1700009999 +0000"})
    (r.path / "src" / "util").mkdir()
    r.git("mv", "src/main.py", "src/util/main.py")
    r.commit("Dave", "move")
    r.write("deps.txt", "dep 1\ndep 2\n")
    r.commit("dependabot[bot]", "bump", email="49699333+dependabot[bot]@users.noreply.github.com")
    return r


def test_blame_json_equals_git_blame(ses, repo):
    for path in ["src/util/main.py", "README.md", ".mailmap", "deps.txt"]:
        out = ses.json("blame", "--rev", "HEAD", str(repo.path / path))
        theirs = repo.git_blame(path)
        assert [{k: l[k] for k in ("commit", "name", "email")} for l in out] == theirs, path
        assert [l["line"] for l in out] == list(range(1, len(theirs) + 1))


def test_blame_of_the_working_tree_credits_uncommitted_lines_to_you(ses, repo):
    repo.write("README.md", "# Demo\nnew line\n")
    out = ses.json("blame", str(repo.path / "README.md"))
    assert out[0]["commit"] == repo.git_blame("README.md")[0]["commit"]
    assert out[1] == {"line": 2, "commit": "0" * 40, "name": "Local Dev", "email": "dev@example.com"}
    text = ses.run("blame", str(repo.path / "README.md"), check=True).stdout
    assert "new line" in text and "00000000" in text


def test_attribute_counts_lines_as_git_blame_does(ses, repo):
    att = ses.json("attribute", str(repo.path))
    assert att["rev"] == repo.git("rev-parse", "HEAD").strip()
    included = ["src/util/main.py", "README.md", ".mailmap", ".gitattributes"]
    counts = Counter(l["email"] for p in included for l in repo.git_blame(p))
    assert {a["email"]: a["lines"] for a in att["authors"]} == dict(counts) | {"carol@example.com": counts["carol@example.com"]}
    assert att["total_lines"] == sum(counts.values())
    # Bob's commit is co-authored by Carol: his lines are split between them.
    bob = next(a for a in att["authors"] if a["email"] == "bob@example.com")
    carol = next(a for a in att["authors"] if a["email"] == "carol@example.com")
    assert bob["credit"] == bob["lines"] / 2
    assert carol["credit"] == carol["lines"] + bob["lines"] / 2
    assert abs(sum(a["share"] for a in att["authors"]) - 1.0) < 1e-9
    # Mailmap: the old address is Alice Smith.
    assert any(a["name"] == "Alice Smith" for a in att["authors"])
    assert att["excluded"]["files"] == [{"path": "vendor/lib.js", "lines": 2, "reason": "linguist-vendored"}]
    assert [p["lines"] for p in att["excluded"]["people"]] == [2]
    assert [f["path"] for f in att["files"]] == sorted(f["path"] for f in att["files"])
    # The table shows the same people.
    table = ses.run("attribute", str(repo.path), check=True).stdout
    assert "Alice Smith" in table and "excluded: 1 vendored/generated files (2 lines), 1 bots (2 lines)" in table


def test_a_new_commit_is_picked_up(ses, repo):
    before = ses.json("attribute", str(repo.path))
    repo.write("NEW.txt", "one\ntwo\nthree\n")
    repo.commit("Erin", "new file")
    after = ses.json("attribute", str(repo.path))
    assert after["total_lines"] == before["total_lines"] + 3
    assert any(a["email"] == "erin@example.com" and a["lines"] == 3 for a in after["authors"])


def test_output_is_deterministic(ses, repo):
    a = ses.run("attribute", str(repo.path), "--json", check=True).stdout
    ses.run("daemon", "stop", check=True)
    b = ses.run("attribute", str(repo.path), "--json", check=True).stdout
    assert a == b


def test_odd_files_follow_git(ses, scratch):
    r = Repo(scratch / "odd")
    r.write("bin.dat", bytes(range(256)) * 4)
    r.write("latin1.txt", b"caf\xe9\nna\xefve\n")
    big_lines = 4_500_000  # ~50 MB
    r.write("big.txt", "".join(f"line {i}\n" for i in range(big_lines)))
    r.commit("Alice", "odd files")
    r.write("latin1.txt", b"caf\xe9\nchanged\n")
    r.commit("Bob", "edit")
    for path in ["bin.dat", "latin1.txt"]:
        out = ses.json("blame", "--rev", "HEAD", str(r.path / path))
        assert [l["commit"] for l in out] == [l["commit"] for l in r.git_blame(path)]
    att = ses.json("attribute", str(r.path))
    binary_lines = (bytes(range(256)) * 4).count(b"\n") + 1  # git counts a last line without \n
    assert att["total_lines"] == big_lines + 2 + binary_lines


@pytest.mark.parametrize(
    "setup, args, needle",
    [
        ("none", ["attribute", "{dir}"], "not inside a git repository"),
        ("empty", ["attribute", "{dir}"], "has no commits yet"),
        ("repo", ["attribute", "{dir}", "--rev", "nope"], "unknown revision"),
        ("repo", ["blame", "--rev", "HEAD", "{dir}/missing.txt"], "is not in revision"),
        ("repo", ["blame", "{dir}/missing.txt"], "cannot read"),
    ],
)
def test_bad_input_is_a_clear_error(ses, scratch, setup, args, needle):
    d = scratch / "target"
    if setup == "none":
        d.mkdir()
    elif setup == "empty":
        Repo(d)
    else:
        r = Repo(d)
        r.write("a.txt", "a\n")
        r.commit("Alice", "a")
    ses.run("id", check=True)
    pid = ses.daemon_pid()
    proc = ses.run(*[a.replace("{dir}", str(d)) for a in args])
    assert proc.returncode == 1, proc
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], proc.stderr
    assert ses.daemon_pid() == pid


def test_a_shallow_clone_credits_the_boundary_as_git_does(ses, scratch, repo):
    shallow = scratch / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "2", f"file://{repo.path}", str(shallow)], check=True)
    r = Repo.__new__(Repo)
    r.path = shallow
    for path in ["src/util/main.py", "README.md"]:
        out = ses.json("blame", "--rev", "HEAD", str(shallow / path))
        assert [l["commit"] for l in out] == [l["commit"] for l in r.git_blame(path)]


def test_graph_json_is_a_sorted_graph_of_the_repository(ses, repo):
    g = ses.json("graph", str(repo.path))
    ids = [n["id"] for n in g["nodes"]]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    kinds = {n["kind"] for n in g["nodes"]}
    assert {"contributor", "commit", "file", "symbol"} <= kinds
    assert "file:src/util/main.py" in ids and "file:vendor/lib.js" not in ids
    assert "symbol:src/util/main.py#main@1" in ids and "symbol:src/util/main.py#helper@5" in ids
    edges = {(e["from"], e["kind"], e["to"]): e["weight"] for e in g["edges"]}
    assert edges[("file:src/util/main.py", "contains", "symbol:src/util/main.py#main@1")] == 2
    # Bob's line in main() is co-authored with Carol: half each.
    assert edges[("person:bob@example.com", "authored", "symbol:src/util/main.py#main@1")] == 0.5
    assert edges[("person:carol@example.com", "authored", "symbol:src/util/main.py#main@1")] == 0.5
    assert all(e["from"] in ids and e["to"] in ids for e in g["edges"])
    summary = ses.run("graph", str(repo.path), check=True).stdout
    assert "file nodes" in summary and "authored edges" in summary


def test_the_index_survives_a_daemon_restart(ses, repo):
    # Large enough that the snapshot is a file in the store, not a row.
    repo.write("big.txt", "".join(f"{i}\n" for i in range(30_000)))
    repo.commit("Erin", "big")
    first = ses.run("attribute", str(repo.path), "--json", check=True).stdout
    ses.run("daemon", "stop", check=True)
    again = ses.run("attribute", str(repo.path), "--json", check=True).stdout
    assert again == first
    assert "restored the attribution index" in ses.log()
    # A damaged snapshot costs a rebuild, never a wrong answer or an error.
    ses.run("daemon", "stop", check=True)
    blobs = list((ses.home / "store" / "blobs").rglob("*.data"))
    assert blobs
    for blob in blobs:
        with open(blob, "r+b") as f:
            f.seek(100)
            f.write(b"\xff\xff\xff\xff")
    assert ses.run("attribute", str(repo.path), "--json", check=True).stdout == first
    assert "rebuilding the index" in ses.log()
