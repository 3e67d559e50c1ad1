//! The line-ownership index: one forward walk of history that knows, for every file of a
//! revision, which commit introduced each of its lines — what `git blame` would say.
//!
//! The walk visits commits parents first. A commit's state starts as its first parent's
//! (moved, not copied, when nothing else needs the parent any more) and only the files the
//! commit changed are recomputed, by the rules git blame applies backwards:
//!
//! * same path in the parent (`M`): unchanged lines keep the parent's owner, others are
//!   this commit's; a type change (`T`) or an added path (`A`) owns all its lines, unless
//!   rename detection (git's default 50% similarity, renames only, as `find_rename`) finds
//!   the path's source in that parent;
//! * a merge: if any parent has the identical blob, the first such parent's owners are taken
//!   whole (`pass_whole_blame`); otherwise each parent in order, skipping one whose blob an
//!   earlier parent already has, gives its owners to the lines still unclaimed that are
//!   unchanged against it; what is left is the merge's own.
//!
//! Invariants: read-only on the repository; states are shared (`Arc`) and never mutated
//! once another commit or a caller can see them; results do not depend on hash-map order.

use std::collections::HashMap;
use std::sync::Arc;

use git2::{Delta, DiffFindOptions, DiffOptions, FileMode, Mailmap, Oid, Repository, Sort};

use super::lines::{count_lines, unchanged_from};
use super::{AttributionError, Result};

/// Index of a commit in [`Index::commits`].
pub type CommitIx = u32;

/// A person as `git blame` shows them: mailmapped name and email.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Person {
    pub name: String,
    pub email: String,
}

/// What the index keeps of a commit.
#[derive(Debug, Clone)]
pub struct CommitInfo {
    pub id: Oid,
    pub author: Person,
    /// Author time, seconds since the epoch.
    pub time: i64,
    pub summary: String,
    /// The full message, for trailers (`Co-authored-by:`).
    pub message: String,
}

/// One file of a revision with the owner of each line.
#[derive(Debug, Clone)]
pub struct FileOwners {
    pub blob: Oid,
    pub owners: Arc<[CommitIx]>,
}

/// Every file of one revision, by repository path (bytes: git paths need not be UTF-8).
pub type TreeState = HashMap<Arc<[u8]>, FileOwners>;

/// The index of one repository.
pub struct Index {
    commits: Vec<CommitInfo>,
    by_id: HashMap<Oid, CommitIx>,
    /// Complete states of the revisions computed so far, newest use last.
    tips: Vec<(Oid, Arc<TreeState>)>,
}

/// How many revision states the index keeps for incremental updates.
const KEEP_TIPS: usize = 8;

impl Default for Index {
    fn default() -> Self {
        Self::new()
    }
}

impl Index {
    pub fn new() -> Index {
        Index {
            commits: Vec::new(),
            by_id: HashMap::new(),
            tips: Vec::new(),
        }
    }

    pub fn commit(&self, ix: CommitIx) -> &CommitInfo {
        &self.commits[ix as usize]
    }

    pub fn commits(&self) -> &[CommitInfo] {
        &self.commits
    }

