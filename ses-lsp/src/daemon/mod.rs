//! The daemon: one process per user and home that owns all SES state and serves every
//! front end (CLI commands, `ses lsp` bridges) over an owner-only Unix socket.
//!
//! Start-up order matters: lock, then identity, then socket. The lock makes this process
//! the only daemon, so any socket file already there is stale and may be replaced; the
//! socket comes last so a client that can connect finds a daemon ready to answer.
//! Shut-down runs the other way: the socket file is removed while the lock is still held,
//! so it can never delete the socket of a daemon that started after us.
//!
//! Invariants: a connection from another uid is refused before any request is read; a bad
//! message gets a JSON-RPC error and never ends the connection or the daemon; a panic in a
//! handler becomes an internal-error response.

pub(crate) mod attribution;
pub(crate) mod context;
mod revenue;
mod shapley;
mod store;
mod watcher;

use std::io;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::FutureExt;
use serde_json::{Value, json};
use ses_core::home::Home;
use ses_core::identity::Identity;
use ses_core::instance::InstanceLock;
use ses_core::store::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

use crate::rpc::{self, Frame, RpcError};

/// How long a stopping daemon waits for open connections to finish.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone)]
pub struct DaemonConfig {
    /// Exit after this long without any client; `None` never exits on idle.
    pub idle_timeout: Option<Duration>,
}

/// State every connection shares.
pub struct Shared {
    pub home: Home,
    pub identity: Identity,
    pub store: Arc<Store>,
    pub(crate) repos: Arc<attribution::Repos>,
    /// Working contexts, per working tree.
    pub(crate) contexts: Arc<context::Contexts>,
    /// What recorded revenue has earned, per repository (for lenses).
    pub(crate) earnings: crate::lsp::analysis::EarningsCache,
    /// Repository changes, for every editor session.
    pub(crate) watchers: watcher::Watchers,
    /// Source of unique progress tokens across sessions.
    tokens: std::sync::atomic::AtomicU64,
    started: Instant,
    socket: PathBuf,
    config: DaemonConfig,
    clients: watch::Sender<usize>,
    shutdown: CancellationToken,
}

/// Counts a connection as a client for as long as it lives.
struct ClientGuard<'a>(&'a watch::Sender<usize>);

impl<'a> ClientGuard<'a> {
    fn new(clients: &'a watch::Sender<usize>) -> Self {
        clients.send_modify(|n| *n += 1);
        ClientGuard(clients)
    }
}

impl Drop for ClientGuard<'_> {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n -= 1);
    }
}

