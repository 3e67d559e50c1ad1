//! The working state as git objects: the index as a tree, and the working tree (tracked
//! files as they are on disk plus untracked, not ignored files) as a second tree built
//! from the first by the files `git status` sees differ. Bytes are taken raw from disk (no
//! clean filters), so what is restored is exactly what was there.
//!
//! Invariant: a snapshot names only objects that are in the object database when it is
//! returned; a file that changes while it is read is an error, never a torn blob.

use std::collections::{BTreeMap, HashSet};
use std::ffi::OsStr;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use git2::build::TreeUpdateBuilder;
use git2::{FileMode, ObjectType, Odb, Oid, Repository, Status, StatusOptions, StatusShow};

use super::ContextError;

/// Files up to this size are read whole; larger ones are streamed into the object database.
const WHOLE_READ: u64 = 1 << 20;
const STREAM_BUF: usize = 256 * 1024;

/// A file whose bytes were written as a blob by this snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Written {
    pub oid: Oid,
    pub size: u64,
    pub mtime: (i64, i64),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    /// Paths whose staged content differs from the commit.
    pub staged: usize,
    /// Tracked paths modified or deleted in the working tree.
    pub unstaged: usize,
    /// Untracked, not ignored files.
    pub untracked: usize,
}

/// Something a snapshot leaves alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Untouched {
    pub path: String,
    pub why: String,
}

#[derive(Debug)]
pub(super) struct Snapshot {
    pub index_tree: Oid,
    pub worktree_tree: Oid,
    pub written: BTreeMap<Vec<u8>, Written>,
    pub counts: Counts,
    pub untouched: Vec<Untouched>,
}

pub(super) fn io_err(path: &Path, source: std::io::Error) -> ContextError {
    ContextError::Io {
        path: path.to_owned(),
        source,
    }
}

pub(super) fn workdir(repo: &Repository) -> Result<PathBuf, ContextError> {
    repo.workdir()
        .map(Path::to_owned)
        .ok_or_else(|| ContextError::Bare {
            path: repo.path().to_owned(),
        })
}

/// The unmerged paths of the index, sorted.
pub(super) fn unmerged(index: &git2::Index) -> Result<Vec<String>, ContextError> {
    let mut paths = Vec::new();
    for c in index.conflicts()? {
        let c = c?;
        if let Some(e) = c.our.or(c.their).or(c.ancestor) {
            paths.push(String::from_utf8_lossy(&e.path).into_owned());
        }
    }
    paths.sort();
    paths.dedup();
    Ok(paths)
}

/// Writes the current index and working tree as trees. With `hash_first`, a file is hashed
/// before it is written and not written again when its blob exists (the check after a
/// restore, where every file's blob is expected to be there already).
pub(super) fn take(repo: &Repository, hash_first: bool) -> Result<Snapshot, ContextError> {
    let workdir = workdir(repo)?;
    let mut index = repo.index()?;
    index.read(false)?;
    if index.has_conflicts() {
        return Err(ContextError::Unmerged {
            paths: unmerged(&index)?,
        });
    }
    let index_tree = index.write_tree()?;
    let mut untouched = Vec::new();
    for e in index.iter() {
        if e.mode == 0o160000 {
            untouched.push(Untouched {
                path: String::from_utf8_lossy(&e.path).into_owned(),
                why: "submodule".into(),
            });
        }
    }
    let filemode = repo
        .config()
        .and_then(|c| c.get_bool("core.filemode"))
        .unwrap_or(true);
    let mut opts = StatusOptions::new();
    opts.show(StatusShow::Workdir)
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .exclude_submodules(true)
        .renames_index_to_workdir(false)
        .update_index(true);
    let statuses = repo.statuses(Some(&mut opts))?;
    let odb = repo.odb()?;
    let mut updates = TreeUpdateBuilder::new();
    let mut written = BTreeMap::new();
    let mut counts = Counts::default();
    let mut buf = Vec::new();
    for entry in statuses.iter() {
        let s = entry.status();
        let path = entry.path_bytes().to_vec();
        if path.ends_with(b"/") {
            // An untracked directory status does not descend into: another repository.
            untouched.push(Untouched {
                path: String::from_utf8_lossy(&path[..path.len() - 1]).into_owned(),
                why: "nested repository".into(),
            });
            continue;
        }
        if !s.intersects(
            Status::WT_NEW | Status::WT_MODIFIED | Status::WT_DELETED | Status::WT_TYPECHANGE,
        ) {
            continue;
        }
        if s.contains(Status::WT_NEW) {
            counts.untracked += 1;
        } else {
            counts.unstaged += 1;
        }
        let full = workdir.join(OsStr::from_bytes(&path));
        let meta = match fs::symlink_metadata(&full) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                updates.remove(path);
                continue;
            }
            Err(e) => return Err(io_err(&full, e)),
        };
        if meta.file_type().is_symlink() {
            let target = fs::read_link(&full).map_err(|e| io_err(&full, e))?;
            let oid = odb.write(ObjectType::Blob, target.as_os_str().as_bytes())?;
            updates.upsert(path, oid, FileMode::Link);
        } else if meta.is_file() {
            let exec = if filemode {
                meta.permissions().mode() & 0o111 != 0
            } else {
                index
                    .get_path(Path::new(OsStr::from_bytes(&path)), 0)
                    .is_some_and(|e| e.mode == 0o100755)
            };
            let oid = write_file(&odb, &full, &meta, hash_first, &mut buf)?;
            written.insert(
                path.clone(),
                Written {
                    oid,
                    size: meta.len(),
                    mtime: (meta.mtime(), meta.mtime_nsec()),
                },
            );
            let mode = if exec {
                FileMode::BlobExecutable
            } else {
                FileMode::Blob
            };
            updates.upsert(path, oid, mode);
        } else {
            // A tracked file replaced by a directory: its files are listed on their own.
            updates.remove(path);
        }
    }
    let base = repo.find_tree(index_tree)?;
    let worktree_tree = updates.create_updated(repo, &base)?;
    counts.staged = staged_count(repo, index_tree)?;
    untouched.sort();
    Ok(Snapshot {
        index_tree,
        worktree_tree,
        written,
        counts,
        untouched,
    })
}

