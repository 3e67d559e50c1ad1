//! The working state as git objects: the index as a tree, and the working tree (tracked
//! files as they are on disk plus untracked, not ignored files) as a second tree built
//! from the first by the files `git status` sees differ. Bytes are taken raw from disk (no
//! clean filters), so what is restored is exactly what was there.
//!
//! Invariant: a snapshot names only objects that are in the object database when it is
//! returned; a file that changes while it is read is an error, never a torn blob.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsStr;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use git2::{FileMode, IndexEntry, ObjectType, Odb, Oid, Repository};

use super::ContextError;

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

/// What `lstat` says about a file, as far as telling "unchanged" goes (git's stat data,
/// without the device: libgit2 records `st_rdev` there, git nothing comparable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stat {
    pub mtime: (i64, i64),
    pub ctime: (i64, i64),
    pub ino: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
}

impl Stat {
    pub(crate) fn of(m: &fs::Metadata) -> Stat {
        Stat {
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
            ino: m.ino(),
            mode: m.mode(),
            uid: m.uid(),
            gid: m.gid(),
            size: m.size(),
        }
    }

    fn is_link(&self) -> bool {
        self.mode & 0o170000 == 0o120000
    }

    fn exec(&self) -> bool {
        self.mode & 0o111 != 0
    }

    /// Whether the index entry's stat data is this file's (git's `ie_match_stat`, less the
    /// content checks), with the exec bit only where the filesystem keeps it.
    fn matches(&self, e: &IndexEntry, filemode: bool) -> bool {
        let kind_ok = match e.mode {
            0o120000 => self.is_link(),
            0o100644 | 0o100755 => {
                self.mode & 0o170000 == 0o100000
                    && (!filemode || self.exec() == (e.mode == 0o100755))
            }
            _ => false,
        };
        kind_ok
            && e.mtime.seconds() == self.mtime.0 as i32
            && e.mtime.nanoseconds() == self.mtime.1 as u32
            && e.ctime.seconds() == self.ctime.0 as i32
            && e.ctime.nanoseconds() == self.ctime.1 as u32
            && e.ino == self.ino as u32
            && e.uid == self.uid
            && e.gid == self.gid
            && e.file_size == self.size as u32
    }
}

/// How long after a file's last change (its ctime) a reading of it is trusted to stand
/// for it while its stat data stays the same. Timestamps come from a coarse clock (a
/// tick of up to 10 ms), so a change right after a read can leave every stat field as
/// it was; a read this much later than the change cannot be followed by such a change.
const SETTLED_NS: i128 = 50_000_000;

/// Blobs of files this process has read, by path, so a file whose stat data has not
/// changed since is not read again. Git keeps the same in the index for files that match
/// it; this also covers files that differ from the index (the modified ones a context
/// holds), which git reads again on every `git status`. Also remembers the last working
/// trees built, by their changes from the index tree: going back to a context rebuilds
/// the same tree, and writing its subtrees again would touch every one of their files.
#[derive(Debug, Default)]
pub(crate) struct StatCache {
    files: HashMap<Vec<u8>, Known>,
    trees: HashMap<[u8; 32], Oid>,
    /// Trees every blob below which was found present, and since when.
    verified: (HashSet<Oid>, Option<std::time::Instant>),
}

/// How long a tree found complete is not checked again (git's `gc.pruneExpire` is two
/// weeks: an object that became unreachable stays that long).
const VERIFIED_FOR: std::time::Duration = std::time::Duration::from_secs(3600);

/// Directory trees remembered: enough for every directory of a few contexts of a large
/// repository; past it the memory starts again empty.
const TREES_KEPT: usize = 1 << 16;

#[derive(Debug, Clone, Copy)]
struct Known {
    stat: Stat,
    oid: Oid,
    /// Whether the reading came [`SETTLED_NS`] after the file's last change.
    settled: bool,
}

