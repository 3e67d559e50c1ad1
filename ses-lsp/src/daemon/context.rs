//! The daemon's `context.*` methods: capture, switch, list, show, delete, recover and
//! interest events. The language server forwards `ses.capture`, `ses.switch`, … here with
//! the same params.
//!
//! Invariants: operations on one repository run one at a time (a mutex per working tree,
//! and the core's file lock against other processes); git work runs on the blocking pool;
//! the interest model of each repository's current context lives here between captures.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Deserialize;
use serde_json::{Value, json};
use ses_core::context::{ContextError, ContextRepo, HeadState, InterestKind, Pending, Version};

use crate::rpc::parse_params as parse;
use crate::rpc::{self, RpcError};

/// Open repositories by working tree.
#[derive(Default)]
pub struct Contexts {
    open: Mutex<HashMap<PathBuf, Open>>,
}

struct Open {
    /// Its git directory: while it exists, the repository is still there.
    gitdir: PathBuf,
    repo: Arc<Mutex<ContextRepo>>,
}

impl Contexts {
    /// The repository open for the working tree `key`, if it is still there. The map's
    /// lock is never held while waiting for a repository's (a switch may hold that).
    fn cached(&self, key: &Path) -> Option<Arc<Mutex<ContextRepo>>> {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let o = open.get(key)?;
        o.gitdir.is_dir().then(|| o.repo.clone())
    }

    /// The repository containing `path`, opened once and kept.
    fn get(&self, path: &Path) -> Result<Arc<Mutex<ContextRepo>>, RpcError> {
        // Clients name the working tree's top (a workspace folder) nearly always: then
        // the repository open for it is the one, and opening it again (reading its
        // config, HEAD, …) is most of a small operation's time.
        if let Some(r) = self.cached(path) {
            return Ok(r);
        }
        let repo = ContextRepo::open(path).map_err(context_error)?;
        let key = repo.workdir().to_owned();
        if let Some(r) = self.cached(&key) {
            return Ok(r);
        }
        let gitdir = repo.gitdir().to_owned();
        let r = Arc::new(Mutex::new(repo));
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        // Another request may have opened it meanwhile: keep the first (it may hold the
        // interest model by now).
        let o = open.entry(key).or_insert_with(|| Open {
            gitdir: gitdir.clone(),
            repo: r.clone(),
        });
        if !o.gitdir.is_dir() {
            *o = Open { gitdir, repo: r };
        }
        Ok(o.repo.clone())
    }
}

fn context_error(e: ContextError) -> RpcError {
    let code = match e {
        ContextError::Unknown { .. } | ContextError::UnknownRecovery { .. } => rpc::NOT_FOUND,
        ContextError::BadName { .. } => rpc::INVALID_PARAMS,
        _ => rpc::OPERATION_FAILED,
    };
    RpcError::new(code, e.to_string())
}

/// `repo` (or `root`, as the language server's commands name it): a path or `file://`
/// URI of anything inside the repository.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RepoParam {
    #[serde(default)]
    repo: Option<String>,
    #[serde(default)]
    root: Option<String>,
}

