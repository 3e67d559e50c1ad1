"""`ses context …` as a user runs it: capture, switch, list, show, delete, recover, with the
edge cases that lose work elsewhere, and SIGKILLs during switches."""

from __future__ import annotations

import hashlib
import json
import os
import pathlib

import pytest

import context_faults
from conftest import RpcClient
from context_faults import git, state


@pytest.fixture
def repo(scratch):
    r = scratch / "repo"
    r.mkdir()
    git(r, "init", "-q", "-b", "main")
    (r / "a.txt").write_text("main\n")
    git(r, "add", "-A")
    git(r, "commit", "-q", "-m", "start")
    return r


def ctx(ses, repo, *args, check=True):
    return ses.run("context", *args, "--repo", str(repo), check=check)


def ctx_json(ses, repo, *args):
    return ses.json("context", *args, "--repo", str(repo))


def test_every_kind_of_change_survives_a_round_trip(ses, scratch):
    sc = context_faults.Scenario(ses, scratch / "r", seed=1)
    mess_a = state(sc.repo)
    out = ctx_json(ses, sc.repo, "switch", "b")
    assert out["previous"] == "a" and out["name"] == "b" and not out["noop"]
    assert out["saved"]["counts"] == {"staged": 3, "unstaged": 3, "untracked": 2}
    assert out["head"]["branch"] == "b"
    assert state(sc.repo) == sc.expected["b"]
    assert (sc.repo / "build.log").read_text() == "ignored, never touched\n"
    ctx(ses, sc.repo, "switch", "a")
    assert state(sc.repo) == mess_a
    # Everything lives in git under refs/ses, nowhere else.
    refs = git(sc.repo, "for-each-ref", "--format=%(refname)", "refs/ses/").split()
    assert any(r.startswith("refs/ses/contexts/a/") for r in refs)
    assert git(sc.repo, "stash", "list") == ""


def test_list_show_delete_noop_and_unknown_names(ses, repo):
    empty = ctx(ses, repo, "list").stdout
    assert "no contexts yet" in empty and '"main"' in empty
    ctx(ses, repo, "capture", "one")
    git(repo, "switch", "-q", "-c", "two")
    (repo / "wip.txt").write_text("wip\n")
    cap = ctx_json(ses, repo, "capture", "two")
    assert cap["name"] == "two" and cap["version"] == 1 and cap["head"]["branch"] == "two"
    assert cap["ref"] == "refs/ses/contexts/two/0000000001"
    assert len(cap["repo_id"]["id"]) == 32 and len(cap["repo_id"]["roots"]) == 1

    listed = ctx_json(ses, repo, "list")
    assert listed["current"] == "two"
    assert [(c["name"], c["current"], c["versions"]) for c in listed["contexts"]] == [
        ("one", False, 1), ("two", True, 1)]
    text = ctx(ses, repo, "list").stdout
    assert "* two" in text and "1 untracked" in text

    shown = ctx_json(ses, repo, "show", "two")
    assert shown["files"] == [{"path": "wip.txt", "staged": None, "worktree": "untracked"}]
    assert "wip.txt" in ctx(ses, repo, "show", "two").stdout

    noop = ctx_json(ses, repo, "switch", "two")
    assert noop["noop"] and noop["files"] == 0
    assert "already the current context" in ctx(ses, repo, "switch", "two").stdout

    bad = ctx(ses, repo, "switch", "three", check=False)
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: ") and "known: one, two" in bad.stderr

    # Back and forth with nothing changed: the newest version stands for each save.
    away = ctx_json(ses, repo, "switch", "one")
    assert away["saved"]["version"] == 1 and away["saved"]["unchanged"]
    back = ctx(ses, repo, "switch", "two").stdout
    assert '"one" unchanged since version 1' in back and "1 file changed" in back
    assert [c["versions"] for c in ctx_json(ses, repo, "list")["contexts"]] == [1, 1]

    assert ctx_json(ses, repo, "delete", "one") == {"name": "one", "deleted": 1}
    assert [c["name"] for c in ctx_json(ses, repo, "list")["contexts"]] == ["two"]
    assert ctx(ses, repo, "delete", "one", check=False).returncode == 1
    assert (repo / "wip.txt").exists()


