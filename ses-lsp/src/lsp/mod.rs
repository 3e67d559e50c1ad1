//! The language server. Each `ses lsp` bridge gets one LSP session, run here inside the
//! daemon on the bridge's connection, so every editor window shares the daemon's state:
//! one attribution index per repository, whichever window asks.
//!
//! Scheduling (as ruff's server does it): document notifications change state in order,
//! synchronously — a handler takes the lock and edits the text before its first `.await`,
//! and tower-lsp-server starts handlers in arrival order. Attribution runs in a worker
//! task per document on a snapshot of the text, tagged with (version, generation); a
//! result whose tag is no longer the document's is dropped and the worker goes again.
//! Requests that need the attribution wait for the result with the current tag.
//!
//! Invariants: this module translates between LSP and `ses-core`; a panic in a handler
//! becomes an internal-error response (or a log line, for a notification), never a dead
//! session; a file outside any git repository gets no lenses and no errors.

pub(crate) mod analysis;
mod commands;
mod present;
mod text;
mod wire;

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::FutureExt;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;
use tokio_util::sync::{CancellationToken, DropGuard};
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::{
    CodeLens, CodeLensOptions, CodeLensParams, Command, DidChangeTextDocumentParams,
    DidChangeWorkspaceFoldersParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    DidSaveTextDocumentParams, ExecuteCommandOptions, ExecuteCommandParams, Hover, HoverContents,
    HoverParams, HoverProviderCapability, InitializeParams, InitializeResult, InitializedParams,
    MarkupContent, MarkupKind, MessageType, NumberOrString, Position, Range, ServerCapabilities,
    ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions, Uri,
    WorkDoneProgressOptions, WorkspaceFoldersServerCapabilities, WorkspaceServerCapabilities,
};
use tower_lsp_server::{Client, LanguageServer, LspService, Server};
use tracing::{debug, info, warn};

use self::analysis::{Analysis, NoAnalysis};
use crate::daemon::Shared;

/// LSP's RequestFailed: the request was valid, the work failed (the message says why).
pub(crate) const REQUEST_FAILED: i64 = -32803;

/// Quiet time after an edit before the document is attributed again: typing does not
/// queue one attribution per keystroke.
const EDIT_DEBOUNCE: Duration = Duration::from_millis(40);
/// Quiet time after a repository changes before sessions re-attribute and refresh: a
/// commit touches several files under `.git` in a burst.
const REPO_DEBOUNCE: Duration = Duration::from_millis(150);
/// A request waits this long for a document's attribution before answering with an error
/// the client may retry; the first attribution of a large history can take seconds.
const ANALYSIS_WAIT: Duration = Duration::from_secs(120);
/// Attribution that takes longer than this gets a progress report, where the client allows.
const PROGRESS_AFTER: Duration = Duration::from_millis(300);

/// A document's latest attribution outcome, tagged with what it was computed for.
enum Outcome {
    Ready(Arc<Analysis>),
    Outside,
    Failed(String),
}

struct Doc {
    text: String,
    version: i32,
    /// Bumped when the repository changed under the document (a commit, a checkout, a
    /// revenue record), so an attribution of the same text must be done again.
    generation: u64,
    path: Option<PathBuf>,
    outcome: Option<((i32, u64), Outcome)>,
    /// A worker is attributing the document or about to.
    scheduled: bool,
    /// Edited since the context's interest model last heard of it.
    edited: bool,
    /// Ticks each time a worker stores an outcome.
    done: watch::Sender<u64>,
    /// Cuts a worker's debounce short: a request is waiting for this document.
    wanted: Arc<tokio::sync::Notify>,
}

impl Doc {
    fn key(&self) -> (i32, u64) {
        (self.version, self.generation)
    }
}

#[derive(Default, Clone, Copy)]
struct ClientSupport {
    refresh: bool,
    progress: bool,
    show_document: bool,
}

/// One editor session's state.
struct Session {
    client: Client,
    shared: Arc<Shared>,
    docs: Mutex<HashMap<Uri, Doc>>,
    folders: Mutex<Vec<PathBuf>>,
    support: Mutex<ClientSupport>,
    /// Ends the session's background tasks when the session ends.
    stop: CancellationToken,
}

