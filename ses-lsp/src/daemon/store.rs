//! The daemon's `store.*` methods: JSON in and out for metadata, streams for content.
//!
//! Two methods switch the connection to a stream after their JSON-RPC response, as
//! `lsp.open` does, and the connection closes when the stream ends:
//! * `store.get` — the client answers the response with one byte carrying its output file
//!   descriptor (`SCM_RIGHTS`): standard output or the temporary file behind `-o`. The
//!   daemon writes the verified bytes straight to it — they never cross the socket — and
//!   then sends one JSON line: `{"done": true, "bytes": N}` or `{"error": {code, message}}`.
//! * `store.put_stream` — the client sends raw bytes and shuts down its write half; the
//!   daemon answers with one JSON line: `{"cid", "size", "pinned"}` or `{"error": …}`.
//!
//! Every store call runs on the blocking pool: the store does synchronous file I/O.

use std::fs::File;
use std::io::{self, IoSliceMut, Write};
use std::mem::MaybeUninit;
use std::ops::Range;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, recvmsg};
use serde::Deserialize;
use serde_json::{Value, json};
use ses_core::store::{BlobId, BlobInfo, PutOptions, Store, StoreError};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio_util::io::SyncIoBridge;

use crate::rpc::parse_params as parse;
use crate::rpc::{self, RpcError};

fn invalid_params(e: impl std::fmt::Display) -> RpcError {
    RpcError::new(rpc::INVALID_PARAMS, format!("invalid params: {e}"))
}

fn parse_id(s: &str) -> Result<BlobId, RpcError> {
    s.parse::<BlobId>()
        .map_err(|e| RpcError::new(rpc::INVALID_PARAMS, e.to_string()))
}

pub fn store_error(e: StoreError) -> RpcError {
    let code = match e {
        StoreError::NotFound(_) => rpc::NOT_FOUND,
        StoreError::RangePastEnd { .. } | StoreError::BadRange { .. } => rpc::INVALID_PARAMS,
        StoreError::Output(_) => rpc::OUTPUT_FAILED,
        _ => rpc::OPERATION_FAILED,
    };
    RpcError::new(code, e.to_string())
}