def test_refused_during_merge_and_rebase_with_nothing_changed(ses, repo):
    ctx(ses, repo, "capture", "main")
    git(repo, "switch", "-q", "-c", "side")
    (repo / "a.txt").write_text("side\n")
    git(repo, "commit", "-qam", "side")
    ctx(ses, repo, "capture", "side")
    git(repo, "switch", "-q", "main")
    (repo / "a.txt").write_text("main 2\n")
    git(repo, "commit", "-qam", "main 2")
    git(repo, "merge", "side", check=False)
    before = state(repo)
    proc = ctx(ses, repo, "switch", "side", check=False)
    assert proc.returncode == 1 and "a merge is in progress" in proc.stderr
    assert "git merge --abort" in proc.stderr
    assert state(repo) == before
    git(repo, "merge", "--abort")
    git(repo, "switch", "-q", "side")
    git(repo, "rebase", "main", check=False)
    proc = ctx(ses, repo, "switch", "main", check=False)
    assert proc.returncode == 1 and "a rebase is in progress" in proc.stderr
    git(repo, "rebase", "--abort")


def test_detached_head_and_a_repository_without_commits(ses, scratch):
    r = scratch / "fresh"
    r.mkdir()
    git(r, "init", "-q", "-b", "trunk")
    (r / "staged.txt").write_text("staged before any commit\n")
    git(r, "add", "staged.txt")
    (r / "loose.txt").write_text("untracked\n")
    out = ctx_json(ses, r, "capture", "unborn")
    assert out["head"] == {"branch": "trunk", "commit": None, "detached": False,
                           "unborn": True, "describe": "trunk (no commits yet)"}
    unborn = state(r)
    git(r, "commit", "-qm", "first")
    first = git(r, "rev-parse", "HEAD").strip()
    (r / "more.txt").write_text("more\n")
    git(r, "add", "more.txt")
    git(r, "commit", "-qm", "second")
    git(r, "switch", "-q", "--detach", first)
    (r / "on-detached.txt").write_text("x\n")
    assert ctx_json(ses, r, "list")["current"] == f"detached-{first[:10]}"
    ctx(ses, r, "capture", "det")
    detached = state(r)
    # Back to before the first commit: HEAD on the unborn branch name, index and files.
    git(r, "branch", "-m", "trunk", "later")
    ctx(ses, r, "switch", "unborn")
    assert state(r) == unborn
    out = ctx_json(ses, r, "switch", "det")
    assert out["head"]["detached"] and out["head"]["commit"] == first
    assert state(r) == detached


def test_deleted_and_recreated_branches(ses, repo):
    ctx(ses, repo, "capture", "main")
    git(repo, "switch", "-q", "-c", "feature")
    (repo / "a.txt").write_text("feature\n")
    git(repo, "commit", "-qam", "feature")
    tip = git(repo, "rev-parse", "HEAD").strip()
    (repo / "wip.txt").write_text("wip\n")
    ctx(ses, repo, "capture", "feature")
    ctx(ses, repo, "switch", "main")
    git(repo, "branch", "-D", "feature")
    out = ctx_json(ses, repo, "switch", "feature")
    assert any("re-created" in n for n in out["notes"]), out["notes"]
    assert git(repo, "rev-parse", "feature").strip() == tip
    assert (repo / "wip.txt").read_text() == "wip\n"
    ctx(ses, repo, "switch", "main")
    # Same name, another branch: it is not moved; the work comes back where it was made.
    git(repo, "branch", "-D", "feature")
    git(repo, "branch", "feature", "main")
    other = git(repo, "rev-parse", "feature").strip()
    text = ctx(ses, repo, "switch", "feature").stdout
    assert "note: branch feature points at" in text and "detached" in text
    assert git(repo, "rev-parse", "feature").strip() == other
    assert git(repo, "rev-parse", "HEAD").strip() == tip
    assert (repo / "wip.txt").read_text() == "wip\n"


def test_submodules_are_left_untouched_and_said_so(ses, scratch, repo):
    sub = scratch / "sub"
    sub.mkdir()
    git(sub, "init", "-q", "-b", "main")
    (sub / "s.txt").write_text("s\n")
    git(sub, "add", "-A")
    git(sub, "commit", "-qm", "s")
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "sub")
    git(repo, "commit", "-qm", "sub")
    ctx(ses, repo, "capture", "main")
    (repo / "sub" / "dirty.txt").write_text("inside the submodule\n")
    git(repo, "switch", "-q", "-c", "other")
    (repo / "a.txt").write_text("other\n")
    text = ctx(ses, repo, "switch", "main").stdout
    assert "left untouched: sub (submodule)" in text
    assert (repo / "sub" / "dirty.txt").read_text() == "inside the submodule\n"