impl RepoParam {
    fn path(&self) -> Result<PathBuf, RpcError> {
        let Some(r) = self.repo.as_deref().or(self.root.as_deref()) else {
            return Err(RpcError::new(
                rpc::INVALID_PARAMS,
                "invalid params: missing field `repo` (a path inside the repository)",
            ));
        };
        let path = ses_core::context::uri_path(r);
        let path = PathBuf::from(path);
        if !path.is_absolute() {
            return Err(RpcError::new(
                rpc::INVALID_PARAMS,
                format!("invalid params: repo {r:?} must be an absolute path or a file:// URI"),
            ));
        }
        Ok(path)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NamedParams {
    #[serde(flatten)]
    repo: RepoParam,
    name: String,
    #[serde(default)]
    editor: Option<Value>,
}

/// `context.capture`: without a name, the current context is saved.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaptureParams {
    #[serde(flatten)]
    repo: RepoParam,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    editor: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecoverParams {
    #[serde(flatten)]
    repo: RepoParam,
    #[serde(default)]
    restore: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InterestParams {
    #[serde(flatten)]
    repo: RepoParam,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    uri: Option<String>,
    kind: String,
}

/// The `context.*` methods; `None` when `method` is not one of them.
pub async fn dispatch(
    contexts: &Arc<Contexts>,
    method: &str,
    params: Value,
) -> Option<Result<Value, RpcError>> {
    let contexts = contexts.clone();
    let work: Box<dyn FnOnce() -> Result<Value, RpcError> + Send> = match method {
        "context.capture" => Box::new(move || capture(&contexts, params)),
        "context.switch" => Box::new(move || switch(&contexts, params)),
        "context.list" => Box::new(move || list(&contexts, params)),
        "context.show" => Box::new(move || show(&contexts, params)),
        "context.delete" => Box::new(move || delete(&contexts, params)),
        "context.recover" => Box::new(move || recover(&contexts, params)),
        "context.interest" => Box::new(move || interest(&contexts, params)),
        _ => return None,
    };
    Some(tokio::task::spawn_blocking(work).await.unwrap_or_else(|e| {
        Err(RpcError::new(
            rpc::INTERNAL_ERROR,
            format!("internal error: context operation failed: {e} (see the daemon log)"),
        ))
    }))
}

fn with_repo<T>(
    contexts: &Contexts,
    repo: &RepoParam,
    f: impl FnOnce(&mut ContextRepo) -> Result<T, ContextError>,
) -> Result<T, RpcError> {
    let r = contexts.get(&repo.path()?)?;
    let mut r = r.lock().unwrap_or_else(|p| p.into_inner());
    f(&mut r).map_err(context_error)
}

fn head_json(h: &HeadState) -> Value {
    json!({
        "branch": h.branch,
        "commit": h.commit,
        "detached": h.branch.is_none(),
        "unborn": h.commit.is_none(),
        "describe": h.describe(),
    })
}

fn version_json(v: &Version) -> Value {
    let m = &v.meta;
    json!({
        "name": m.name,
        "version": m.version,
        "commit": v.commit.to_string(),
        "ref": v.refname,
        "created_ms": m.created_ms,
        "automatic": m.automatic,
        "reason": m.reason,
        "head": head_json(&m.head),
        "counts": m.counts,
        "untouched": m.untouched,
        "has_editor": m.has_editor,
        "editor_from": m.editor_from,
        "repo_id": m.repo,
        "unchanged": v.unchanged,
    })
}

fn pending_json(p: &[Pending]) -> Value {
    json!(p)
}

fn elapsed_ms(start: Instant) -> f64 {
    (start.elapsed().as_secs_f64() * 1e6).round() / 1e3
}

/// This thread's CPU time and time spent waiting for a CPU, in ns (Linux's schedstat);
/// `None` where the kernel does not say.
fn thread_sched() -> Option<(u64, u64)> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let mut it = s.split_whitespace();
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

/// Adds `elapsed_ms` (wall clock in the daemon), and where known `cpu_ms` (CPU time of the
/// operation) and `waited_ms` (time it was runnable but waited for a CPU: on a loaded
/// machine most of the wall time).
fn add_timing(out: &mut Value, start: Instant, sched: Option<(u64, u64)>) {
    out["elapsed_ms"] = json!(elapsed_ms(start));
    if let (Some((cpu0, wait0)), Some((cpu1, wait1))) = (sched, thread_sched()) {
        let ms = |ns: u64| (ns as f64 / 1e3).round() / 1e3;
        out["cpu_ms"] = json!(ms(cpu1.saturating_sub(cpu0)));
        out["waited_ms"] = json!(ms(wait1.saturating_sub(wait0)));
    }
}

fn capture(contexts: &Contexts, params: Value) -> Result<Value, RpcError> {
    let p: CaptureParams = parse(params)?;
    let (start, sched) = (Instant::now(), thread_sched());
    let v = with_repo(contexts, &p.repo, |r| {
        let name = match p.name {
            Some(n) => n,
            None => r.current_name()?,
        };
        r.capture(&name, p.editor)
    })?;
    let mut out = version_json(&v);
    add_timing(&mut out, start, sched);
    Ok(out)
}

fn switch(contexts: &Contexts, params: Value) -> Result<Value, RpcError> {
    let p: NamedParams = parse(params)?;
    let (start, sched) = (Instant::now(), thread_sched());
    let s = with_repo(contexts, &p.repo, |r| r.switch(&p.name, p.editor))?;
    let mut out = json!({
        "name": s.name,
        "previous": s.previous,
        "noop": s.noop,
        "saved": s.saved.as_ref().map(version_json),
        "restored": s.restored.as_ref().map(version_json),
        "head": head_json(&s.head),
        "files": s.files,
        "notes": s.notes,
        "untouched": s.untouched,
        "editor": s.editor,
    });
    add_timing(&mut out, start, sched);
    Ok(out)
}

fn list(contexts: &Contexts, params: Value) -> Result<Value, RpcError> {
    let p: RepoParam = parse(params)?;
    with_repo(contexts, &p, |r| {
        let list = r.list()?;
        Ok(json!({
            "repo": {"path": r.workdir(), "identity": r.identity()?},
            "current": r.current_name()?,
            "head": head_json(&r.head_state()?),
            "contexts": list.iter().map(|s| json!({
                "name": s.name,
                "current": s.current,
                "versions": s.versions,
                "latest": version_json(&s.latest),
            })).collect::<Vec<_>>(),
            "pending": pending_json(&r.pending()?),
        }))
    })
}

fn show(contexts: &Contexts, params: Value) -> Result<Value, RpcError> {
    let p: NamedParams = parse(params)?;
    if p.editor.is_some() {
        return Err(RpcError::new(
            rpc::INVALID_PARAMS,
            "invalid params: context.show takes no editor state",
        ));
    }
    with_repo(contexts, &p.repo, |r| {
        let d = r.show(&p.name)?;
        Ok(json!({
            "name": d.name,
            "current": d.current,
            "versions": d.versions.iter().map(version_json).collect::<Vec<_>>(),
            "editor": d.editor,
            "files": d.files,
            "interest": d.interest.iter()
                .map(|(path, score)| json!({"path": path, "score": (score * 1000.0).round() / 1000.0}))
                .collect::<Vec<_>>(),
        }))
    })
}

fn delete(contexts: &Contexts, params: Value) -> Result<Value, RpcError> {
    let p: NamedParams = parse(params)?;
    let n = with_repo(contexts, &p.repo, |r| r.delete(&p.name))?;
    Ok(json!({"name": p.name, "deleted": n}))
}

fn recover(contexts: &Contexts, params: Value) -> Result<Value, RpcError> {
    let p: RecoverParams = parse(params)?;
    with_repo(contexts, &p.repo, |r| {
        let Some(id) = p.restore.as_deref() else {
            return Ok(json!({"pending": pending_json(&r.pending()?)}));
        };
        let done = r.recover(id)?;
        Ok(json!({
            "restored": done.id,
            "name": done.name,
            "kept": version_json(&done.kept),
            "version": version_json(&done.restored),
            "files": done.files,
            "notes": done.notes,
            "editor": done.editor,
            "pending": pending_json(&r.pending()?),
        }))
    })
}

fn interest(contexts: &Contexts, params: Value) -> Result<Value, RpcError> {
    let p: InterestParams = parse(params)?;
    let kind = InterestKind::parse(&p.kind).ok_or_else(|| {
        RpcError::new(
            rpc::INVALID_PARAMS,
            format!(
                "invalid params: kind {:?} is not \"edit\" or \"select\"",
                p.kind
            ),
        )
    })?;
    let Some(target) = p.uri.or(p.path) else {
        return Err(RpcError::new(
            rpc::INVALID_PARAMS,
            "invalid params: give the file as `path` or `uri`",
        ));
    };
    let (key, score) = with_repo(contexts, &p.repo, |r| r.record_interest(&target, kind))?;
    Ok(json!({"path": key, "score": (score * 1000.0).round() / 1000.0}))
}
