//! The single-daemon guarantee: at most one daemon runs per home.
//!
//! A daemon holds an exclusive `flock` on `run/daemon.lock` for its whole life and writes
//! its pid into that file. The kernel drops the lock when the process dies, however it
//! dies, so a lock is never stale: "locked" means "a daemon is alive", and a lock file left
//! by a `kill -9` is simply taken by the next daemon.
//!
//! Invariants: the lock is taken before the daemon touches any shared state (socket,
//! database); the lock file is never deleted, since deleting it would let a second
//! daemon lock a fresh inode while the first still holds the old one.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::home::Home;

#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    #[error(
        "a daemon is already running for this home (pid {pid}): stop it with `ses daemon stop`"
    )]
    AlreadyRunning { pid: u32 },
    #[error("cannot {action} the daemon lock {path}: {error}")]
    Io {
        action: &'static str,
        path: PathBuf,
        error: io::Error,
    },
}

/// Proof that this process is the home's one daemon. Dropping it releases the lock.
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
}

fn open_lock_file(path: &Path) -> Result<File, InstanceError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(|source| InstanceError::Io {
            action: "open",
            path: path.to_owned(),
            error: source,
        })
}

fn read_pid(file: &mut File) -> Option<u32> {
    let mut s = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut s).ok()?;
    s.trim().parse().ok()
}

impl InstanceLock {
    /// Takes the lock without waiting, and records our pid in it.
    pub fn acquire(home: &Home) -> Result<InstanceLock, InstanceError> {
        let path = home.lock_path();
        let mut file = open_lock_file(&path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(InstanceError::AlreadyRunning {
                    pid: read_pid(&mut file).unwrap_or(0),
                });
            }
            Err(TryLockError::Error(source)) => {
                return Err(InstanceError::Io {
                    action: "lock",
                    path,
                    error: source,
                });
            }
        }
        let io_err = |source| InstanceError::Io {
            action: "write our pid into",
            path: path.clone(),
            error: source,
        };
        file.set_len(0).map_err(io_err)?;
        file.rewind().map_err(io_err)?;
        writeln!(file, "{}", std::process::id()).map_err(io_err)?;
        Ok(InstanceLock { _file: file })
    }
}

/// The pid of the home's running daemon, or `None` when none is running.
pub fn running_daemon(home: &Home) -> Result<Option<u32>, InstanceError> {
    let path = home.lock_path();
    let mut file = match fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(InstanceError::Io {
                action: "open",
                path,
                error: source,
            });
        }
    };
    // A shared lock succeeds only when no daemon holds the exclusive one.
    match file.try_lock_shared() {
        Ok(()) => Ok(None),
        Err(TryLockError::WouldBlock) => Ok(Some(read_pid(&mut file).unwrap_or(0))),
        Err(TryLockError::Error(source)) => Err(InstanceError::Io {
            action: "probe",
            path,
            error: source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_acquire_fails_until_the_first_is_dropped() {
        let tmp = tempfile::tempdir().unwrap();
        let home = Home::open(tmp.path().join("h")).unwrap();
        assert_eq!(running_daemon(&home).unwrap(), None);
        let lock = InstanceLock::acquire(&home).unwrap();
        assert_eq!(running_daemon(&home).unwrap(), Some(std::process::id()));
        match InstanceLock::acquire(&home) {
            Err(InstanceError::AlreadyRunning { pid }) => assert_eq!(pid, std::process::id()),
            other => panic!("expected AlreadyRunning, got {other:?}"),
        }
        drop(lock);
        assert_eq!(running_daemon(&home).unwrap(), None);
        InstanceLock::acquire(&home).unwrap();
    }
}
