//! `ses lsp`: the editor's end of the bridge to an LSP session in the daemon.

use std::io::{Read, Write};
use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;
use ses_core::home::Home;

use crate::client::DaemonClient;

/// `ses lsp`: joins stdio to an LSP session inside the daemon, byte for byte.
pub fn bridge(home: &Home) -> anyhow::Result<ExitCode> {
    let mut client = DaemonClient::connect_or_start(home)?;
    client.call("lsp.open", json!({}))?;
    let (mut from_daemon, mut to_daemon) = client.into_parts();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut to_daemon);
        // The editor closed our stdin: let the session see end of input.
        let _ = to_daemon.shutdown(std::net::Shutdown::Write);
    });
    let mut stdout = std::io::stdout().lock();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from_daemon.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).context("lost the connection to the daemon"),
        };
        // LSP bodies do not end in a newline, so a line-buffered stdout would hold them.
        if stdout
            .write_all(&buf[..n])
            .and_then(|()| stdout.flush())
            .is_err()
        {
            // The editor is gone; nothing is left to serve.
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}
