//! The line-ownership index: one forward walk of history that knows, for every file of a
//! revision, which commit introduced each of its lines — what `git blame` would say.
//!
//! The walk visits commits parents first. A commit's state starts as its first parent's
//! (moved, not copied, when nothing else needs the parent any more) and only the files the
//! commit changed are recomputed, by the rules git blame applies backwards:
//!
//! * same path in the parent (`M`): unchanged lines keep the parent's owner, others are
//!   this commit's; a type change (`T`) or an added path (`A`) owns all its lines, unless
//!   `renames` (git's `find_rename` for that one path) finds the file it came from;
//! * a merge: if any parent has the identical blob, the first such parent's owners are taken
//!   whole (`pass_whole_blame`; same paths before renames); otherwise each parent in order, skipping one whose blob an
//!   earlier parent already has, gives its owners to the lines still unclaimed that are
//!   unchanged against it; what is left is the merge's own.
//!
//! Invariants: read-only on the repository; states are shared (`Arc`) and never mutated
//! once another commit or a caller can see them; results do not depend on hash-map order.

use std::collections::HashMap;
use std::sync::Arc;

use git2::{Delta, DiffOptions, FileMode, Mailmap, Oid, Repository, Sort};

use super::lines::{blob as find_blob, count_lines, guess_changed_lines, unchanged_between};
use super::renames::{Side, Similarity};
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
    /// The author with `.mailmap` applied.
    pub author: Person,
    /// The author as the commit records it.
    pub author_raw: Person,
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
    /// States of the last first-parent ancestors of recent targets, so an amended or
    /// rebased commit (whose parent is one of them) walks only what is new.
    checkpoints: Vec<(Oid, Arc<TreeState>)>,
    /// Commits whose changes blame looks through (`.git-blame-ignore-revs`). Every state
    /// depends on this set, so changing it starts the index afresh.
    ignored: std::collections::BTreeSet<Oid>,
}