struct Backend {
    session: Arc<Session>,
    _stop: DropGuard,
}

/// Runs `work`, turning a panic into an internal error so the session lives on.
async fn guarded<T>(what: &str, work: impl Future<Output = Result<T>>) -> Result<T> {
    match AssertUnwindSafe(work).catch_unwind().await {
        Ok(r) => r,
        Err(panic) => {
            let detail = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            warn!("panic while answering {what}: {detail}");
            Err(Error {
                code: ErrorCode::InternalError,
                message: format!("internal error while answering {what}: {detail} (see the daemon log; please report it)").into(),
                data: None,
            })
        }
    }
}

pub(crate) fn invalid_params(message: impl Into<String>) -> Error {
    Error {
        code: ErrorCode::InvalidParams,
        message: message.into().into(),
        data: None,
    }
}

fn file_path(uri: &Uri) -> Option<PathBuf> {
    uri.to_file_path().map(|p| p.into_owned())
}

impl Session {
    fn support(&self) -> ClientSupport {
        *self.support.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a worker for `uri` unless one is already on it; it picks up the newest text.
    fn schedule(self: &Arc<Self>, uri: &Uri, doc: &mut Doc, delay: Duration) {
        if doc.scheduled {
            return;
        }
        doc.scheduled = true;
        let session = self.clone();
        let uri = uri.clone();
        tokio::spawn(async move {
            let stop = session.stop.clone();
            tokio::select! {
                () = stop.cancelled() => {}
                () = session.clone().attribute(uri, delay) => {}
            }
        });
    }

    async fn attribute(self: Arc<Self>, uri: Uri, mut delay: Duration) {
        let wanted = {
            let docs = self.docs.lock().unwrap_or_else(|p| p.into_inner());
            match docs.get(&uri) {
                Some(doc) => doc.wanted.clone(),
                None => return,
            }
        };
        loop {
            if !delay.is_zero() {
                // The debounce is for typing; a request waiting for the lenses ends it.
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = wanted.notified() => {}
                }
            }
            let (path, text, key, edited) = {
                let mut docs = self.docs.lock().unwrap_or_else(|p| p.into_inner());
                let Some(doc) = docs.get_mut(&uri) else {
                    return;
                };
                (
                    doc.path.clone(),
                    doc.text.clone(),
                    doc.key(),
                    std::mem::take(&mut doc.edited),
                )
            };
            if edited && let Some(path) = path.clone() {
                // Off the attribution path: a switch holding the repository must not
                // delay lenses.
                let session = self.clone();
                tokio::spawn(async move { session.edited(&path).await });
            }
            let outcome = match path {
                None => Outcome::Outside,
                Some(path) => self.compute(path, text, key).await,
            };
            let mut docs = self.docs.lock().unwrap_or_else(|p| p.into_inner());
            let Some(doc) = docs.get_mut(&uri) else {
                return;
            };
            if doc.key() == key {
                doc.outcome = Some((key, outcome));
                doc.scheduled = false;
                doc.done.send_modify(|n| *n += 1);
                return;
            }
            // Edited (or the repository moved) while we worked: this result is stale.
            delay = EDIT_DEBOUNCE;
        }
    }

    /// Tells the context's interest model a file was edited: once per debounced burst of
    /// edits, not per keystroke. A file outside any repository is no one's interest.
    async fn edited(&self, path: &std::path::Path) {
        let params = json!({"repo": path, "path": path, "kind": "edit"});
        if let Err(e) = crate::daemon::call(&self.shared, "context.interest", params).await {
            debug!("interest in {} not recorded: {}", path.display(), e.message);
        }
    }

