//! The working state as git objects: the index as a tree, and the working tree (tracked
//! files as they are on disk plus untracked, not ignored files) as a second tree built
//! from the first by the files that differ from it, found the way git finds them. Bytes are taken raw from disk (no
//! clean filters), so what is restored is exactly what was there.
//!
//! Invariant: a snapshot names only objects that are in the object database when it is
//! returned; a file that changes while it is read is an error, never a torn blob.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsStr;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use git2::{FileMode, IndexEntry, ObjectType, Odb, Oid, Repository};

use super::ContextError;
use super::memo::{Memo, Stat, entry_trusted};
use super::trees::{Change, worktree_tree};

/// Files up to this size are read whole; larger ones are streamed into the object database.
const WHOLE_READ: u64 = 1 << 20;
const STREAM_BUF: usize = 256 * 1024;

/// A file whose bytes were read and stored as a blob by this snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Written {
    pub oid: Oid,
    pub size: u64,
    /// Whether this snapshot stored the blob (it was not in the object database).
    pub new: bool,
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
    /// Files read whole for this snapshot (the others matched the index or the cache).
    pub written: BTreeMap<Vec<u8>, Written>,
    /// The stat data of every file and symlink of the working tree (tracked or saved
    /// untracked) as the snapshot found it: what a restore checks before replacing one.
    pub stats: HashMap<Vec<u8>, Stat>,
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

/// The index, freshly read, and the modification time of its file: entries changed at or
/// after it are "racily clean" and their stat data proves nothing (git's rule).
fn read_index(repo: &Repository) -> Result<(git2::Index, (i64, i64)), ContextError> {
    let file = repo.path().join("index");
    let stamp = |file: &Path| match fs::metadata(file) {
        Ok(m) => Ok(Some(Stat::of(&m))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(file, e)),
    };
    let mut index = repo.index()?;
    for _ in 0..5 {
        let before = stamp(&file)?;
        index.read(false)?;
        let after = stamp(&file)?;
        if before == after {
            // Without an index file every entry is racy, which is right: there is none.
            return Ok((index, after.map_or((i64::MIN, 0), |s| s.mtime)));
        }
    }
    Err(ContextError::Changed { path: file })
}

/// One index entry as the scan needs it.
struct Tracked {
    entry: IndexEntry,
    /// Its stat data can be trusted to mean "unchanged" when it matches.
    trusted: bool,
    seen: bool,
}

/// What the walk found that is not unchanged-and-tracked: a file or symlink to read.
struct Candidate {
    path: Vec<u8>,
    stat: Stat,
    tracked: Option<(Oid, u32)>,
}

