//! The working tree as a git tree: the index tree with the changes a scan found, built
//! directory by directory, each directory's tree once per (base tree, changes below it).
//!
//! Invariant: the result is exactly the base with the changes applied (git's tree
//! format: sorted entries, no empty trees); a remembered tree is used only while its
//! object exists.

use std::collections::BTreeMap;

use git2::{FileMode, ObjectType, Oid, Repository};

use super::ContextError;
use super::memo::Memo;

/// A path's new blob and mode, or `None` for a deletion.
pub(super) type Change = Option<(Oid, FileMode)>;

/// Changes by path relative to a directory, sorted.
type Changes<'a> = Vec<(&'a [u8], Change)>;

/// The index tree with `changes` applied. Each directory's tree is built once per
/// distinct (base tree, changes below it): going back to a context, or saving it after
/// an edit in one directory, writes only the trees that differ (writing an existing
/// object touches its file).
pub(super) fn worktree_tree(
    repo: &Repository,
    index_tree: Oid,
    changes: &BTreeMap<Vec<u8>, Change>,
    cache: &mut Memo,
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
    cache: &mut Memo,
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
