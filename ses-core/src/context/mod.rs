//! Working contexts: capture everything about where you are in a repository under a name,
//! and switch to another context without losing a byte.
//!
//! A context version is one git commit under `refs/ses/contexts/<name>/<version>` (the
//! name percent-encoded, `-auto` appended for automatic saves) whose tree holds
//! * `index/` — the index as a tree (what is staged);
//! * `worktree/` — the working tree as a tree: tracked files as they are on disk (deleted
//!   ones absent) plus untracked, not ignored files, bytes raw, modes kept;
//! * `editor.json` — the editor's state as the client gave it (opaque JSON).
//!
//! Its message carries, as JSON after the title line, the name, version, time, the
//! repository's identity (an id in `<commondir>/ses/id` and its root commit), HEAD (branch
//! and/or commit), counts, paths left alone (submodules, nested repositories) and the
//! degree-of-interest model — in the message rather than a blob so a save writes one
//! object less (`git log` shows it).
//!
//! Its parent is the HEAD commit, so the commit a context stands on lives as long as the
//! context, even when its branch is deleted. The current context's name is kept per working
//! tree in `<gitdir>/ses/current`; without one, the branch name is used.
//!
//! A switch (1) refuses during a merge, rebase, cherry-pick, revert, bisect or `git am`,
//! and with unmerged paths; (2) saves the current context and reads it back from its ref;
//! (3) plans the change and refuses before touching anything if an unsaved (ignored) file
//! is in the way; (4) writes a journal (`<gitdir>/ses/journal`) naming both versions;
//! (5) rewrites only the files that differ, then the index, then HEAD; (6) reads every
//! touched path and the index back and compares them with the target (the untouched ones
//! were read a moment ago by the save and are equal in both); only then (7) drops the
//! journal.
//! A process killed at any moment leaves every byte in the working tree or under
//! `refs/ses/`, and [`ContextRepo::recover`] puts the pre-switch state back.
//!
//! Invariants: never drops a snapshot before the restore is verified; never uses
//! `git stash`; never overwrites a file it has not saved (ignored files in the way stop a
//! switch before it starts); submodules and nested repositories are never touched. A
//! version is pruned (beyond the newest [`KEEP_VERSIONS`], always keeping the newest
//! explicit capture) only from refs, and never while a pending journal names it.
//! Crash safety covers the process dying (SIGKILL), not the machine losing power: objects
//! are written as git writes them, without fsync.

pub mod interest;
mod memo;
mod restore;
mod snapshot;
mod trees;

use std::collections::BTreeMap;
use std::fs;
use std::io::{ErrorKind, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use git2::{BranchType, FileMode, ObjectType, Oid, Repository, RepositoryState, Signature};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use interest::{Interest, InterestKind, key_for, order_documents, uri_path};
pub use snapshot::{Counts, Untouched};

use snapshot::{Snapshot, io_err};

/// Versions kept per context (plus the newest explicit capture, if older).
pub const KEEP_VERSIONS: usize = 20;
const CONTEXTS: &str = "refs/ses/contexts/";
const RECOVER: &str = "refs/ses/recover/";
const FORMAT: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error("{path} is not in a git repository ({detail}): run this inside one, or pass --repo")]
    NotARepository { path: PathBuf, detail: String },
    #[error("{path} is a bare repository: contexts need a working tree")]
    Bare { path: PathBuf },
    #[error("{operation} is in progress in {repo}: {hint}, then try again")]
    InProgress {
        repo: PathBuf,
        operation: &'static str,
        hint: &'static str,
    },
    #[error(
        "these paths are unmerged: {}; resolve them (edit, then `git add`) or abort, then try again",
        paths.join(", ")
    )]
    Unmerged { paths: Vec<String> },
    #[error(
        "no context named {name:?} in this repository; known: {}",
        list_or_none(known)
    )]
    Unknown { name: String, known: Vec<String> },
    #[error("invalid context name {name:?}: {why}")]
    BadName { name: String, why: &'static str },
    #[error("{path} changed while it was being saved; try again")]
    Changed { path: PathBuf },
    #[error(
        "the saved context did not read back from {refname}: {detail}; the working tree was not changed"
    )]
    Verify { refname: String, detail: String },
    #[error(
        "cannot restore context {name:?} without overwriting files that are not saved: {}. \
         Both versions are kept ({saved:?} was saved as version {version}; {name:?} is unchanged) \
         and nothing was changed: move those files away and switch again",
        problems.iter().map(|(p, why)| format!("{p} {why}")).collect::<Vec<_>>().join("; ")
    )]
    Conflict {
        name: String,
        saved: String,
        version: u64,
        problems: Vec<(String, String)>,
    },
    #[error(
        "an interrupted switch left saved work ({}): run `ses context recover --restore {}` \
         to put it back before switching",
        ids.join(", "), ids.first().map(String::as_str).unwrap_or("?")
    )]
    Pending { ids: Vec<String> },
    #[error("no interrupted switch {id:?}; pending: {}", list_or_none(known))]
    UnknownRecovery { id: String, known: Vec<String> },
    #[error(
        "the switch to {name:?} stopped part-way: {detail}. Nothing is lost: the work from \
         before is saved under refs/ses/contexts/ and named by the journal {journal}; \
         `ses context recover --restore {id}` puts it back"
    )]
    Interrupted {
        name: String,
        journal: String,
        id: String,
        detail: String,
    },
    #[error("the saved context {refname} is damaged: {detail}")]
    Corrupt { refname: String, detail: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("git: {0}")]
    Git(#[from] git2::Error),
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

/// Where HEAD is: on a branch (`commit` is `None` before its first commit) or detached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadState {
    pub branch: Option<String>,
    pub commit: Option<String>,
}

impl HeadState {
    pub fn describe(&self) -> String {
        let short = |c: &str| c.chars().take(10).collect::<String>();
        match (&self.branch, &self.commit) {
            (Some(b), Some(c)) => format!("{b} at {}", short(c)),
            (Some(b), None) => format!("{b} (no commits yet)"),
            (None, Some(c)) => format!("detached HEAD at {}", short(c)),
            (None, None) => "nowhere".to_owned(),
        }
    }
}