/// How many revision states the index keeps for incremental updates.
const KEEP_TIPS: usize = 8;
/// How many first-parent ancestors of a target keep their state, and how many such
/// states the index keeps in all. Cloning a state copies its file map, not its lines.
const CHECKPOINT_DEPTH: usize = 16;
const KEEP_CHECKPOINTS: usize = 64;

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
            checkpoints: Vec::new(),
            ignored: Default::default(),
        }
    }

    pub fn commit(&self, ix: CommitIx) -> &CommitInfo {
        &self.commits[ix as usize]
    }

    pub fn commits(&self) -> &[CommitInfo] {
        &self.commits
    }

    /// The commits whose changes blame looks through.
    pub fn ignored(&self) -> &std::collections::BTreeSet<Oid> {
        &self.ignored
    }

    /// Sets the commits to look through; a different set than before drops every state
    /// (they were computed with the old set), keeping the commit table.
    pub fn set_ignored(&mut self, ignored: std::collections::BTreeSet<Oid>) {
        if ignored != self.ignored {
            self.tips.clear();
            self.checkpoints.clear();
            self.ignored = ignored;
        }
    }

    /// Records the set the existing states were computed with (a restored snapshot).
    pub(super) fn set_ignored_unchecked(&mut self, ignored: std::collections::BTreeSet<Oid>) {
        self.ignored = ignored;
    }

    /// Re-applies `.mailmap` to every commit's author (after the mailmap changed).
    pub fn remap_authors(&mut self, mailmap: &Mailmap) {
        for c in &mut self.commits {
            c.author = apply_mailmap(mailmap, &c.author_raw);
        }
    }

    /// Rebuilds an index from its parts (a snapshot).
    pub fn from_parts(commits: Vec<CommitInfo>, tips: Vec<(Oid, Arc<TreeState>)>) -> Index {
        let by_id = commits
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id, i as CommitIx))
            .collect();
        Index {
            commits,
            by_id,
            tips,
            checkpoints: Vec::new(),
            ignored: Default::default(),
        }
    }

    /// The most recently used revision state, for snapshots.
    pub fn latest_tip(&self) -> Option<&(Oid, Arc<TreeState>)> {
        self.tips.last()
    }

    pub fn commit_by_id(&self, id: Oid) -> Option<&CommitInfo> {
        self.by_id.get(&id).map(|&ix| self.commit(ix))
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
        if let Some((_, state)) = self.checkpoints.iter().find(|(id, _)| *id == target) {
            return Ok(state.clone());
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
            for (known, _) in self.known() {
                walk.hide(*known)
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
                    let known = self.known().any(|(t, _)| *t == parent);
                    if !new.contains(&parent) && !known && !is_shallow_boundary(repo, &parent) {
                        return Ok(None);
                    }
                }
            }
        }
        Ok(Some(todo))
    }

    /// Every revision whose state the index holds.
    fn known(&self) -> impl Iterator<Item = &(Oid, Arc<TreeState>)> {
        self.tips.iter().chain(&self.checkpoints)
    }

    fn intern_commit(&mut self, commit: &git2::Commit<'_>, mailmap: &Mailmap) -> CommitIx {
        if let Some(&ix) = self.by_id.get(&commit.id()) {
            return ix;
        }
        let sig = commit.author();
        let author_raw = Person {
            name: String::from_utf8_lossy(sig.name_bytes()).into_owned(),
            email: String::from_utf8_lossy(sig.email_bytes()).into_owned(),
        };
        let info = CommitInfo {
            id: commit.id(),
            author: apply_mailmap(mailmap, &author_raw),
            author_raw,
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
        for (known, state) in self.known() {
            if pending.contains_key(known) {
                states.insert(*known, state.clone());
            }
        }
        // The target's recent first-parent ancestors keep their state (see `checkpoints`).
        let mut keep = std::collections::HashSet::new();
        let position: HashMap<Oid, usize> =
            todo.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let mut cursor = position.get(&target).copied();
        while let Some(i) = cursor {
            if keep.len() == CHECKPOINT_DEPTH {
                break;
            }
            keep.insert(todo[i]);
            cursor = parents_of[i].first().and_then(|p| position.get(p).copied());
        }
        let plans = Planner::start(repo, todo, &parents_of, &self.ignored)?;
        for (n, (id, parents)) in todo.iter().zip(&parents_of).enumerate() {
            progress(n, todo.len());
            let plan = plans.next(n)?;
            let commit = repo
                .find_commit(*id)
                .map_err(AttributionError::git("read a commit"))?;
            let me = self.intern_commit(&commit, mailmap);
            let state = self.apply(plan, me, parents, &mut states, &pending)?;
            for p in parents {
                let left = pending.get_mut(p).expect("invariant: counted above");
                *left -= 1;
                if *left == 0 {
                    states.remove(p);
                }
            }
            if pending.get(id).copied().unwrap_or(0) > 0 || *id == target {
                let state = Arc::new(state);
                if keep.contains(id) && *id != target {
                    self.checkpoints.retain(|(k, _)| k != id);
                    self.checkpoints.push((*id, state.clone()));
                }
                states.insert(*id, state);
            }
        }
        if self.checkpoints.len() > KEEP_CHECKPOINTS {
            let drop = self.checkpoints.len() - KEEP_CHECKPOINTS;
            self.checkpoints.drain(..drop);
        }
        progress(todo.len(), todo.len());
        states
            .remove(&target)
            .ok_or_else(|| AttributionError::Internal("the walk missed its target".into()))
    }

    /// The state of a commit from its parents' states and its plan.
    fn apply(
        &self,
        plan: CommitPlan,
        me: CommitIx,
        parents: &[Oid],
        states: &mut HashMap<Oid, Arc<TreeState>>,
        pending: &HashMap<Oid, usize>,
    ) -> Result<TreeState> {
        let Some(first) = parents.first() else {
            return Ok(plan
                .files
                .into_iter()
                .map(|f| {
                    let owners = vec![me; f.lines].into();
                    (
                        f.path,
                        FileOwners {
                            blob: f.blob,
                            owners,
                        },
                    )
                })
                .collect());
        };
        let base = states
            .get(first)
            .cloned()
            .ok_or_else(|| AttributionError::Internal("a parent's state is missing".into()))?;
        // Compute every change from the parents' states before touching our copy, so a
        // file renamed onto another's old path still reads the parent's version.
        let mut changed = Vec::with_capacity(plan.files.len());
        for f in plan.files {
            let owners = self.owners_of(&f, me, parents, states)?;
            changed.push((f.path, owners));
        }
        // Take the first parent's state; copy it only if another child still needs it.
        let mut state = if pending.get(first).copied() == Some(1) {
            states.remove(first);
            Arc::try_unwrap(base).unwrap_or_else(|shared| (*shared).clone())
        } else {
            (*base).clone()
        };
        for path in plan.removed {
            state.remove(&path);
        }
        state.extend(changed);
        Ok(state)
    }

    /// A changed file's owners, from each parent's version of it: a parent with the
    /// identical blob takes every line (same paths before renames, as blame's two `find`
    /// passes); otherwise parents in order claim the lines unchanged against them.
    fn owners_of(
        &self,
        f: &FilePlan,
        me: CommitIx,
        parents: &[Oid],
        states: &HashMap<Oid, Arc<TreeState>>,
    ) -> Result<FileOwners> {
        let found: Vec<Option<FileOwners>> = parents
            .iter()
            .zip(&f.origins)
            .map(|(p, o)| states.get(p).and_then(|s| o.find(s)))
            .collect();
        if let Some(i) = f.whole_from
            && let Some(owners) = &found[i]
        {
            return Ok(owners.clone());
        }
        let mut owners: Vec<Option<CommitIx>> = vec![None; f.lines];
        // Unchanged lines first, against every parent; then, for an ignored commit, the
        // lines still unplaced go to the lines each parent's guesses name, parents in
        // order — git blame's ordinary passes come before its ignored-commit passes.
        for (origin, map) in found.iter().cycle().zip(f.maps.iter().chain(&f.guesses)) {
            let (Some(origin), Some(map)) = (origin, map) else {
                continue;
            };
            for (line, from) in map.iter().enumerate() {
                if owners[line].is_none()
                    && let Some(i) = from
                {
                    owners[line] = origin.owners.get(*i as usize).copied();
                }
            }
        }
        Ok(FileOwners {
            blob: f.blob,
            owners: owners.into_iter().map(|o| o.unwrap_or(me)).collect(),
        })
    }
}

