//! Turning the working tree from one saved tree into another: the files that differ are
//! removed or written (raw bytes, streamed, with their modes), then the index is read from
//! the target's index tree.
//!
//! Invariant: everything that could stop a restore half-way (an ignored file or directory
//! in the way, a file changed since it was saved) is found before the first byte on disk
//! changes; `apply` is only called with both trees saved under refs.

use std::collections::{BTreeSet, HashSet};
use std::ffi::OsStr;
use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use git2::{Delta, FileMode, ObjectType, Oid, Repository};

use super::ContextError;
use super::memo::{Memo, Stat};
use super::snapshot::{Snapshot, io_err};

#[derive(Debug, Default)]
pub(super) struct Plan {
    /// Files and symlinks of the current tree that the target does not have (as such).
    removes: Vec<Vec<u8>>,
    /// Files and symlinks to write: path, blob, mode.
    pub(super) writes: Vec<(Vec<u8>, Oid, i32)>,
    /// Files of the current tree rewritten in place (a regular file both sides): no new
    /// inode, which on a busy ext4 costs more than the write.
    overwrites: Vec<Vec<u8>>,
    /// Gitlinks that differ: submodules are never touched.
    pub submodules: BTreeSet<String>,
}

impl Plan {
    pub fn files(&self) -> usize {
        let mut paths: HashSet<&[u8]> = self.removes.iter().map(Vec::as_slice).collect();
        paths.extend(self.writes.iter().map(|w| w.0.as_slice()));
        paths.len()
    }
}

fn lossy(p: &[u8]) -> String {
    String::from_utf8_lossy(p).into_owned()
}

/// What turns the tree `from` (the working tree as just saved) into `to`.
pub(super) fn plan(repo: &Repository, from: Oid, to: Oid) -> Result<Plan, ContextError> {
    let mut plan = Plan::default();
    if from == to {
        return Ok(plan);
    }
    let from_tree = repo.find_tree(from)?;
    let to_tree = repo.find_tree(to)?;
    let mut opts = git2::DiffOptions::new();
    opts.skip_binary_check(true).ignore_submodules(false);
    let diff = repo.diff_tree_to_tree(Some(&from_tree), Some(&to_tree), Some(&mut opts))?;
    for d in diff.deltas() {
        let old = d.old_file();
        let new = d.new_file();
        let path = new
            .path_bytes()
            .or(old.path_bytes())
            .unwrap_or_default()
            .to_vec();
        let old_link = old.mode() == FileMode::Commit;
        let new_link = new.mode() == FileMode::Commit;
        if old_link || new_link {
            plan.submodules.insert(lossy(&path));
            // A file replaced by a submodule (or back) still loses or gains the file.
            if old_link && matches!(d.status(), Delta::Deleted | Delta::Modified) {
                continue;
            }
        }
        match d.status() {
            Delta::Added if !new_link => {
                plan.writes.push((path, new.id(), i32::from(new.mode())));
            }
            Delta::Deleted if !old_link => plan.removes.push(path),
            Delta::Modified
                if is_file(old.mode()) && is_file(new.mode()) && !old_link && !new_link =>
            {
                plan.overwrites.push(path.clone());
                plan.writes.push((path, new.id(), i32::from(new.mode())));
            }
            Delta::Modified | Delta::Typechange => {
                if !old_link {
                    plan.removes.push(path.clone());
                }
                if !new_link {
                    plan.writes.push((path, new.id(), i32::from(new.mode())));
                }
            }
            _ => {}
        }
    }
    plan.removes.sort();
    plan.removes.dedup();
    plan.overwrites.sort();
    plan.writes.sort();
    Ok(plan)
}

fn is_file(mode: FileMode) -> bool {
    matches!(mode, FileMode::Blob | FileMode::BlobExecutable)
}