/// The repository, by identity rather than path: a random id kept in its git directory,
/// and the root commit of HEAD's first-parent history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoIdentity {
    pub id: String,
    pub roots: Vec<String>,
}

/// What a version's commit message carries (as JSON, after its title line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    pub format: u32,
    pub name: String,
    pub version: u64,
    pub created_ms: u64,
    /// Saved by a switch or a recovery rather than asked for.
    pub automatic: bool,
    /// `capture`, `switch` or `recover`.
    pub reason: String,
    pub repo: RepoIdentity,
    pub head: HeadState,
    pub counts: Counts,
    pub untouched: Vec<Untouched>,
    pub interest: Interest,
    /// Whether `editor.json` holds a state.
    pub has_editor: bool,
    /// An automatic save without an editor state carries the previous version's; this
    /// names that version.
    #[serde(default)]
    pub editor_from: Option<u64>,
}

/// One saved version of a context.
#[derive(Debug, Clone)]
pub struct Version {
    pub refname: String,
    pub commit: Oid,
    pub meta: Meta,
    /// An automatic save that found everything as this (the newest) version holds it,
    /// and so made no new one.
    pub unchanged: bool,
}

#[derive(Debug, Clone)]
pub struct Summary {
    pub name: String,
    pub current: bool,
    pub versions: usize,
    pub latest: Version,
}

/// A path's state in a version: against the commit (`staged`) and against the index
/// (`worktree`): `added`, `modified`, `deleted`, `untracked`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileState {
    pub path: String,
    pub staged: Option<&'static str>,
    pub worktree: Option<&'static str>,
}

#[derive(Debug, Clone)]
pub struct Detail {
    pub name: String,
    pub current: bool,
    /// Newest first.
    pub versions: Vec<Version>,
    pub editor: Value,
    pub files: Vec<FileState>,
    pub interest: Vec<(String, f64)>,
}

#[derive(Debug, Clone)]
pub struct Switched {
    pub name: String,
    pub previous: String,
    /// The target was already the current context: nothing was saved or changed.
    pub noop: bool,
    /// The version the previous context was saved as.
    pub saved: Option<Version>,
    /// The version restored.
    pub restored: Option<Version>,
    pub head: HeadState,
    /// Files written or removed.
    pub files: usize,
    pub notes: Vec<String>,
    pub untouched: Vec<Untouched>,
    /// The target's editor state, documents most interesting first, the focused one last.
    pub editor: Value,
}

/// A switch that did not finish: its journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub id: String,
    /// The journal's file (or, written by an older SES, its ref): not part of its JSON.
    #[serde(skip)]
    pub journal: String,
    pub from: String,
    pub to: String,
    pub started_ms: u64,
    /// The version the work from before the switch was saved as.
    pub saved: String,
    pub saved_version: u64,
    pub target: String,
    pub target_version: u64,
}

#[derive(Debug, Clone)]
pub struct Recovered {
    pub id: String,
    pub name: String,
    /// What was in the working tree before the recovery, saved first.
    pub kept: Version,
    pub restored: Version,
    pub files: usize,
    pub notes: Vec<String>,
    pub editor: Value,
}

/// Validates a context name. Any text will do except control characters; it is
/// percent-encoded into ref names.
pub fn check_name(name: &str) -> Result<(), ContextError> {
    let bad = |why| {
        Err(ContextError::BadName {
            name: name.to_owned(),
            why,
        })
    };
    if name.trim().is_empty() {
        return bad("it is empty");
    }
    if name.len() > 200 {
        return bad("it is longer than 200 bytes");
    }
    if name.chars().any(char::is_control) {
        return bad("it contains control characters");
    }
    Ok(())
}