/// Runs the daemon until it is stopped, idles out or gets SIGTERM/SIGINT.
pub async fn run(home: Home, config: DaemonConfig) -> anyhow::Result<()> {
    let lock = InstanceLock::acquire(&home)?;
    let identity = Identity::load_or_create(&home)?;
    let store = Arc::new(Store::open(&home)?);
    let repos = Arc::new(attribution::Repos::new(store.clone()));
    let socket = home.socket_path();
    let listener = bind_owner_only(&socket)?;
    let shared = Arc::new(Shared {
        home,
        identity,
        store,
        repos,
        contexts: Arc::default(),
        earnings: Default::default(),
        watchers: Default::default(),
        tokens: Default::default(),
        started: Instant::now(),
        socket: socket.clone(),
        config,
        clients: watch::Sender::new(0),
        shutdown: CancellationToken::new(),
    });
    info!(
        pid = std::process::id(),
        socket = %socket.display(),
        did = shared.identity.did(),
        "daemon listening"
    );

    let tracker = TaskTracker::new();
    if let Some(timeout) = shared.config.idle_timeout {
        tracker.spawn(exit_when_idle(
            shared.clients.subscribe(),
            timeout,
            shared.shutdown.clone(),
        ));
    }
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("cannot install the SIGTERM handler")?;
    let mut sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .context("cannot install the SIGINT handler")?;
    let me = rustix::process::geteuid().as_raw();
    loop {
        tokio::select! {
            () = shared.shutdown.cancelled() => break,
            _ = sigterm.recv() => { info!("SIGTERM: stopping"); break }
            _ = sigint.recv() => { info!("SIGINT: stopping"); break }
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let shared = shared.clone();
                    tracker.spawn(async move { serve_connection(shared, stream, me).await });
                }
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
    shared.shutdown.cancel();
    drop(listener);
    tracker.close();
    if tokio::time::timeout(DRAIN_TIMEOUT, tracker.wait())
        .await
        .is_err()
    {
        warn!("connections still open after {DRAIN_TIMEOUT:?}; closing them");
    }
    // Remove the socket while we still hold the lock (see the module docs).
    if let Err(e) = std::fs::remove_file(&socket) {
        warn!("cannot remove socket {}: {e}", socket.display());
    }
    drop(lock);
    info!("daemon stopped");
    Ok(())
}

/// Binds the socket, replacing a stale one, and makes it 0600.
fn bind_owner_only(socket: &PathBuf) -> anyhow::Result<UnixListener> {
    match std::fs::symlink_metadata(socket) {
        Ok(meta) if meta.file_type().is_socket() => {
            // We hold the lock, so no live daemon owns this socket.
            debug!("removing stale socket {}", socket.display());
            std::fs::remove_file(socket)
                .with_context(|| format!("cannot remove stale socket {}", socket.display()))?;
        }
        Ok(_) => bail!(
            "{} is in the way of the daemon socket and is not a socket: move it away",
            socket.display()
        ),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot inspect {}", socket.display())),
    }
    let listener = UnixListener::bind(socket)
        .with_context(|| format!("cannot listen on {}", socket.display()))?;
    // The directory is 0700 already, so nobody else could reach the socket before this.
    std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("cannot make {} owner-only", socket.display()))?;
    Ok(listener)
}

async fn exit_when_idle(
    mut clients: watch::Receiver<usize>,
    timeout: Duration,
    shutdown: CancellationToken,
) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            idle = clients.wait_for(|&n| n == 0) => if idle.is_err() { return },
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(timeout) => {
                info!("no clients for {}; exiting", humantime::format_duration(timeout));
                shutdown.cancel();
                return;
            }
            busy = clients.wait_for(|&n| n > 0) => if busy.is_err() { return },
        }
    }
}