/// Refuses before anything changes if the plan would destroy bytes that are not saved: an
/// ignored file (or a directory holding one) where the target has a file, or a file that
/// changed on disk since the snapshot `from` read it.
pub(super) fn check(
    workdir: &Path,
    plan: &Plan,
    from: &Snapshot,
) -> Result<(), Vec<(String, String)>> {
    let removing: HashSet<&[u8]> = plan.removes.iter().map(Vec::as_slice).collect();
    let overwriting: HashSet<&[u8]> = plan.overwrites.iter().map(Vec::as_slice).collect();
    let mut problems = Vec::new();
    for path in plan.removes.iter().chain(&plan.overwrites) {
        let full = workdir.join(OsStr::from_bytes(path));
        let now = fs::symlink_metadata(&full).ok().map(|m| Stat::of(&m));
        if now.is_some() && now.as_ref() != from.stats.get(path) {
            problems.push((lossy(path), "changed after it was saved".to_owned()));
        }
    }
    let mut dirs_ok: HashSet<Vec<u8>> = HashSet::new();
    for (path, _, _) in &plan.writes {
        // Each parent must be a directory, absent, or a saved file about to be removed.
        let mut at = 0;
        while let Some(i) = path[at..].iter().position(|&b| b == b'/') {
            let parent = &path[..at + i];
            at += i + 1;
            if dirs_ok.contains(parent) {
                continue;
            }
            match fs::symlink_metadata(workdir.join(OsStr::from_bytes(parent))) {
                Ok(m) if m.is_dir() => {}
                Ok(_) if removing.contains(parent) => {}
                Ok(_) => problems.push((
                    lossy(parent),
                    format!("is in the way of {} (not saved: ignored?)", lossy(path)),
                )),
                Err(_) => {}
            }
            dirs_ok.insert(parent.to_vec());
        }
        let full = workdir.join(OsStr::from_bytes(path));
        match fs::symlink_metadata(&full) {
            Err(_) => {}
            Ok(m) if m.is_dir() => {
                let mut extra = Vec::new();
                unsaved_files(&full, path, &removing, &mut extra);
                if let Some(first) = extra.first() {
                    problems.push((
                        lossy(path),
                        format!(
                            "is a directory holding {} unsaved (ignored?) files, e.g. {}",
                            extra.len(),
                            lossy(first)
                        ),
                    ));
                }
            }
            Ok(_)
                if removing.contains(path.as_slice()) || overwriting.contains(path.as_slice()) => {}
            Ok(_) => problems.push((lossy(path), "exists and is not saved (ignored?)".to_owned())),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Files under `dir` (repository path `rel`) that the plan does not remove.
fn unsaved_files(dir: &Path, rel: &[u8], removing: &HashSet<&[u8]>, out: &mut Vec<Vec<u8>>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let mut child = rel.to_vec();
        child.push(b'/');
        child.extend_from_slice(e.file_name().as_bytes());
        match e.file_type() {
            Ok(t) if t.is_dir() => unsaved_files(&e.path(), &child, removing, out),
            _ if removing.contains(child.as_slice()) => {}
            _ => out.push(child),
        }
    }
}

/// Carries out a checked plan on the working tree. Callers have saved both sides first.
///
/// A file the plan removes may be renamed to a path it creates and written over there:
/// creating a file costs an inode, which on ext4 without a journal (where it scans for
/// one not recently freed) costs more than the write. Only a plain file of ours with one
/// link and a new file's permissions is reused, so the result is what a fresh file would
/// be.
pub(super) fn apply(repo: &Repository, workdir: &Path, plan: &Plan) -> Result<(), ContextError> {
    let mut emptied: BTreeSet<PathBuf> = BTreeSet::new();
    let note_emptied = |emptied: &mut BTreeSet<PathBuf>, full: &Path| {
        let mut p = full.parent();
        while let Some(dir) = p {
            if dir == workdir || !emptied.insert(dir.to_owned()) {
                break;
            }
            p = dir.parent();
        }
    };
    // Paths a write needs as directories or writes itself: a spare must not be one, nor
    // be under one.
    let mut needed: HashSet<&[u8]> = HashSet::new();
    for (path, _, _) in &plan.writes {
        needed.insert(path);
        let mut at = path.len();
        while let Some(i) = path[..at].iter().rposition(|&b| b == b'/') {
            if !needed.insert(&path[..i]) {
                break;
            }
            at = i;
        }
    }
    let fresh_mode = fresh_file_mode();
    let mut spares: Vec<PathBuf> = Vec::new();
    for path in plan.removes.iter().rev() {
        let full = workdir.join(OsStr::from_bytes(path));
        let in_the_way = {
            let mut at = path.len();
            let mut hit = needed.contains(path.as_slice());
            while let Some(i) = path[..at].iter().rposition(|&b| b == b'/') {
                hit |= needed.contains(&path[..i]);
                at = i;
            }
            hit
        };
        if !in_the_way
            && let Some(fresh) = fresh_mode
            && let Ok(m) = fs::symlink_metadata(&full)
            && m.is_file()
            && m.nlink() == 1
            && m.uid() == fresh.uid
            && m.mode() & 0o7666 == fresh.mode
        {
            spares.push(full);
            continue;
        }
        match fs::remove_file(&full) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&full, e)),
        }
        note_emptied(&mut emptied, &full);
    }
    let odb = repo.odb()?;
    let mut buf = vec![0u8; 256 * 1024];
    // One mkdir per directory, not per file written into it.
    let mut dirs_made: HashSet<PathBuf> = HashSet::new();
    for (path, oid, mode) in &plan.writes {
        let full = workdir.join(OsStr::from_bytes(path));
        if let Some(parent) = full.parent()
            && !dirs_made.contains(parent)
        {
            fs::create_dir_all(parent).map_err(|e| io_err(parent, e))?;
            dirs_made.insert(parent.to_owned());
        }
        match fs::symlink_metadata(&full) {
            // `check` made sure it holds only files the plan removed: empty directories.
            Ok(m) if m.is_dir() => remove_empty_dirs(&full)?,
            // Never write through a symlink, nor into a file another name shares.
            Ok(m) if m.file_type().is_symlink() || m.nlink() > 1 => {
                fs::remove_file(&full).map_err(|e| io_err(&full, e))?
            }
            Ok(_) => {}
            Err(_) if *mode != i32::from(FileMode::Link) => {
                // Prefer a spare from the same directory, then any.
                let pick = spares
                    .iter()
                    .rposition(|s| s.parent() == full.parent())
                    .or_else(|| spares.len().checked_sub(1));
                if let Some(i) = pick {
                    let spare = spares.swap_remove(i);
                    fs::rename(&spare, &full).map_err(|e| io_err(&spare, e))?;
                    note_emptied(&mut emptied, &spare);
                }
            }
            Err(_) => {}
        }
        if *mode == i32::from(FileMode::Link) {
            let target = odb.read(*oid)?;
            let _ = fs::remove_file(&full);
            std::os::unix::fs::symlink(OsStr::from_bytes(target.data()), &full)
                .map_err(|e| io_err(&full, e))?;
            continue;
        }
        let exec = *mode == i32::from(FileMode::BlobExecutable);
        write_blob(&odb, *oid, &full, exec, &mut buf)?;
    }
    for spare in spares {
        match fs::remove_file(&spare) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&spare, e)),
        }
        note_emptied(&mut emptied, &spare);
    }
    // Deepest first; a directory that still holds anything stays.
    for dir in emptied.iter().rev() {
        let _ = fs::remove_dir(dir);
    }
    Ok(())
}