    /// The state of `target`, walking only the history the index has not seen yet.
    /// `progress` is called with (commits done, commits to do).
    pub fn state_at(
        &mut self,
        repo: &Repository,
        target: Oid,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Arc<TreeState>> {
        if let Some(pos) = self.tips.iter().position(|(id, _)| *id == target) {
            let tip = self.tips.remove(pos);
            let state = tip.1.clone();
            self.tips.push(tip);
            return Ok(state);
        }
        let mailmap = repo
            .mailmap()
            .map_err(AttributionError::git("read .mailmap"))?;
        let todo = match self.plan(repo, target, true)? {
            Some(todo) => todo,
            // History we need is behind a known tip but not one: walk it all.
            None => self
                .plan(repo, target, false)?
                .expect("invariant: a plan without known tips needs no state"),
        };
        let state = self.walk(repo, &mailmap, &todo, target, progress)?;
        self.tips.push((target, state.clone()));
        if self.tips.len() > KEEP_TIPS {
            self.tips.remove(0);
        }
        Ok(state)
    }

    /// The commits to visit, parents first; `None` when some parent is neither to be visited
    /// nor a known tip (its state is gone).
    fn plan(&self, repo: &Repository, target: Oid, reuse: bool) -> Result<Option<Vec<Oid>>> {
        let mut walk = repo
            .revwalk()
            .map_err(AttributionError::git("walk history"))?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
            .map_err(AttributionError::git("walk history"))?;
        walk.push(target)
            .map_err(AttributionError::git("walk history"))?;
        if reuse {
            for (tip, _) in &self.tips {
                walk.hide(*tip)
                    .map_err(AttributionError::git("walk history"))?;
            }
        }
        let todo: Vec<Oid> = walk
            .collect::<std::result::Result<_, _>>()
            .map_err(AttributionError::git("walk history"))?;
        if reuse {
            let new: std::collections::HashSet<Oid> = todo.iter().copied().collect();
            for id in &todo {
                let commit = repo
                    .find_commit(*id)
                    .map_err(AttributionError::git("read a commit"))?;
                for parent in commit.parent_ids() {
                    let known = self.tips.iter().any(|(t, _)| *t == parent);
                    if !new.contains(&parent) && !known && !is_shallow_boundary(repo, &parent) {
                        return Ok(None);
                    }
                }
            }
        }
        Ok(Some(todo))
    }

    fn intern_commit(&mut self, commit: &git2::Commit<'_>, mailmap: &Mailmap) -> CommitIx {
        if let Some(&ix) = self.by_id.get(&commit.id()) {
            return ix;
        }
        let sig = commit.author();
        let resolved = mailmap.resolve_signature(&sig).ok();
        let sig = resolved.as_ref().unwrap_or(&sig);
        let info = CommitInfo {
            id: commit.id(),
            author: Person {
                name: String::from_utf8_lossy(sig.name_bytes()).into_owned(),
                email: String::from_utf8_lossy(sig.email_bytes()).into_owned(),
            },
            time: commit.author().when().seconds(),
            summary: String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default())
                .into_owned(),
            message: String::from_utf8_lossy(commit.message_bytes()).into_owned(),
        };
        let ix = self.commits.len() as CommitIx;
        self.commits.push(info);
        self.by_id.insert(commit.id(), ix);
        ix
    }

