//! The daemon's `attribution.*` methods. One index per repository lives here for the
//! daemon's lifetime, so every client and editor window shares it and a second question
//! about the same repository walks only the history that is new.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};
use ses_core::attribution::{AttributionError, LineOwner, RepoAttribution};
use ses_core::store::{PutOptions, Store};
use tokio::sync::mpsc::UnboundedSender;

use crate::rpc::parse_params as parse;
use crate::rpc::{self, RpcError};

/// Open repositories, by their top directory. Each index is saved to the store after a
/// question that changed it, and restored from there when the repository is first opened,
/// so a daemon restart does not walk history again.
pub struct Repos {
    open: Mutex<HashMap<PathBuf, Arc<Mutex<RepoAttribution>>>>,
    store: Arc<Store>,
}

/// The store root that names a repository's index snapshot.
fn root_name(top: &Path) -> String {
    format!("attribution-index:{}", top.display())
}

impl Repos {
    pub fn new(store: Arc<Store>) -> Repos {
        Repos {
            open: Mutex::default(),
            store,
        }
    }

    /// The repository containing `path`, opened once.
    pub fn get(&self, path: &Path) -> Result<(PathBuf, Arc<Mutex<RepoAttribution>>), RpcError> {
        let mut repo = RepoAttribution::discover(path).map_err(attribution_error)?;
        let top = repo
            .root()
            .canonicalize()
            .unwrap_or_else(|_| repo.root().to_owned());
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = open.get(&top) {
            return Ok((top, r.clone()));
        }
        self.restore(&top, &mut repo);
        let r = Arc::new(Mutex::new(repo));
        open.insert(top.clone(), r.clone());
        Ok((top, r))
    }

    fn restore(&self, top: &Path, repo: &mut RepoAttribution) {
        let name = root_name(top);
        let Ok(Some(id)) = self.store.root(&name) else {
            return;
        };
        // A snapshot that is damaged or from another version only costs a rebuild.
        match self.store.get(&id).map(|bytes| repo.restore(&bytes)) {
            Ok(Ok(())) => tracing::info!("restored the attribution index of {}", top.display()),
            Ok(Err(e)) => tracing::warn!("rebuilding the index of {}: {e}", top.display()),
            Err(e) => tracing::warn!("rebuilding the index of {}: {e}", top.display()),
        }
    }

    /// Saves the index of `top` if the last question changed it.
    pub fn save(&self, top: &Path, repo: &mut RepoAttribution) {
        let Some(bytes) = repo.snapshot_if_changed() else {
            return;
        };
        let saved = self
            .store
            .put_bytes(&bytes, &PutOptions::default())
            .and_then(|id| self.store.set_root(&root_name(top), &id));
        if let Err(e) = saved {
            tracing::warn!("cannot save the index of {}: {e}", top.display());
        }
    }
}