/// The owner and permission bits (less the exec bits) a file this process creates gets.
#[derive(Debug, Clone, Copy)]
struct Fresh {
    uid: u32,
    mode: u32,
}

/// `None` where the umask cannot be read without changing it (no /proc): then no file
/// is reused.
fn fresh_file_mode() -> Option<Fresh> {
    static FRESH: std::sync::OnceLock<Option<Fresh>> = std::sync::OnceLock::new();
    *FRESH.get_or_init(|| {
        let status = fs::read_to_string("/proc/self/status").ok()?;
        let umask = status
            .lines()
            .find_map(|l| l.strip_prefix("Umask:"))
            .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())?;
        Some(Fresh {
            uid: rustix::process::geteuid().as_raw(),
            mode: 0o666 & !umask,
        })
    })
}

fn remove_empty_dirs(dir: &Path) -> Result<(), ContextError> {
    for e in fs::read_dir(dir).map_err(|e| io_err(dir, e))? {
        let e = e.map_err(|e| io_err(dir, e))?;
        if e.file_type().map_err(|x| io_err(&e.path(), x))?.is_dir() {
            remove_empty_dirs(&e.path())?;
        }
    }
    fs::remove_dir(dir).map_err(|e| io_err(dir, e))
}

/// Blobs up to this size are read whole before writing; larger ones are streamed.
const WHOLE_WRITE: u64 = 1 << 20;

