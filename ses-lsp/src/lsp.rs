//! The language server. Each `ses lsp` bridge gets one LSP session, run here inside the
//! daemon on the bridge's connection, so every editor window shares the daemon's state.
//!
//! Invariants: this module translates between LSP and `ses-core`; it holds no state of its
//! own beyond what one session needs, and never blocks the runtime.

use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{
    InitializeParams, InitializeResult, InitializedParams, MessageType, ServerCapabilities,
    ServerInfo,
};
use tower_lsp_server::{Client, LanguageServer, LspService, Server};
use tracing::info;

use crate::daemon::Shared;

struct Backend {
    client: Client,
    shared: Arc<Shared>,
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let client = params
            .client_info
            .map(|c| format!("{} {}", c.name, c.version.unwrap_or_default()))
            .unwrap_or_else(|| "an unnamed client".into());
        info!("LSP session initialised by {}", client.trim());
        Ok(InitializeResult {
            capabilities: ServerCapabilities::default(),
            server_info: Some(ServerInfo {
                name: "ses".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            ..Default::default()
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        self.client
            .log_message(
                MessageType::INFO,
                format!(
                    "SES daemon (pid {}, {})",
                    std::process::id(),
                    self.shared.identity.did()
                ),
            )
            .await;
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }
}

/// Serves one LSP session until the client sends `exit` or goes away.
pub async fn serve<R, W>(read: R, write: W, shared: Arc<Shared>)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite,
{
    let (service, socket) = LspService::new(|client| Backend { client, shared });
    Server::new(read, write, socket).serve(service).await;
    info!("LSP session ended");
}