    /// Attributes one snapshot off the runtime, reporting progress if it takes long.
    async fn compute(&self, path: PathBuf, text: String, key: (i32, u64)) -> Outcome {
        let shared = self.shared.clone();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<(usize, usize)>();
        let work = tokio::task::spawn_blocking(move || {
            let mut progress = move |done, total| {
                let _ = tx.send((done, total));
            };
            analysis::compute(
                &shared.repos,
                &shared.store,
                &shared.earnings,
                &path,
                &text,
                key,
                &mut progress,
            )
        });
        let reporter = self.report_progress(rx);
        let (result, ()) = tokio::join!(work, reporter);
        match result {
            Ok(Ok(a)) => Outcome::Ready(Arc::new(a)),
            Ok(Err(NoAnalysis::Outside)) => Outcome::Outside,
            Ok(Err(NoAnalysis::Failed(e))) => {
                debug!("attribution failed: {e}");
                Outcome::Failed(e)
            }
            Err(e) => Outcome::Failed(format!(
                "internal error: attribution failed: {e} (see the daemon log)"
            )),
        }
    }

    /// Turns (done, total) ticks of an index build into `$/progress`, once the work has
    /// run for [`PROGRESS_AFTER`] and only for clients that let servers create progress.
    async fn report_progress(&self, mut rx: tokio::sync::mpsc::UnboundedReceiver<(usize, usize)>) {
        if !self.support().progress {
            while rx.recv().await.is_some() {}
            return;
        }
        let started = tokio::time::Instant::now();
        let mut ongoing = None;
        while let Some((done, total)) = rx.recv().await {
            if total == 0 || started.elapsed() < PROGRESS_AFTER {
                continue;
            }
            let pct = (done * 100 / total) as u32;
            if ongoing.is_none() {
                let token =
                    NumberOrString::String(format!("ses/index/{}", self.shared.next_token()));
                if self
                    .client
                    .create_work_done_progress(token.clone())
                    .await
                    .is_err()
                {
                    while rx.recv().await.is_some() {}
                    return;
                }
                ongoing = Some(
                    self.client
                        .progress(token, "SES: indexing history")
                        .with_percentage(pct)
                        .begin()
                        .await,
                );
            }
            if let Some(p) = &ongoing {
                p.report_with_message(format!("{done}/{total} commits"), pct)
                    .await;
            }
        }
        if let Some(p) = ongoing {
            p.finish().await;
        }
    }

    /// The attribution of the open document `uri` at its current version.
    async fn analysis(&self, uri: &Uri) -> Result<Option<Arc<Analysis>>> {
        let deadline = tokio::time::Instant::now() + ANALYSIS_WAIT;
        loop {
            let mut done = {
                let docs = self.docs.lock().unwrap_or_else(|p| p.into_inner());
                let Some(doc) = docs.get(uri) else {
                    return Err(invalid_params(format!(
                        "{} is not open: send textDocument/didOpen first",
                        uri.as_str()
                    )));
                };
                match &doc.outcome {
                    Some((key, outcome)) if *key == doc.key() => {
                        return match outcome {
                            Outcome::Ready(a) => Ok(Some(a.clone())),
                            Outcome::Outside => Ok(None),
                            Outcome::Failed(e) => Err(Error {
                                code: ErrorCode::ServerError(REQUEST_FAILED),
                                message: e.clone().into(),
                                data: None,
                            }),
                        };
                    }
                    _ => {
                        doc.wanted.notify_one();
                        doc.done.subscribe()
                    }
                }
            };
            if tokio::time::timeout_at(deadline, done.changed())
                .await
                .is_err()
            {
                return Err(Error {
                    code: ErrorCode::ServerError(REQUEST_FAILED),
                    message: format!(
                        "attribution of {} is still running: try again shortly",
                        uri.as_str()
                    )
                    .into(),
                    data: None,
                });
            }
        }
    }

    /// Re-attributes every open document of the repository at `top`, then asks the
    /// client to fetch lenses again.
    async fn repository_changed(self: &Arc<Self>, tops: &[PathBuf]) {
        let mut any = false;
        {
            let mut docs = self.docs.lock().unwrap_or_else(|p| p.into_inner());
            for (uri, doc) in docs.iter_mut() {
                let affected = match &doc.outcome {
                    Some((_, Outcome::Ready(a))) => tops.contains(&a.top),
                    // A failure may have been the repository's state (say, no commits).
                    Some((_, Outcome::Failed(_))) => true,
                    _ => doc
                        .path
                        .as_deref()
                        .is_some_and(|p| tops.iter().any(|t| p.starts_with(t))),
                };
                if affected {
                    doc.generation += 1;
                    any = true;
                    let uri = uri.clone();
                    self.schedule(&uri, doc, Duration::ZERO);
                }
            }
        }
        if any
            && self.support().refresh
            && let Err(e) = self.client.code_lens_refresh().await
        {
            debug!("workspace/codeLens/refresh failed: {e}");
        }
    }