/// What one commit changes, worked out from trees and blobs alone (no line owners), so
/// it can be computed on any thread ahead of the walk.
struct CommitPlan {
    /// Paths gone against the first parent.
    removed: Vec<Arc<[u8]>>,
    files: Vec<FilePlan>,
}

/// A new or changed file of a commit.
struct FilePlan {
    path: Arc<[u8]>,
    blob: Oid,
    lines: usize,
    /// Its origin in each parent, in parent order.
    origins: Vec<Origin>,
    /// The parent whose identical blob takes the file whole, if any.
    whole_from: Option<usize>,
    /// Per parent: for each line, the line of that parent's version it is unchanged from;
    /// `None` for parents with no version, or whose blob an earlier parent already has.
    maps: Vec<Option<Vec<Option<u32>>>>,
    /// For an ignored commit, per parent (as `maps`): for each changed line, the line of
    /// that parent's version blame passes it to. Empty for other commits.
    guesses: Vec<Option<Vec<Option<u32>>>>,
}

/// Plans the commits of a walk on worker threads, handing them out in walk order.
struct Planner {
    lanes: Vec<std::sync::mpsc::Receiver<Result<CommitPlan>>>,
}

impl Planner {
    /// Starts the workers; each opens its own handle on the repository (a `Repository`
    /// is not shareable between threads) and plans every `lanes`-th commit.
    fn start(
        repo: &Repository,
        todo: &[Oid],
        parents_of: &[Vec<Oid>],
        ignored: &std::collections::BTreeSet<Oid>,
    ) -> Result<Planner> {
        let workers = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 4)
            .min(todo.len().max(1));
        let path = repo.path().to_owned();
        let jobs: Arc<Vec<(Oid, Vec<Oid>, bool)>> = Arc::new(
            todo.iter()
                .zip(parents_of)
                .map(|(id, parents)| (*id, parents.clone(), ignored.contains(id)))
                .collect(),
        );
        let mut lanes = Vec::with_capacity(workers);
        for w in 0..workers {
            // A few plans ahead per worker bounds memory on long histories.
            let (tx, rx) = std::sync::mpsc::sync_channel(8);
            let (path, jobs) = (path.clone(), jobs.clone());
            std::thread::Builder::new()
                .name(format!("ses-blame-{w}"))
                .spawn(move || {
                    let repo = match Repository::open(&path) {
                        Ok(r) => r,
                        Err(e) => {
                            let _ = tx.send(Err(AttributionError::git("open the repository")(e)));
                            return;
                        }
                    };
                    for (id, parents, ignored) in jobs.iter().skip(w).step_by(workers) {
                        let plan = plan_commit(&repo, *id, parents, *ignored);
                        // The walk stopped (an error, or it is done): stop too.
                        if tx.send(plan).is_err() {
                            return;
                        }
                    }
                })
                .map_err(|e| AttributionError::Internal(format!("cannot start a worker: {e}")))?;
            lanes.push(rx);
        }
        Ok(Planner { lanes })
    }

    /// The plan of the `n`-th commit of the walk (asked for in order).
    fn next(&self, n: usize) -> Result<CommitPlan> {
        self.lanes[n % self.lanes.len()]
            .recv()
            .map_err(|_| AttributionError::Internal("a history worker stopped".into()))?
    }
}