/// How many paths the index changes against HEAD (0 without commits: everything is new
/// then, and counted).
fn staged_count(repo: &Repository, index_tree: Oid) -> Result<usize, ContextError> {
    let head_tree = match repo.head() {
        Ok(h) => Some(h.peel_to_tree()?),
        Err(_) => None,
    };
    if head_tree.as_ref().map(|t| t.id()) == Some(index_tree) {
        return Ok(0);
    }
    let index_tree = repo.find_tree(index_tree)?;
    let diff = repo.diff_tree_to_tree(head_tree.as_ref(), Some(&index_tree), None)?;
    Ok(diff.deltas().len())
}

/// Writes one file's bytes as a blob: small files in one read, large ones streamed so
/// a file of any size costs a fixed buffer.
fn write_file(
    odb: &Odb<'_>,
    path: &Path,
    meta: &fs::Metadata,
    hash_first: bool,
    buf: &mut Vec<u8>,
) -> Result<Oid, ContextError> {
    if hash_first {
        let oid = Oid::hash_file(ObjectType::Blob, path)?;
        if odb.exists(oid) {
            return Ok(oid);
        }
    }
    let changed = || ContextError::Changed {
        path: path.to_owned(),
    };
    let mut file = fs::File::open(path).map_err(|e| io_err(path, e))?;
    let size = meta.len();
    if size <= WHOLE_READ {
        buf.clear();
        file.read_to_end(buf).map_err(|e| io_err(path, e))?;
        if buf.len() as u64 != size {
            return Err(changed());
        }
        return Ok(odb.write(ObjectType::Blob, buf)?);
    }
    let len = usize::try_from(size).map_err(|_| changed())?;
    let mut w = odb.writer(len, ObjectType::Blob)?;
    buf.resize(STREAM_BUF, 0);
    let mut left = size;
    loop {
        let n = file.read(buf).map_err(|e| io_err(path, e))?;
        if n == 0 {
            break;
        }
        if n as u64 > left {
            return Err(changed());
        }
        w.write_all(&buf[..n]).map_err(|e| io_err(path, e))?;
        left -= n as u64;
    }
    if left != 0 {
        return Err(changed());
    }
    Ok(w.finalize()?)
}

/// Every blob the trees name, each once (shared subtrees are walked once).
pub(super) fn blobs(repo: &Repository, roots: &[Oid]) -> Result<HashSet<Oid>, ContextError> {
    let mut seen_trees = HashSet::new();
    let mut out = HashSet::new();
    let mut stack: Vec<Oid> = roots.to_vec();
    while let Some(t) = stack.pop() {
        if !seen_trees.insert(t) {
            continue;
        }
        let tree = repo.find_tree(t)?;
        for e in tree.iter() {
            match e.kind() {
                Some(ObjectType::Tree) => stack.push(e.id()),
                Some(ObjectType::Blob) => {
                    out.insert(e.id());
                }
                // Gitlinks name commits of another repository.
                _ => {}
            }
        }
    }
    Ok(out)
}

/// Reads a saved version back from its ref and checks it holds this snapshot: the ref
/// names the commit, the commit the trees, every file written is at its path with its
/// size (small ones re-read whole, which checks their hash), and every blob is present.
pub(super) fn verify(
    repo: &Repository,
    refname: &str,
    commit: Oid,
    snap: &Snapshot,
) -> Result<(), ContextError> {
    let bad = |detail: String| ContextError::Verify {
        refname: refname.to_owned(),
        detail,
    };
    let r = repo.find_reference(refname)?;
    if r.target() != Some(commit) {
        return Err(bad(format!("the ref points at {:?}", r.target())));
    }
    let tree = repo.find_commit(commit)?.tree()?;
    for (name, want) in [("index", snap.index_tree), ("worktree", snap.worktree_tree)] {
        let got = tree.get_name(name).map(|e| e.id());
        if got != Some(want) {
            return Err(bad(format!("{name} tree is {got:?}, expected {want}")));
        }
    }
    let odb = repo.odb()?;
    let worktree = repo.find_tree(snap.worktree_tree)?;
    for (path, w) in &snap.written {
        let entry = worktree
            .get_path(Path::new(OsStr::from_bytes(path)))
            .map_err(|_| bad(format!("{} is missing", String::from_utf8_lossy(path))))?;
        if entry.id() != w.oid {
            return Err(bad(format!(
                "{} names another blob",
                String::from_utf8_lossy(path)
            )));
        }
        let (size, kind) = odb.read_header(w.oid)?;
        if kind != ObjectType::Blob || size as u64 != w.size {
            return Err(bad(format!(
                "the blob of {} has {size} bytes, the file had {}",
                String::from_utf8_lossy(path),
                w.size
            )));
        }
        if w.size <= WHOLE_READ {
            // libgit2 checks the object's hash as it reads it.
            odb.read(w.oid)?;
        }
    }
    for oid in blobs(repo, &[snap.index_tree, snap.worktree_tree])? {
        if !odb.exists(oid) {
            return Err(bad(format!("blob {oid} is missing")));
        }
    }
    Ok(())
}