    /// Listens for repository changes from the daemon's watchers until the session ends.
    async fn follow_repositories(self: Arc<Self>) {
        let mut events = self.shared.watchers.subscribe();
        loop {
            let first = tokio::select! {
                () = self.stop.cancelled() => return,
                e = events.recv() => e,
            };
            let mut tops = Vec::new();
            match first {
                Ok(top) => tops.push(top),
                // Missed some: treat every repository as changed.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
            tokio::time::sleep(REPO_DEBOUNCE).await;
            while let Ok(top) = events.try_recv() {
                tops.push(top);
            }
            if tops.is_empty() {
                tops = self.open_repositories();
            }
            tops.sort();
            tops.dedup();
            self.repository_changed(&tops).await;
        }
    }

    fn open_repositories(&self) -> Vec<PathBuf> {
        let docs = self.docs.lock().unwrap_or_else(|p| p.into_inner());
        docs.values()
            .filter_map(|d| match &d.outcome {
                Some((_, Outcome::Ready(a))) => Some(a.top.clone()),
                _ => None,
            })
            .collect()
    }

    /// The repository a command is about: `repo` or `root` (a path or `file://` URI),
    /// else the first workspace folder.
    fn repository_of(&self, args: &serde_json::Map<String, Value>) -> Result<Option<PathBuf>> {
        if let Some(repo) = args.get("repo") {
            return Ok(Some(PathBuf::from(
                repo.as_str()
                    .ok_or_else(|| invalid_params("\"repo\" must be a path"))?,
            )));
        }
        if let Some(root) = args.get("root") {
            let root = root
                .as_str()
                .ok_or_else(|| invalid_params("\"root\" must be a path or a file:// URI"))?;
            return Ok(Some(path_or_uri(root)?));
        }
        Ok(self
            .folders
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .first()
            .cloned())
    }
}

/// A path, or the path of a `file://` URI.
pub(crate) fn path_or_uri(text: &str) -> Result<PathBuf> {
    if text.starts_with("file:") {
        let uri: Uri = text
            .parse()
            .map_err(|e| invalid_params(format!("{text:?} is not a valid URI: {e}")))?;
        return file_path(&uri).ok_or_else(|| {
            invalid_params(format!("{text:?} is not a file:// URI of a local path"))
        });
    }
    if text.contains("://") {
        return Err(invalid_params(format!(
            "{text:?} is not a local file: SES works on files in git repositories on disk"
        )));
    }
    Ok(PathBuf::from(text))
}

fn lens_data(uri: &Uri, an: &Analysis, line: u32, file: bool) -> Value {
    json!({
        "uri": uri.as_str(),
        "version": an.version,
        "generation": an.generation,
        "line": line,
        "file": file,
    })
}

fn lens_command(uri: &Uri, title: String, line: u32, file: bool) -> Command {
    Command {
        title,
        command: "ses.showAttribution".into(),
        arguments: Some(vec![
            json!({"uri": uri.as_str(), "line": line, "file": file}),
        ]),
    }
}

fn at_line(line: u32) -> Range {
    let p = Position { line, character: 0 };
    Range { start: p, end: p }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let s = &self.session;
        let client = params
            .client_info
            .as_ref()
            .map(|c| format!("{} {}", c.name, c.version.clone().unwrap_or_default()))
            .unwrap_or_else(|| "an unnamed client".into());
        info!("LSP session initialised by {}", client.trim());
        let caps = &params.capabilities;
        *s.support.lock().unwrap_or_else(|p| p.into_inner()) = ClientSupport {
            refresh: caps
                .workspace
                .as_ref()
                .and_then(|w| w.code_lens.as_ref())
                .and_then(|c| c.refresh_support)
                .unwrap_or(false),
            progress: caps
                .window
                .as_ref()
                .and_then(|w| w.work_done_progress)
                .unwrap_or(false),
            show_document: caps
                .window
                .as_ref()
                .and_then(|w| w.show_document.as_ref())
                .is_some_and(|d| d.support),
        };
        let mut folders: Vec<PathBuf> = params
            .workspace_folders
            .iter()
            .flatten()
            .filter_map(|f| file_path(&f.uri))
            .collect();
        #[allow(deprecated)] // Older clients send only the root.
        if folders.is_empty()
            && let Some(root) = params.root_uri.as_ref().and_then(file_path)
        {
            folders.push(root);
        }
        *s.folders.lock().unwrap_or_else(|p| p.into_inner()) = folders;
        Ok(InitializeResult {
            capabilities: ServerCapabilities {
                text_document_sync: Some(TextDocumentSyncCapability::Options(
                    TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(TextDocumentSyncKind::INCREMENTAL),
                        ..Default::default()
                    },
                )),
                code_lens_provider: Some(CodeLensOptions {
                    resolve_provider: Some(true),
                }),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                execute_command_provider: Some(ExecuteCommandOptions {
                    commands: commands::COMMANDS.iter().map(|c| c.to_string()).collect(),
                    work_done_progress_options: WorkDoneProgressOptions::default(),
                }),
                workspace: Some(WorkspaceServerCapabilities {
                    workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                        supported: Some(true),
                        change_notifications: Some(tower_lsp_server::ls_types::OneOf::Left(true)),
                    }),
                    file_operations: None,
                }),
                ..Default::default()
            },
            server_info: Some(ServerInfo {
                name: "ses".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            ..Default::default()
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        let s = self.session.clone();
        tokio::spawn(s.clone().follow_repositories());
        s.client
            .log_message(
                MessageType::INFO,
                format!(
                    "SES daemon (pid {}, {})",
                    std::process::id(),
                    s.shared.identity.did()
                ),
            )
            .await;
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let s = &self.session;
        let d = params.text_document;
        let path = file_path(&d.uri);
        if let Some(p) = &path {
            s.shared.watchers.watch(p);
        }
        let mut docs = s.docs.lock().unwrap_or_else(|p| p.into_inner());
        let doc = docs.entry(d.uri.clone()).or_insert_with(|| Doc {
            text: String::new(),
            version: d.version,
            generation: 0,
            path,
            outcome: None,
            scheduled: false,
            edited: false,
            done: watch::Sender::new(0),
            wanted: Arc::default(),
        });
        doc.text = d.text;
        doc.version = d.version;
        doc.generation += 1;
        s.schedule(&d.uri, doc, Duration::ZERO);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let s = &self.session;
        let uri = params.text_document.uri;
        let mut docs = s.docs.lock().unwrap_or_else(|p| p.into_inner());
        let Some(doc) = docs.get_mut(&uri) else {
            warn!("didChange for {}, which is not open: ignored", uri.as_str());
            return;
        };
        text::apply(&mut doc.text, params.content_changes);
        doc.version = params.text_document.version;
        doc.edited = true;
        s.schedule(&uri, doc, EDIT_DEBOUNCE);
    }

    async fn did_save(&self, _: DidSaveTextDocumentParams) {}

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let s = &self.session;
        s.docs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&params.text_document.uri);
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        let s = &self.session;
        let mut folders = s.folders.lock().unwrap_or_else(|p| p.into_inner());
        let removed: Vec<PathBuf> = params
            .event
            .removed
            .iter()
            .filter_map(|f| file_path(&f.uri))
            .collect();
        folders.retain(|f| !removed.contains(f));
        folders.extend(params.event.added.iter().filter_map(|f| file_path(&f.uri)));
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        guarded("textDocument/codeLens", async {
            let uri = params.text_document.uri;
            let Some(an) = self.session.analysis(&uri).await? else {
                return Ok(None);
            };
            let mut lenses = Vec::with_capacity(an.titles.len());
            lenses.push(CodeLens {
                range: at_line(0),
                command: Some(lens_command(&uri, an.titles[0].clone(), 0, true)),
                data: Some(lens_data(&uri, &an, 0, true)),
            });
            for (s, title) in an.att.symbols.iter().zip(&an.titles[1..]) {
                let line = s.symbol.name_line;
                lenses.push(CodeLens {
                    range: at_line(line),
                    command: Some(lens_command(&uri, title.clone(), line, false)),
                    data: Some(lens_data(&uri, &an, line, false)),
                });
            }
            Ok(Some(lenses))
        })
        .await
    }

    async fn code_lens_resolve(&self, lens: CodeLens) -> Result<CodeLens> {
        guarded("codeLens/resolve", async {
            let data = lens.data.clone().ok_or_else(|| {
                invalid_params("this code lens has no data: it is not one of SES's lenses")
            })?;
            let field = |k: &str| data.get(k).cloned().unwrap_or(Value::Null);
            let uri: Uri = field("uri")
                .as_str()
                .and_then(|u| u.parse().ok())
                .ok_or_else(|| invalid_params("code lens data has no valid \"uri\""))?;
            let line = field("line").as_u64().unwrap_or(0) as u32;
            let file = field("file").as_bool().unwrap_or(false);
            let Some(an) = self.session.analysis(&uri).await? else {
                return Err(content_modified());
            };
            if field("version").as_i64() != Some(i64::from(an.version))
                || field("generation").as_u64() != Some(an.generation)
            {
                return Err(content_modified());
            }
            let title = if file {
                an.titles[0].clone()
            } else {
                let i = an.symbol_named_at(line).ok_or_else(content_modified)?;
                an.titles[i + 1].clone()
            };
            Ok(CodeLens {
                range: lens.range,
                command: Some(lens_command(&uri, title, line, file)),
                data: lens.data,
            })
        })
        .await
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        guarded("textDocument/hover", async {
            let p = params.text_document_position_params;
            let Some(an) = self.session.analysis(&p.text_document.uri).await? else {
                return Ok(None);
            };
            Ok(present::hover(&an, p.position.line).map(|value| Hover {
                contents: HoverContents::Markup(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value,
                }),
                range: Some(Range {
                    start: Position {
                        line: p.position.line,
                        character: 0,
                    },
                    end: Position {
                        line: p.position.line + 1,
                        character: 0,
                    },
                }),
            }))
        })
        .await
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<Value>> {
        guarded(
            "workspace/executeCommand",
            commands::execute(&self.session, params),
        )
        .await
    }
}

