//! The wire between an editor and the tower-lsp-server session. Every message from the
//! client passes through here first, because tower-lsp-server ends the whole session at
//! the first message it cannot decode (tokio-util's `FramedRead` stops after a decoder
//! error) and buffers a message of any size.
//!
//! Invariants: only well-formed JSON-RPC messages of at most [`MAX_MESSAGE_BYTES`] reach
//! the session; anything else is answered here with the JSON-RPC error a server owes
//! (parse error, invalid request) and the session goes on; an oversized body is discarded
//! as it is read, never buffered; every message out is written whole, so answers from here
//! never split one from the session.

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tower_lsp_server::jsonrpc::{Request, Response};
use tracing::warn;

/// The largest message passed to the session. An editor sends a whole file in `didOpen`;
/// source files this large are not attributed line by line anyway.
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;
/// The largest header block; real ones are two short lines.
const MAX_HEADER_BYTES: usize = 8 << 10;
/// How much of an oversized body is kept to find its request id.
const ID_SNIFF_BYTES: usize = 4 << 10;

pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

fn error_frame(id: Value, code: i64, message: String) -> Vec<u8> {
    let body = json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}});
    frame(body.to_string().as_bytes())
}

/// One message's header block: its content length, or why there is none.
enum Header {
    Length(usize),
    Bad(String),
    End,
}

async fn read_header<R: AsyncRead + Unpin>(read: &mut BufReader<R>) -> std::io::Result<Header> {
    let mut length = None;
    let mut seen = 0;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = read
            .take((MAX_HEADER_BYTES - seen.min(MAX_HEADER_BYTES)) as u64 + 1)
            .read_until(b'\n', &mut line)
            .await?;
        if n == 0 {
            return Ok(if seen == 0 {
                Header::End
            } else {
                Header::Bad("the input ended inside a header".into())
            });
        }
        seen += n;
        if seen > MAX_HEADER_BYTES {
            return Ok(Header::Bad(format!(
                "a header longer than {MAX_HEADER_BYTES} bytes"
            )));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if seen <= 2 {
                // Stray blank line between messages.
                seen = 0;
                continue;
            }
            return Ok(match length {
                Some(n) => Header::Length(n),
                None => Header::Bad("a message without a Content-Length header".into()),
            });
        }
        if let Some((name, value)) = text.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            match value.trim().parse::<usize>() {
                Ok(n) => length = Some(n),
                Err(_) => {
                    return Ok(Header::Bad(format!(
                        "a bad Content-Length {:?}",
                        value.trim()
                    )));
                }
            }
        }
    }
}

/// The id of a request, found in the start of a body that cannot be parsed whole.
fn sniff_id(start: &[u8]) -> Value {
    let text = String::from_utf8_lossy(start);
    let Some(at) = text.find("\"id\"") else {
        return Value::Null;
    };
    let rest = text[at + 4..].trim_start();
    let Some(rest) = rest.strip_prefix(':') else {
        return Value::Null;
    };
    let rest = rest.trim_start();
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    serde_json::from_str::<Value>(rest[..end].trim())
        .ok()
        .filter(|v| v.is_number() || v.is_string())
        .unwrap_or(Value::Null)
}

/// What to do with one body.
fn check(body: &[u8]) -> Result<(), Vec<u8>> {
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return Err(error_frame(
                Value::Null,
                -32700,
                format!("parse error: the message is not JSON ({e})"),
            ));
        }
    };
    if value.is_array() {
        return Err(error_frame(
            Value::Null,
            -32600,
            "invalid request: batches are not part of LSP; send one message at a time".into(),
        ));
    }
    let id = value.get("id").cloned().unwrap_or(Value::Null);
    let valid = if value.get("method").is_some() {
        serde_json::from_value::<Request>(value).is_ok()
    } else if value.get("result").is_some() || value.get("error").is_some() {
        serde_json::from_value::<Response>(value).is_ok()
    } else {
        false
    };
    if valid {
        return Ok(());
    }
    Err(error_frame(
        id,
        -32600,
        "invalid request: not a JSON-RPC 2.0 request, notification or response".into(),
    ))
}