    fn walk(
        &mut self,
        repo: &Repository,
        mailmap: &Mailmap,
        todo: &[Oid],
        target: Oid,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Arc<TreeState>> {
        // How many children still need each state.
        let mut pending: HashMap<Oid, usize> = HashMap::new();
        let mut parents_of: Vec<Vec<Oid>> = Vec::with_capacity(todo.len());
        for id in todo {
            let commit = repo
                .find_commit(*id)
                .map_err(AttributionError::git("read a commit"))?;
            let parents: Vec<Oid> = commit
                .parent_ids()
                .filter(|p| repo.find_commit(*p).is_ok())
                .collect();
            for p in &parents {
                *pending.entry(*p).or_default() += 1;
            }
            parents_of.push(parents);
        }
        let mut states: HashMap<Oid, Arc<TreeState>> = HashMap::new();
        for (tip, state) in &self.tips {
            if pending.contains_key(tip) {
                states.insert(*tip, state.clone());
            }
        }
        for (n, (id, parents)) in todo.iter().zip(&parents_of).enumerate() {
            progress(n, todo.len());
            let commit = repo
                .find_commit(*id)
                .map_err(AttributionError::git("read a commit"))?;
            let me = self.intern_commit(&commit, mailmap);
            let state = self.apply(repo, &commit, me, parents, &mut states, &pending)?;
            for p in parents {
                let left = pending.get_mut(p).expect("invariant: counted above");
                *left -= 1;
                if *left == 0 {
                    states.remove(p);
                }
            }
            if pending.get(id).copied().unwrap_or(0) > 0 || *id == target {
                states.insert(*id, Arc::new(state));
            }
        }
        progress(todo.len(), todo.len());
        states
            .remove(&target)
            .ok_or_else(|| AttributionError::Internal("the walk missed its target".into()))
    }

    /// The state of `commit`, from its parents' states.
    fn apply(
        &self,
        repo: &Repository,
        commit: &git2::Commit<'_>,
        me: CommitIx,
        parents: &[Oid],
        states: &mut HashMap<Oid, Arc<TreeState>>,
        pending: &HashMap<Oid, usize>,
    ) -> Result<TreeState> {
        let tree = commit
            .tree()
            .map_err(AttributionError::git("read a tree"))?;
        let Some(first) = parents.first() else {
            let mut state = TreeState::new();
            let diff = diff_trees(repo, None, &tree)?;
            for delta in diff.deltas() {
                if let Some((path, blob)) = new_blob(&delta) {
                    state.insert(path, self.all_mine(repo, blob, me)?);
                }
            }
            return Ok(state);
        };
        let base = states
            .get(first)
            .cloned()
            .ok_or_else(|| AttributionError::Internal("a parent's state is missing".into()))?;
        let first_tree = repo
            .find_commit(*first)
            .and_then(|c| c.tree())
            .map_err(AttributionError::git("read a tree"))?;
        let diff = diff_trees(repo, Some(&first_tree), &tree)?;
        // Compute every change from the parents' states before touching our copy, so a
        // file renamed onto another's old path still reads the parent's version.
        let mut removed = Vec::new();
        let mut changed = Vec::new();
        // Changes against the other parents, computed only when a merge needs them.
        let mut other_diffs: Vec<Option<ChangedPaths>> = vec![None; parents.len()];
        for delta in diff.deltas() {
            if let Some(old) = old_path_removed(&delta) {
                removed.push(old);
            }
            let Some((path, blob)) = new_blob(&delta) else {
                continue;
            };
            let first_origin = origin_of(&delta);
            let owners = if parents.len() == 1 {
                let parent = first_origin.and_then(|o| o.find(&base));
                self.pass(repo, parent, blob, me)?
            } else {
                self.merge_file(
                    repo,
                    commit,
                    &path,
                    blob,
                    me,
                    parents,
                    first_origin,
                    states,
                    &mut other_diffs,
                )?
            };
            changed.push((path, owners));
        }
        // Take the first parent's state; copy it only if another child still needs it.
        let mut state = if pending.get(first).copied() == Some(1) {
            states.remove(first);
            Arc::try_unwrap(base).unwrap_or_else(|shared| (*shared).clone())
        } else {
            (*base).clone()
        };
        for path in removed {
            state.remove(&path);
        }
        state.extend(changed);
        Ok(state)
    }

    fn all_mine(&self, repo: &Repository, blob: Oid, me: CommitIx) -> Result<FileOwners> {
        let content = read_blob(repo, blob)?;
        Ok(FileOwners {
            blob,
            owners: vec![me; count_lines(&content)].into(),
        })
    }

    /// Ownership of `blob` given one parent's version of the file.
    fn pass(
        &self,
        repo: &Repository,
        parent: Option<FileOwners>,
        blob: Oid,
        me: CommitIx,
    ) -> Result<FileOwners> {
        let Some(parent) = parent else {
            return self.all_mine(repo, blob, me);
        };
        if parent.blob == blob {
            return Ok(parent);
        }
        let old = read_blob(repo, parent.blob)?;
        let new = read_blob(repo, blob)?;
        let owners = unchanged_from(&old, &new)
            .into_iter()
            .map(|from| from.map_or(me, |i| parent.owners[i as usize]))
            .collect();
        Ok(FileOwners { blob, owners })
    }

    #[allow(clippy::too_many_arguments)]
    fn merge_file(
        &self,
        repo: &Repository,
        commit: &git2::Commit<'_>,
        path: &Arc<[u8]>,
        blob: Oid,
        me: CommitIx,
        parents: &[Oid],
        first_origin: Option<Origin>,
        states: &HashMap<Oid, Arc<TreeState>>,
        other_diffs: &mut [Option<ChangedPaths>],
    ) -> Result<FileOwners> {
        // Each parent's version of this file, in parent order.
        let mut origins: Vec<Option<FileOwners>> = Vec::with_capacity(parents.len());
        for (i, parent) in parents.iter().enumerate() {
            let origin = if i == 0 {
                first_origin.clone()
            } else {
                if other_diffs[i].is_none() {
                    let ptree = repo
                        .find_commit(*parent)
                        .and_then(|c| c.tree())
                        .map_err(AttributionError::git("read a tree"))?;
                    let tree = commit
                        .tree()
                        .map_err(AttributionError::git("read a tree"))?;
                    let diff = diff_trees(repo, Some(&ptree), &tree)?;
                    let mut map = HashMap::new();
                    for delta in diff.deltas() {
                        if let Some((p, _)) = new_blob(&delta) {
                            map.insert(p, origin_of(&delta).unwrap_or(Origin::None));
                        }
                    }
                    other_diffs[i] = Some(map);
                }
                let changed = other_diffs[i].as_ref().expect("invariant: filled above");
                match changed.get(path) {
                    // Not changed against this parent: the same path, the same blob.
                    None => Some(Origin::Path(path.clone())),
                    Some(Origin::None) => None,
                    Some(o) => Some(o.clone()),
                }
            };
            let found = match (origin, states.get(parent)) {
                (Some(o), Some(parent_state)) => o.find(parent_state),
                _ => None,
            };
            origins.push(found);
        }
        // pass_whole_blame: a parent with the identical blob takes every line.
        if let Some(same) = origins.iter().flatten().find(|o| o.blob == blob) {
            return Ok(same.clone());
        }
        let new = read_blob(repo, blob)?;
        let mut owners: Vec<Option<CommitIx>> = vec![None; count_lines(&new)];
        let mut tried: Vec<Oid> = Vec::new();
        for origin in origins.iter().flatten() {
            if tried.contains(&origin.blob) {
                continue;
            }
            tried.push(origin.blob);
            let old = read_blob(repo, origin.blob)?;
            for (line, from) in unchanged_from(&old, &new).into_iter().enumerate() {
                if owners[line].is_none()
                    && let Some(i) = from
                {
                    owners[line] = Some(origin.owners[i as usize]);
                }
            }
            if owners.iter().all(Option::is_some) {
                break;
            }
        }
        Ok(FileOwners {
            blob,
            owners: owners.into_iter().map(|o| o.unwrap_or(me)).collect(),
        })
    }
}

/// For one parent of a merge: the origin of each path the merge changed against it.
type ChangedPaths = HashMap<Arc<[u8]>, Origin>;

/// Where a file of a commit came from in one parent.
#[derive(Debug, Clone)]
enum Origin {
    /// The parent has no version of it (added, or its type changed).
    None,
    /// The same path, or the path it was renamed from.
    Path(Arc<[u8]>),
}

impl Origin {
    fn find(&self, parent: &TreeState) -> Option<FileOwners> {
        match self {
            Origin::None => None,
            Origin::Path(p) => parent.get(p).cloned(),
        }
    }
}

/// The parent-side origin a delta implies for its new file (first parent).
fn origin_of(delta: &git2::DiffDelta<'_>) -> Option<Origin> {
    match delta.status() {
        Delta::Modified => Some(Origin::Path(path_of(delta.old_file())?)),
        Delta::Renamed => Some(Origin::Path(path_of(delta.old_file())?)),
        Delta::Added | Delta::Typechange | Delta::Copied => Some(Origin::None),
        _ => None,
    }
    .filter(|o| !matches!(o, Origin::None))
}

/// The path a delta removes from the state (deleted, renamed away, or no longer a blob).
fn old_path_removed(delta: &git2::DiffDelta<'_>) -> Option<Arc<[u8]>> {
    match delta.status() {
        Delta::Deleted | Delta::Renamed => path_of(delta.old_file()),
        Delta::Typechange if !is_blob(delta.new_file().mode()) => path_of(delta.old_file()),
        Delta::Modified if !is_blob(delta.new_file().mode()) => path_of(delta.old_file()),
        _ => None,
    }
}

/// The file a delta leaves in the commit, when it is a blob (not a submodule).
fn new_blob(delta: &git2::DiffDelta<'_>) -> Option<(Arc<[u8]>, Oid)> {
    match delta.status() {
        Delta::Added | Delta::Modified | Delta::Renamed | Delta::Copied | Delta::Typechange => {
            let file = delta.new_file();
            if !is_blob(file.mode()) {
                return None;
            }
            let id = file.id();
            Some((path_of(file)?, id))
        }
        _ => None,
    }
}

fn is_blob(mode: FileMode) -> bool {
    matches!(
        mode,
        FileMode::Blob | FileMode::BlobExecutable | FileMode::BlobGroupWritable | FileMode::Link
    )
}

fn path_of(file: git2::DiffFile<'_>) -> Option<Arc<[u8]>> {
    file.path_bytes().map(Arc::from)
}

fn read_blob(repo: &Repository, id: Oid) -> Result<Vec<u8>> {
    repo.find_blob(id)
        .map(|b| b.content().to_vec())
        .map_err(AttributionError::git("read a blob"))
}

fn is_shallow_boundary(repo: &Repository, id: &Oid) -> bool {
    repo.is_shallow() && repo.find_commit(*id).is_err()
}

/// The tree diff git blame's `find_origin`/`find_rename` see: recursive, type changes
/// reported, whole-file renames detected at 50% similarity among deleted files.
fn diff_trees<'r>(
    repo: &'r Repository,
    old: Option<&git2::Tree<'_>>,
    new: &git2::Tree<'_>,
) -> Result<git2::Diff<'r>> {
    let mut opts = DiffOptions::new();
    opts.include_typechange(true).ignore_submodules(true);
    let mut diff = repo
        .diff_tree_to_tree(old, Some(new), Some(&mut opts))
        .map_err(AttributionError::git("diff two trees"))?;
    let mut find = DiffFindOptions::new();
    find.renames(true).rename_threshold(50).rename_limit(1000);
    diff.find_similar(Some(&mut find))
        .map_err(AttributionError::git("detect renames"))?;
    Ok(diff)
}
