//! The client side of the daemon socket, used by every CLI command and by `ses lsp`.
//!
//! `connect_or_start` is gopls' `-remote=auto`: connect if a daemon is there, otherwise
//! start one detached and connect to it. Many clients may race to start one; each spawns a
//! candidate, the instance lock lets exactly one win, and every client connects to the
//! winner. A losing candidate exits at once.
//!
//! Blocking I/O on purpose: a CLI command makes one or two calls and exits, and the LSP
//! bridge is two byte pumps, so a runtime would only add start-up time.

use std::fs::OpenOptions;
use std::io::{self, BufRead, BufReader, Read, Seek, Write};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use serde_json::Value;
use ses_core::home::Home;
use ses_core::instance;

use crate::rpc::{self, RpcError};

/// How long a client waits for a daemon it started to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(15);

pub struct DaemonClient {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    next_id: u64,
}

/// Why a call failed: the daemon said no, or the connection broke.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error(transparent)]
    Rpc(#[from] RpcError),
    #[error("lost the connection to the daemon (see the daemon log for why)")]
    Io(#[from] io::Error),
    #[error("the daemon sent an unreadable response: {0}")]
    Protocol(String),
}

impl DaemonClient {
    /// Connects to the running daemon; `Ok(None)` when there is none.
    pub fn connect(home: &Home) -> anyhow::Result<Option<DaemonClient>> {
        let socket = home.socket_path();
        match UnixStream::connect(&socket) {
            Ok(stream) => {
                let reader = BufReader::new(stream.try_clone()?);
                Ok(Some(DaemonClient {
                    reader,
                    writer: stream,
                    next_id: 1,
                }))
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused
                ) =>
            {
                Ok(None)
            }
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => bail!(
                "permission denied on the daemon socket {}: that home belongs to another user; use your own with --home",
                socket.display()
            ),
            Err(e) => Err(e).with_context(|| format!("cannot connect to {}", socket.display())),
        }
    }

    /// Connects to the daemon, starting it (detached) when it is not running.
    pub fn connect_or_start(home: &Home) -> anyhow::Result<DaemonClient> {
        if let Some(client) = Self::connect(home)? {
            return Ok(client);
        }
        let log_path = home.daemon_log_path();
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .with_context(|| format!("cannot open the daemon log {}", log_path.display()))?;
        let log_start = log.seek(io::SeekFrom::End(0))?;
        let exe = std::env::current_exe()
            .context("cannot find the ses executable to start the daemon")?;
        let mut child = Command::new(exe)
            .arg("--home")
            .arg(home.root())
            .arg("daemon")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log.try_clone()?)
            // Its own process group: a Ctrl-C meant for this command must not reach it.
            .process_group(0)
            .spawn()
            .context("cannot start the daemon")?;
        drop(log);

        let deadline = Instant::now() + START_TIMEOUT;
        let mut pause = Duration::from_millis(2);
        let mut child_done = false;
        loop {
            if let Some(client) = Self::connect(home)? {
                reap_in_background(child, child_done);
                return Ok(client);
            }
            if !child_done && let Some(status) = child.try_wait()? {
                child_done = true;
                // A candidate that lost the race exits with an error while the winner,
                // started by another client, is still binding its socket: keep waiting.
                if !status.success() && instance::running_daemon(home)?.is_none() {
                    let why = first_error_since(&log_path, log_start)
                        .unwrap_or_else(|| format!("it exited with {status}"));
                    bail!(
                        "the daemon did not start: {why} (log: {})",
                        log_path.display()
                    );
                }
            }
            if Instant::now() > deadline {
                bail!(
                    "the daemon did not accept connections within {}s; see {}",
                    START_TIMEOUT.as_secs(),
                    log_path.display()
                );
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// Sends one request and waits for its response.
    pub fn call(&mut self, method: &str, params: Value) -> Result<Value, CallError> {
        self.call_with_notes(method, params, &mut |_| {})
    }

    /// Like `call`, handing the notifications that arrive before the response (progress)
    /// to `on_note`.
    pub fn call_with_notes(
        &mut self,
        method: &str,
        params: Value,
        on_note: &mut dyn FnMut(&Value),
    ) -> Result<Value, CallError> {
        let id = self.next_id;
        self.next_id += 1;
        self.writer
            .write_all(&rpc::request_line(id, method, &params))?;
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = (&mut self.reader)
                .take(rpc::MAX_MESSAGE_BYTES as u64 + 1)
                .read_until(b'\n', &mut line)?;
            if n == 0 {
                return Err(CallError::Io(io::ErrorKind::UnexpectedEof.into()));
            }
            let msg: Value =
                serde_json::from_slice(&line).map_err(|e| CallError::Protocol(e.to_string()))?;
            // A response to someone else's id would be a daemon bug; an error with a null
            // id is the daemon refusing the connection or the message.
            if msg.get("id").is_none() && msg.get("method").is_some() {
                on_note(&msg);
                continue;
            }
            let for_us = msg.get("id") == Some(&Value::from(id));
            let refusal = msg.get("id") == Some(&Value::Null);
            if !(for_us || refusal) {
                continue;
            }
            if let Some(err) = msg.get("error") {
                let err: RpcError = serde_json::from_value(err.clone())
                    .map_err(|e| CallError::Protocol(e.to_string()))?;
                return Err(err.into());
            }
            return msg
                .get("result")
                .cloned()
                .ok_or_else(|| CallError::Protocol("a response without result or error".into()));
        }
    }

    /// Hands the connection over for raw use (after `lsp.open`), keeping buffered bytes.
    pub fn into_parts(self) -> (BufReader<UnixStream>, UnixStream) {
        (self.reader, self.writer)
    }
}

/// The first `error:` line the daemon wrote to its log after `offset`.
fn first_error_since(log: &std::path::Path, offset: u64) -> Option<String> {
    let mut file = std::fs::File::open(log).ok()?;
    file.seek(io::SeekFrom::Start(offset)).ok()?;
    BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("error: ").map(str::to_owned))
}

/// Waits for a spawned daemon candidate without blocking the caller, so a candidate that
/// exits while a long-lived client (`ses lsp`) runs does not linger as a zombie.
fn reap_in_background(mut child: std::process::Child, already_reaped: bool) {
    if !already_reaped {
        std::thread::spawn(move || child.wait());
    }
}

/// Runs `f` with a client, turning call errors into user-facing ones.
pub fn call_once(home: &Home, method: &str, params: Value) -> anyhow::Result<Value> {
    let mut client = DaemonClient::connect_or_start(home)?;
    client.call(method, params).map_err(|e| anyhow!(e))
}