/// Passes well-formed messages from `read` to the session; answers the rest on `out`.
pub async fn filter<R, W>(read: R, mut to_session: W, out: mpsc::UnboundedSender<Vec<u8>>)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut read = BufReader::new(read);
    loop {
        let length = match read_header(&mut read).await {
            Ok(Header::Length(n)) => n,
            Ok(Header::End) | Err(_) => break,
            Ok(Header::Bad(why)) => {
                warn!("LSP input: {why}");
                let _ = out.send(error_frame(
                    Value::Null,
                    -32700,
                    format!("parse error: {why}"),
                ));
                continue;
            }
        };
        if length > MAX_MESSAGE_BYTES {
            let mut start = Vec::with_capacity(ID_SNIFF_BYTES);
            let kept = (&mut read)
                .take(ID_SNIFF_BYTES.min(length) as u64)
                .read_to_end(&mut start)
                .await;
            let skipped = tokio::io::copy(
                &mut (&mut read).take((length - start.len()) as u64),
                &mut tokio::io::sink(),
            )
            .await;
            if kept.is_err() || skipped.is_err() {
                break;
            }
            warn!("LSP input: discarded a message of {length} bytes");
            let _ = out.send(error_frame(
                sniff_id(&start),
                -32600,
                format!(
                    "invalid request: a message of {length} bytes is over the limit of {MAX_MESSAGE_BYTES}; \
                     it was discarded (for a file this large, SES has no lenses)"
                ),
            ));
            continue;
        }
        let mut body = vec![0; length];
        if read.read_exact(&mut body).await.is_err() {
            break;
        }
        match check(&body) {
            Ok(()) => {
                if to_session.write_all(&frame(&body)).await.is_err() {
                    break;
                }
            }
            Err(answer) => {
                let _ = out.send(answer);
            }
        }
    }
    // End of input: the session sees it too and ends.
    let _ = to_session.shutdown().await;
}

/// Reads whole messages the session writes and queues them on `out`.
pub async fn frames<R: AsyncRead + Unpin>(from_session: R, out: mpsc::UnboundedSender<Vec<u8>>) {
    let mut read = BufReader::new(from_session);
    loop {
        let length = match read_header(&mut read).await {
            Ok(Header::Length(n)) => n,
            _ => break,
        };
        let mut body = vec![0; length];
        if read.read_exact(&mut body).await.is_err() || out.send(frame(&body)).is_err() {
            break;
        }
    }
}

/// Writes queued messages, each whole, until every sender is gone.
pub async fn write_all<W: AsyncWrite + Unpin>(
    mut write: W,
    mut queue: mpsc::UnboundedReceiver<Vec<u8>>,
) {
    while let Some(message) = queue.recv().await {
        if write.write_all(&message).await.is_err() || write.flush().await.is_err() {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_found_at_the_start_of_a_body() {
        assert_eq!(
            sniff_id(br#"{"jsonrpc":"2.0","id": 17, "method":"x","params":{"#),
            json!(17)
        );
        assert_eq!(sniff_id(br#"{"id":"a-1","method":"x""#), json!("a-1"));
        assert_eq!(sniff_id(br#"{"method":"didOpen","params":{"#), Value::Null);
    }

    #[test]
    fn bodies_are_checked_for_json_rpc() {
        assert!(check(br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#).is_ok());
        assert!(check(br#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#).is_ok());
        assert!(check(br#"{"jsonrpc":"2.0","id":1,"result":null}"#).is_ok());
        let text = |r: Result<(), Vec<u8>>| String::from_utf8(r.unwrap_err()).unwrap();
        assert!(text(check(b"{\"jsonrpc\": ")).contains("-32700"));
        assert!(text(check(b"[]")).contains("batches"));
        let no_method = text(check(br#"{"jsonrpc":"2.0","id":9}"#));
        assert!(no_method.contains("\"id\":9") && no_method.contains("-32600"));
    }

    #[tokio::test]
    async fn bad_and_oversized_messages_are_answered_and_the_rest_pass() {
        let mut input = Vec::new();
        input.extend(frame(br#"{"jsonrpc":"2.0","id":1,"method":"a"}"#));
        input.extend(b"Content-Type: x\r\n\r\n");
        input.extend(frame(b"not json"));
        let mut big = br#"{"jsonrpc":"2.0","id":2,"method":"b","params":""#.to_vec();
        big.resize(MAX_MESSAGE_BYTES + 10, b'x');
        input.extend(frame(&big));
        input.extend(frame(br#"{"jsonrpc":"2.0","id":3,"method":"c"}"#));
        let (to_session, mut session_side) = tokio::io::duplex(1 << 20);
        let (tx, mut rx) = mpsc::unbounded_channel();
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            session_side.read_to_end(&mut got).await.unwrap();
            got
        });
        filter(&input[..], to_session, tx).await;
        let passed = String::from_utf8(reader.await.unwrap()).unwrap();
        assert!(passed.contains("\"id\":1") && passed.contains("\"id\":3"));
        assert!(!passed.contains("not json") && !passed.contains("\"id\":2"));
        let mut answers = Vec::new();
        while let Ok(a) = rx.try_recv() {
            answers.push(String::from_utf8(a).unwrap());
        }
        assert_eq!(answers.len(), 3, "{answers:?}");
        assert!(answers[0].contains("without a Content-Length"));
        assert!(answers[1].contains("-32700"));
        assert!(answers[2].contains("\"id\":2") && answers[2].contains("over the limit"));
    }
}