fn encode_name(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode_name(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(h, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A ref under `refs/ses/contexts/`: (name, version, automatic).
fn parse_version_ref(refname: &str) -> Option<(String, u64, bool)> {
    let rest = refname.strip_prefix(CONTEXTS)?;
    let (enc, v) = rest.rsplit_once('/')?;
    let (num, auto) = match v.strip_suffix("-auto") {
        Some(n) => (n, true),
        None => (v, false),
    };
    Some((decode_name(enc)?, num.parse().ok()?, auto))
}

#[derive(Debug, Clone, Copy)]
struct VersionRef {
    version: u64,
    automatic: bool,
    commit: Oid,
}

impl VersionRef {
    fn refname(&self, name: &str) -> String {
        format!(
            "{CONTEXTS}{}/{:010}{}",
            encode_name(name),
            self.version,
            if self.automatic { "-auto" } else { "" }
        )
    }
}

enum HeadPlan {
    Branch(String),
    Create(String, Oid),
    Detached(Oid),
    Unborn(String),
}

/// The target of a restore: trees and where HEAD goes.
struct Target {
    index: Oid,
    worktree: Oid,
    head: HeadPlan,
    notes: Vec<String>,
}

/// Holds `<gitdir>/ses/lock` (flock) for one operation, so two processes never switch the
/// same working tree at once.
struct RepoLock(#[allow(dead_code)] fs::File);

/// One repository's contexts. Keep it open between operations: the interest model of the
/// current context lives here between captures.
pub struct ContextRepo {
    repo: Repository,
    workdir: PathBuf,
    identity: Option<RepoIdentity>,
    live: Option<(String, Interest)>,
    cleaned: bool,
    /// What the last saves and restores learnt: readings of files, trees built and
    /// trees found complete (see [`memo::Memo`]).
    memo: memo::Memo,
}

impl ContextRepo {
    /// The repository containing `path` (any file or folder inside it).
    pub fn open(path: &Path) -> Result<ContextRepo, ContextError> {
        // libgit2 looks up every object a tree entry names before inserting it. A save
        // names only objects it has just stored or found, and `snapshot::verify` checks
        // every blob of both trees before anything depends on them, so the look-ups
        // only cost (one per changed file and directory). Process-wide, and only ever
        // relaxed: nothing else in SES builds trees.
        static RELAXED: std::sync::Once = std::sync::Once::new();
        RELAXED.call_once(|| git2::opts::strict_object_creation(false));
        let repo = Repository::discover(path).map_err(|e| ContextError::NotARepository {
            path: path.to_owned(),
            detail: e.message().to_owned(),
        })?;
        let workdir = snapshot::workdir(&repo)?;
        let workdir = workdir.canonicalize().unwrap_or(workdir);
        Ok(ContextRepo {
            repo,
            workdir,
            identity: None,
            live: None,
            cleaned: false,
            memo: Default::default(),
        })
    }

    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// The git directory (`.git`, or a linked worktree's own under `.git/worktrees/`).
    pub fn gitdir(&self) -> &Path {
        self.repo.path()
    }

    fn ses_dir(&self) -> Result<PathBuf, ContextError> {
        let dir = self.repo.path().join("ses");
        fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
        Ok(dir)
    }

    fn lock(&mut self) -> Result<RepoLock, ContextError> {
        let path = self.ses_dir()?.join("lock");
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| io_err(&path, e))?;
        rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)
            .map_err(|e| io_err(&path, e.into()))?;
        if !self.cleaned {
            // Holding the lock, any lock file under refs/ses is a killed writer's.
            remove_lock_files(&self.repo.commondir().join("refs/ses"));
            self.cleaned = true;
        }
        // Another process may have moved things: read the index and config afresh.
        Ok(RepoLock(file))
    }

    /// The name of the current context: the last captured or switched to, else the
    /// branch's name (`detached-<commit>` on a detached HEAD).
    pub fn current_name(&self) -> Result<String, ContextError> {
        if let Some(name) = self.stored_current()? {
            return Ok(name);
        }
        let head = self.head_state()?;
        Ok(match (head.branch, head.commit) {
            (Some(b), _) => b,
            (None, Some(c)) => format!("detached-{}", &c[..c.len().min(10)]),
            (None, None) => "default".to_owned(),
        })
    }

    /// The stored current name, if HEAD is still where it was when it was stored (a
    /// `git switch` outside SES makes the branch's context the current one).
    fn stored_current(&self) -> Result<Option<String>, ContextError> {
        let path = self.repo.path().join("ses").join("current");
        let text = match fs::read_to_string(&path) {
            Ok(s) => s,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(&path, e)),
        };
        let mut lines = text.lines();
        let (Some(name), Some(marker)) = (lines.next(), lines.next()) else {
            return Ok(None);
        };
        if name.is_empty() || marker != self.head_marker()? {
            return Ok(None);
        }
        Ok(Some(name.to_owned()))
    }

    fn head_marker(&self) -> Result<String, ContextError> {
        Ok(match self.head_state()?.branch {
            Some(b) => format!("branch {b}"),
            None => "detached".to_owned(),
        })
    }

    fn set_current(&self, name: Option<&str>) -> Result<(), ContextError> {
        let dir = self.ses_dir()?;
        let path = dir.join("current");
        let Some(name) = name else {
            return match fs::remove_file(&path) {
                Err(e) if e.kind() != ErrorKind::NotFound => Err(io_err(&path, e)),
                _ => Ok(()),
            };
        };
        write_in_place(&path, &format!("{name}\n{}\n", self.head_marker()?))
    }

    pub fn head_state(&self) -> Result<HeadState, ContextError> {
        match self.repo.head() {
            Ok(h) => {
                let commit = h.peel_to_commit()?.id().to_string();
                let branch = if h.is_branch() {
                    h.shorthand().ok().map(str::to_owned)
                } else {
                    None
                };
                Ok(HeadState {
                    branch,
                    commit: Some(commit),
                })
            }
            Err(e) if e.code() == git2::ErrorCode::UnbornBranch => {
                let head = self.repo.find_reference("HEAD")?;
                let target = head
                    .symbolic_target()
                    .ok()
                    .flatten()
                    .unwrap_or("refs/heads/main");
                Ok(HeadState {
                    branch: Some(target.trim_start_matches("refs/heads/").to_owned()),
                    commit: None,
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The repository's identity, created on first use.
    pub fn identity(&mut self) -> Result<RepoIdentity, ContextError> {
        if let Some(id) = &self.identity
            && !id.roots.is_empty()
        {
            return Ok(id.clone());
        }
        let dir = self.repo.commondir().join("ses");
        fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
        let path = dir.join("id");
        let mut lines: Vec<String> = match fs::read_to_string(&path) {
            Ok(s) => s.lines().map(str::to_owned).collect(),
            Err(e) if e.kind() == ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io_err(&path, e)),
        };
        let mut changed = false;
        if lines.first().is_none_or(|l| l.len() != 32) {
            lines = vec![random_id(&path)?];
            changed = true;
        }
        if lines.len() == 1
            && let Ok(head) = self.repo.head()
            && let Ok(mut c) = head.peel_to_commit()
        {
            // The root of the first-parent chain: found once, then kept in the file.
            while let Ok(p) = c.parent(0) {
                c = p;
            }
            lines.push(c.id().to_string());
            changed = true;
        }
        if changed {
            let tmp = dir.join("id.tmp");
            fs::write(&tmp, lines.join("\n") + "\n").map_err(|e| io_err(&tmp, e))?;
            fs::rename(&tmp, &path).map_err(|e| io_err(&path, e))?;
        }
        let id = RepoIdentity {
            id: lines[0].clone(),
            roots: lines[1..].to_vec(),
        };
        self.identity = Some(id.clone());
        Ok(id)
    }

    /// Every context's versions, oldest first.
    fn all_versions(&self) -> Result<BTreeMap<String, Vec<VersionRef>>, ContextError> {
        let mut out: BTreeMap<String, Vec<VersionRef>> = BTreeMap::new();
        for r in self.repo.references_glob(&format!("{CONTEXTS}*"))? {
            let r = r?;
            let (Some(name), Some(commit)) = (r.name().ok(), r.target()) else {
                continue;
            };
            if let Some((name, version, automatic)) = parse_version_ref(name) {
                out.entry(name).or_default().push(VersionRef {
                    version,
                    automatic,
                    commit,
                });
            }
        }
        for v in out.values_mut() {
            v.sort_by_key(|v| v.version);
        }
        Ok(out)
    }

    /// One context's versions, oldest first: only its own refs are read.
    fn versions_of(&self, name: &str) -> Result<Vec<VersionRef>, ContextError> {
        let glob = format!("{CONTEXTS}{}/*", encode_name(name));
        let mut out = Vec::new();
        for r in self.repo.references_glob(&glob)? {
            let r = r?;
            let (Some(refname), Some(commit)) = (r.name().ok(), r.target()) else {
                continue;
            };
            if let Some((n, version, automatic)) = parse_version_ref(refname)
                && n == name
            {
                out.push(VersionRef {
                    version,
                    automatic,
                    commit,
                });
            }
        }
        out.sort_by_key(|v| v.version);
        Ok(out)
    }

    fn unknown(&self, name: &str) -> ContextError {
        ContextError::Unknown {
            name: name.to_owned(),
            known: self
                .all_versions()
                .map(|v| v.into_keys().collect())
                .unwrap_or_default(),
        }
    }

    fn latest(&self, name: &str) -> Result<VersionRef, ContextError> {
        self.versions_of(name)?
            .last()
            .copied()
            .ok_or_else(|| self.unknown(name))
    }

    fn load(&self, name: &str, v: VersionRef) -> Result<Version, ContextError> {
        let refname = v.refname(name);
        let meta = self.read_message(v.commit, &refname)?;
        Ok(Version {
            refname,
            commit: v.commit,
            meta,
            unchanged: false,
        })
    }

    /// The JSON a version or journal commit carries in its message, after the title line
    /// and a blank line (so `git log` shows it, and no blob is written per save).
    fn read_message<T: for<'de> Deserialize<'de>>(
        &self,
        commit: Oid,
        refname: &str,
    ) -> Result<T, ContextError> {
        let commit = self.repo.find_commit(commit)?;
        let body = commit
            .message_bytes()
            .splitn(2, |&b| b == b'\n')
            .nth(1)
            .unwrap_or_default();
        serde_json::from_slice(body).map_err(|e| ContextError::Corrupt {
            refname: refname.to_owned(),
            detail: format!("the commit message is not the expected JSON: {e}"),
        })
    }

    fn read_json(&self, commit: Oid, file: &str, refname: &str) -> Result<Value, ContextError> {
        let corrupt = |detail: String| ContextError::Corrupt {
            refname: refname.to_owned(),
            detail,
        };
        let tree = self.repo.find_commit(commit)?.tree()?;
        let Some(entry) = tree.get_name(file) else {
            return Err(corrupt(format!("{file} is missing")));
        };
        let blob = self.repo.find_blob(entry.id())?;
        serde_json::from_slice(blob.content()).map_err(|e| corrupt(format!("{file}: {e}")))
    }

    fn editor_of(&self, v: &Version) -> Result<Value, ContextError> {
        if !v.meta.has_editor {
            return Ok(Value::Object(Default::default()));
        }
        self.read_json(v.commit, "editor.json", &v.refname)
    }

    fn subtree(&self, v: &Version, name: &str) -> Result<Oid, ContextError> {
        let tree = self.repo.find_commit(v.commit)?.tree()?;
        tree.get_name(name)
            .filter(|e| e.kind() == Some(ObjectType::Tree))
            .map(|e| e.id())
            .ok_or_else(|| ContextError::Corrupt {
                refname: v.refname.clone(),
                detail: format!("the {name} tree is missing"),
            })
    }

    /// Refuses while git is in the middle of something a context cannot hold.
    fn check_state(&self) -> Result<(), ContextError> {
        let (operation, hint) = match self.repo.state() {
            RepositoryState::Clean => {
                let mut index = self.repo.index()?;
                index.read(false)?;
                if index.has_conflicts() {
                    return Err(ContextError::Unmerged {
                        paths: snapshot::unmerged(&index)?,
                    });
                }
                return Ok(());
            }
            RepositoryState::Merge => (
                "a merge",
                "finish it (resolve, `git commit`) or abort it (`git merge --abort`)",
            ),
            RepositoryState::Revert | RepositoryState::RevertSequence => (
                "a revert",
                "finish it (`git revert --continue`) or abort it (`git revert --abort`)",
            ),
            RepositoryState::CherryPick | RepositoryState::CherryPickSequence => (
                "a cherry-pick",
                "finish it (`git cherry-pick --continue`) or abort it (`git cherry-pick --abort`)",
            ),
            RepositoryState::Bisect => ("a bisect", "end it with `git bisect reset`"),
            RepositoryState::Rebase
            | RepositoryState::RebaseInteractive
            | RepositoryState::RebaseMerge => (
                "a rebase",
                "finish it (`git rebase --continue`) or abort it (`git rebase --abort`)",
            ),
            RepositoryState::ApplyMailbox | RepositoryState::ApplyMailboxOrRebase => (
                "`git am`",
                "finish it (`git am --continue`) or abort it (`git am --abort`)",
            ),
        };
        Err(ContextError::InProgress {
            repo: self.workdir.clone(),
            operation,
            hint,
        })
    }

    /// The interest model of the current context.
    fn live_interest(&mut self) -> Result<&mut Interest, ContextError> {
        let current = self.current_name()?;
        if self.live.as_ref().is_none_or(|(n, _)| *n != current) {
            let interest = match self.versions_of(&current)?.last() {
                Some(v) => self.load(&current, *v)?.meta.interest,
                None => Interest::default(),
            };
            self.live = Some((current, interest));
        }
        Ok(&mut self.live.as_mut().expect("invariant: set just above").1)
    }

    /// Records an editor event on a file of the current context (a URI or a path).
    pub fn record_interest(
        &mut self,
        uri_or_path: &str,
        kind: InterestKind,
    ) -> Result<(String, f64), ContextError> {
        let key = key_for(uri_or_path, &self.workdir.clone());
        let interest = self.live_interest()?;
        interest.record(&key, kind);
        let score = interest.score(&key);
        Ok((key, score))
    }

    /// Saves the working state and `editor` as a new version of `name`, which becomes the
    /// current context.
    pub fn capture(&mut self, name: &str, editor: Option<Value>) -> Result<Version, ContextError> {
        check_name(name)?;
        let _lock = self.lock()?;
        self.check_state()?;
        let (v, _) = self.save(name, editor, false, "capture")?;
        self.set_current(Some(name))?;
        if let Some((_, interest)) = self.live.take() {
            self.live = Some((name.to_owned(), interest));
        }
        Ok(v)
    }

    /// Writes a version and reads it back; prunes old versions.
    fn save(
        &mut self,
        name: &str,
        editor: Option<Value>,
        automatic: bool,
        reason: &str,
    ) -> Result<(Version, Snapshot), ContextError> {
        let snap = snapshot::take(&self.repo, &mut self.memo)?;
        let head = self.head_state()?;
        let identity = self.identity()?;
        let versions = self.versions_of(name)?;
        let workdir = self.workdir.clone();
        let mut interest = self.live_interest()?.clone();
        if let Some(e) = &editor {
            interest.feed_editor(e, &workdir);
        }
        if let Some((_, live)) = self.live.as_mut() {
            *live = interest.clone();
        }
        // An automatic save may keep the newest version's editor state, or be that version.
        let prev_v = match versions.last() {
            Some(prev) if automatic => Some(self.load(name, *prev)?),
            _ => None,
        };
        let prev_tree = match &prev_v {
            Some(v) => Some(self.repo.find_commit(v.commit)?.tree()?),
            None => None,
        };
        let prev_entry = |n: &str| prev_tree.as_ref()?.get_name(n).map(|e| e.id());
        // The editor state's blob: the bytes to store (none when kept from the newest
        // version, whose blob is there already) and its id.
        let (editor_blob, editor_from) = match (&editor, &prev_v) {
            (Some(e), _) => {
                let bytes = serde_json::to_vec(e).expect("invariant: a Value always serialises");
                let oid = Oid::hash_object(ObjectType::Blob, &bytes)?;
                (Some((Some(bytes), oid)), None)
            }
            (None, Some(p)) if p.meta.has_editor => (
                prev_entry("editor.json").map(|oid| (None, oid)),
                Some(p.meta.editor_from.unwrap_or(p.meta.version)),
            ),
            _ => (None, None),
        };
        // A save that would hold exactly what the newest version holds adds nothing: going
        // back and forth between two contexts must not push older versions out.
        if let Some(prev_v) = prev_v
            && prev_v.meta.head == head
            && prev_entry("index") == Some(snap.index_tree)
            && prev_entry("worktree") == Some(snap.worktree_tree)
            && prev_entry("editor.json") == editor_blob.as_ref().map(|(_, oid)| *oid)
        {
            snapshot::verify(
                &self.repo,
                &prev_v.refname,
                prev_v.commit,
                &snap,
                &mut self.memo,
            )?;
            return Ok((
                Version {
                    unchanged: true,
                    ..prev_v
                },
                snap,
            ));
        }
        let version = versions.last().map_or(1, |v| v.version + 1);
        let meta = Meta {
            format: FORMAT,
            name: name.to_owned(),
            version,
            created_ms: now_ms(),
            automatic,
            reason: reason.to_owned(),
            repo: identity,
            head: head.clone(),
            counts: snap.counts.clone(),
            untouched: snap.untouched.clone(),
            interest,
            has_editor: editor_blob.is_some(),
            editor_from,
        };
        let meta_json =
            serde_json::to_string_pretty(&meta).expect("invariant: the meta always serialises");
        let mut tb = self.repo.treebuilder(None)?;
        if let Some((bytes, oid)) = &editor_blob {
            // The same state as last time is the same blob: looked up, not written again
            // (which would touch its file).
            let odb = self.repo.odb()?;
            if let Some(bytes) = bytes
                && !odb.exists(*oid)
            {
                odb.write(ObjectType::Blob, bytes)?;
            }
            tb.insert("editor.json", *oid, FileMode::Blob.into())?;
        }
        tb.insert("index", snap.index_tree, FileMode::Tree.into())?;
        tb.insert("worktree", snap.worktree_tree, FileMode::Tree.into())?;
        let tree = self.repo.find_tree(tb.write()?)?;
        let parent = match &head.commit {
            Some(c) => Some(self.repo.find_commit(Oid::from_str(c)?)?),
            None => None,
        };
        let sig = Signature::now("ses", "ses@localhost")?;
        let message = format!("ses context {name:?} version {version} ({reason})\n{meta_json}\n");
        let commit = self.repo.commit(
            None,
            &sig,
            &sig,
            &message,
            &tree,
            &parent.iter().collect::<Vec<_>>(),
        )?;
        let vref = VersionRef {
            version,
            automatic,
            commit,
        };
        let refname = vref.refname(name);
        self.repo.reference(&refname, commit, false, &message)?;
        snapshot::verify(&self.repo, &refname, commit, &snap, &mut self.memo)?;
        let mut versions = versions;
        versions.push(vref);
        self.prune(name, &versions)?;
        Ok((
            Version {
                refname,
                commit,
                meta,
                unchanged: false,
            },
            snap,
        ))
    }

    /// Keeps the newest [`KEEP_VERSIONS`] versions and the newest explicit capture.
    /// `versions` are the context's, oldest first (as `versions_of` gives them).
    fn prune(&self, name: &str, versions: &[VersionRef]) -> Result<(), ContextError> {
        if versions.len() <= KEEP_VERSIONS {
            return Ok(());
        }
        let newest_explicit = versions.iter().rev().find(|v| !v.automatic).copied();
        let journaled: Vec<String> = self
            .pending()?
            .into_iter()
            .flat_map(|p| [p.saved, p.target])
            .collect();
        let cut = versions.len() - KEEP_VERSIONS;
        for v in &versions[..cut] {
            if newest_explicit.is_some_and(|e| e.version == v.version)
                || journaled.contains(&v.commit.to_string())
            {
                continue;
            }
            self.repo.find_reference(&v.refname(name))?.delete()?;
        }
        Ok(())
    }

    /// Where HEAD goes and which trees to restore for a saved version.
    fn target(&self, v: &Version) -> Result<Target, ContextError> {
        let index = self.subtree(v, "index")?;
        let worktree = self.subtree(v, "worktree")?;
        let mut notes = Vec::new();
        let head = &v.meta.head;
        let commit = head.commit.as_deref().map(Oid::from_str).transpose()?;
        let plan = match (&head.branch, commit) {
            (Some(b), Some(c)) => match self.repo.find_branch(b, BranchType::Local) {
                Ok(br) => {
                    let now = br.get().target();
                    if now == Some(c) {
                        HeadPlan::Branch(b.clone())
                    } else {
                        let c_tree = self.repo.find_commit(c)?.tree_id();
                        let now_s = now.map(|o| o.to_string()).unwrap_or_default();
                        if index == c_tree && worktree == index {
                            notes.push(format!(
                                "branch {b} moved since the context was saved ({} → {}); \
                                 it is checked out as it is now",
                                short(&c.to_string()),
                                short(&now_s)
                            ));
                            let now_tree = match now {
                                Some(n) => self.repo.find_commit(n)?.tree_id(),
                                None => c_tree,
                            };
                            return Ok(Target {
                                index: now_tree,
                                worktree: now_tree,
                                head: HeadPlan::Branch(b.clone()),
                                notes,
                            });
                        }
                        notes.push(format!(
                            "branch {b} points at {} now, not at {} where the context was \
                             saved (re-created or moved); the context is restored on a detached \
                             HEAD at {} so its changes apply as they were: `git switch -c NAME` \
                             keeps them on a new branch",
                            short(&now_s),
                            short(&c.to_string()),
                            short(&c.to_string())
                        ));
                        HeadPlan::Detached(c)
                    }
                }
                Err(e) if e.code() == git2::ErrorCode::NotFound => {
                    notes.push(format!(
                        "branch {b} was deleted since the context was saved; it is re-created at {}",
                        short(&c.to_string())
                    ));
                    HeadPlan::Create(b.clone(), c)
                }
                Err(e) => return Err(e.into()),
            },
            (None, Some(c)) => HeadPlan::Detached(c),
            (Some(b), None) => match self.repo.find_branch(b, BranchType::Local) {
                Ok(_) => {
                    notes.push(format!(
                        "branch {b} had no commits when the context was saved and has some \
                         now; the saved files are restored on top of it"
                    ));
                    HeadPlan::Branch(b.clone())
                }
                Err(_) => HeadPlan::Unborn(b.clone()),
            },
            (None, None) => {
                return Err(ContextError::Corrupt {
                    refname: v.refname.clone(),
                    detail: "its metadata names neither a branch nor a commit".into(),
                });
            }
        };
        Ok(Target {
            index,
            worktree,
            head: plan,
            notes,
        })
    }

    fn set_head(&self, plan: &HeadPlan) -> Result<(), ContextError> {
        match plan {
            HeadPlan::Branch(b) | HeadPlan::Unborn(b) => {
                self.repo.set_head(&format!("refs/heads/{b}"))?
            }
            HeadPlan::Create(b, c) => {
                self.repo.branch(b, &self.repo.find_commit(*c)?, false)?;
                self.repo.set_head(&format!("refs/heads/{b}"))?;
            }
            HeadPlan::Detached(c) => self.repo.set_head_detached(*c)?,
        }
        Ok(())
    }

    /// Carries out `plan` (from a working tree just saved and verified to `target`), writes
    /// the index and HEAD, then checks the result. The caller holds a journal.
    fn restore(
        &mut self,
        plan: &restore::Plan,
        from_index: Oid,
        target: &Target,
        journal: &Pending,
        name: &str,
    ) -> Result<usize, ContextError> {
        let interrupted = |detail: String| ContextError::Interrupted {
            name: name.to_owned(),
            journal: journal.journal.clone(),
            id: journal.id.clone(),
            detail,
        };
        restore::apply(&self.repo, &self.workdir, plan)
            .map_err(|e| interrupted(format!("writing the working tree failed: {e}")))?;
        let write_index = || -> Result<(), ContextError> {
            let mut index = self.repo.index()?;
            index.read(false)?;
            // The index as saved gets only the entries that differ (the rest keep their
            // stat data); one changed since the save is replaced whole. Either way the
            // index read back below must be the target's.
            if index.write_tree()? == from_index {
                update_index(&self.repo, &mut index, from_index, target.index)?;
            } else {
                index.read_tree(&self.repo.find_tree(target.index)?)?;
            }
            index.write()?;
            self.set_head(&target.head)
        };
        write_index().map_err(|e| interrupted(format!("writing the index or HEAD failed: {e}")))?;
        restore::verify(&self.repo, &self.workdir, plan, &mut self.memo).map_err(|bad| {
            interrupted(format!(
                "the result differs from the saved context: {}",
                bad.join("; ")
            ))
        })?;
        let on_disk = || -> Result<Oid, ContextError> {
            let mut index = git2::Index::open(&self.repo.path().join("index"))?;
            Ok(index.write_tree_to(&self.repo)?)
        };
        match on_disk() {
            Ok(t) if t == target.index => {}
            Ok(_) => {
                return Err(interrupted(
                    "the index on disk differs from the saved one".into(),
                ));
            }
            Err(e) => return Err(interrupted(format!("reading the index back failed: {e}"))),
        }
        Ok(plan.files())
    }

    fn journal_path(&self) -> PathBuf {
        self.repo.path().join("ses").join("journal")
    }

    /// Records a switch about to touch the working tree. The journal is one line of JSON
    /// in `<gitdir>/ses/journal`, written in place (no new file, no new object: on some
    /// filesystems creating an inode costs more than the rest of a switch); both versions
    /// it names are under refs, and nothing prunes a version a journal names.
    fn write_journal(&self, p: &mut Pending) -> Result<(), ContextError> {
        self.ses_dir()?;
        let path = self.journal_path();
        p.journal = path.display().to_string();
        let line = serde_json::to_string(p).expect("invariant: a journal serialises") + "\n";
        write_in_place(&path, &line)
    }

    /// Marks the journal done (empties it).
    fn clear_journal(&self, p: &Pending) -> Result<(), ContextError> {
        if p.journal.starts_with(RECOVER) {
            self.repo.find_reference(&p.journal)?.delete()?;
            return Ok(());
        }
        write_in_place(&self.journal_path(), "")
    }

    /// Saves the current context, restores `name` and returns its editor state (documents
    /// most interesting first, the focused one last).
    pub fn switch(&mut self, name: &str, editor: Option<Value>) -> Result<Switched, ContextError> {
        check_name(name)?;
        let _lock = self.lock()?;
        let current = self.current_name()?;
        let tref = self.latest(name)?;
        if current == name {
            return Ok(Switched {
                name: name.to_owned(),
                previous: current,
                noop: true,
                saved: None,
                restored: None,
                head: self.head_state()?,
                files: 0,
                notes: vec![format!("{name:?} is already the current context")],
                untouched: Vec::new(),
                editor: Value::Object(Default::default()),
            });
        }
        self.check_state()?;
        let pending = self.pending()?;
        if !pending.is_empty() {
            return Err(ContextError::Pending {
                ids: pending.into_iter().map(|p| p.id).collect(),
            });
        }
        let restored = self.load(name, tref)?;
        let target = self.target(&restored)?;
        let (saved, snap) = self.save(&current, editor, true, "switch")?;
        let plan = restore::plan(&self.repo, snap.worktree_tree, target.worktree)?;
        restore::check(&self.workdir, &plan, &snap).map_err(|problems| ContextError::Conflict {
            name: name.to_owned(),
            saved: current.clone(),
            version: saved.meta.version,
            problems,
        })?;
        let mut journal = Pending {
            id: now_ms().to_string(),
            journal: String::new(),
            from: current.clone(),
            to: name.to_owned(),
            started_ms: now_ms(),
            saved: saved.commit.to_string(),
            saved_version: saved.meta.version,
            target: restored.commit.to_string(),
            target_version: restored.meta.version,
        };
        self.write_journal(&mut journal)?;
        let files = self.restore(&plan, snap.index_tree, &target, &journal, name)?;
        self.set_current(Some(name))?;
        self.clear_journal(&journal)?;
        let mut untouched = snap.untouched.clone();
        untouched.extend(plan.submodules.iter().map(|p| Untouched {
            path: p.clone(),
            why: "submodule (its commit differs between the contexts)".into(),
        }));
        untouched.sort();
        untouched.dedup_by(|a, b| a.path == b.path);
        self.live = Some((name.to_owned(), restored.meta.interest.clone()));
        let editor = order_documents(
            &self.editor_of(&restored)?,
            &restored.meta.interest,
            &self.workdir,
        );
        Ok(Switched {
            name: name.to_owned(),
            previous: current,
            noop: false,
            saved: Some(saved),
            head: self.head_state()?,
            restored: Some(restored),
            files,
            notes: target.notes,
            untouched,
            editor,
        })
    }

    /// Every context, sorted by name.
    pub fn list(&self) -> Result<Vec<Summary>, ContextError> {
        let current = self.current_name()?;
        let mut out = Vec::new();
        for (name, versions) in self.all_versions()? {
            let Some(last) = versions.last() else {
                continue;
            };
            out.push(Summary {
                current: name == current,
                versions: versions.len(),
                latest: self.load(&name, *last)?,
                name,
            });
        }
        Ok(out)
    }

    /// One context: its versions (newest first), editor state, files and interest.
    pub fn show(&self, name: &str) -> Result<Detail, ContextError> {
        let versions = self.versions_of(name)?;
        if versions.is_empty() {
            return Err(self.unknown(name));
        }
        let loaded = versions
            .iter()
            .rev()
            .map(|v| self.load(name, *v))
            .collect::<Result<Vec<_>, _>>()?;
        let latest = &loaded[0];
        let editor = order_documents(
            &self.editor_of(latest)?,
            &latest.meta.interest,
            &self.workdir,
        );
        Ok(Detail {
            name: name.to_owned(),
            current: self.current_name()? == name,
            files: self.files(latest)?,
            interest: latest.meta.interest.ranked(),
            editor,
            versions: loaded,
        })
    }

    fn files(&self, v: &Version) -> Result<Vec<FileState>, ContextError> {
        let index = self.repo.find_tree(self.subtree(v, "index")?)?;
        let worktree = self.repo.find_tree(self.subtree(v, "worktree")?)?;
        let head = match &v.meta.head.commit {
            Some(c) => Some(self.repo.find_commit(Oid::from_str(c)?)?.tree()?),
            None => None,
        };
        let mut files: BTreeMap<String, FileState> = BTreeMap::new();
        let staged = self
            .repo
            .diff_tree_to_tree(head.as_ref(), Some(&index), None)?;
        let unstaged = self
            .repo
            .diff_tree_to_tree(Some(&index), Some(&worktree), None)?;
        for (diff, is_staged) in [(staged, true), (unstaged, false)] {
            for d in diff.deltas() {
                let path = d
                    .new_file()
                    .path_bytes()
                    .or(d.old_file().path_bytes())
                    .map(|p| String::from_utf8_lossy(p).into_owned())
                    .unwrap_or_default();
                let state = match (d.status(), is_staged) {
                    (git2::Delta::Added, true) => "added",
                    (git2::Delta::Added, false) => "untracked",
                    (git2::Delta::Deleted, _) => "deleted",
                    _ => "modified",
                };
                let f = files.entry(path.clone()).or_insert(FileState {
                    path,
                    staged: None,
                    worktree: None,
                });
                if is_staged {
                    f.staged = Some(state);
                } else {
                    f.worktree = Some(state);
                }
            }
        }
        Ok(files.into_values().collect())
    }

    /// Removes every version of a context; returns how many. Deleting the current context
    /// only forgets its saved versions: the working tree is not touched.
    pub fn delete(&mut self, name: &str) -> Result<usize, ContextError> {
        let _lock = self.lock()?;
        let pending = self.pending()?;
        if pending.iter().any(|p| p.from == name || p.to == name) {
            return Err(ContextError::Pending {
                ids: pending.into_iter().map(|p| p.id).collect(),
            });
        }
        let versions = self.versions_of(name)?;
        if versions.is_empty() {
            return Err(self.unknown(name));
        }
        for v in &versions {
            self.repo.find_reference(&v.refname(name))?.delete()?;
        }
        if self.stored_current()?.as_deref() == Some(name) {
            self.set_current(None)?;
        }
        Ok(versions.len())
    }

    /// Switches a crash interrupted, oldest first.
    pub fn pending(&self) -> Result<Vec<Pending>, ContextError> {
        let mut out = Vec::new();
        let path = self.journal_path();
        match fs::read_to_string(&path) {
            Ok(text) => {
                // One write of under a page: a kill leaves the old line or the new one,
                // and anything after the first line is a longer old one's tail.
                let line = text.lines().next().unwrap_or("").trim();
                if !line.is_empty() {
                    let mut p: Pending =
                        serde_json::from_str(line).map_err(|e| ContextError::Corrupt {
                            refname: path.display().to_string(),
                            detail: format!(
                                "its journal does not parse ({e}); the versions it named are \
                                 still under refs/ses/contexts (`ses context show NAME`)"
                            ),
                        })?;
                    p.journal = path.display().to_string();
                    out.push(p);
                }
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&path, e)),
        }
        // Journals written by earlier builds were commits under refs/ses/recover/.
        for r in self.repo.references_glob(&format!("{RECOVER}*"))? {
            let r = r?;
            let (Some(refname), Some(commit)) = (r.name().ok(), r.target()) else {
                continue;
            };
            let mut p = self.read_message::<Pending>(commit, refname)?;
            p.journal = refname.to_owned();
            out.push(p);
        }
        out.sort_by(|a, b| a.started_ms.cmp(&b.started_ms).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// Puts back the state from before an interrupted switch: what is in the working tree
    /// now is saved first (under the current context's name), then the version the switch
    /// saved is restored, checked, and the journal dropped.
    pub fn recover(&mut self, id: &str) -> Result<Recovered, ContextError> {
        let _lock = self.lock()?;
        let pending = self.pending()?;
        let Some(p) = pending.iter().find(|p| p.id == id).cloned() else {
            return Err(ContextError::UnknownRecovery {
                id: id.to_owned(),
                known: pending.into_iter().map(|p| p.id).collect(),
            });
        };
        // A killed switch can leave git's own lock files; ones made after it began are its.
        for lock in ["index.lock", "HEAD.lock"] {
            let path = self.repo.path().join(lock);
            if let Ok(m) = fs::metadata(&path)
                && m.modified()
                    .ok()
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .is_some_and(|t| t.as_millis() as u64 + 1000 >= p.started_ms)
            {
                fs::remove_file(&path).map_err(|e| io_err(&path, e))?;
            }
        }
        self.check_state()?;
        let saved_commit = Oid::from_str(&p.saved)?;
        let refname = self
            .versions_of(&p.from)?
            .into_iter()
            .find(|v| v.commit == saved_commit)
            .map_or_else(|| p.journal.clone(), |v| v.refname(&p.from));
        let meta: Meta = self.read_message(saved_commit, &refname)?;
        let restored = Version {
            refname,
            commit: saved_commit,
            meta,
            unchanged: false,
        };
        let target = self.target(&restored)?;
        let current = self.current_name()?;
        let (kept, snap) = self.save(&current, None, true, "recover")?;
        let plan = restore::plan(&self.repo, snap.worktree_tree, target.worktree)?;
        restore::check(&self.workdir, &plan, &snap).map_err(|problems| ContextError::Conflict {
            name: p.from.clone(),
            saved: current.clone(),
            version: kept.meta.version,
            problems,
        })?;
        let files = self.restore(&plan, snap.index_tree, &target, &p, &p.from)?;
        self.set_current(Some(&p.from))?;
        self.clear_journal(&p)?;
        self.live = Some((p.from.clone(), restored.meta.interest.clone()));
        let editor = order_documents(
            &self.editor_of(&restored)?,
            &restored.meta.interest,
            &self.workdir,
        );
        Ok(Recovered {
            id: p.id,
            name: p.from,
            kept,
            restored,
            files,
            notes: target.notes,
            editor,
        })
    }
}

/// Turns `index` (whose tree is `from`) into one whose tree is `to`, changing only the
/// entries that differ: new and changed ones get no stat data (git reads them once).
fn update_index(
    repo: &Repository,
    index: &mut git2::Index,
    from: Oid,
    to: Oid,
) -> Result<(), ContextError> {
    let diff = repo.diff_tree_to_tree(
        Some(&repo.find_tree(from)?),
        Some(&repo.find_tree(to)?),
        None,
    )?;
    for d in diff.deltas() {
        let new = d.new_file();
        if d.status() == git2::Delta::Deleted {
            if let Some(path) = d.old_file().path() {
                index.remove_path(path)?;
            }
            continue;
        }
        // Added, modified, or a type change: the entry at the path is replaced.
        let path = new.path_bytes().unwrap_or_default().to_vec();
        let zero = git2::IndexTime::new(0, 0);
        index.add(&git2::IndexEntry {
            ctime: zero,
            mtime: zero,
            dev: 0,
            ino: 0,
            mode: u32::from(new.mode()),
            uid: 0,
            gid: 0,
            file_size: 0,
            id: new.id(),
            flags: 0,
            flags_extended: 0,
            path,
        })?;
    }
    Ok(())
}

/// Replaces a small file's text without making a new file: one write at offset 0 (under a
/// page, so a killed process leaves the old text or the new, never half), then the
/// length. Readers take the first line, so a longer old text's tail that a kill left
/// behind is never read. Creating a file (and renaming it over the old one) costs a new
/// inode, which on ext4 without a journal is the slowest step of a switch.
fn write_in_place(path: &Path, text: &str) -> Result<(), ContextError> {
    use std::os::unix::fs::FileExt;
    debug_assert!(text.len() < 4096 && text.lines().count() <= 2);
    let file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| io_err(path, e))?;
    file.write_all_at(text.as_bytes(), 0)
        .and_then(|()| file.set_len(text.len() as u64))
        .map_err(|e| io_err(path, e))
}

fn short(oid: &str) -> String {
    oid.chars().take(10).collect()
}

/// Removes `*.lock` files under `dir` (a killed ref writer's leftovers).
fn remove_lock_files(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => remove_lock_files(&path),
            Ok(_) if path.extension().is_some_and(|x| x.as_bytes() == b"lock") => {
                let _ = fs::remove_file(&path);
            }
            _ => {}
        }
    }
}

fn random_id(near: &Path) -> Result<String, ContextError> {
    let mut bytes = [0u8; 16];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| io_err(near, e))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests;