/// Writes a blob to `full`, streaming it when the object database can (loose objects).
fn write_blob(
    odb: &git2::Odb<'_>,
    oid: Oid,
    full: &Path,
    exec: bool,
    buf: &mut [u8],
) -> Result<(), ContextError> {
    // Written over in place and cut to length afterwards: truncating first would free
    // and reallocate every block (and make ext4 flush the file on close).
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(if exec { 0o777 } else { 0o666 })
        .open(full)
        .map_err(|e| io_err(full, e))?;
    let before = file.metadata().map_err(|e| io_err(full, e))?;
    let mut len = 0u64;
    let (size, _) = odb.read_header(oid)?;
    let stream = if size as u64 > WHOLE_WRITE {
        odb.reader(oid).ok()
    } else {
        None
    };
    match stream {
        Some((mut reader, _, ObjectType::Blob)) => loop {
            let n = reader.read(buf).map_err(|e| io_err(full, e))?;
            if n == 0 {
                break;
            }
            file.write_all(&buf[..n]).map_err(|e| io_err(full, e))?;
            len += n as u64;
        },
        // Small, or packed (libgit2 streams only loose objects).
        _ => {
            let obj = odb.read(oid)?;
            file.write_all(obj.data()).map_err(|e| io_err(full, e))?;
            len = obj.data().len() as u64;
        }
    }
    // Writing from the start made it at least `len` long.
    if before.len() > len {
        file.set_len(len).map_err(|e| io_err(full, e))?;
    }
    let mode = before.permissions().mode();
    let want = if exec {
        mode | ((mode & 0o444) >> 2)
    } else {
        mode & !0o111
    };
    if want != mode {
        fs::set_permissions(full, fs::Permissions::from_mode(want)).map_err(|e| io_err(full, e))?;
    }
    Ok(())
}

/// Checks that every path the plan touched is as the target has it: written files hold
/// the blob's bytes with its mode, links point where it says, removed paths are gone.
/// Paths the plan did not touch were just saved and are not read again. The files read
/// go into `cache`, so the next save need not read them again once they have settled.
pub(super) fn verify(
    repo: &Repository,
    workdir: &Path,
    plan: &Plan,
    cache: &mut Memo,
) -> Result<(), Vec<String>> {
    let mut bad = Vec::new();
    let written: HashSet<&[u8]> = plan.writes.iter().map(|w| w.0.as_slice()).collect();
    for path in &plan.removes {
        if !written.contains(path.as_slice())
            && fs::symlink_metadata(workdir.join(OsStr::from_bytes(path))).is_ok()
        {
            bad.push(format!("{} is still there", lossy(path)));
        }
    }
    let odb = repo.odb().ok();
    let read_from = Memo::start();
    for (path, oid, mode) in &plan.writes {
        let full = workdir.join(OsStr::from_bytes(path));
        let ok = match fs::symlink_metadata(&full) {
            Ok(m) if *mode == i32::from(FileMode::Link) => {
                m.file_type().is_symlink()
                    && fs::read_link(&full)
                        .ok()
                        .zip(odb.as_ref())
                        .is_some_and(|(t, odb)| {
                            odb.read(*oid)
                                .is_ok_and(|b| b.data() == t.as_os_str().as_bytes())
                        })
            }
            Ok(m) => {
                let exec = m.permissions().mode() & 0o111 != 0;
                let ok = m.is_file()
                    && exec == (*mode == i32::from(FileMode::BlobExecutable))
                    && Oid::hash_file(ObjectType::Blob, &full).is_ok_and(|h| h == *oid);
                if ok {
                    cache.record(path, Stat::of(&m), *oid, read_from);
                }
                ok
            }
            Err(_) => false,
        };
        if !ok {
            bad.push(format!("{} does not hold what was saved", lossy(path)));
        }
    }
    if bad.is_empty() { Ok(()) } else { Err(bad) }
}
