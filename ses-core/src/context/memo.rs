//! What a repository's contexts remember between saves, so a save does only the work that
//! changed: readings of files (stat data → blob), trees built from a base and changes,
//! and trees whose every blob was found present.
//!
//! Invariant: nothing remembered is used without a check that it still holds: a reading
//! only while the file's stat data is unchanged and was taken [`SETTLED_NS`] after its
//! last change; a built tree only while its object exists; a complete tree for an hour
//! (git prunes an unreachable object only after two weeks). Each memory is bounded.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::time::{SystemTime, UNIX_EPOCH};

use git2::{IndexEntry, Oid};

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

    pub(super) fn is_link(&self) -> bool {
        self.mode & 0o170000 == 0o120000
    }

    pub(super) fn exec(&self) -> bool {
        self.mode & 0o111 != 0
    }

    /// Whether the index entry's stat data is this file's (git's `ie_match_stat`, less the
    /// content checks), with the exec bit only where the filesystem keeps it.
    pub(super) fn matches(&self, e: &IndexEntry, filemode: bool) -> bool {
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
/// holds), which git reads again on every `git status`. Also the directory trees built
/// (see `trees`) and the trees found complete (see `snapshot::verify`).
#[derive(Debug, Default)]
pub(crate) struct Memo {
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
pub(super) struct Known {
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

impl Memo {
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
    pub(super) fn begin_scan(&mut self) -> HashMap<Vec<u8>, Known> {
        std::mem::take(&mut self.files)
    }

    /// `path`'s blob from the scan's start (`before`), kept for the next scan.
    pub(super) fn carry(
        &mut self,
        before: &HashMap<Vec<u8>, Known>,
        path: &[u8],
        stat: &Stat,
    ) -> Option<Oid> {
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

    pub(super) fn recently_verified(&mut self) -> HashSet<Oid> {
        if self
            .verified
            .1
            .is_none_or(|since| since.elapsed() > VERIFIED_FOR)
        {
            self.verified = (HashSet::new(), Some(std::time::Instant::now()));
        }
        self.verified.0.clone()
    }

    pub(super) fn verified(&mut self, trees: HashSet<Oid>) {
        if self.verified.0.len() > TREES_KEPT {
            self.verified.0.clear();
        }
        self.verified.0.extend(trees);
    }

    pub(super) fn tree(&self, key: &[u8; 32]) -> Option<Oid> {
        self.trees.get(key).copied()
    }

    pub(super) fn remember_tree(&mut self, key: [u8; 32], tree: Oid) {
        if self.trees.len() >= TREES_KEPT {
            self.trees.clear();
        }
        self.trees.insert(key, tree);
    }
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
