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
