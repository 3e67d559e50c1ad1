//! The daemon's wire protocol: JSON-RPC 2.0, one message per line (newline-delimited JSON)
//! over the owner-only Unix socket.
//!
//! Newline framing keeps the protocol usable from a shell (`socat`, `nc -U`) and lets a
//! reader bound each message before parsing it. JSON never contains a raw newline, since
//! serde_json escapes them inside strings, so a line is always exactly one message.
//!
//! Invariants: a message longer than [`MAX_MESSAGE_BYTES`] is discarded up to its newline
//! and answered with an error, never buffered whole; every request with an id gets exactly
//! one response; a malformed message never closes the connection.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// The largest message either side accepts. Bulk data (store blobs) moves by path or in
/// chunks, never as one message, so 8 MiB leaves a wide margin.
pub const MAX_MESSAGE_BYTES: usize = 8 * 1024 * 1024;

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const INTERNAL_ERROR: i64 = -32603;
/// The request was well-formed but the operation failed (the message says why).
pub const OPERATION_FAILED: i64 = -32000;
/// The peer is not the daemon's owner.
pub const UNAUTHORIZED: i64 = -32001;
/// The thing the request names does not exist.
pub const NOT_FOUND: i64 = -32002;
/// Writing to the client's output failed (e.g. a closed pipe).
pub const OUTPUT_FAILED: i64 = -32003;

/// A JSON-RPC error object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
            data: None,
        }
    }
}

/// A request or notification as it arrives, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// `None` for a notification, which gets no response.
    pub id: Option<Value>,
    pub method: String,
    pub params: Value,
}