/// Writes the current index and working tree as trees. The working tree is found the
/// way git finds it: tracked files whose stat data matches a settled index entry are
/// taken as the index has them; the rest are read, unless `cache` read them before and
/// their stat data has not changed since; untracked files are found by walking
/// directories, never descending into ignored ones, other repositories or submodules.
pub(super) fn take(repo: &Repository, cache: &mut Memo) -> Result<Snapshot, ContextError> {
    let workdir = workdir(repo)?;
    let (mut index, index_mtime) = read_index(repo)?;
    if index.has_conflicts() {
        return Err(ContextError::Unmerged {
            paths: unmerged(&index)?,
        });
    }
    let index_tree = index.write_tree()?;
    let filemode = repo
        .config()
        .and_then(|c| c.get_bool("core.filemode"))
        .unwrap_or(true);
    let empty_blob = Oid::hash_object(ObjectType::Blob, b"")?;
    let mut untouched = Vec::new();
    let mut tracked: HashMap<Vec<u8>, Tracked> = HashMap::with_capacity(index.len());
    let mut tracked_dirs: HashSet<Vec<u8>> = HashSet::new();
    let mut gitlinks: HashSet<Vec<u8>> = HashSet::new();
    for e in index.iter() {
        let mut at = e.path.len();
        while let Some(i) = e.path[..at].iter().rposition(|&b| b == b'/') {
            if !tracked_dirs.insert(e.path[..i].to_vec()) {
                break;
            }
            at = i;
        }
        if e.mode == 0o160000 {
            untouched.push(Untouched {
                path: String::from_utf8_lossy(&e.path).into_owned(),
                why: "submodule".into(),
            });
            gitlinks.insert(e.path.clone());
            continue;
        }
        tracked.insert(
            e.path.clone(),
            Tracked {
                trusted: entry_trusted(&e, index_mtime, empty_blob),
                seen: false,
                entry: e,
            },
        );
    }
    let read_from = Memo::start();
    let before = cache.begin_scan();
    let mut dirs: Vec<&[u8]> = tracked_dirs.iter().map(Vec::as_slice).collect();
    dirs.push(b"");
    dirs.sort_unstable();
    let found = list_dirs(&workdir, &dirs, &tracked, &tracked_dirs, &gitlinks)?;
    let mut candidates = Vec::new();
    let mut stats = HashMap::with_capacity(tracked.len());
    for (path, stat) in found.tracked {
        // invariant: `list_dir` puts only paths of `tracked` here.
        let Some(t) = tracked.get_mut(&path) else {
            continue;
        };
        t.seen = true;
        stats.insert(path.clone(), stat);
        if t.trusted && stat.matches(&t.entry, filemode) {
            continue;
        }
        candidates.push(Candidate {
            tracked: Some((t.entry.id, t.entry.mode)),
            path,
            stat,
        });
    }
    // Untracked things, depth first; below an untracked directory nothing is tracked.
    let mut other = found.other;
    other.reverse();
    while let Some((path, stat)) = other.pop() {
        let Some(stat) = stat else {
            let full = workdir.join(OsStr::from_bytes(&path));
            if fs::symlink_metadata(full.join(".git")).is_ok() {
                untouched.push(Untouched {
                    path: String::from_utf8_lossy(&path).into_owned(),
                    why: "nested repository".into(),
                });
            } else if !ignored(repo, &path, true)? {
                let mut inside = Listing::default();
                list_dir(
                    &workdir,
                    &path,
                    &tracked,
                    &tracked_dirs,
                    &gitlinks,
                    &mut inside,
                )?;
                other.extend(inside.other.into_iter().rev());
            }
            continue;
        };
        if ignored(repo, &path, false)? {
            continue;
        }
        stats.insert(path.clone(), stat);
        candidates.push(Candidate {
            path,
            stat,
            tracked: None,
        });
    }
    let odb = repo.odb()?;
    // Path → new blob and mode, or None for a deletion.
    let mut changes: BTreeMap<Vec<u8>, Change> = BTreeMap::new();
    let mut written = BTreeMap::new();
    let mut counts = Counts::default();
    let mut buf = Vec::new();
    for c in candidates {
        let full = workdir.join(OsStr::from_bytes(&c.path));
        let (oid, mode) = if c.stat.is_link() {
            let target = fs::read_link(&full).map_err(|e| io_err(&full, e))?;
            (
                odb.write(ObjectType::Blob, target.as_os_str().as_bytes())?,
                FileMode::Link,
            )
        } else {
            let exec = if filemode {
                c.stat.exec()
            } else {
                c.tracked.is_some_and(|(_, m)| m == 0o100755)
            };
            let mode = if exec {
                FileMode::BlobExecutable
            } else {
                FileMode::Blob
            };
            let cached = cache
                .carry(&before, &c.path, &c.stat)
                .filter(|o| odb.exists(*o));
            let oid = match cached {
                Some(oid) => oid,
                None => {
                    let (oid, new) = write_file(&odb, &full, c.stat.size, &mut buf)?;
                    cache.record(&c.path, c.stat, oid, read_from);
                    written.insert(
                        c.path.clone(),
                        Written {
                            oid,
                            size: c.stat.size,
                            new,
                        },
                    );
                    oid
                }
            };
            (oid, mode)
        };
        match c.tracked {
            Some((id, m)) if id == oid && m as i32 == i32::from(mode) => continue,
            Some(_) => counts.unstaged += 1,
            None => counts.untracked += 1,
        }
        changes.insert(c.path, Some((oid, mode)));
    }
    for (path, t) in &tracked {
        // Sparse checkouts leave skip-worktree entries off disk on purpose.
        const SKIP_WORKTREE: u16 = 1 << 14;
        if !t.seen && t.entry.flags_extended & SKIP_WORKTREE == 0 {
            counts.unstaged += 1;
            changes.insert(path.clone(), None);
        }
    }
    let worktree_tree = worktree_tree(repo, index_tree, &changes, cache)?;
    counts.staged = staged_count(repo, index_tree)?;
    untouched.sort();
    Ok(Snapshot {
        index_tree,
        worktree_tree,
        written,
        stats,
        counts,
        untouched,
    })
}

