"""Fault injection for context switches: SIGKILL the daemon at random moments while it
switches between two contexts full of staged, unstaged, untracked, binary, deleted and
renamed files, then check that no byte was lost and that `ses context recover` puts the
work back. Used by `test_context.py` (a few runs) and `benches/context_stress.py` (1,000).
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import random
import signal
import subprocess
import time

from conftest import Ses, pid_alive, wait_until

ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
}


def git(repo: pathlib.Path, *args: str, check: bool = True, input: bytes | None = None) -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, input=input,
        env={**os.environ, **ENV, "HOME": str(repo.parent)},
    )
    if check:
        assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout.decode(errors="surrogateescape")


def worktree_files(repo: pathlib.Path) -> dict[str, tuple[int, bytes]]:
    """Every file but .git: path → (exec bit or 0o120000 for symlinks, bytes or target)."""
    out = {}
    for root, dirs, files in os.walk(repo):
        if pathlib.Path(root) == repo and ".git" in dirs:
            dirs.remove(".git")
        for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            p = pathlib.Path(root, name)
            rel = str(p.relative_to(repo))
            if p.is_symlink():
                out[rel] = (0o120000, os.readlink(p).encode())
            else:
                out[rel] = (p.stat().st_mode & 0o111, p.read_bytes())
    return out


def state(repo: pathlib.Path) -> tuple[str, str, dict]:
    head = git(repo, "symbolic-ref", "-q", "HEAD", check=False).strip()
    head += " " + git(repo, "rev-parse", "-q", "--verify", "HEAD", check=False).strip()
    status = git(repo, "status", "--porcelain=v2", "--untracked-files=all", "-z")
    return head, status, worktree_files(repo)


def blob_id(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def blob_ids(repo: pathlib.Path) -> set[str]:
    """The blob ids of every file in the working tree (raw bytes) and every index entry."""
    ids = {blob_id(content) for _, content in worktree_files(repo).values()}
    for line in git(repo, "ls-files", "-s").splitlines():
        ids.add(line.split()[1])
    return ids


def saved_objects(repo: pathlib.Path) -> set[str]:
    out = git(repo, "rev-list", "--objects", "--glob=refs/ses/*")
    return {line.split()[0] for line in out.splitlines() if line}


class Scenario:
    """Two contexts, `a` on main and `b` on branch b, each with every kind of change."""

    def __init__(self, ses: Ses, repo: pathlib.Path, seed: int):
        self.ses = ses
        self.repo = repo
        self.rng = random.Random(seed)
        # What must survive the next kill: the blobs of the work before the switch and of
        # the context it goes to.
        self.known: set[str] = set()
        self.expected: dict[str, tuple] = {}
        self.ids: dict[str, set[str]] = {}
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        self.write("keep.txt", b"base\n")
        self.write("gone.txt", b"to be deleted\n")
        self.write("old.txt", b"to be renamed\n")
        self.write("src/lib.rs", b"pub fn f() {}\n")
        self.write(".gitignore", b"*.log\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "base")
        self.write("build.log", b"ignored, never touched\n")
        # b first: its mess is saved, then wiped with git so a's starts from main.
        git(repo, "switch", "-q", "-c", "b")
        self.mess("b")
        self.capture("b")
        git(repo, "reset", "-q", "--hard")
        git(repo, "clean", "-qfd")
        git(repo, "switch", "-q", "main")
        self.mess("a")
        self.capture("a")
        self.current = "a"

    def write(self, rel: str, data: bytes) -> None:
        p = self.repo / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)

    def mess(self, tag: str) -> None:
        r = self.repo
        self.write("keep.txt", f"base\nstaged in {tag}\n".encode())
        git(r, "add", "keep.txt")
        self.write("keep.txt", f"base\nstaged in {tag}\nunstaged in {tag}\n".encode())
        (r / "gone.txt").unlink()
        git(r, "mv", "old.txt", f"renamed-{tag}.txt")
        self.write(f"untracked-{tag}/notes.md", f"notes of {tag}\n".encode())
        self.write(f"{tag}.bin", bytes(self.rng.randrange(256) for _ in range(4096)))
        self.write("src/lib.rs", f"pub fn f() {{ /* {tag} */ }}\n".encode())
        os.chmod(r / "src/lib.rs", 0o755)

    def touch_work(self, round_no: int) -> None:
        """New bytes in the current context, so every round has new versions to lose."""
        tag = self.current
        self.write("keep.txt", f"base\nstaged in {tag}\nround {round_no}\n".encode())
        size = self.rng.choice([0, 100, 70_000, 1_500_000])
        self.write(f"{tag}.bin", self.rng.randbytes(size))

    def capture(self, name: str) -> None:
        self.ses.run("context", "capture", name, "--repo", str(self.repo), check=True)
        self.expected[name] = state(self.repo)
        self.ids[name] = blob_ids(self.repo)

    def daemon_pid(self) -> int:
        self.ses.run("id", check=True)  # starts a daemon if the last one was killed
        return self.ses.json("daemon", "status")["pid"]

    def check_nothing_lost(self) -> None:
        missing = self.known - saved_objects(self.repo) - blob_ids(self.repo)
        assert not missing, f"{len(missing)} file versions are neither in the worktree nor under refs/ses"

    def round(self, round_no: int, max_delay: float) -> str:
        """One switch killed at a random moment; returns what happened."""
        self.touch_work(round_no)
        target = "b" if self.current == "a" else "a"
        self.expected[self.current] = state(self.repo)
        self.ids[self.current] = blob_ids(self.repo)
        self.known = self.ids[self.current] | self.ids[target]
        pid = self.daemon_pid()
        proc = subprocess.Popen(
            self.ses.argv("context", "switch", target, "--repo", str(self.repo)),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        time.sleep(self.rng.uniform(0, max_delay))
        os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=60)
        wait_until(lambda: not pid_alive(pid), what="the killed daemon to die")
        self.check_nothing_lost()
        pending = self.ses.json("context", "recover", "--repo", str(self.repo))["pending"]
        if pending:
            assert len(pending) == 1, pending
            out = self.ses.json("context", "recover", "--repo", str(self.repo), "--restore", pending[0]["id"])
            assert out["name"] == self.current and out["pending"] == []
            assert state(self.repo) == self.expected[self.current], "recover did not restore the work"
            outcome = "recovered"
        else:
            now = state(self.repo)
            listed = self.ses.json("context", "list", "--repo", str(self.repo))
            if listed["current"] == target:
                assert now == self.expected[target], "a finished switch restored something else"
                self.current = target
                outcome = "completed"
            else:
                assert listed["current"] == self.current
                assert now == self.expected[self.current], "an unstarted switch changed the work"
                outcome = "not started"
        self.check_nothing_lost()
        return outcome


def run(ses: Ses, base: pathlib.Path, runs: int, seed: int = 7, max_delay: float = 0.03) -> dict[str, int]:
    sc = Scenario(ses, base / "repo", seed)
    outcomes: dict[str, int] = {}
    for i in range(runs):
        o = sc.round(i, max_delay)
        outcomes[o] = outcomes.get(o, 0) + 1
    # Both contexts still switch cleanly afterwards, byte for byte.
    for name in ("b", "a") if sc.current == "a" else ("a", "b"):
        ses.run("context", "switch", name, "--repo", str(sc.repo), check=True)
        assert state(sc.repo) == sc.expected[name]
    return outcomes