def daemon_peak_rss_kib(ses) -> int:
    pid = ses.daemon_pid()
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def test_a_file_over_100_mb_is_streamed(ses, repo):
    ctx(ses, repo, "capture", "main")
    git(repo, "switch", "-q", "-c", "big")
    big = repo / "big.dat"
    with open(big, "wb") as f:
        # Sparse: fast to make, but every byte is read, hashed, compressed and written.
        f.write(b"head" * 1024)
        f.seek(150 * 1024 * 1024)
        f.write(b"tail")
    digest = sha256(big)
    ctx(ses, repo, "switch", "main")
    assert not big.exists()
    ctx(ses, repo, "switch", "big")
    assert sha256(big) == digest and big.stat().st_size == 150 * 1024 * 1024 + 4
    # Streamed, not buffered: the daemon never held the file in memory.
    assert daemon_peak_rss_kib(ses) < 100 * 1024


def test_an_ignored_file_in_the_way_stops_the_switch(ses, repo):
    (repo / ".gitignore").write_text("out\n")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-qm", "ignore out")
    git(repo, "switch", "-q", "-c", "x")
    (repo / "out").write_text("tracked in x\n")
    git(repo, "add", "-f", "out")
    git(repo, "commit", "-qm", "x tracks out")
    ctx(ses, repo, "capture", "x")
    git(repo, "switch", "-q", "main")
    (repo / "out").write_text("precious, ignored\n")
    before = state(repo)
    proc = ctx(ses, repo, "switch", "x", check=False)
    assert proc.returncode == 1 and "out exists and is not saved" in proc.stderr
    assert "Both versions are kept" in proc.stderr
    assert state(repo) == before
    assert ctx_json(ses, repo, "list")["current"] == "main"


def test_daemon_methods_take_the_lsp_contract_params(ses, repo):
    ses.run("id", check=True)  # starts the daemon
    uri = f"file://{repo}/a.txt"
    editor = {
        "documents": [
            {"uri": f"file://{repo}/cold.txt", "tab": 0},
            {"uri": uri, "focused": True, "tab": 1,
             "selections": [{"start": {"line": 0, "character": 1}, "end": {"line": 0, "character": 3}}]},
            {"uri": f"file://{repo}/hot.txt", "tab": 2},
        ],
        "layout": {"columns": 2},
        "breakpoints": [{"uri": uri, "line": 0}],
        "terminals": [{"name": "sh", "cwd": str(repo), "last_command": "make"}],
        "extras": [{"browser": "https://example.com"}],
    }
    with RpcClient(ses.home / "run" / "daemon.sock") as c:
        for _ in range(3):
            r = c.call("context.interest", {"repo": str(repo), "uri": f"file://{repo}/hot.txt", "kind": "edit"})
        assert r["result"]["path"] == "hot.txt" and r["result"]["score"] > 5
        bad = c.call("context.interest", {"repo": str(repo), "path": "x", "kind": "stare"})
        assert bad["error"]["code"] == -32602
        cap = c.call("context.capture", {"root": uri, "name": "edit", "editor": editor})["result"]
        assert cap["has_editor"] and cap["elapsed_ms"] >= 0
        git(repo, "switch", "-q", "-c", "elsewhere")
        c.call("context.capture", {"repo": str(repo), "name": "elsewhere"})
        sw = c.call("context.switch", {"repo": str(repo), "name": "edit"})["result"]
        docs = [d["uri"].rsplit("/", 1)[1] for d in sw["editor"]["documents"]]
        # Most interesting first, the focused one last.
        assert docs == ["hot.txt", "cold.txt", "a.txt"]
        assert {k: sw["editor"][k] for k in ("layout", "breakpoints", "terminals", "extras")} == {
            k: editor[k] for k in ("layout", "breakpoints", "terminals", "extras")}
        unknown = c.call("context.show", {"repo": str(repo), "name": "nope"})
        assert unknown["error"]["code"] == -32002 and "known: edit, elsewhere" in unknown["error"]["message"]
        shown = c.call("context.show", {"repo": str(repo), "name": "edit"})["result"]
        assert shown["interest"][0]["path"] == "hot.txt"
        rec = c.call("context.recover", {"repo": str(repo)})["result"]
        assert rec == {"pending": []}
        missing = c.call("context.list", {})
        assert missing["error"]["code"] == -32602


def test_sigkill_during_switches_never_loses_a_byte(ses, scratch):
    """20 kills here; `benches/context_stress.py` runs 1,000."""
    outcomes = context_faults.run(ses, scratch, runs=20, seed=int(os.environ.get("SES_SEED", "11")))
    print("outcomes:", json.dumps(outcomes, sort_keys=True))
    assert sum(outcomes.values()) == 20


