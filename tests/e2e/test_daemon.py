"""The per-user daemon: started on demand, exactly one, owner-only, robust to bad input."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess

import pytest
from conftest import SES, as_nobody, daemon_pids, pid_alive, wait_until


def rpc_lines(sock_path, lines: list[bytes], expect: int) -> list[dict]:
    """Sends raw lines on a fresh connection and reads `expect` response lines."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(20)
        s.connect(str(sock_path))
        for line in lines:
            try:
                s.sendall(line)
            except BrokenPipeError:
                break  # refused: the daemon's answer is still there to read
        f = s.makefile("rb")
        return [json.loads(f.readline()) for _ in range(expect)]


def test_ten_clients_at_once_start_exactly_one_daemon(ses):
    procs = [
        subprocess.Popen(ses.argv("id", "--json"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(10)
    ]
    outs = [p.communicate(timeout=60) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    dids = {json.loads(out)["did"] for out, _ in outs}
    assert len(dids) == 1, dids
    assert dids.pop().startswith("did:key:z6Mk")
    pid = ses.daemon_pid()
    # Losing candidates exit at once; give them a moment to be gone.
    wait_until(lambda: daemon_pids(ses.home) == [pid], what="exactly one daemon")
    assert ses.log().count("daemon listening") == 1


def test_kill_9_leaves_nothing_that_stops_the_next_client(ses):
    first = ses.json("id")
    pid = ses.daemon_pid()
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not pid_alive(pid), what="the killed daemon to die")
    # The killed daemon's socket is still on disk: stale.
    assert (ses.home / "run" / "daemon.sock").exists()
    assert ses.json("id") == first
    new_pid = ses.daemon_pid()
    assert new_pid != pid and pid_alive(new_pid)


def test_status_and_stop(ses):
    assert ses.run("daemon", "status").returncode == 1
    ses.run("id", check=True)
    status = ses.json("daemon", "status")
    assert status["running"] is True
    assert status["socket"] == str(ses.home / "run" / "daemon.sock")
    assert isinstance(status["uptime_s"], int) and isinstance(status["pid"], int)
    human = ses.run("daemon", "status", check=True).stdout
    assert f"pid {status['pid']}" in human
    stop = ses.run("daemon", "stop", check=True)
    assert f"pid {status['pid']}" in stop.stdout
    assert not pid_alive(status["pid"])
    assert not (ses.home / "run" / "daemon.sock").exists()
    gone = ses.run("daemon", "status", "--json")
    assert gone.returncode == 1 and json.loads(gone.stdout)["running"] is False
    # Stopping again is not an error.
    assert ses.run("daemon", "stop").returncode == 0


def test_socket_and_directories_are_owner_only(ses):
    ses.run("id", check=True)
    mode = lambda p: stat.S_IMODE(os.stat(p).st_mode)  # noqa: E731
    assert mode(ses.home / "run") == 0o700
    assert mode(ses.home / "run" / "daemon.sock") == 0o600
    assert mode(ses.home / "identity" / "ed25519.key") == 0o600


def test_a_second_foreground_daemon_is_refused(ses):
    ses.run("id", check=True)
    pid = ses.daemon_pid()
    second = ses.run("daemon")
    assert second.returncode == 1
    assert "already running" in second.stderr and str(pid) in second.stderr
    assert pid_alive(pid)


def test_sigterm_stops_cleanly(ses):
    ses.run("id", check=True)
    pid = ses.daemon_pid()
    os.kill(pid, signal.SIGTERM)
    wait_until(lambda: not pid_alive(pid), what="the daemon to exit on SIGTERM")
    assert not (ses.home / "run" / "daemon.sock").exists()
    assert "daemon stopped" in ses.log()


def test_idle_daemon_exits(ses):
    env = {**os.environ, "SES_DAEMON_IDLE_TIMEOUT": "1s"}
    ses.run("id", check=True, env=env)
    pid = ses.daemon_pid()
    wait_until(lambda: not pid_alive(pid), timeout=30, what="the idle daemon to exit")
    assert "no clients for 1s" in ses.log()


@pytest.mark.parametrize("scratch_mode", [0o700, 0o755], ids=["home-hidden", "home-visible"])
def test_another_user_is_refused_with_a_clear_error(ses, scratch, scratch_mode):
    """Whether `nobody` can see the home (0755 parent) or not (0700), it gets a clear no."""
    os.chmod(scratch, scratch_mode)
    ses.run("id", check=True)
    pid = ses.daemon_pid()
    proc = subprocess.run(as_nobody(ses.argv("id")), capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(ses.home) in lines[0], proc.stderr
    if scratch_mode == 0o755:
        assert "belongs to uid 0" in lines[0]
    assert pid_alive(pid)


def test_peer_uid_is_checked(nobody_ses):
    """A daemon run by `nobody` refuses a connection from root (SO_PEERCRED)."""
    ses_nobody, home = nobody_ses, nobody_ses.home
    daemon = subprocess.Popen(as_nobody(ses_nobody.argv("daemon")), stderr=subprocess.PIPE, text=True)
    try:
        sock = home / "run" / "daemon.sock"
        wait_until(sock.exists, what="nobody's daemon socket")
        # Root passes the 0700 directory, so only the peer check can stop it.
        [reply] = rpc_lines(sock, [b'{"jsonrpc":"2.0","id":1,"method":"daemon.status"}\n'], 1)
        assert reply["error"]["code"] == -32001
        assert "uid 0 may not use it" in reply["error"]["message"]
        assert daemon.poll() is None
    finally:
        daemon.terminate()
        _, err = daemon.communicate(timeout=20)
    assert "refused a connection from another user" in err and "uid=0" in err


def test_bad_messages_get_jsonrpc_errors_and_the_daemon_lives(ses):
    ses.run("id", check=True)
    pid = ses.daemon_pid()
    sock = ses.home / "run" / "daemon.sock"
    huge = b'{"jsonrpc":"2.0","id":9,"method":"x","params":{"s":"' + b"a" * (9 * 1024 * 1024) + b'"}}\n'
    replies = rpc_lines(
        sock,
        [
            b"this is not json\n",
            b'{"jsonrpc":"2.0","id":2,"method":"no.such.method"}\n',
            b'[{"jsonrpc":"2.0","id":3,"method":"daemon.status"}]\n',
            b'{"id":4,"method":"daemon.status"}\n',
            b'{"jsonrpc":"2.0","method":"daemon.status"}\n',  # a notification: no reply
            huge,
            b'{"jsonrpc":"2.0","id":5,"method":"daemon.status"}\n',
        ],
        6,
    )
    assert [r.get("error", {}).get("code") for r in replies] == [-32700, -32601, -32600, -32600, -32600, None]
    assert replies[1]["id"] == 2 and "no.such.method" in replies[1]["error"]["message"]
    assert replies[3]["id"] == 4
    assert "longer than" in replies[4]["error"]["message"]
    assert replies[5]["id"] == 5 and replies[5]["result"]["pid"] == pid
    # A client that vanishes mid-message does no harm either.
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(sock))
        s.sendall(b'{"jsonrpc":"2.0","id":1,"meth')
    assert ses.daemon_pid() == pid


@pytest.mark.parametrize("damage", ["home-is-file", "run-is-file", "corrupt-key", "key-is-dir"])
def test_corrupt_home_is_named_and_untouched(ses, damage):
    home = ses.home
    if damage == "home-is-file":
        home.write_bytes(b"precious")
        victim = home
    else:
        ses.run("id", check=True)
        ses.run("daemon", "stop", check=True)
        if damage == "run-is-file":
            shutil.rmtree(home / "run")
            victim = home / "run"
            victim.write_bytes(b"precious")
        elif damage == "corrupt-key":
            victim = home / "identity" / "ed25519.key"
            victim.write_bytes(b"precious")
        else:
            victim = home / "identity" / "ed25519.key"
            victim.unlink()
            victim.mkdir()
    before = victim.read_bytes() if victim.is_file() else None
    proc = ses.run("id")
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert str(victim) in lines[0], lines[0]
    if before is not None:
        assert victim.read_bytes() == before
    assert daemon_pids(home) == []


def test_usage_errors_exit_2_and_help_works(ses):
    assert ses.run("no-such-command").returncode == 2
    assert ses.run("id", "--bogus").returncode == 2
    version = subprocess.run([SES, "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("ses ")
    for shell in ["bash", "zsh", "fish"]:
        out = subprocess.run([SES, "completions", shell], capture_output=True, text=True)
        assert out.returncode == 0 and "daemon" in out.stdout


def test_ses_home_env_selects_the_home(ses):
    env = {**os.environ, "SES_HOME": str(ses.home)}
    proc = subprocess.run([SES, "id", "--json"], capture_output=True, text=True, env=env, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert (ses.home / "identity" / "ed25519.key").exists()
