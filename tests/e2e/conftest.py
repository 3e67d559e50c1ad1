"""Fixtures for end-to-end tests: the real `ses` binary, run as a user would run it."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def ses_bin() -> str:
    if os.environ.get("SES_BIN"):
        return os.environ["SES_BIN"]
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return str(target / "debug" / "ses")


SES = ses_bin()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes, once all its threads are: a killed multi-threaded
    # process shows its leader as a zombie while other threads still hold its descriptors
    # (the daemon's socket among them).
    try:
        with open(f"/proc/{pid}/stat") as f:
            if f.read().split(")")[-1].split()[0] != "Z":
                return True
        return len(os.listdir(f"/proc/{pid}/task")) > 1
    except FileNotFoundError:
        return False


def wait_until(pred, timeout: float = 15.0, what: str = "condition") -> None:
    """Bounded wait for something that must happen; fails the test if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def daemon_pids(home: pathlib.Path) -> list[int]:
    """Pids of live `ses daemon` processes serving `home`, read from /proc."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if b"daemon" in argv and str(home).encode() in argv and pid_alive(int(entry)):
            if argv[-2:] == [b"daemon", b""] or b"daemon" == argv[-1]:
                pids.append(int(entry))
    return pids


class Ses:
    """Runs the `ses` binary against one home."""

    def __init__(self, home: pathlib.Path, binary: str = SES):
        self.home = home
        self.binary = binary

    def argv(self, *args: str) -> list[str]:
        return [self.binary, "--home", str(self.home), *args]

    def run(self, *args: str, check: bool = False, timeout: float = 60, text: bool = True, **kw):
        proc = subprocess.run(
            self.argv(*args), capture_output=True, text=text, timeout=timeout, **kw
        )
        if check:
            assert proc.returncode == 0, f"ses {args} failed: {proc.stderr!r}"
        return proc

    def json(self, *args: str, **kw):
        proc = self.run(*args, "--json", check=True, **kw)
        return json.loads(proc.stdout)

    def daemon_pid(self) -> int:
        return self.json("daemon", "status")["pid"]

    def log(self) -> str:
        path = self.home / "log" / "daemon.log"
        return path.read_text() if path.exists() else ""


@pytest.fixture
def scratch():
    # Short paths: a Unix socket path may hold at most 107 bytes.
    d = pathlib.Path(tempfile.mkdtemp(prefix="ses-", dir="/tmp"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def ses(scratch):
    s = Ses(scratch / "home")
    yield s
    # Leave no daemon behind, whatever the test did.
    for pid in daemon_pids(s.home):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class RpcClient:
    """A raw JSON-RPC client on the daemon socket, independent of the Rust client."""

    def __init__(self, sock_path: pathlib.Path, timeout: float = 30):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(str(sock_path))
        self.file = self.sock.makefile("rb")
        self.next_id = 1

    def call(self, method: str, params: dict | None = None) -> dict:
        """Returns the whole response object (with "result" or "error")."""
        msg = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params or {}}
        self.next_id += 1
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        line = self.file.readline()
        if not line:
            raise ConnectionError("daemon closed the connection")
        return json.loads(line)

    def close(self) -> None:
        self.file.close()
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


NOBODY = 65534


def as_nobody(argv: list[str]) -> list[str]:
    """Runs argv as the unprivileged user `nobody`."""
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *argv]


@pytest.fixture
def nobody_ses(scratch):
    """A `Ses` for `nobody`: a copy of the binary it can execute (the build may live under
    /root, 0700) and a home it owns."""
    binary = scratch / "ses"
    shutil.copy(SES, binary)
    os.chmod(scratch, 0o755)
    home = scratch / "nobody-home"
    home.mkdir(mode=0o700)
    os.chown(home, NOBODY, NOBODY)
    s = Ses(home, str(binary))
    yield s
    for pid in daemon_pids(home):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