fn ns(t: (i64, i64)) -> i128 {
    i128::from(t.0) * 1_000_000_000 + i128::from(t.1)
}

fn now_ns() -> i128 {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    d.as_nanos() as i128
}

impl StatCache {
    /// Records that `path`, with stat data `stat` taken no earlier than `read_from` (ns
    /// since the epoch), held blob `oid`.
    pub(crate) fn record(&mut self, path: &[u8], stat: Stat, oid: Oid, read_from: i128) {
        let settled = ns(stat.ctime) + SETTLED_NS < read_from;
        self.files
            .insert(path.to_vec(), Known { stat, oid, settled });
    }

    #[cfg(test)]
    pub(crate) fn get(&self, path: &[u8], stat: &Stat) -> Option<Oid> {
        self.files
            .get(path)
            .filter(|k| k.settled && k.stat == *stat)
            .map(|k| k.oid)
    }

    /// Starts a scan: what it does not use or record again is forgotten at its end, so
    /// the cache holds only files that differed from the index in the last scan (and
    /// what a restore wrote since), however long the daemon runs.
    fn begin_scan(&mut self) -> HashMap<Vec<u8>, Known> {
        std::mem::take(&mut self.files)
    }

    /// `path`'s blob from the scan's start (`before`), kept for the next scan.
    fn carry(&mut self, before: &HashMap<Vec<u8>, Known>, path: &[u8], stat: &Stat) -> Option<Oid> {
        let k = before.get(path).filter(|k| k.settled && k.stat == *stat)?;
        self.files.insert(path.to_vec(), *k);
        Some(k.oid)
    }

    pub fn start() -> i128 {
        now_ns()
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.files.len()
    }

    fn recently_verified(&mut self) -> HashSet<Oid> {
        if self
            .verified
            .1
            .is_none_or(|since| since.elapsed() > VERIFIED_FOR)
        {
            self.verified = (HashSet::new(), Some(std::time::Instant::now()));
        }
        self.verified.0.clone()
    }

    fn verified(&mut self, trees: HashSet<Oid>) {
        if self.verified.0.len() > TREES_KEPT {
            self.verified.0.clear();
        }
        self.verified.0.extend(trees);
    }

    fn tree(&self, key: &[u8; 32]) -> Option<Oid> {
        self.trees.get(key).copied()
    }