/// Turns one line into a request, or into the error response the sender should get
/// (with the id when one could be read, `null` otherwise, as JSON-RPC 2.0 §5 says).
pub fn parse_request(line: &[u8]) -> Result<Request, (Value, RpcError)> {
    let value: Value = serde_json::from_slice(line).map_err(|e| {
        (
            Value::Null,
            RpcError::new(PARSE_ERROR, format!("parse error: {e}")),
        )
    })?;
    let Value::Object(mut obj) = value else {
        let what = if value.is_array() {
            "batches are not supported; send one request per line"
        } else {
            "a request must be a JSON object"
        };
        return Err((Value::Null, RpcError::new(INVALID_REQUEST, what)));
    };
    let id = obj.remove("id");
    let reply_id = id.clone().unwrap_or(Value::Null);
    let invalid = |msg: &str| (reply_id.clone(), RpcError::new(INVALID_REQUEST, msg));
    if let Some(id) = &id
        && !(id.is_string() || id.is_number() || id.is_null())
    {
        return Err((
            Value::Null,
            RpcError::new(INVALID_REQUEST, "id must be a string, a number or null"),
        ));
    }
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(invalid(r#"missing "jsonrpc": "2.0""#));
    }
    let method = match obj.remove("method") {
        Some(Value::String(m)) => m,
        _ => return Err(invalid(r#""method" must be a string"#)),
    };
    let params = obj.remove("params").unwrap_or(Value::Null);
    if !(params.is_object() || params.is_array() || params.is_null()) {
        return Err(invalid(r#""params" must be an object or an array"#));
    }
    Ok(Request { id, method, params })
}

/// Serialises a response as one line, newline included.
/// A method's params as `T`; a mismatch is an InvalidParams error that says what is wrong.
pub fn parse_params<T: for<'de> Deserialize<'de>>(params: Value) -> Result<T, RpcError> {
    serde_json::from_value(params)
        .map_err(|e| RpcError::new(INVALID_PARAMS, format!("invalid params: {e}")))
}

pub fn response_line(id: Value, result: Result<Value, RpcError>) -> Vec<u8> {
    let msg = match result {
        Ok(result) => serde_json::json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err(error) => serde_json::json!({"jsonrpc": "2.0", "id": id, "error": error}),
    };
    let mut line =
        serde_json::to_vec(&msg).expect("invariant: a serde_json::Value always serialises");
    line.push(b'\n');
    line
}

/// Serialises a request as one line, newline included.
pub fn request_line(id: u64, method: &str, params: &Value) -> Vec<u8> {
    let msg = serde_json::json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
    let mut line =
        serde_json::to_vec(&msg).expect("invariant: a serde_json::Value always serialises");
    line.push(b'\n');
    line
}

/// One framed read.
#[derive(Debug, PartialEq)]
pub enum Frame {
    /// A line without its newline.
    Message(Vec<u8>),
    /// A line longer than the limit; its bytes were discarded.
    TooLong,
    /// The peer closed the connection (a partial last line is dropped).
    Eof,
}

/// Reads the next newline-terminated message, holding at most `max` bytes of it in memory.
pub async fn read_frame<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    max: usize,
) -> std::io::Result<Frame> {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let buf = reader.fill_buf().await?;
        if buf.is_empty() {
            return Ok(Frame::Eof);
        }
        let (chunk, done) = match find_newline(buf) {
            Some(i) => (&buf[..i], Some(i + 1)),
            None => (buf, None),
        };
        if !too_long {
            if line.len() + chunk.len() > max {
                too_long = true;
                line = Vec::new();
            } else {
                line.extend_from_slice(chunk);
            }
        }
        let used = done.unwrap_or(chunk.len());
        reader.consume(used);
        if done.is_some() {
            return Ok(if too_long {
                Frame::TooLong
            } else {
                Frame::Message(line)
            });
        }
    }
}

fn find_newline(buf: &[u8]) -> Option<usize> {
    buf.iter().position(|&b| b == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_requests_and_notifications() {
        let r =
            parse_request(br#"{"jsonrpc":"2.0","id":7,"method":"m","params":{"a":1}}"#).unwrap();
        assert_eq!(
            r,
            Request {
                id: Some(json!(7)),
                method: "m".into(),
                params: json!({"a":1})
            }
        );
        let n = parse_request(br#"{"jsonrpc":"2.0","method":"n"}"#).unwrap();
        assert_eq!(n.id, None);
    }

    #[test]
    fn malformed_input_gets_the_right_codes() {
        let code = |s: &[u8]| parse_request(s).unwrap_err().1.code;
        assert_eq!(code(b"{not json"), PARSE_ERROR);
        assert_eq!(code(b"[1,2]"), INVALID_REQUEST);
        assert_eq!(code(b"42"), INVALID_REQUEST);
        assert_eq!(code(br#"{"id":1,"method":"m"}"#), INVALID_REQUEST);
        assert_eq!(
            code(br#"{"jsonrpc":"2.0","id":1,"method":3}"#),
            INVALID_REQUEST
        );
        assert_eq!(
            code(br#"{"jsonrpc":"2.0","id":{},"method":"m"}"#),
            INVALID_REQUEST
        );
        assert_eq!(
            code(br#"{"jsonrpc":"2.0","id":1,"method":"m","params":5}"#),
            INVALID_REQUEST
        );
        // The id is echoed when it could be read.
        let (id, _) = parse_request(br#"{"jsonrpc":"1.0","id":"x","method":"m"}"#).unwrap_err();
        assert_eq!(id, json!("x"));
    }

    #[tokio::test]
    async fn frames_split_lines_and_discard_oversized_ones() {
        let mut input = Vec::new();
        input.extend_from_slice(b"short\n");
        input.extend(std::iter::repeat_n(b'x', 100));
        input.extend_from_slice(b"\nafter\npartial");
        let mut reader = tokio::io::BufReader::with_capacity(16, &input[..]);
        assert_eq!(
            read_frame(&mut reader, 50).await.unwrap(),
            Frame::Message(b"short".to_vec())
        );
        assert_eq!(read_frame(&mut reader, 50).await.unwrap(), Frame::TooLong);
        assert_eq!(
            read_frame(&mut reader, 50).await.unwrap(),
            Frame::Message(b"after".to_vec())
        );
        assert_eq!(read_frame(&mut reader, 50).await.unwrap(), Frame::Eof);
    }

    #[test]
    fn lines_are_single_lines() {
        let line = response_line(json!(1), Ok(json!({"s": "a\nb"})));
        assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
        assert!(line.ends_with(b"\n"));
    }
}
