"""`ses lsp` bridges stdio to an LSP session inside the daemon (pytest-lsp as the client)."""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
from conftest import Ses, daemon_pids
from lsprotocol.types import ClientCapabilities, InitializeParams
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities


async def start(ses: Ses, editor: str) -> tuple[LanguageClient, object]:
    config = ClientServerConfig(server_command=ses.argv("lsp", "--stdio"))
    client = await config.start()
    result = await client.initialize_session(
        InitializeParams(capabilities=client_capabilities(editor), root_uri=None)
    )
    return client, result


async def test_initialize_shutdown_exit_through_the_daemon(ses):
    client, result = await start(ses, "visual-studio-code")
    assert result.server_info.name == "ses"
    await asyncio.sleep(0)  # let `initialized` reach the server
    await client.shutdown_session()
    assert client._server.returncode == 0
    await client.stop()
    # The session ran inside the one daemon, which outlives it.
    assert len(daemon_pids(ses.home)) == 1
    assert "LSP session initialised" in ses.log()


async def test_two_sessions_at_once_share_one_daemon(ses):
    (a, ra), (b, rb) = await asyncio.gather(start(ses, "visual-studio-code"), start(ses, "neovim"))
    assert ra.server_info.name == rb.server_info.name == "ses"
    status = ses.json("daemon", "status")
    assert status["clients"] >= 3  # two editors and this status request
    assert daemon_pids(ses.home) == [status["pid"]]
    await asyncio.gather(a.shutdown_session(), b.shutdown_session())
    await asyncio.gather(a.stop(), b.stop())


# --- Attribution through the language server -------------------------------------------

import json  # noqa: E402
import subprocess  # noqa: E402

from lsprotocol import types  # noqa: E402
from test_attribution import Repo  # noqa: E402
from test_store import independent_cid  # noqa: E402

PY = (
    "def main():\n"          # 0  Alice
    "    print('hi')\n"      # 1  Alice -> Bob
    "    return 0\n"         # 2  Alice
    "\n"                     # 3  Alice
    "\n"                     # 4  Alice
    "def helper(x):\n"       # 5  Bob
    "    y = x + 1\n"        # 6  Bob
    "    return y\n"         # 7  Bob
)


@pytest.fixture
def lsp_repo(scratch):
    r = Repo(scratch / "repo")
    r.write("app.py", "def main():\n    print('hello')\n    return 0\n\n\n")
    r.write("notes.txt", "plain text\n")
    r.commit("Alice", "start")
    r.write("app.py", PY)
    r.commit("Bob", "helper and a new greeting")
    return r


def uri_of(path) -> str:
    return path.resolve().as_uri()


async def session(ses: Ses, editor: str, root) -> LanguageClient:
    config = ClientServerConfig(server_command=ses.argv("lsp", "--stdio"))
    client = await config.start()
    client.refreshes = 0

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def _refresh(_params):
        client.refreshes += 1
        return None

    await client.initialize_session(
        InitializeParams(
            capabilities=client_capabilities(editor),
            workspace_folders=[types.WorkspaceFolder(uri=uri_of(root), name="repo")],
        )
    )
    return client


def open_doc(client, path, text=None, language="python"):
    text = path.read_text() if text is None else text
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri_of(path), language_id=language, version=1, text=text)
        )
    )


async def lenses(client, path):
    got = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri_of(path)))
    )
    return [(l.range.start.line, l.command.title if l.command else None) for l in got or []], got


async def run(client, command, args):
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=[args])
    )