/// The plan of one commit: what changed against each parent and the line maps it needs.
/// `ignored`: the commit is in `.git-blame-ignore-revs`, so its changed lines take the
/// owner of the parent line git blame passes them to (see [`guess_changed_lines`]).
fn plan_commit(repo: &Repository, id: Oid, parents: &[Oid], ignored: bool) -> Result<CommitPlan> {
    let commit = repo
        .find_commit(id)
        .map_err(AttributionError::git("read a commit"))?;
    let tree = commit
        .tree()
        .map_err(AttributionError::git("read a tree"))?;
    let mut sim = Similarity::new(repo);
    let line_count = |blob: Oid| -> Result<usize> {
        let b = find_blob(repo, blob).map_err(AttributionError::git("read a blob"))?;
        Ok(count_lines(b.content()))
    };
    let Some(first) = parents.first() else {
        let mut files = Vec::new();
        for (path, blob, _) in changes(repo, None, &tree, &mut sim)?.files {
            files.push(FilePlan {
                path,
                blob,
                lines: line_count(blob)?,
                origins: Vec::new(),
                whole_from: None,
                maps: Vec::new(),
                guesses: Vec::new(),
            });
        }
        return Ok(CommitPlan {
            removed: Vec::new(),
            files,
        });
    };
    let first_tree = tree_of(repo, *first)?;
    let against_first = changes(repo, Some(&first_tree), &tree, &mut sim)?;
    let mut others: Vec<Option<ChangedPaths>> = vec![None; parents.len()];
    let mut parent_trees: Vec<Option<git2::Tree<'_>>> = vec![None; parents.len()];
    parent_trees[0] = Some(first_tree);
    let mut files = Vec::with_capacity(against_first.files.len());
    for (path, blob, origin) in against_first.files {
        let mut origins = Vec::with_capacity(parents.len());
        origins.push(origin);
        for (i, parent) in parents.iter().enumerate().skip(1) {
            if others[i].is_none() {
                let ptree = tree_of(repo, *parent)?;
                let c = changes(repo, Some(&ptree), &tree, &mut sim)?;
                others[i] = Some(c.files.into_iter().map(|(p, _, o)| (p, o)).collect());
                parent_trees[i] = Some(ptree);
            }
            let against = others[i].as_ref().expect("invariant: filled above");
            // Not changed against this parent: the same path, the same blob.
            origins.push(
                against
                    .get(&path)
                    .cloned()
                    .unwrap_or(Origin::Same(path.clone())),
            );
        }
        // Each parent's blob for this file, straight from its tree.
        let blobs: Vec<Option<Oid>> = origins
            .iter()
            .zip(&parent_trees)
            .map(|(o, t)| match (o, t) {
                (Origin::Same(p) | Origin::Renamed(p), Some(t)) => blob_at(t, p),
                _ => None,
            })
            .collect();
        let whole_from = [false, true].into_iter().find_map(|renamed| {
            origins.iter().zip(&blobs).position(|(o, b)| {
                matches!(o, Origin::Renamed(_)) == renamed
                    && !matches!(o, Origin::None)
                    && *b == Some(blob)
            })
        });
        let mut maps = Vec::with_capacity(parents.len());
        let mut guesses = Vec::new();
        if whole_from.is_none() {
            let new = find_blob(repo, blob).map_err(AttributionError::git("read a blob"))?;
            let mut tried: Vec<Oid> = Vec::new();
            for b in &blobs {
                let (map, guess) = match b {
                    Some(old) if !tried.contains(old) => {
                        tried.push(*old);
                        let old =
                            find_blob(repo, *old).map_err(AttributionError::git("read a blob"))?;
                        let map = unchanged_between(repo, &old, &new)
                            .map_err(AttributionError::git("diff two blobs"))?;
                        let guess = ignored
                            .then(|| guess_changed_lines(&map, old.content(), new.content()));
                        (Some(map), guess)
                    }
                    _ => (None, None),
                };
                maps.push(map);
                if ignored {
                    guesses.push(guess);
                }
            }
        }
        files.push(FilePlan {
            path,
            blob,
            lines: line_count(blob)?,
            origins,
            whole_from,
            maps,
            guesses,
        });
    }
    Ok(CommitPlan {
        removed: against_first.removed,
        files,
    })
}

/// The blob at `path` in `tree`, if it is one.
fn blob_at(tree: &git2::Tree<'_>, path: &[u8]) -> Option<Oid> {
    use std::os::unix::ffi::OsStrExt;
    let entry = tree
        .get_path(std::path::Path::new(std::ffi::OsStr::from_bytes(path)))
        .ok()?;
    // Regular, executable, group-writable (old repositories) files and symlinks.
    matches!(entry.filemode(), 0o100644 | 0o100755 | 0o100664 | 0o120000).then(|| entry.id())
}