    fn remember_tree(&mut self, key: [u8; 32], tree: Oid) {
        if self.trees.len() >= TREES_KEPT {
            self.trees.clear();
        }
        self.trees.insert(key, tree);
    }
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

/// Whether an index entry's stat data, when a file's matches it, proves the file holds
/// the entry's blob. Not when the entry changed at or after the index was written ("racily
/// clean": the file may have changed again within the same timestamp), nor when git
/// smudged it so by zeroing its size (a zero size proves nothing unless the blob is empty).
pub(crate) fn entry_trusted(e: &IndexEntry, index_mtime: (i64, i64), empty_blob: Oid) -> bool {
    let racy = (
        i64::from(e.mtime.seconds()),
        i64::from(e.mtime.nanoseconds()),
    ) >= index_mtime;
    let smudged = e.file_size == 0 && e.id != empty_blob;
    !racy && !smudged
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
pub(super) fn take(repo: &Repository, cache: &mut StatCache) -> Result<Snapshot, ContextError> {
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
    let read_from = StatCache::start();
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
    let mut changes: BTreeMap<Vec<u8>, Option<(Oid, FileMode)>> = BTreeMap::new();
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

/// A path's new blob and mode, or `None` for a deletion.
type Change = Option<(Oid, FileMode)>;

/// Changes by path relative to a directory, sorted.
type Changes<'a> = Vec<(&'a [u8], Change)>;

/// The index tree with `changes` applied. Each directory's tree is built once per
/// distinct (base tree, changes below it): going back to a context, or saving it after
/// an edit in one directory, writes only the trees that differ (writing an existing
/// object touches its file).
fn worktree_tree(
    repo: &Repository,
    index_tree: Oid,
    changes: &BTreeMap<Vec<u8>, Change>,
    cache: &mut StatCache,
) -> Result<Oid, ContextError> {
    if changes.is_empty() {
        return Ok(index_tree);
    }
    let list: Changes = changes.iter().map(|(p, c)| (p.as_slice(), *c)).collect();
    match build_tree(repo, Some(index_tree), &list, cache)? {
        Some(tree) => Ok(tree),
        None => Ok(repo.treebuilder(None)?.write()?),
    }
}

/// `base` (or nothing) with `changes` (paths relative to it, sorted) applied; `None` when
/// nothing is left (git stores no empty trees).
fn build_tree(
    repo: &Repository,
    base: Option<Oid>,
    changes: &[(&[u8], Change)],
    cache: &mut StatCache,
) -> Result<Option<Oid>, ContextError> {
    let mut key = blake3::Hasher::new();
    key.update(base.as_ref().map_or(&[0u8; 20][..], Oid::as_bytes));
    for (path, change) in changes {
        key.update(&(path.len() as u64).to_le_bytes());
        key.update(path);
        match change {
            Some((oid, mode)) => {
                key.update(&i32::from(*mode).to_le_bytes());
                key.update(oid.as_bytes());
            }
            None => {
                key.update(b"-");
            }
        }
    }
    let key: [u8; 32] = key.finalize().into();
    if let Some(tree) = cache.tree(&key)
        && repo.odb()?.exists(tree)
    {
        return Ok(Some(tree));
    }
    // Changes to entries of this directory, and groups of changes below a subdirectory
    // (contiguous: they share the prefix `dir/`).
    let mut direct: Changes = Vec::new();
    let mut nested: Vec<(&[u8], Changes)> = Vec::new();
    for &(path, change) in changes {
        match path.iter().position(|&b| b == b'/') {
            None => direct.push((path, change)),
            Some(slash) => {
                let (dir, rest) = (&path[..slash], &path[slash + 1..]);
                match nested.last_mut() {
                    Some((d, below)) if *d == dir => below.push((rest, change)),
                    _ => nested.push((dir, vec![(rest, change)])),
                }
            }
        }
    }
    let base_tree = base.map(|b| repo.find_tree(b)).transpose()?;
    let mut tb = repo.treebuilder(base_tree.as_ref())?;
    for (dir, below) in &nested {
        // A new file or link named like the directory replaces it (what is below can
        // only be its old contents going).
        if direct.iter().any(|(n, c)| n == dir && c.is_some()) {
            continue;
        }
        // What `dir` was in the base: a tree to change, else (a file, since removed or
        // replaced, or nothing) a new tree from nothing.
        let sub_base = base_tree
            .as_ref()
            .and_then(|t| t.get_name_bytes(dir))
            .filter(|e| e.kind() == Some(ObjectType::Tree))
            .map(|e| e.id());
        match build_tree(repo, sub_base, below, cache)? {
            Some(sub) => {
                tb.insert(dir, sub, FileMode::Tree.into())?;
            }
            None => {
                if tb.get(dir)?.is_some() {
                    tb.remove(dir)?;
                }
            }
        }
    }
    for (name, change) in direct {
        match change {
            Some((oid, mode)) => {
                tb.insert(name, oid, mode.into())?;
            }
            // A file that became a directory: the directory took its place above.
            None if nested.iter().any(|(d, _)| *d == name) => {}
            None => {
                if tb.get(name)?.is_some() {
                    tb.remove(name)?;
                }
            }
        }
    }
    if tb.is_empty() {
        return Ok(None);
    }
    let tree = tb.write()?;
    cache.remember_tree(key, tree);
    Ok(Some(tree))
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
    let mut file = fs::File::open(path).map_err(|e| io_err(path, e))?;
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
    cache: &mut StatCache,
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