pub fn attribution_error(e: AttributionError) -> RpcError {
    let code = match e {
        AttributionError::NotInRevision { .. } | AttributionError::UnknownRevision { .. } => {
            rpc::NOT_FOUND
        }
        AttributionError::Internal(_) => rpc::INTERNAL_ERROR,
        _ => rpc::OPERATION_FAILED,
    };
    RpcError::new(code, e.to_string())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BlameParams {
    path: PathBuf,
    #[serde(default)]
    rev: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AttributeParams {
    repo: PathBuf,
    #[serde(default)]
    rev: Option<String>,
}

/// Sends `progress` notifications at most every 100 ms.
fn progress_sender(notify: UnboundedSender<Value>) -> impl FnMut(usize, usize) {
    let mut last = Instant::now() - Duration::from_secs(1);
    move |done, total| {
        if done == total || last.elapsed() >= Duration::from_millis(100) {
            last = Instant::now();
            let _ = notify.send(json!({
                "jsonrpc": "2.0",
                "method": "progress",
                "params": {"what": "indexing history", "done": done, "total": total},
            }));
        }
    }
}

fn lines_json(lines: &[LineOwner]) -> Value {
    Value::Array(
        lines
            .iter()
            .map(|l| {
                json!({
                    "line": l.line,
                    "commit": l.commit.to_string(),
                    "name": l.author.name,
                    "email": l.author.email,
                })
            })
            .collect(),
    )
}

/// The `attribution.*` methods; `None` when `method` is not one of them.
pub async fn dispatch(
    repos: &Arc<Repos>,
    method: &str,
    params: Value,
    notify: UnboundedSender<Value>,
) -> Option<Result<Value, RpcError>> {
    let repos = repos.clone();
    let work: Box<dyn FnOnce() -> Result<Value, RpcError> + Send> = match method {
        "attribution.blame" => Box::new(move || blame(&repos, params)),
        "attribution.attribute" => Box::new(move || attribute(&repos, params, notify)),
        "attribution.graph" => Box::new(move || graph(&repos, params, notify)),
        _ => return None,
    };
    Some(tokio::task::spawn_blocking(work).await.unwrap_or_else(|e| {
        Err(RpcError::new(
            rpc::INTERNAL_ERROR,
            format!("internal error: attribution failed: {e} (see the daemon log)"),
        ))
    }))
}

fn blame(repos: &Repos, params: Value) -> Result<Value, RpcError> {
    let p: BlameParams = parse(params)?;
    let dir = p.path.parent().unwrap_or(Path::new("/"));
    let (top, repo) = repos.get(dir)?;
    let mut repo = repo.lock().unwrap_or_else(|e| e.into_inner());
    let path = repo.repo_path(&p.path).map_err(attribution_error)?;
    let (lines, text) = match &p.rev {
        Some(rev) => {
            let rev = repo.resolve(rev).map_err(attribution_error)?;
            let lines = repo.blame(rev, &path).map_err(attribution_error)?;
            let text = repo.file_at(rev, &path).map_err(attribution_error)?;
            (lines, text)
        }
        None => {
            let text = std::fs::read(&p.path).map_err(|e| {
                RpcError::new(
                    rpc::OPERATION_FAILED,
                    format!("cannot read {}: {e}", p.path.display()),
                )
            })?;
            (
                repo.blame_text(&path, &text).map_err(attribution_error)?,
                text,
            )
        }
    };
    repos.save(&top, &mut repo);
    let text: Vec<String> = text
        .split_inclusive(|&b| b == b'\n')
        .map(|l| String::from_utf8_lossy(l).trim_end_matches('\n').to_owned())
        .collect();
    Ok(json!({"lines": lines_json(&lines), "text": text}))
}

fn attribute(
    repos: &Repos,
    params: Value,
    notify: UnboundedSender<Value>,
) -> Result<Value, RpcError> {
    let p: AttributeParams = parse(params)?;
    let (top, repo) = repos.get(&p.repo)?;
    let mut repo = repo.lock().unwrap_or_else(|e| e.into_inner());
    let rev_name = p.rev.as_deref().unwrap_or("HEAD");
    let rev = repo.resolve(rev_name).map_err(attribution_error)?;
    let att = repo
        .attribute(rev, &mut progress_sender(notify))
        .map_err(attribution_error)?;
    repos.save(&top, &mut repo);
    let total = att.total_lines;
    let share = |credit: f64| {
        if total == 0 {
            0.0
        } else {
            credit / total as f64
        }
    };
    let mut files_of: HashMap<&str, u64> = HashMap::new();
    for f in &att.files {
        for (email, _) in &f.authors {
            *files_of.entry(email.as_str()).or_default() += 1;
        }
    }
    Ok(json!({
        "repo": repo.root(),
        "rev": att.rev.to_string(),
        "rev_name": rev_name,
        "total_lines": total,
        "authors": att.authors.iter().map(|a| json!({
            "name": a.person.name,
            "email": a.person.email,
            "lines": a.lines,
            "credit": a.credit,
            "share": share(a.credit),
            "files": files_of.get(a.person.email.as_str()).copied().unwrap_or(0),
        })).collect::<Vec<_>>(),
        "files": att.files.iter().map(|f| json!({
            "path": f.path,
            "lines": f.lines,
            "authors": f.authors.iter().map(|(email, lines)| json!({"email": email, "lines": lines})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "excluded": {
            "people": att.excluded_people.iter().map(|(p, lines)| json!({"name": p.name, "email": p.email, "lines": lines})).collect::<Vec<_>>(),
            "files": att.excluded_files.iter().map(|f| json!({"path": f.path, "lines": f.lines, "reason": f.reason})).collect::<Vec<_>>(),
        },
    }))
}

fn graph(repos: &Repos, params: Value, notify: UnboundedSender<Value>) -> Result<Value, RpcError> {
    let p: AttributeParams = parse(params)?;
    let (top, repo) = repos.get(&p.repo)?;
    let mut repo = repo.lock().unwrap_or_else(|e| e.into_inner());
    let rev = repo
        .resolve(p.rev.as_deref().unwrap_or("HEAD"))
        .map_err(attribution_error)?;
    let g = repo
        .graph(rev, &mut progress_sender(notify))
        .map_err(attribution_error)?;
    repos.save(&top, &mut repo);
    let nodes: Vec<Value> = g
        .nodes()
        .into_iter()
        .map(|n| {
            let mut v = json!({"id": n.id, "kind": n.kind.as_str(), "label": n.label});
            // Attributes never shadow id, kind or label.
            for (k, a) in &n.attrs {
                if v.get(k).is_none() {
                    v[k] = json!(a);
                }
            }
            v
        })
        .collect();
    let edges: Vec<Value> = g
        .edges()
        .into_iter()
        .map(|e| json!({"from": e.from, "to": e.to, "kind": e.kind.as_str(), "weight": e.weight}))
        .collect();
    Ok(json!({"repo": repo.root(), "rev": rev.to_string(), "nodes": nodes, "edges": edges}))
}
