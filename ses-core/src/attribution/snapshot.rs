//! Saving an index to the content store and loading it back, so a daemon restart does not
//! walk history again.
//!
//! A snapshot holds every commit the index knows (with its raw author: `.mailmap` is
//! applied again on load, so a changed mailmap takes effect) and the state of the most
//! recently used revision. It is postcard-encoded (compact varints, a stable format) and
//! stored as one blob, named by a store root per repository.
//!
//! Invariants: a snapshot written by another format version is never trusted — the caller
//! rebuilds; a snapshot that does not decode is an error, never a partial index.

use std::sync::Arc;

use git2::{Mailmap, Oid};
use serde::{Deserialize, Serialize};

use super::index::{CommitInfo, FileOwners, Index, Person, TreeState, apply_mailmap};

/// Bump when the format or the attribution rules change: older snapshots are rebuilt.
pub const VERSION: u32 = 3;
const MAGIC: &str = "ses-attribution-index";

#[derive(Serialize, Deserialize)]
struct Snapshot {
    magic: String,
    version: u32,
    commits: Vec<CommitRec>,
    tip: Option<TipRec>,
    /// The commits blame looked through when the states were computed.
    ignored: Vec<[u8; 20]>,
}

#[derive(Serialize, Deserialize)]
struct CommitRec {
    id: [u8; 20],
    name: String,
    email: String,
    time: i64,
    summary: String,
    message: String,
}

#[derive(Serialize, Deserialize)]
struct TipRec {
    id: [u8; 20],
    files: Vec<FileRec>,
}

#[derive(Serialize, Deserialize)]
struct FileRec {
    path: Vec<u8>,
    blob: [u8; 20],
    owners: Vec<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("not an attribution index snapshot")]
    NotASnapshot,
    #[error("an index snapshot of version {found}, this is version {VERSION}: rebuild it")]
    Version { found: u32 },
    #[error("the index snapshot is damaged: {0}")]
    Damaged(String),
}

fn oid(bytes: &[u8; 20]) -> Result<Oid, SnapshotError> {
    Oid::from_bytes(bytes).map_err(|e| SnapshotError::Damaged(e.to_string()))
}

fn raw(id: Oid) -> [u8; 20] {
    let mut out = [0u8; 20];
    out.copy_from_slice(&id.as_bytes()[..20]);
    out
}

/// Encodes `index`; `None` when it has no revision state yet.
pub fn save(index: &Index) -> Option<Vec<u8>> {
    let (tip_id, state) = index.latest_tip()?;
    let commits = index
        .commits()
        .iter()
        .map(|c| CommitRec {
            id: raw(c.id),
            name: c.author_raw.name.clone(),
            email: c.author_raw.email.clone(),
            time: c.time,
            summary: c.summary.clone(),
            message: c.message.clone(),
        })
        .collect();
    // Sorted, so equal indexes give byte-identical snapshots.
    let mut files: Vec<FileRec> = state
        .iter()
        .map(|(path, f)| FileRec {
            path: path.to_vec(),
            blob: raw(f.blob),
            owners: f.owners.to_vec(),
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let snapshot = Snapshot {
        magic: MAGIC.into(),
        version: VERSION,
        commits,
        tip: Some(TipRec {
            id: raw(*tip_id),
            files,
        }),
        ignored: index.ignored().iter().map(|id| raw(*id)).collect(),
    };
    Some(postcard::to_stdvec(&snapshot).expect("invariant: plain data always encodes"))
}

/// Decodes a snapshot, applying `mailmap` to its authors.
pub fn load(bytes: &[u8], mailmap: &Mailmap) -> Result<Index, SnapshotError> {
    let snapshot: Snapshot =
        postcard::from_bytes(bytes).map_err(|_| SnapshotError::NotASnapshot)?;
    if snapshot.magic != MAGIC {
        return Err(SnapshotError::NotASnapshot);
    }
    if snapshot.version != VERSION {
        return Err(SnapshotError::Version {
            found: snapshot.version,
        });
    }
    let n = snapshot.commits.len();
    let mut commits = Vec::with_capacity(n);
    for c in snapshot.commits {
        let author_raw = Person {
            name: c.name,
            email: c.email,
        };
        commits.push(CommitInfo {
            id: oid(&c.id)?,
            author: apply_mailmap(mailmap, &author_raw),
            author_raw,
            time: c.time,
            summary: c.summary,
            message: c.message,
        });
    }
    let mut tips = Vec::new();
    if let Some(tip) = snapshot.tip {
        let mut state = TreeState::with_capacity(tip.files.len());
        for f in tip.files {
            if let Some(bad) = f.owners.iter().find(|&&o| o as usize >= n) {
                return Err(SnapshotError::Damaged(format!(
                    "a line owner {bad} beyond the {n} commits"
                )));
            }
            state.insert(
                Arc::from(f.path),
                FileOwners {
                    blob: oid(&f.blob)?,
                    owners: f.owners.into(),
                },
            );
        }
        tips.push((oid(&tip.id)?, Arc::new(state)));
    }
    let ignored = snapshot
        .ignored
        .iter()
        .map(oid)
        .collect::<Result<std::collections::BTreeSet<_>, _>>()?;
    let mut restored = Index::from_parts(commits, tips);
    restored.set_ignored_unchecked(ignored);
    Ok(restored)
}