/// What the walk found in directories: tracked files with their stat data, and what git
/// does not track (files with their stat data, directories with none), yet to be checked
/// against the ignore rules.
#[derive(Default)]
struct Listing {
    tracked: Vec<(Vec<u8>, Stat)>,
    other: Vec<(Vec<u8>, Option<Stat>)>,
    /// Directories with tracked files, seen (by `lstat`) as directories.
    dirs: Vec<Vec<u8>>,
}

/// The directory part of a path (empty at the top).
fn parent(path: &[u8]) -> &[u8] {
    path.iter()
        .rposition(|&b| b == b'/')
        .map_or(&path[..0], |i| &path[..i])
}

/// Lists `dirs` (each one level: the list holds every directory with tracked files), on
/// up to four threads: `lstat` of every file is most of a save.
fn list_dirs(
    workdir: &Path,
    dirs: &[&[u8]],
    tracked: &HashMap<Vec<u8>, Tracked>,
    tracked_dirs: &HashSet<Vec<u8>>,
    gitlinks: &HashSet<Vec<u8>>,
) -> Result<Listing, ContextError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(4)
        .min(dirs.len() / 8)
        .max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || -> Result<Listing, ContextError> {
        let mut out = Listing::default();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(dir) = dirs.get(i) else {
                return Ok(out);
            };
            list_dir(workdir, dir, tracked, tracked_dirs, gitlinks, &mut out)?;
        }
    };
    let parts: Vec<Result<Listing, ContextError>> = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut parts = vec![work()];
        for h in helpers {
            parts.push(h.join().unwrap_or_else(|_| {
                Err(ContextError::Io {
                    path: workdir.to_owned(),
                    source: std::io::Error::other("a directory lister panicked"),
                })
            }));
        }
        parts
    });
    let mut all = Listing::default();
    for part in parts {
        let part = part?;
        all.tracked.extend(part.tracked);
        all.other.extend(part.other);
        all.dirs.extend(part.dirs);
    }
    // A directory was listed through its path, which follows symlinks; git does not:
    // keep only what lies below real directories all the way up.
    all.dirs
        .sort_unstable_by_key(|d| d.iter().filter(|&&b| b == b'/').count());
    let mut real: HashSet<&[u8]> = HashSet::from([&b""[..]]);
    for d in &all.dirs {
        if real.contains(parent(d)) {
            real.insert(d);
        }
    }
    let real: HashSet<Vec<u8>> = real.into_iter().map(<[u8]>::to_vec).collect();
    all.tracked.retain(|(p, _)| real.contains(parent(p)));
    all.other.retain(|(p, _)| real.contains(parent(p)));
    // The same listing whatever the threads' timing.
    all.tracked.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    all.other.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(all)
}