/// For one parent of a merge: the origin of each path the merge changed against it.
type ChangedPaths = HashMap<Arc<[u8]>, Origin>;

/// Where a commit's version of a file comes from in one parent.
#[derive(Debug, Clone)]
enum Origin {
    /// The parent has no version of it (added, or its type changed).
    None,
    /// The same path.
    Same(Arc<[u8]>),
    /// The path it was renamed from.
    Renamed(Arc<[u8]>),
}

impl Origin {
    fn find(&self, parent: &TreeState) -> Option<FileOwners> {
        match self {
            Origin::None => None,
            Origin::Same(p) | Origin::Renamed(p) => parent.get(p).cloned(),
        }
    }
}

/// What a commit changed against one parent.
struct Changes {
    /// Paths that are gone (deleted, renamed away, no longer a blob).
    removed: Vec<Arc<[u8]>>,
    /// Files that are new or different, with their origin in that parent.
    files: Vec<(Arc<[u8]>, Oid, Origin)>,
}

/// The tree diff git blame's `find_origin` sees (recursive, type changes reported, no
/// rename detection), with `find_rename` run for each added file.
fn changes(
    repo: &Repository,
    old: Option<&git2::Tree<'_>>,
    new: &git2::Tree<'_>,
    sim: &mut Similarity<'_>,
) -> Result<Changes> {
    let mut opts = DiffOptions::new();
    opts.include_typechange(true).ignore_submodules(true);
    let diff = repo
        .diff_tree_to_tree(old, Some(new), Some(&mut opts))
        .map_err(AttributionError::git("diff two trees"))?;
    let mut removed = Vec::new();
    let mut deleted = Vec::new();
    let mut added = Vec::new();
    let mut files = Vec::new();
    for delta in diff.deltas() {
        let (old_file, new_file) = (delta.old_file(), delta.new_file());
        match delta.status() {
            Delta::Deleted => {
                if let Some(path) = old_file.path_bytes() {
                    removed.push(Arc::from(path));
                    if is_blob(old_file.mode()) {
                        deleted.push(Side {
                            path: path.to_vec(),
                            blob: old_file.id(),
                            mode: old_file.mode(),
                        });
                    }
                }
            }
            Delta::Added => {
                if let Some(path) = new_file.path_bytes()
                    && is_blob(new_file.mode())
                {
                    added.push(Side {
                        path: path.to_vec(),
                        blob: new_file.id(),
                        mode: new_file.mode(),
                    });
                }
            }
            Delta::Modified | Delta::Typechange => {
                let Some(path) = new_file.path_bytes().map(Arc::<[u8]>::from) else {
                    continue;
                };
                if !is_blob(new_file.mode()) {
                    removed.push(path);
                    continue;
                }
                let origin = if delta.status() == Delta::Modified && is_blob(old_file.mode()) {
                    Origin::Same(path.clone())
                } else {
                    Origin::None
                };
                files.push((path, new_file.id(), origin));
            }
            _ => {}
        }
    }
    // The diff lists paths in tree order, which is byte order of full paths: git's order.
    for dst in added {
        let origin = match sim.find_rename(&dst, &deleted) {
            Some(src) => Origin::Renamed(Arc::from(src.path.as_slice())),
            None => Origin::None,
        };
        files.push((Arc::from(dst.path.as_slice()), dst.blob, origin));
    }
    Ok(Changes { removed, files })
}

fn tree_of<'r>(repo: &'r Repository, commit: Oid) -> Result<git2::Tree<'r>> {
    repo.find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(AttributionError::git("read a tree"))
}

fn is_blob(mode: FileMode) -> bool {
    matches!(
        mode,
        FileMode::Blob | FileMode::BlobExecutable | FileMode::BlobGroupWritable | FileMode::Link
    )
}

fn is_shallow_boundary(repo: &Repository, id: &Oid) -> bool {
    repo.is_shallow() && repo.find_commit(*id).is_err()
}

/// A person as `.mailmap` names them.
pub fn apply_mailmap(mailmap: &Mailmap, raw: &Person) -> Person {
    git2::Signature::now(&raw.name, &raw.email)
        .ok()
        .and_then(|sig| mailmap.resolve_signature(&sig).ok())
        .map(|s| Person {
            name: String::from_utf8_lossy(s.name_bytes()).into_owned(),
            email: String::from_utf8_lossy(s.email_bytes()).into_owned(),
        })
        .unwrap_or_else(|| raw.clone())
}