async fn serve_connection(shared: Arc<Shared>, stream: UnixStream, owner: u32) {
    let _client = ClientGuard::new(&shared.clients);
    let (read, mut write) = stream.into_split();
    match write.as_ref().peer_cred() {
        Ok(cred) if cred.uid() == owner => {}
        Ok(cred) => {
            warn!(
                uid = cred.uid(),
                pid = cred.pid(),
                "refused a connection from another user"
            );
            let err = RpcError::new(
                rpc::UNAUTHORIZED,
                format!(
                    "this daemon belongs to uid {owner}; uid {} may not use it: run your own with --home",
                    cred.uid()
                ),
            );
            let _ = write
                .write_all(&rpc::response_line(Value::Null, Err(err)))
                .await;
            // Closing with the peer's request unread would reset the connection and could
            // destroy the refusal before it is read: end our side, then drain a little.
            let _ = write.shutdown().await;
            let mut read = read;
            let _ = tokio::time::timeout(
                Duration::from_secs(1),
                tokio::io::copy(&mut (&mut read).take(1 << 20), &mut tokio::io::sink()),
            )
            .await;
            return;
        }
        Err(e) => {
            warn!("cannot read the peer's credentials, refusing: {e}");
            return;
        }
    }
    let mut reader = BufReader::new(read);
    loop {
        let frame = tokio::select! {
            () = shared.shutdown.cancelled() => return,
            frame = rpc::read_frame(&mut reader, rpc::MAX_MESSAGE_BYTES) => frame,
        };
        let reply = match frame {
            Err(e) => {
                debug!("connection read failed: {e}");
                return;
            }
            Ok(Frame::Eof) => return,
            Ok(Frame::TooLong) => Some(rpc::response_line(
                Value::Null,
                Err(RpcError::new(
                    rpc::INVALID_REQUEST,
                    format!(
                        "message longer than {} bytes was discarded: send bulk data by path or in chunks",
                        rpc::MAX_MESSAGE_BYTES
                    ),
                )),
            )),
            Ok(Frame::Message(line)) => match rpc::parse_request(&line) {
                Err((id, err)) => Some(rpc::response_line(id, Err(err))),
                Ok(req) if req.method == "lsp.open" => {
                    if let Some(id) = req.id {
                        let ok = rpc::response_line(id, Ok(json!({})));
                        if write.write_all(&ok).await.is_err() {
                            return;
                        }
                    }
                    // From here on the connection carries LSP (Content-Length framing);
                    // `reader` keeps whatever the client sent after the request.
                    tokio::select! {
                        () = shared.shutdown.cancelled() => {}
                        () = crate::lsp::serve(reader, write, shared.clone()) => {}
                    }
                    return;
                }
                Ok(req) if req.method == "store.get" => {
                    let Some(id) = req.id else { continue };
                    match store::prepare_get(&shared.store, req.params).await {
                        Err(e) => Some(rpc::response_line(id, Err(e))),
                        Ok((blob, range)) => {
                            let len = range.end - range.start;
                            let ok = rpc::response_line(id, Ok(json!({"bytes": len})));
                            if write.write_all(&ok).await.is_err() {
                                return;
                            }
                            // Bulk bytes go out through a plain blocking socket on the
                            // blocking pool: no runtime hop per write.
                            let stream =
                                match reader.into_inner().reunite(write).map(|s| s.into_std()) {
                                    Ok(Ok(stream)) if stream.set_nonblocking(false).is_ok() => {
                                        stream
                                    }
                                    _ => return,
                                };
                            store::stream_get(shared.store.clone(), blob, range, stream).await;
                            return;
                        }
                    }
                }
                Ok(req) if req.method == "store.put_stream" => {
                    let Some(id) = req.id else { continue };
                    match store::prepare_put_stream(req.params) {
                        Err(e) => Some(rpc::response_line(id, Err(e))),
                        Ok(opts) => {
                            if write
                                .write_all(&rpc::response_line(id, Ok(json!({}))))
                                .await
                                .is_err()
                            {
                                return;
                            }
                            store::stream_put(shared.store.clone(), opts, reader, write).await;
                            return;
                        }
                    }
                }
                Ok(req) => {
                    // Notifications (progress) a method sends while it runs go out first.
                    let (notify, mut notes) = tokio::sync::mpsc::unbounded_channel::<Value>();
                    let call = AssertUnwindSafe(dispatch(&shared, &req.method, req.params, notify))
                        .catch_unwind();
                    tokio::pin!(call);
                    let outcome = loop {
                        tokio::select! {
                            outcome = &mut call => break outcome,
                            Some(note) = notes.recv() => {
                                let mut line = serde_json::to_vec(&note)
                                    .expect("invariant: a Value serialises");
                                line.push(b'\n');
                                if write.write_all(&line).await.is_err() {
                                    return;
                                }
                            }
                        }
                    };
                    let result = outcome.unwrap_or_else(|panic| {
                        let what = panic
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| panic.downcast_ref::<String>().cloned())
                            .unwrap_or_default();
                        warn!(method = req.method, "handler panicked: {what}");
                        Err(RpcError::new(
                            rpc::INTERNAL_ERROR,
                            format!(
                                "internal error in {}: {what} (see the daemon log)",
                                req.method
                            ),
                        ))
                    });
                    let reply = req.id.map(|id| rpc::response_line(id, result));
                    if req.method == "daemon.stop" {
                        if let Some(reply) = reply {
                            let _ = write.write_all(&reply).await;
                        }
                        info!("stop requested by a client");
                        shared.shutdown.cancel();
                        return;
                    }
                    reply
                }
            },
        };
        if let Some(reply) = reply
            && write.write_all(&reply).await.is_err()
        {
            return;
        }
    }
}