@pytest.mark.parametrize("editor", ["visual-studio-code", "neovim"])
async def test_lenses_hover_and_the_full_split(ses, lsp_repo, editor):
    client = await session(ses, editor, lsp_repo.path)
    path = lsp_repo.path / "app.py"
    open_doc(client, path)
    titles, raw = await lenses(client, path)
    # main: lines 0-2 (Alice 2, Bob 1); helper: lines 5-7 (Bob 3); the file: Alice 4, Bob 4.
    assert titles == [
        (0, "File: Alice 50% · Bob 50%"),
        (0, "Alice 67% · Bob 33%"),
        (5, "Bob 100%"),
    ]
    # Resolve gives the same title back for a lens it made.
    resolved = await client.code_lens_resolve_async(raw[1])
    assert resolved.command.title == "Alice 67% · Bob 33%"
    assert resolved.command.command == "ses.showAttribution"

    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri_of(path)), position=types.Position(line=1, character=4))
    )
    head = lsp_repo.git("rev-parse", "HEAD").strip()
    assert f"`{head[:8]}`" in hover.contents.value
    assert "Bob" in hover.contents.value and "helper and a new greeting" in hover.contents.value
    assert "function `main`: Alice 67% · Bob 33%" in hover.contents.value

    detail = await run(client, "ses.showAttribution", raw[2].command.arguments[0])
    assert detail["symbol"]["name"] == "helper"
    assert [(a["name"], a["lines"], a["percent"]) for a in detail["authors"]] == [("Bob", 3, 100)]
    assert detail["commits"][0]["id"] == head
    assert detail["text_cid"] == independent_cid(PY.encode())
    # The summary is a notification, which may arrive just after the command's result.
    await asyncio.wait_for(_until(lambda: any("helper: 3 lines" in m.message for m in client.messages)), 10)

    file_detail = await run(client, "ses.showAttribution", raw[0].command.arguments[0])
    assert file_detail["symbol"] is None and file_detail["lines"] == 8
    await client.shutdown_session()


async def test_unsaved_edits_are_credited_to_the_local_user(ses, lsp_repo):
    client = await session(ses, "visual-studio-code", lsp_repo.path)
    path = lsp_repo.path / "app.py"
    open_doc(client, path)
    await lenses(client, path)
    # Replace helper's body line by line: two of its three lines become uncommitted.
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri_of(path), version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=types.Position(line=6, character=0), end=types.Position(line=8, character=0)),
                    text="    z = x * 2\n    return z\n",
                )
            ],
        )
    )
    titles, _ = await lenses(client, path)
    assert (5, "Local Dev 67% · Bob 33%") in titles
    await client.shutdown_session()


async def test_a_commit_refreshes_every_client_that_asks_for_it(ses, lsp_repo):
    vs = await session(ses, "visual-studio-code", lsp_repo.path)
    nv = await session(ses, "neovim", lsp_repo.path)
    path = lsp_repo.path / "app.py"
    for c in (vs, nv):
        open_doc(c, path)
        await lenses(c, path)
    # Carol rewrites helper in a terminal; both editors' buffers still show the old text.
    lsp_repo.write("app.py", PY.replace("    y = x + 1\n    return y\n", "    return x + 1\n"))
    lsp_repo.commit("Carol", "shorter helper")
    await asyncio.wait_for(_until(lambda: vs.refreshes > 0), 15)
    # The buffer is unchanged (the old text), so helper's lines now differ from HEAD.
    titles, _ = await lenses(vs, path)
    assert (5, "Bob 33% · Local Dev 67%") not in titles
    helper = [t for line, t in titles if line == 5][0]
    assert "Local Dev" in helper, helper
    # Neovim 0.12's capabilities do not include refreshSupport: no request is sent, but its
    # next codeLens request gets the new attribution too.
    assert nv.refreshes == 0
    titles_nv, _ = await lenses(nv, path)
    assert titles_nv == titles
    for c in (vs, nv):
        await c.shutdown_session()


async def _until(pred):
    while not pred():
        await asyncio.sleep(0.05)


async def test_revenue_shows_on_the_lenses(ses, lsp_repo):
    client = await session(ses, "visual-studio-code", lsp_repo.path)
    path = lsp_repo.path / "app.py"
    open_doc(client, path)
    await lenses(client, path)
    before = client.refreshes
    rec = await run(client, "ses.revenue.record", {"root": uri_of(path), "target": "app.py::helper", "amount": "412.10"})
    assert rec["record"]["amount_minor"] == 41210 if "amount_minor" in rec["record"] else rec["id"]
    await asyncio.wait_for(_until(lambda: client.refreshes > before), 15)
    titles, _ = await lenses(client, path)
    assert (5, "Bob 100% · $412.10") in titles
    assert titles[0] == (0, "File: Alice 50% · Bob 50% · $412.10")
    split = await run(client, "ses.revenue.split", {})
    assert [(c["name"], c["amount_minor"]) for c in split["contributors"]] == [("Bob", 41210)]
    await client.shutdown_session()