# --- Through the language server (pytest-lsp) ------------------------------------------

from lsprotocol import types  # noqa: E402
from lsprotocol.types import InitializeParams  # noqa: E402
from pytest_lsp import ClientServerConfig, client_capabilities  # noqa: E402


async def lsp_session(ses, root):
    # pytest-lsp's client answers window/showDocument and keeps the requests in order
    # (`shown_documents`).
    client = await ClientServerConfig(server_command=ses.argv("lsp", "--stdio")).start()
    await client.initialize_session(InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        workspace_folders=[types.WorkspaceFolder(uri=root.resolve().as_uri(), name="repo")],
    ))
    return client


async def command(client, name, args):
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=name, arguments=[args]))


def pos(line, character):
    return {"line": line, "character": character}


async def test_capture_and_switch_through_the_language_server(ses, repo):
    for name in ("b.txt", "c.txt"):
        (repo / name).write_text("one\ntwo\nthree\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "more files")
    client = await lsp_session(ses, repo)
    try:
        uri = {n: (repo / n).resolve().as_uri() for n in ("a.txt", "b.txt", "c.txt")}
        # c.txt was edited the most: the editor reports that through context.interest.
        with RpcClient(ses.home / "run" / "daemon.sock") as rpc:
            for _ in range(2):
                r = rpc.call("context.interest", {"repo": str(repo / "c.txt"), "path": str(repo / "c.txt"), "kind": "edit"})
                assert r["result"]["path"] == "c.txt", r
        editor = {
            "documents": [
                {"uri": uri["a.txt"], "cursor": pos(0, 2), "tab": 0},
                {"uri": uri["b.txt"], "cursor": pos(1, 0), "focused": True, "tab": 1,
                 "selections": [{"start": pos(1, 0), "end": pos(1, 3)}]},
                {"uri": uri["c.txt"], "cursor": pos(2, 5), "tab": 2},
            ],
            "layout": {"splits": [1, 2]},
            "breakpoints": [{"uri": uri["a.txt"], "line": 0, "enabled": True}],
            "terminals": [{"name": "build", "cwd": str(repo), "last_command": "make"}],
        }
        # No `root`: the first workspace folder is the repository.
        cap = await command(client, "ses.capture", {"name": "one", "editor": editor})
        assert cap["name"] == "one" and cap["has_editor"] and cap["version"] == 1
        git(repo, "switch", "-q", "-c", "two")
        (repo / "wip.txt").write_text("work in two\n")
        await command(client, "ses.capture", {"name": "two", "root": uri["a.txt"]})
        listed = await command(client, "ses.contexts", {})
        assert [c["name"] for c in listed["contexts"]] == ["one", "two"] and listed["current"] == "two"

        client.shown_documents.clear()
        result = await command(client, "ses.switch", {"name": "one"})
        assert result["name"] == "one" and result["previous"] == "two"
        assert not (repo / "wip.txt").exists()
        # Most interesting first, the focused one last; only it takes focus.
        shown = [(p.uri, p.selection, p.take_focus) for p in client.shown_documents]
        assert [s[0] for s in shown] == [uri["c.txt"], uri["a.txt"], uri["b.txt"]]
        sel = lambda a, b: types.Range(start=types.Position(**a), end=types.Position(**b))  # noqa: E731
        assert [s[1] for s in shown] == [sel(pos(2, 5), pos(2, 5)), sel(pos(0, 2), pos(0, 2)),
                                         sel(pos(1, 0), pos(1, 3))]
        assert [s[2] for s in shown] == [False, False, True]
        # The rest of the editor state goes back to the client as it was given.
        for key in ("layout", "breakpoints", "terminals"):
            assert result["editor"][key] == editor[key]

        client.shown_documents.clear()
        back = await command(client, "ses.switch", {"name": "two"})
        assert back["name"] == "two" and (repo / "wip.txt").read_text() == "work in two\n"
        # "two" was captured without an editor state: nothing to reopen.
        assert client.shown_documents == []
        shown = await command(client, "ses.context.show", {"name": "one"})
        assert shown["interest"][0]["path"] == "c.txt"
        assert await command(client, "ses.recover", {}) == {"pending": []}
        with pytest.raises(Exception, match="known: one, two"):
            await command(client, "ses.switch", {"name": "three"})
        # "one" was left as captured: the switch away from it made no second version.
        assert await command(client, "ses.context.delete", {"name": "one"}) == {"name": "one", "deleted": 1}
    finally:
        await client.shutdown_session()
        await client.stop()