fn content_modified() -> Error {
    Error {
        code: ErrorCode::ContentModified,
        message: "the document changed since this lens was made: ask for lenses again".into(),
        data: None,
    }
}

/// Serves one LSP session until the client sends `exit` or goes away.
pub async fn serve<R, W>(read: R, write: W, shared: Arc<Shared>)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let (service, socket) = LspService::new(|client| {
        let stop = CancellationToken::new();
        Backend {
            session: Arc::new(Session {
                client,
                shared,
                docs: Mutex::default(),
                folders: Mutex::default(),
                support: Mutex::default(),
                stop: stop.clone(),
            }),
            _stop: stop.drop_guard(),
        }
    });
    // client → filter → session → frames → writer, with the filter's own answers joining
    // the session's at message boundaries. The session ending (on `exit`) ends the filter,
    // since an editor need not close its end after `exit`.
    let (filter_out, session_in) = tokio::io::duplex(1 << 20);
    let (session_out, frames_in) = tokio::io::duplex(1 << 20);
    let (queue, queued) = tokio::sync::mpsc::unbounded_channel();
    let ended = CancellationToken::new();
    let answers = queue.clone();
    let filter = async {
        tokio::select! {
            () = wire::filter(read, filter_out, answers) => {}
            () = ended.cancelled() => {}
        }
    };
    let session = async {
        Server::new(session_in, session_out, socket)
            .serve(service)
            .await;
        ended.cancel();
    };
    let frames = wire::frames(frames_in, queue);
    tokio::join!(filter, session, frames, wire::write_all(write, queued));
    info!("LSP session ended");
}
