//! `ses store …`: the content store from the command line.

use std::fs;
use std::io::{self, BufRead, IoSlice};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use serde_json::{Value, json};
use ses_core::home::Home;
use ses_core::store::BlobId;

use super::{call, outln, print_json, str_field};
use crate::cli::StoreCommand;
use crate::client::DaemonClient;
use crate::rpc;
use rustix::net::{SendAncillaryBuffer, SendAncillaryMessage, SendFlags, sendmsg};

/// Ids are checked here, not by clap, so a malformed one is an error (exit 1) that says
/// what an id looks like, not a usage error.
fn parse_id(s: &str) -> anyhow::Result<String> {
    Ok(s.parse::<BlobId>()?.to_string())
}

fn print_info(v: &Value) {
    outln!(
        "{}  {:>12}  {}",
        str_field(v, "cid"),
        v["size"].as_u64().unwrap_or(0),
        if v["pinned"] == json!(true) {
            "pinned"
        } else {
            ""
        }
    );
}

pub fn run(home: &Home, cmd: StoreCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        StoreCommand::Put { path, no_pin, json } => {
            let info = put(home, &path, !no_pin)?;
            if json {
                print_json(&info);
            } else {
                outln!("{}", str_field(&info, "cid"));
            }
        }
        StoreCommand::Get { id, output, range } => get(home, &parse_id(&id)?, output, range)?,
        StoreCommand::Stat { id, json } => {
            let info = call(home, "store.stat", json!({"cid": parse_id(&id)?}))?;
            if json {
                print_json(&info);
            } else {
                print_info(&info);
            }
        }
        StoreCommand::Ls { json } => {
            let list = call(home, "store.ls", json!({}))?;
            let blobs = list["blobs"].as_array().cloned().unwrap_or_default();
            if json {
                print_json(&Value::Array(blobs));
            } else {
                blobs.iter().for_each(print_info);
            }
        }
        StoreCommand::Pin { id } => {
            let r = call(home, "store.pin", json!({"cid": parse_id(&id)?}))?;
            let note = if r["changed"] == json!(true) {
                "pinned"
            } else {
                "already pinned"
            };
            outln!("{note} {}", str_field(&r, "cid"));
        }
        StoreCommand::Unpin { id } => {
            let r = call(home, "store.unpin", json!({"cid": parse_id(&id)?}))?;
            let note = if r["changed"] == json!(true) {
                "unpinned"
            } else {
                "was not pinned:"
            };
            outln!("{note} {}", str_field(&r, "cid"));
        }
        StoreCommand::Verify { json } => {
            let report = call(home, "store.verify", json!({}))?;
            let corrupt = report["corrupt"].as_array().cloned().unwrap_or_default();
            if json {
                print_json(&report);
            } else {
                for c in &corrupt {
                    outln!(
                        "CORRUPT  {}  {}",
                        str_field(c, "cid"),
                        str_field(c, "detail")
                    );
                }
                outln!(
                    "checked {} blobs: {} corrupt",
                    report["checked"],
                    corrupt.len()
                );
            }
            if !corrupt.is_empty() {
                if !json {
                    eprintln!(
                        "error: {} damaged blob(s): put the original content again to repair each",
                        corrupt.len()
                    );
                }
                return Ok(ExitCode::FAILURE);
            }
        }
        StoreCommand::Gc { grace, json } => {
            let grace: std::time::Duration = grace.into();
            let report = call(home, "store.gc", json!({"grace_s": grace.as_secs()}))?;
            if json {
                print_json(&report);
            } else {
                let removed = report["removed"].as_array().map_or(0, Vec::len);
                outln!(
                    "removed {removed} blobs ({} bytes), kept {}",
                    report["freed_bytes"],
                    report["kept"]
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn put(home: &Home, path: &Path, pin: bool) -> anyhow::Result<Value> {
    let mut client = DaemonClient::connect_or_start(home)?;
    if path != Path::new("-") {
        // The daemon runs as this user (it checks), so it reads the file itself: no copy
        // through the socket.
        let abs = std::path::absolute(path)
            .with_context(|| format!("cannot resolve {}", path.display()))?;
        return client
            .call("store.put", json!({"path": abs, "pin": pin}))
            .map_err(|e| anyhow!(e));
    }
    client
        .call("store.put_stream", json!({"pin": pin}))
        .map_err(|e| anyhow!(e))?;
    let (mut reader, mut writer) = client.into_parts();
    io::copy(&mut io::stdin().lock(), &mut writer).context("cannot send standard input")?;
    writer.shutdown(std::net::Shutdown::Write)?;
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let reply: Value = serde_json::from_str(&line)
        .map_err(|e| anyhow!("the daemon sent an unreadable answer: {e}"))?;
    if let Some(err) = reply.get("error") {
        bail!("{}", str_field(err, "message"));
    }
    Ok(reply)
}

/// Sends our output — standard output, or a temporary file beside `output` that replaces
/// it only when every byte arrived verified — to the daemon, which writes the blob into it.
fn get(
    home: &Home,
    id: &str,
    output: Option<PathBuf>,
    range: Option<(u64, Option<u64>)>,
) -> anyhow::Result<()> {
    let temp = match &output {
        None => None,
        Some(path) => {
            if path.is_dir() {
                bail!("{} is a directory: give a file name to -o", path.display());
            }
            // 0666 less the umask, like any file a command creates.
            let file = tempfile::Builder::new()
                .prefix(".ses-get-")
                .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
                .tempfile_in(parent_dir(path))
                .with_context(|| format!("cannot write into {}", parent_dir(path).display()))?;
            Some(file)
        }
    };
    let mut client = DaemonClient::connect_or_start(home)?;
    let mut params = json!({"cid": id});
    if let Some((start, end)) = range {
        params["range"] = json!([start, end]);
    }
    client.call("store.get", params).map_err(|e| anyhow!(e))?;
    let (mut reader, writer) = client.into_parts();
    let stdout = io::stdout();
    let fd = match &temp {
        Some(file) => file.as_file().as_fd(),
        None => stdout.as_fd(),
    };
    send_fd(&writer, fd).context("cannot hand the output to the daemon")?;
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .context("lost the connection to the daemon mid-blob")?;
    let trailer: Value = serde_json::from_str(&line)
        .map_err(|e| anyhow!("the daemon sent an unreadable answer: {e}"))?;
    if let Some(err) = trailer.get("error") {
        // `ses store get X | head`: the reader closed the pipe once it had enough.
        if output.is_none()
            && err["code"] == json!(rpc::OUTPUT_FAILED)
            && str_field(err, "message").contains("Broken pipe")
        {
            return Ok(());
        }
        // A temporary file is deleted on drop; `output` keeps what it had.
        bail!("{}", str_field(err, "message"));
    }
    if let (Some(temp), Some(path)) = (temp, output) {
        temp.as_file().sync_all()?;
        temp.persist(&path)
            .map_err(|e| anyhow!("cannot write {}: {}", path.display(), e.error))?;
        // Make the rename durable too.
        let _ = fs::File::open(parent_dir(&path)).and_then(|d| d.sync_all());
    }
    Ok(())
}

fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Sends one byte carrying `fd` (SCM_RIGHTS).
fn send_fd(socket: &std::os::unix::net::UnixStream, fd: BorrowedFd<'_>) -> io::Result<()> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    let fds = [fd];
    if !control.push(SendAncillaryMessage::ScmRights(&fds)) {
        return Err(io::Error::other("no room for the descriptor"));
    }
    sendmsg(
        socket,
        &[IoSlice::new(b"F")],
        &mut control,
        SendFlags::empty(),
    )?;
    Ok(())
}
