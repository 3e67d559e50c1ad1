//! Watches the git directories of the repositories editors have open, so that a commit,
//! checkout, reset or fetch made anywhere — a terminal, another editor, `ses` itself —
//! reaches every editor session as one "this repository changed" event.
//!
//! Invariants: a repository is watched once however many sessions open files in it, for
//! the daemon's lifetime; only refs and HEAD are watched (what attribution depends on),
//! never the working tree, whose edits reach the server as LSP notifications; events are
//! broadcast without blocking the watcher thread.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::broadcast;
use tracing::{debug, warn};

/// Events a slow session may fall behind by before it is told it missed some.
const BACKLOG: usize = 256;

pub struct Watchers {
    events: broadcast::Sender<PathBuf>,
    /// By the repository's top directory; `None` where watching failed (logged once).
    watched: Mutex<BTreeMap<PathBuf, Option<RecommendedWatcher>>>,
}

impl Default for Watchers {
    fn default() -> Self {
        Watchers {
            events: broadcast::Sender::new(BACKLOG),
            watched: Mutex::default(),
        }
    }
}

impl Watchers {
    /// Repository top directories as they change.
    pub fn subscribe(&self) -> broadcast::Receiver<PathBuf> {
        self.events.subscribe()
    }

    /// Tells every session the repository at `top` changed (for changes the daemon makes
    /// itself and git does not see, such as a revenue record).
    pub fn changed(&self, top: &Path) {
        let _ = self.events.send(top.to_owned());
    }

    /// Starts watching the repository containing `path`, once.
    pub fn watch(&self, path: &Path) {
        let dir = if path.is_dir() {
            path
        } else {
            path.parent().unwrap_or(path)
        };
        let Ok(repo) = git2::Repository::discover(dir) else {
            return;
        };
        let Some(top) = repo
            .workdir()
            .map(|w| w.canonicalize().unwrap_or_else(|_| w.to_owned()))
        else {
            return;
        };
        let mut watched = self.watched.lock().unwrap_or_else(|p| p.into_inner());
        if watched.contains_key(&top) {
            return;
        }
        let watcher = self.start(&top, repo.path(), repo.commondir());
        watched.insert(top, watcher);
    }

    fn start(&self, top: &Path, git_dir: &Path, common_dir: &Path) -> Option<RecommendedWatcher> {
        let events = self.events.clone();
        let event_top = top.to_owned();
        let handler = move |event: notify::Result<notify::Event>| {
            let Ok(event) = event else { return };
            if event.kind.is_access() {
                return;
            }
            // Lock files come and go around every ref update; the rename onto the real
            // name is the event that matters.
            let relevant = event.paths.iter().any(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                !name.ends_with(".lock")
                    && (name == "HEAD"
                        || name == "packed-refs"
                        || p.components().any(|c| c.as_os_str() == "refs"))
            });
            if relevant {
                let _ = events.send(event_top.clone());
            }
        };
        let mut watcher = match notify::recommended_watcher(handler) {
            Ok(w) => w,
            Err(e) => {
                warn!("cannot watch {} for commits: {e}", top.display());
                return None;
            }
        };
        // HEAD and packed-refs live at the top of the git directory (HEAD per worktree);
        // branches and tags under refs/ of the common directory.
        let mut targets = vec![(git_dir.to_owned(), RecursiveMode::NonRecursive)];
        if common_dir != git_dir {
            targets.push((common_dir.to_owned(), RecursiveMode::NonRecursive));
        }
        targets.push((common_dir.join("refs"), RecursiveMode::Recursive));
        for (dir, mode) in targets {
            if let Err(e) = watcher.watch(&dir, mode) {
                warn!("cannot watch {}: {e}", dir.display());
            }
        }
        debug!("watching {} for commits", top.display());
        Some(watcher)
    }
}
