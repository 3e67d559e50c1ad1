//! `workspace/executeCommand`: every SES action an editor can run. Each command takes one
//! argument object. `ses.showAttribution` is answered here from the document's
//! attribution; the others are the daemon's own methods, reached in process, with the
//! repository given as `repo` or `root` (a path or `file://` URI of anything inside it)
//! or, failing both, the first workspace folder.
//!
//! Invariant: a command the server lists is implemented by the daemon it runs in; an
//! unknown command or bad argument is an InvalidParams error that names the fix.

use std::sync::Arc;

use serde_json::{Map, Value, json};
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::{ExecuteCommandParams, MessageType, Uri};

use super::{REQUEST_FAILED, Session, invalid_params, present};
use crate::rpc;

/// Commands that forward to a daemon method, and whether it is about a repository.
const FORWARDED: &[(&str, &str, bool)] = &[
    ("ses.attribute", "attribution.attribute", true),
    ("ses.shapley", "shapley.solve", false),
    ("ses.revenue.record", "revenue.record", true),
    ("ses.revenue.split", "revenue.split", true),
    ("ses.capture", "context.capture", true),
    ("ses.switch", "context.switch", true),
    ("ses.contexts", "context.list", true),
    ("ses.recover", "context.recover", true),
    ("ses.context.show", "context.show", true),
    ("ses.context.delete", "context.delete", true),
];

/// Every command the server advertises.
pub const COMMANDS: &[&str] = &[
    "ses.showAttribution",
    "ses.attribute",
    "ses.shapley",
    "ses.revenue.record",
    "ses.revenue.split",
    "ses.capture",
    "ses.switch",
    "ses.contexts",
    "ses.recover",
    "ses.context.show",
    "ses.context.delete",
];

fn one_object(params: &ExecuteCommandParams) -> Result<Map<String, Value>> {
    match params.arguments.as_slice() {
        [] => Ok(Map::new()),
        [Value::Object(m)] => Ok(m.clone()),
        _ => Err(invalid_params(format!(
            "{} takes one argument, an object (e.g. {{\"root\": \"file:///path/to/repo\"}}); got {}",
            params.command,
            Value::Array(params.arguments.clone())
        ))),
    }
}

fn from_rpc(e: rpc::RpcError) -> Error {
    let code = match e.code {
        rpc::INVALID_PARAMS => ErrorCode::InvalidParams,
        rpc::METHOD_NOT_FOUND => ErrorCode::MethodNotFound,
        rpc::INTERNAL_ERROR => ErrorCode::InternalError,
        other => ErrorCode::ServerError(other),
    };
    Error {
        code,
        message: e.message.into(),
        data: None,
    }
}

pub async fn execute(
    session: &Arc<Session>,
    params: ExecuteCommandParams,
) -> Result<Option<Value>> {
    let mut args = one_object(&params)?;
    if params.command == "ses.showAttribution" {
        return show_attribution(session, &args).await.map(Some);
    }
    let Some(&(_, method, about_repo)) = FORWARDED.iter().find(|(c, _, _)| *c == params.command)
    else {
        return Err(invalid_params(format!(
            "unknown command {:?}: this server (ses {}) runs {}",
            params.command,
            env!("CARGO_PKG_VERSION"),
            COMMANDS.join(", ")
        )));
    };
    if about_repo {
        let repo = session.repository_of(&args)?.ok_or_else(|| {
            invalid_params(format!(
                "{} needs a repository: pass {{\"root\": \"file:///path/in/repo\"}} or open a workspace folder",
                params.command
            ))
        })?;
        args.remove("root");
        args.insert("repo".into(), json!(repo));
    }
    let result = crate::daemon::call(&session.shared, method, Value::Object(args))
        .await
        .map_err(from_rpc)?;
    if params.command == "ses.switch" && session.support().show_document {
        show_documents(session, &result).await;
    }
    Ok(Some(result))
}

/// After a switch: `window/showDocument` for each document of the target context, in the
/// daemon's order (most relevant first, the focused one last, and only it takes focus).
async fn show_documents(session: &Arc<Session>, result: &Value) {
    use tower_lsp_server::ls_types::{Position, Range, ShowDocumentParams};
    let Some(docs) = result
        .pointer("/editor/documents")
        .and_then(Value::as_array)
    else {
        return;
    };
    let position = |v: &Value| -> Option<Position> {
        Some(Position {
            line: u32::try_from(v.get("line")?.as_u64()?).ok()?,
            character: u32::try_from(v.get("character")?.as_u64()?).ok()?,
        })
    };
    let range = |v: &Value| -> Option<Range> {
        Some(Range {
            start: position(v.get("start")?)?,
            end: position(v.get("end")?)?,
        })
    };
    for (i, doc) in docs.iter().enumerate() {
        let Some(uri) = doc
            .get("uri")
            .and_then(Value::as_str)
            .and_then(|u| u.parse::<Uri>().ok())
        else {
            continue;
        };
        let selection = doc
            .get("selections")
            .and_then(|s| s.get(0))
            .and_then(range)
            .or_else(|| {
                let p = position(doc.get("cursor")?)?;
                Some(Range { start: p, end: p })
            });
        let shown = session
            .client
            .show_document(ShowDocumentParams {
                uri: uri.clone(),
                external: None,
                take_focus: Some(i + 1 == docs.len()),
                selection,
            })
            .await;
        if let Err(e) = shown {
            tracing::debug!("window/showDocument {} failed: {e}", uri.as_str());
        }
    }
}

/// The full split behind a lens: `{"uri", "line", "file"?}`. Shows a summary as a
/// message and returns the detail for the client to render as it likes.
async fn show_attribution(session: &Arc<Session>, args: &Map<String, Value>) -> Result<Value> {
    let uri_text = args
        .get("uri")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid_params("ses.showAttribution needs {\"uri\": ..., \"line\": N}"))?;
    let uri: Uri = uri_text
        .parse()
        .map_err(|e| invalid_params(format!("{uri_text:?} is not a valid URI: {e}")))?;
    let line = match args.get("line") {
        None => 0,
        Some(v) => v
            .as_u64()
            .and_then(|l| u32::try_from(l).ok())
            .ok_or_else(|| invalid_params("\"line\" must be a 0-based line number"))?,
    };
    let file = args.get("file").and_then(Value::as_bool).unwrap_or(false);
    let an = session.analysis(&uri).await?.ok_or_else(|| Error {
        code: ErrorCode::ServerError(REQUEST_FAILED),
        message: format!("{uri_text} is not in a git repository: SES has nothing to show").into(),
        data: None,
    })?;
    let (detail, text) = present::detail(&an, line, file);
    session.client.show_message(MessageType::INFO, text).await;
    Ok(detail)
}