async def test_files_outside_git_and_without_grammar(ses, lsp_repo, scratch):
    client = await session(ses, "neovim", lsp_repo.path)
    loose = scratch / "loose.py"
    loose.write_text("def f():\n    pass\n")
    open_doc(client, loose)
    assert (await lenses(client, loose))[0] == []
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri_of(loose)), position=types.Position(line=0, character=0))
    )
    assert hover is None
    notes = lsp_repo.path / "notes.txt"
    open_doc(client, notes, language="plaintext")
    assert (await lenses(client, notes))[0] == [(0, "File: Alice 100%")]
    await client.shutdown_session()


async def test_a_thousand_rapid_changes_leave_the_same_text(ses, lsp_repo):
    client = await session(ses, "neovim", lsp_repo.path)
    path = lsp_repo.path / "app.py"
    open_doc(client, path)
    text = PY
    import random

    rng = random.Random(7)
    for version in range(2, 1002):
        lines = text.split("\n")
        line = rng.randrange(len(lines))
        col = rng.randrange(len(lines[line]) + 1)
        if rng.random() < 0.3 and len(text) > 20:
            # Delete up to 5 characters on this line.
            end = min(len(lines[line]), col + rng.randrange(1, 6))
            new, rng_end = "", types.Position(line=line, character=end)
            lines[line] = lines[line][:col] + lines[line][end:]
        else:
            new = rng.choice(["x", "é", "𝄞", "\n", "  ", "ab\ncd"])
            rng_end = types.Position(line=line, character=col)
            # Columns are UTF-16 units; keep to lines without astral characters before col.
        start = types.Position(line=line, character=_utf16(lines[line][:col]) if new == "" else _utf16(lines[line][:col]))
        if new != "":
            lines[line] = lines[line][:col] + new + lines[line][col:]
        else:
            rng_end = types.Position(line=line, character=_utf16(text.split("\n")[line][:end]))
        text = "\n".join(lines)
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri_of(path), version=version),
                content_changes=[types.TextDocumentContentChangePartial(range=types.Range(start=start, end=rng_end), text=new)],
            )
        )
    detail = await run(client, "ses.showAttribution", {"uri": uri_of(path), "line": 0, "file": True})
    assert detail["version"] == 1001
    assert detail["text_cid"] == independent_cid(text.encode())
    await client.shutdown_session()


def _utf16(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


class RawLsp:
    """Bytes on the wire: what a broken or hostile client can send."""

    def __init__(self, ses: Ses):
        self.proc = subprocess.Popen(ses.argv("lsp", "--stdio"), stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def send_bytes(self, body: bytes):
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def send(self, msg: dict):
        self.send_bytes(json.dumps(msg).encode())

    def read(self) -> dict:
        length = None
        while True:
            line = self.proc.stdout.readline()
            assert line, "the server closed the connection"
            if line in (b"\r\n", b"\n"):
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return json.loads(self.proc.stdout.read(length))

    def response(self, id_) -> dict:
        """The response to request `id_` (None: to a message without a readable id)."""
        while True:
            msg = self.read()
            if "method" not in msg and msg.get("id") == id_:
                return msg

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def test_malformed_and_huge_messages_get_errors_and_the_server_lives(ses, lsp_repo):
    raw = RawLsp(ses)
    raw.send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
    assert "capabilities" in raw.response(1)["result"]
    raw.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    raw.send_bytes(b'{"jsonrpc": "2.0", "id": 2, "method": ')
    assert raw.response(None)["error"]["code"] == -32700
    raw.send({"jsonrpc": "2.0", "id": 3, "method": "textDocument/codeLens", "params": {"textDocument": 5}})
    assert raw.response(3)["error"]["code"] == -32602
    raw.send({"jsonrpc": "2.0", "id": 4, "method": "ses/noSuchMethod", "params": {}})
    assert raw.response(4)["error"]["code"] == -32601
    # 100 MB: a request with a huge, useless parameter.
    big = b'{"jsonrpc": "2.0", "id": 5, "method": "workspace/executeCommand", "params": {"command": "ses.nope", "arguments": [{"pad": "' + b"x" * (100 << 20) + b'"}]}}'
    raw.send_bytes(big)
    err = raw.response(5)["error"]
    assert err["code"] == -32600 and "over the limit" in err["message"]
    # A batch, and a message that is JSON but not JSON-RPC.
    raw.send_bytes(b"[]")
    assert "batches" in raw.response(None)["error"]["message"]
    raw.send({"jsonrpc": "2.0", "id": 8})
    assert raw.response(8)["error"]["code"] == -32600
    # The same session still answers.
    path = lsp_repo.path / "app.py"
    raw.send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri_of(path), "languageId": "python", "version": 1, "text": PY}}})
    raw.send({"jsonrpc": "2.0", "id": 6, "method": "textDocument/codeLens", "params": {"textDocument": {"uri": uri_of(path)}}})
    assert raw.response(6)["result"][0]["command"]["title"] == "File: Alice 50% · Bob 50%"
    raw.send({"jsonrpc": "2.0", "id": 7, "method": "shutdown"})
    assert raw.response(7)["result"] is None
    raw.send({"jsonrpc": "2.0", "method": "exit"})
    raw.close()
    assert len(daemon_pids(ses.home)) == 1