/// Lists one directory (`dir` relative to the working tree; empty for its root).
fn list_dir(
    workdir: &Path,
    dir: &[u8],
    tracked: &HashMap<Vec<u8>, Tracked>,
    tracked_dirs: &HashSet<Vec<u8>>,
    gitlinks: &HashSet<Vec<u8>>,
    out: &mut Listing,
) -> Result<(), ContextError> {
    let full_dir = if dir.is_empty() {
        workdir.to_owned()
    } else {
        workdir.join(OsStr::from_bytes(dir))
    };
    let entries = match fs::read_dir(&full_dir) {
        Ok(e) => e,
        // Gone, or now a file or symlink: whatever was tracked in it is deleted.
        Err(e)
            if !dir.is_empty()
                && matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
        {
            return Ok(());
        }
        Err(e) => return Err(io_err(&full_dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| io_err(&full_dir, e))?;
        let name = entry.file_name();
        if name.as_bytes() == b".git" {
            continue;
        }
        let mut path = dir.to_vec();
        if !path.is_empty() {
            path.push(b'/');
        }
        path.extend_from_slice(name.as_bytes());
        if gitlinks.contains(&path) {
            continue;
        }
        let meta = match entry.metadata() {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_err(&entry.path(), e)),
        };
        let ft = meta.file_type();
        if ft.is_dir() {
            // Directories with tracked files are on the caller's list.
            if tracked_dirs.contains(&path) {
                out.dirs.push(path);
            } else {
                out.other.push((path, None));
            }
        } else if ft.is_file() || ft.is_symlink() {
            let stat = Stat::of(&meta);
            if tracked.contains_key(&path) {
                out.tracked.push((path, stat));
            } else {
                out.other.push((path, Some(stat)));
            }
        }
        // Sockets, fifos and devices are not content git can hold.
    }
    Ok(())
}

/// Whether git ignores `path` (a directory when `dir`): `.gitignore` files,
/// `info/exclude` and `core.excludesFile`, as libgit2 reads them.
fn ignored(repo: &Repository, path: &[u8], dir: bool) -> Result<bool, ContextError> {
    let mut p = path.to_vec();
    if dir {
        p.push(b'/');
    }
    Ok(repo.is_path_ignored(Path::new(OsStr::from_bytes(&p)))?)
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
/// a file of any size costs a fixed buffer. `size` is what `lstat` said; a file that
/// grows or shrinks while it is read is an error, never a torn blob.
fn write_file(
    odb: &Odb<'_>,
    path: &Path,
    size: u64,
    buf: &mut Vec<u8>,
) -> Result<(Oid, bool), ContextError> {
    let changed = || ContextError::Changed {
        path: path.to_owned(),
    };
    let mut file = fs::File::open(path).map_err(|e| match e.kind() {
        // Listed a moment ago: removed since.
        std::io::ErrorKind::NotFound => changed(),
        _ => io_err(path, e),
    })?;
    if size <= WHOLE_READ {
        buf.clear();
        file.read_to_end(buf).map_err(|e| io_err(path, e))?;
        if buf.len() as u64 != size {
            return Err(changed());
        }
        let oid = Oid::hash_object(ObjectType::Blob, buf)?;
        // An object already stored is not written again (nor its file touched).
        if odb.exists(oid) {
            return Ok((oid, false));
        }
        odb.write(ObjectType::Blob, buf)?;
        return Ok((oid, true));
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
    Ok((w.finalize()?, true))
}

/// Every blob the trees name, each once (shared subtrees are walked once), less those
/// below trees in `skip`; and the trees walked.
fn blobs(
    repo: &Repository,
    roots: &[Oid],
    skip: &HashSet<Oid>,
) -> Result<(HashSet<Oid>, HashSet<Oid>), ContextError> {
    let mut seen_trees = HashSet::new();
    let mut out = HashSet::new();
    let mut stack: Vec<Oid> = roots.to_vec();
    while let Some(t) = stack.pop() {
        if skip.contains(&t) || !seen_trees.insert(t) {
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
    Ok((out, seen_trees))
}

/// Reads a saved version back from its ref and checks it holds this snapshot: the ref
/// names the commit, the commit the trees, every file written is at its path with its
/// size (small ones re-read whole, which checks their hash), and every blob is present.
pub(super) fn verify(
    repo: &Repository,
    refname: &str,
    commit: Oid,
    snap: &Snapshot,
    cache: &mut Memo,
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
        if !w.new {
            // Found by its hash, the hash of the bytes just read: nothing was written.
            continue;
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
    // A tree whose every blob was found present recently is not walked again: what
    // refs reach is never pruned, and git prunes what they do not only weeks later.
    let skip = cache.recently_verified();
    let (blobs, trees) = blobs(repo, &[snap.index_tree, snap.worktree_tree], &skip)?;
    for oid in blobs {
        if !odb.exists(oid) {
            return Err(bad(format!("blob {oid} is missing")));
        }
    }
    cache.verified(trees);
    Ok(())
}
