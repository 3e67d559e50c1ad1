"""The content store through the CLI and the daemon: ids, ranges, damage, crashes, bad input."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import threading
import time

import pytest
from conftest import RpcClient, as_nobody, pid_alive, wait_until
from multiformats import CID, multihash
SIZES = [0, 1, 1024, 256 * 1024, 256 * 1024 + 1, 5 * 1024 * 1024]


def independent_cid(data: bytes) -> str:
    """CIDv1 raw BLAKE3-256 in base32, computed by the `multiformats` package."""
    return str(CID("base32", 1, "raw", multihash.get("blake3").digest(data, size=32)))


def random_bytes(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


@pytest.mark.parametrize("size", SIZES)
def test_ids_equal_an_independent_implementation(ses, scratch, size):
    data = random_bytes(size, size)
    path = scratch / f"blob-{size}"
    path.write_bytes(data)
    expected = independent_cid(data)
    by_path = ses.run("store", "put", str(path), check=True).stdout.strip()
    by_stdin = ses.run("store", "put", "-", input=data, check=True, text=False).stdout.decode().strip()
    assert by_path == by_stdin == expected
    out = ses.run("store", "get", expected, text=False, check=True).stdout
    assert out == data


def test_the_empty_blob_has_the_known_id():
    assert independent_cid(b"") == "bafkr4ifpcne3t5pzugtkaqcn5i3nzskjtpfslsnnyejlpte2spfoihzsmi"


def test_range_reads_at_chunk_edges(ses, scratch):
    size = 9 * 1024 * 1024 + 777  # three 4 MiB segments, 16 KiB chunk groups, 1 KiB chunks
    data = random_bytes(size, 42)
    path = scratch / "big"
    path.write_bytes(data)
    cid = ses.run("store", "put", str(path), check=True).stdout.strip()
    seg = 4 << 20
    for start, end in [
        (0, 1), (1023, 1025), (1024, 2048), (16383, 16385), (16384, 16384 * 3),
        (seg - 1, seg + 1), (seg, 2 * seg), (size - 1, size), (size, size), (0, size), (12345, None),
    ]:
        arg = f"{start}..{'' if end is None else end}"
        out = ses.run("store", "get", cid, "--range", arg, text=False, check=True).stdout
        assert out == data[start:end], arg


def test_output_file_is_written_whole_or_not_at_all(ses, scratch):
    data = random_bytes(300_000, 5)
    (scratch / "src").write_bytes(data)
    cid = ses.run("store", "put", str(scratch / "src"), check=True).stdout.strip()
    out = scratch / "out"
    ses.run("store", "get", cid, "-o", str(out), check=True)
    assert out.read_bytes() == data
    umask = os.umask(0)
    os.umask(umask)
    assert oct(os.stat(out).st_mode & 0o777) == oct(0o666 & ~umask)


def blob_file(home, cid: str) -> str:
    """The data file of a file-backed blob (its name is the hex BLAKE3 digest)."""
    digest = CID.decode(cid).digest[2:].hex()  # strip the multihash code and length
    return str(home / "store" / "blobs" / digest[:2] / f"{digest}.data")


def test_a_flipped_byte_is_caught_by_get_and_verify(ses, scratch):
    data = random_bytes(1_000_000, 6)
    (scratch / "victim").write_bytes(data)
    victim = ses.run("store", "put", str(scratch / "victim"), check=True).stdout.strip()
    (scratch / "sound").write_bytes(random_bytes(500_000, 7))
    sound = ses.run("store", "put", str(scratch / "sound"), check=True).stdout.strip()
    assert ses.run("store", "verify").returncode == 0

    path = blob_file(ses.home, victim)
    with open(path, "r+b") as f:
        f.seek(777_777)
        b = f.read(1)
        f.seek(777_777)
        f.write(bytes([b[0] ^ 0x80]))

    out = scratch / "out"
    out.write_bytes(b"previous contents")
    get = ses.run("store", "get", victim, "-o", str(out))
    assert get.returncode == 1
    assert victim in get.stderr and "corrupt" in get.stderr, get.stderr
    assert out.read_bytes() == b"previous contents"
    # A range away from the damage still reads, verified.
    part = ses.run("store", "get", victim, "--range", "0..100000", text=False, check=True).stdout
    assert part == data[:100_000]

    verify = ses.run("store", "verify", "--json")
    assert verify.returncode == 1
    report = json.loads(verify.stdout)
    assert report["checked"] == 2 and [c["cid"] for c in report["corrupt"]] == [victim]
    human = ses.run("store", "verify")
    assert human.returncode == 1 and victim in human.stdout and sound not in human.stdout

    # Putting the original again repairs it.
    ses.run("store", "put", str(scratch / "victim"), check=True)
    assert ses.run("store", "verify").returncode == 0


def test_stat_ls_pin_and_gc(ses, scratch):
    (scratch / "a").write_bytes(b"pinned by put")
    (scratch / "b").write_bytes(random_bytes(100_000, 8))
    a = ses.run("store", "put", str(scratch / "a"), check=True).stdout.strip()
    b = ses.run("store", "put", "--no-pin", str(scratch / "b"), check=True).stdout.strip()
    assert ses.json("store", "stat", a) == {"cid": a, "size": 13, "pinned": True}
    assert ses.json("store", "stat", b)["pinned"] is False
    listed = ses.json("store", "ls")
    assert [x["cid"] for x in listed] == sorted([a, b])

    # The default grace period spares what was just put.
    assert ses.json("store", "gc")["removed"] == []
    assert ses.json("store", "gc", "--grace", "0s")["removed"] == [b]
    assert ses.run("store", "stat", b).returncode == 1

    ses.run("store", "unpin", a, check=True)
    ses.run("store", "pin", a, check=True)
    assert ses.json("store", "gc", "--grace", "0s")["removed"] == []
    ses.run("store", "unpin", a, check=True)
    report = ses.json("store", "gc", "--grace", "0s")
    assert report["removed"] == [a] and report["freed_bytes"] == 13


@pytest.mark.parametrize(
    "args, needle",
    [
        (["store", "get", "not-an-id"], "is not a blob id"),
        (["store", "stat", "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"], "codec 0x70"),
        (["store", "get", "bafkr4ifpcne3t5pzugtkaqcn5i3nzskjtpfslsnnyejlpte2spfoihzsmi"], "no blob"),
        (["store", "pin", "bafkr4ifpcne3t5pzugtkaqcn5i3nzskjtpfslsnnyejlpte2spfoihzsmi"], "no blob"),
        (["store", "put", "/"], "is a directory"),
        (["store", "put", "/no/such/file"], "No such file"),
    ],
)
def test_bad_input_is_a_clear_error_and_the_daemon_lives(ses, args, needle):
    ses.run("id", check=True)
    pid = ses.daemon_pid()
    proc = ses.run(*args)
    assert proc.returncode == 1, proc
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], proc.stderr
    assert ses.daemon_pid() == pid


def test_range_past_the_end_is_an_error(ses, scratch):
    (scratch / "f").write_bytes(b"0123456789")
    cid = ses.run("store", "put", str(scratch / "f"), check=True).stdout.strip()
    proc = ses.run("store", "get", cid, "--range", "5..11")
    assert proc.returncode == 1 and "past the end" in proc.stderr and "10 bytes" in proc.stderr
    assert ses.run("store", "get", cid, "--range", "9..3").returncode == 2  # usage


def test_an_unreadable_file_is_a_clear_error(scratch, nobody_ses):
    """Root reads everything, so this runs the daemon as `nobody`."""
    secret = scratch / "secret"
    secret.write_bytes(b"root only")
    os.chmod(secret, 0o600)
    proc = subprocess.run(
        as_nobody(nobody_ses.argv("store", "put", str(secret))),
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 1
    assert "cannot read" in proc.stderr and str(secret) in proc.stderr and "ermission denied" in proc.stderr


def test_sigkill_during_puts_never_loses_an_acknowledged_blob(ses, scratch):
    """100 times: puts stream in, the daemon is killed at a random moment, a new one starts.
    Every put that was acknowledged must be there and verify; nothing half-written may be
    served, and nothing half-written may be left behind."""
    rng = random.Random(1234)
    sources: list[tuple] = []
    sock = ses.home / "run" / "daemon.sock"
    acknowledged: dict[str, int] = {}
    for round_ in range(100):
        # Fresh content every round, so kills land in first puts, not only in re-puts.
        fresh = []
        for i in range(3):
            size = rng.choice([10, 5000, 16 * 1024, 40_000, 300_000, 1_200_000])
            data = random_bytes(size, round_ * 10 + i)
            path = scratch / f"src-{round_}-{i}"
            path.write_bytes(data)
            fresh.append((path, independent_cid(data)))
        sources.extend(fresh)
        ses.run("id", check=True)  # starts a daemon
        pid = ses.daemon_pid()
        stop = threading.Event()

        def writer():
            queue = list(fresh)
            try:
                with RpcClient(sock) as c:
                    while not stop.is_set():
                        path, cid = queue.pop(0) if queue else rng.choice(sources)
                        reply = c.call("store.put", {"path": str(path), "pin": rng.random() < 0.5})
                        if "result" in reply:
                            assert reply["result"]["cid"] == cid
                            acknowledged[cid] = round_
            except (ConnectionError, OSError, json.JSONDecodeError):
                pass  # the daemon died under us: expected

        t = threading.Thread(target=writer)
        t.start()
        time.sleep(rng.uniform(0.0, 0.02))
        os.kill(pid, signal.SIGKILL)
        stop.set()
        t.join(timeout=30)
        wait_until(lambda: not pid_alive(pid), what="the killed daemon to die")

    listed = {b["cid"] for b in ses.json("store", "ls")}
    missing = set(acknowledged) - listed
    assert not missing, f"acknowledged but lost: {missing}"
    verify = ses.run("store", "verify", "--json")
    assert verify.returncode == 0, verify.stdout
    assert json.loads(verify.stdout)["corrupt"] == []
    for path, cid in sources:
        if cid in listed:
            assert ses.run("store", "get", cid, text=False, check=True).stdout == path.read_bytes()
    # No put in progress survives a restart: tmp/ is emptied and orphans removed.
    assert list((ses.home / "store" / "tmp").iterdir()) == []
    print(f"{len(acknowledged)} of {len(sources)} distinct blobs acknowledged over 100 kills")
    assert len(acknowledged) > 0


def test_get_into_a_pipe_that_closes_early_is_not_an_error(ses, scratch):
    (scratch / "f").write_bytes(random_bytes(2_000_000, 9))
    cid = ses.run("store", "put", str(scratch / "f"), check=True).stdout.strip()
    proc = subprocess.run(
        f"{' '.join(ses.argv('store', 'get', cid))} | head -c 10 | wc -c; exit ${{PIPESTATUS[0]}}",
        shell=True, executable="/bin/bash", capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "10" and proc.stderr == ""