async def test_bad_requests_get_errors_and_the_server_lives(ses, lsp_repo):
    from pygls.exceptions import JsonRpcException

    client = await session(ses, "visual-studio-code", lsp_repo.path)
    path = lsp_repo.path / "app.py"
    # A request for a document that is not open.
    with pytest.raises(JsonRpcException, match="not open"):
        await lenses(client, path)
    with pytest.raises(JsonRpcException, match="unknown command"):
        await run(client, "ses.nope", {})
    with pytest.raises(JsonRpcException, match="one argument"):
        await client.workspace_execute_command_async(types.ExecuteCommandParams(command="ses.attribute", arguments=[1, 2]))
    with pytest.raises(JsonRpcException, match="amount"):
        await run(client, "ses.revenue.record", {"target": "app.py", "amount": "lots"})
    # Still serving.
    open_doc(client, path)
    titles, _ = await lenses(client, path)
    assert titles[0][1].startswith("File: ")
    await client.shutdown_session()


async def test_a_long_first_index_reports_progress(ses, scratch):
    """Opening a file in a repository with a history not indexed yet: `$/progress` while
    the index builds, for a client that allows it (VS Code's capabilities do)."""
    import sys

    from conftest import ROOT

    repo = scratch / "long"
    subprocess.run([sys.executable, str(ROOT / "benches" / "gen_repo.py"), str(repo), "--commits", "3000", "--files", "40"],
                   check=True, capture_output=True)
    client = await session(ses, "visual-studio-code", repo)
    path = next((repo / "src").rglob("*.rs"))
    open_doc(client, path, language="rust")
    titles, _ = await lenses(client, path)
    assert titles[0][1].startswith("File: ")
    def reports_():
        return [r for token, rs in client.progress_reports.items() if str(token).startswith("ses/index/") for r in rs]

    # Notifications may trail the response they preceded.
    await asyncio.wait_for(_until(lambda: reports_() and reports_()[-1].kind == "end"), 10)
    reports = reports_()
    kinds = [r.kind for r in reports]
    assert kinds[0] == "begin" and kinds[-1] == "end", kinds
    assert reports[0].title == "SES: indexing history"
    assert any(r.kind == "report" and "commits" in (r.message or "") for r in reports)
    await client.shutdown_session()


async def test_multi_root_workspaces_attribute_each_repository(ses, lsp_repo, scratch):
    other = Repo(scratch / "other")
    other.write("lib.go", "package lib\n\nfunc Add(a, b int) int {\n\treturn a + b\n}\n")
    other.commit("Dana", "add")
    config = ClientServerConfig(server_command=ses.argv("lsp", "--stdio"))
    client = await config.start()
    await client.initialize_session(
        InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            workspace_folders=[
                types.WorkspaceFolder(uri=uri_of(other.path), name="other"),
                types.WorkspaceFolder(uri=uri_of(lsp_repo.path), name="repo"),
            ],
        )
    )
    open_doc(client, other.path / "lib.go", language="go")
    open_doc(client, lsp_repo.path / "app.py")
    assert (await lenses(client, other.path / "lib.go"))[0] == [(0, "File: Dana 100%"), (2, "Dana 100%")]
    assert (await lenses(client, lsp_repo.path / "app.py"))[0][0] == (0, "File: Alice 50% · Bob 50%")
    # Without a root, a command is about the first workspace folder.
    first = await run(client, "ses.attribute", {})
    assert first["repo"].rstrip("/") == str(other.path.resolve()) and first["authors"][0]["name"] == "Dana"
    second = await run(client, "ses.attribute", {"root": uri_of(lsp_repo.path / "app.py")})
    assert {a["name"] for a in second["authors"]} == {"Alice", "Bob"}
    await client.shutdown_session()