impl Shared {
    /// A number no other call returns, for progress tokens.
    pub(crate) fn next_token(&self) -> u64 {
        self.tokens
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }
}

/// A daemon method called in process (by the language server), its progress
/// notifications dropped: they drive the CLI's progress bar, and an editor gets progress
/// from the server itself.
pub(crate) async fn call(
    shared: &Arc<Shared>,
    method: &str,
    params: Value,
) -> Result<Value, RpcError> {
    let (notify, _dropped) = tokio::sync::mpsc::unbounded_channel();
    dispatch(shared, method, params, notify).await
}

/// The daemon's methods. Each returns plain JSON; errors carry a message for the user.
async fn dispatch(
    shared: &Arc<Shared>,
    method: &str,
    params: Value,
    notify: tokio::sync::mpsc::UnboundedSender<Value>,
) -> Result<Value, RpcError> {
    if method.starts_with("attribution.") {
        if let Some(result) = attribution::dispatch(&shared.repos, method, params, notify).await {
            return result;
        }
        return Err(RpcError::new(
            rpc::METHOD_NOT_FOUND,
            format!("unknown method {method:?}"),
        ));
    }
    if method.starts_with("revenue.") {
        if let Some(result) = revenue::dispatch(shared, method, params).await {
            return result;
        }
        return Err(RpcError::new(
            rpc::METHOD_NOT_FOUND,
            format!("unknown method {method:?}"),
        ));
    }
    if method.starts_with("context.") {
        if let Some(result) = context::dispatch(&shared.contexts, method, params).await {
            return result;
        }
        return Err(RpcError::new(
            rpc::METHOD_NOT_FOUND,
            format!("unknown method {method:?}"),
        ));
    }
    if method == "shapley.solve" {
        return shapley::solve(params).await;
    }
    if let Some(result) = store::dispatch(&shared.store, method, params).await {
        return result;
    }
    match method {
        "daemon.status" => Ok(json!({
            "pid": std::process::id(),
            "socket": shared.socket,
            "home": shared.home.root(),
            "uptime_s": shared.started.elapsed().as_secs(),
            "version": env!("CARGO_PKG_VERSION"),
            // This request's own connection is one of them.
            "clients": *shared.clients.borrow(),
            "idle_timeout_s": shared.config.idle_timeout.map(|d| d.as_secs()),
        })),
        "daemon.stop" => Ok(json!({"stopping": true, "pid": std::process::id()})),
        "identity.get" => Ok(json!({
            "did": shared.identity.did(),
            "peer_id": shared.identity.peer_id().to_string(),
        })),
        #[cfg(test)]
        "test.panic" => panic!("deliberate panic"),
        _ => Err(RpcError::new(
            rpc::METHOD_NOT_FOUND,
            format!(
                "unknown method {method:?}: this daemon is ses {}",
                env!("CARGO_PKG_VERSION")
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::DaemonClient;
    use std::io::{Read, Write};

    /// Starts a daemon in-process on a temporary home; returns the home and its task.
    async fn start() -> (
        tempfile::TempDir,
        Home,
        tokio::task::JoinHandle<anyhow::Result<()>>,
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let home = Home::open(tmp.path().join("h")).unwrap();
        let config = DaemonConfig { idle_timeout: None };
        let task = tokio::spawn(run(home.clone(), config));
        let probe = home.clone();
        tokio::task::spawn_blocking(move || {
            for _ in 0..500 {
                if DaemonClient::connect(&probe).unwrap().is_some() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            panic!("the in-process daemon never listened");
        })
        .await
        .unwrap();
        (tmp, home, task)
    }

    fn blocking_call(home: &Home, method: &'static str) -> Result<Value, crate::client::CallError> {
        let mut client = DaemonClient::connect(home).unwrap().unwrap();
        client.call(method, json!({}))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn serves_status_identity_and_stops() {
        let (_tmp, home, task) = start().await;
        let h = home.clone();
        let (status, id, unknown, panicked) = tokio::task::spawn_blocking(move || {
            (
                blocking_call(&h, "daemon.status").unwrap(),
                blocking_call(&h, "identity.get").unwrap(),
                blocking_call(&h, "nope").unwrap_err(),
                blocking_call(&h, "test.panic").unwrap_err(),
            )
        })
        .await
        .unwrap();
        assert_eq!(status["pid"], json!(std::process::id()));
        assert_eq!(
            id["did"],
            json!(Identity::load_or_create(&home).unwrap().did())
        );
        assert!(matches!(
            unknown,
            crate::client::CallError::Rpc(RpcError {
                code: rpc::METHOD_NOT_FOUND,
                ..
            })
        ));
        match panicked {
            crate::client::CallError::Rpc(e) => {
                assert_eq!(e.code, rpc::INTERNAL_ERROR);
                assert!(e.message.contains("deliberate panic"), "{}", e.message);
            }
            other => panic!("expected an internal error, got {other:?}"),
        }
        // The daemon survived the panic and stops on request.
        let h = home.clone();
        tokio::task::spawn_blocking(move || blocking_call(&h, "daemon.stop").unwrap())
            .await
            .unwrap();
        task.await.unwrap().unwrap();
        assert!(!home.socket_path().exists());
        assert_eq!(ses_core::instance::running_daemon(&home).unwrap(), None);
    }

    fn lsp_message(body: &Value) -> Vec<u8> {
        let body = serde_json::to_vec(body).unwrap();
        let mut msg = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        msg.extend(body);
        msg
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn lsp_session_runs_on_the_connection() {
        let (_tmp, home, task) = start().await;
        let h = home.clone();
        let transcript = tokio::task::spawn_blocking(move || {
            use std::io::BufRead;
            let client = DaemonClient::connect(&h).unwrap().unwrap();
            let (mut read, mut write) = client.into_parts();
            // The handshake and the first LSP message in one write: the daemon must keep
            // the bytes that arrive behind the handshake line.
            let mut first = rpc::request_line(1, "lsp.open", &json!({}));
            first.extend(lsp_message(
                &json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}),
            ));
            write.write_all(&first).unwrap();
            let mut line = String::new();
            read.read_line(&mut line).unwrap();
            assert!(line.contains(r#""result":{}"#), "{line}");
            // A real client waits for each answer before it moves on (tower-lsp cancels
            // requests still running when `exit` arrives, as the spec allows).
            let mut out = String::new();
            let mut read_until = |needle: &str, out: &mut String| {
                while !out.contains(needle) {
                    let mut buf = [0u8; 4096];
                    let n = read.read(&mut buf).unwrap();
                    assert!(n > 0, "connection closed early: {out}");
                    out.push_str(std::str::from_utf8(&buf[..n]).unwrap());
                }
            };
            read_until(r#""name":"ses""#, &mut out);
            for msg in [
                json!({"jsonrpc":"2.0","method":"initialized","params":{}}),
                json!({"jsonrpc":"2.0","id":2,"method":"shutdown"}),
            ] {
                write.write_all(&lsp_message(&msg)).unwrap();
            }
            read_until(r#""id":2"#, &mut out);
            write
                .write_all(&lsp_message(&json!({"jsonrpc":"2.0","method":"exit"})))
                .unwrap();
            // The session ends on `exit` and the daemon closes the connection.
            read.read_to_string(&mut out).unwrap();
            out
        })
        .await
        .unwrap();
        assert!(transcript.contains(r#""name":"ses""#), "{transcript}");
        assert!(
            transcript.contains(r#""id":2"#) && transcript.contains(r#""result":null"#),
            "{transcript}"
        );
        let h = home.clone();
        tokio::task::spawn_blocking(move || blocking_call(&h, "daemon.stop").unwrap())
            .await
            .unwrap();
        task.await.unwrap().unwrap();
    }
}