pub fn info_json(b: &BlobInfo) -> Value {
    json!({"cid": b.id.to_string(), "size": b.size, "pinned": b.pinned})
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, RpcError> + Send + 'static,
) -> Result<T, RpcError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(RpcError::new(
            rpc::INTERNAL_ERROR,
            format!("internal error: a store task failed: {e} (see the daemon log)"),
        ))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PutParams {
    path: PathBuf,
    #[serde(default)]
    pin: bool,
    #[serde(default)]
    links: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CidParams {
    cid: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GcParams {
    #[serde(default)]
    grace_s: u64,
}

fn put_options(pin: bool, links: &[String]) -> Result<PutOptions, RpcError> {
    Ok(PutOptions {
        pin,
        links: links
            .iter()
            .map(|l| parse_id(l))
            .collect::<Result<_, _>>()?,
    })
}

/// The JSON `store.*` methods; `None` when `method` is not one of them.
pub async fn dispatch(
    store: &Arc<Store>,
    method: &str,
    params: Value,
) -> Option<Result<Value, RpcError>> {
    let store = store.clone();
    let result = match method {
        "store.put" => put_path(store, params).await,
        "store.stat" => {
            async {
                let p: CidParams = parse(params)?;
                let id = parse_id(&p.cid)?;
                blocking(move || store.stat(&id).map(|b| info_json(&b)).map_err(store_error)).await
            }
            .await
        }
        "store.ls" => {
            blocking(move || {
                let blobs = store.list().map_err(store_error)?;
                Ok(json!({"blobs": blobs.iter().map(info_json).collect::<Vec<_>>()}))
            })
            .await
        }
        "store.pin" | "store.unpin" => {
            async {
                let p: CidParams = parse(params)?;
                let id = parse_id(&p.cid)?;
                let pin = method == "store.pin";
                blocking(move || {
                    let changed = if pin {
                        let was = store.stat(&id).map_err(store_error)?.pinned;
                        store.pin(&id).map_err(store_error)?;
                        !was
                    } else {
                        store.unpin(&id).map_err(store_error)?
                    };
                    Ok(json!({"cid": id.to_string(), "pinned": pin, "changed": changed}))
                })
                .await
            }
            .await
        }
        "store.verify" => {
            blocking(move || {
                let checked = store.list().map_err(store_error)?.len();
                let damaged = store.verify_all().map_err(store_error)?;
                Ok(json!({
                    "checked": checked,
                    "corrupt": damaged
                        .iter()
                        .map(|d| json!({"cid": d.id.to_string(), "detail": d.detail}))
                        .collect::<Vec<_>>(),
                }))
            })
            .await
        }
        "store.gc" => {
            async {
                let p: GcParams = parse(params)?;
                blocking(move || {
                    let r = store
                        .gc(Duration::from_secs(p.grace_s))
                        .map_err(store_error)?;
                    Ok(json!({
                        "removed": r.removed.iter().map(|id| id.to_string()).collect::<Vec<_>>(),
                        "freed_bytes": r.freed_bytes,
                        "kept": r.kept,
                    }))
                })
                .await
            }
            .await
        }
        _ => return None,
    };
    Some(result)
}

async fn put_path(store: Arc<Store>, params: Value) -> Result<Value, RpcError> {
    let p: PutParams = parse(params)?;
    let opts = put_options(p.pin, &p.links)?;
    if !p.path.is_absolute() {
        return Err(invalid_params(format!(
            "path {} must be absolute",
            p.path.display()
        )));
    }
    blocking(move || {
        let fail = |what: String| RpcError::new(rpc::OPERATION_FAILED, what);
        let meta = std::fs::metadata(&p.path)
            .map_err(|e| fail(format!("cannot read {}: {e}", p.path.display())))?;
        if meta.is_dir() {
            return Err(fail(format!(
                "{} is a directory: put takes one file (or - for standard input)",
                p.path.display()
            )));
        }
        let file = std::fs::File::open(&p.path)
            .map_err(|e| fail(format!("cannot read {}: {e}", p.path.display())))?;
        // A FIFO or device has no meaningful length: read it to the end instead.
        let size = meta.is_file().then_some(meta.len());
        let id = store
            .put_reader(file, size, &opts)
            .map_err(|e| fail(format!("cannot put {}: {e}", p.path.display())))?;
        store.stat(&id).map(|b| info_json(&b)).map_err(store_error)
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GetParams {
    cid: String,
    /// [start, end), end exclusive; absent = the whole blob.
    #[serde(default)]
    range: Option<(u64, Option<u64>)>,
}

/// Checks a `store.get` request; returns what to stream.
pub async fn prepare_get(
    store: &Arc<Store>,
    params: Value,
) -> Result<(BlobId, Range<u64>), RpcError> {
    let p: GetParams = parse(params)?;
    let id = parse_id(&p.cid)?;
    let store = store.clone();
    let size = blocking(move || store.stat(&id).map(|b| b.size).map_err(store_error)).await?;
    let range = match p.range {
        None => 0..size,
        Some((start, end)) => start..end.unwrap_or(size),
    };
    if range.start > range.end {
        return Err(store_error(StoreError::BadRange {
            start: range.start,
            end: range.end,
        }));
    }
    if range.end > size {
        return Err(store_error(StoreError::RangePastEnd {
            id,
            start: range.start,
            end: range.end,
            size,
        }));
    }
    Ok((id, range))
}

/// How long the daemon waits for the client's output descriptor.
const FD_TIMEOUT: Duration = Duration::from_secs(30);

/// Receives the one file descriptor the client sends after `store.get`'s response.
fn receive_fd(socket: &UnixStream) -> io::Result<File> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let mut byte = [0u8; 1];
    let got = recvmsg(
        socket,
        &mut [IoSliceMut::new(&mut byte)],
        &mut control,
        RecvFlags::CMSG_CLOEXEC,
    )?;
    if got.bytes == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    let fd = control
        .drain()
        .find_map(|msg| match msg {
            RecvAncillaryMessage::ScmRights(mut fds) => fds.next(),
            _ => None,
        })
        .ok_or_else(|| io::Error::other("the message carried no file descriptor"))?;
    Ok(File::from(fd))
}

/// Writes the verified bytes of `range` to the descriptor the client sends, then the
/// trailer line.
pub async fn stream_get(store: Arc<Store>, id: BlobId, range: Range<u64>, socket: UnixStream) {
    let task = tokio::task::spawn_blocking(move || {
        let trailer = match socket
            .set_read_timeout(Some(FD_TIMEOUT))
            .and_then(|()| receive_fd(&socket))
        {
            Err(e) => json!({"error": RpcError::new(
                rpc::INVALID_REQUEST,
                format!("store.get expects the output file descriptor after its response: {e}"),
            )}),
            Ok(mut output) => match store.read_range(&id, Some(range), &mut output) {
                Ok(n) => json!({"done": true, "bytes": n}),
                Err(e) => {
                    tracing::warn!("store.get {id}: {e}");
                    json!({"error": store_error(e)})
                }
            },
        };
        let mut line = serde_json::to_vec(&trailer).expect("invariant: a Value serialises");
        line.push(b'\n');
        // The client may have gone; nothing more to do then.
        let _ = (&socket).write_all(&line);
    });
    let _ = task.await;
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PutStreamParams {
    #[serde(default)]
    pin: bool,
    #[serde(default)]
    links: Vec<String>,
}

/// Checks a `store.put_stream` request before the client starts sending.
pub fn prepare_put_stream(params: Value) -> Result<PutOptions, RpcError> {
    let p: PutStreamParams = parse(params)?;
    put_options(p.pin, &p.links)
}

/// Reads an upload until the client's end of stream, stores it, answers with one line.
pub async fn stream_put<R, W>(store: Arc<Store>, opts: PutOptions, read: R, mut write: W)
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin,
{
    let result = blocking(move || {
        let id = store
            .put_reader(SyncIoBridge::new(read), None, &opts)
            .map_err(store_error)?;
        store.stat(&id).map(|b| info_json(&b)).map_err(store_error)
    })
    .await;
    let reply = match result {
        Ok(v) => v,
        Err(e) => json!({"error": e}),
    };
    let mut line = serde_json::to_vec(&reply).expect("invariant: a Value serialises");
    line.push(b'\n');
    let _ = write.write_all(&line).await;
}
