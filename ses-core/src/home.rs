//! The SES home: one directory per user that holds every piece of SES state.
//!
//! Layout (see `ARCHITECTURE.md`):
//!
//! ```text
//! <home>/            0700
//!   run/             0700  daemon.sock (0600), daemon.lock (holds the daemon's pid)
//!   log/             0700  daemon.log
//!   identity/        0700  ed25519.key (0600)
//! ```
//!
//! Invariants: opening a home creates what is missing and never overwrites, truncates or
//! deletes anything that exists. Anything in the way (a file where a directory belongs, a
//! directory another user owns) is an error that names the path and what to do.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The longest path a Unix socket address can hold (`sun_path` is 108 bytes with the NUL).
const MAX_SOCKET_PATH: usize = 107;

#[derive(Debug, thiserror::Error)]
pub enum HomeError {
    #[error(
        "cannot find a home directory: neither SES_HOME, XDG_DATA_HOME nor HOME is set; pass --home DIR"
    )]
    NoDefault,
    #[error("SES home {path} is not a directory: move it away or pass another --home")]
    NotADirectory { path: PathBuf },
    #[error(
        "SES home {path} belongs to uid {owner}, not to you (uid {me}): use a home of your own with --home"
    )]
    NotOwned { path: PathBuf, owner: u32, me: u32 },
    #[error("cannot {action} {path}: {error}; check its permissions or pass another --home")]
    Io {
        action: &'static str,
        path: PathBuf,
        error: io::Error,
    },
    #[error(
        "the daemon socket path {path} is {len} bytes, longer than the {MAX_SOCKET_PATH} a Unix socket allows: use a shorter --home"
    )]
    SocketPathTooLong { path: PathBuf, len: usize },
}

impl HomeError {
    fn io(action: &'static str, path: &Path, source: io::Error) -> Self {
        HomeError::Io {
            action,
            path: path.to_owned(),
            error: source,
        }
    }
}

/// An opened, validated home directory.
#[derive(Debug, Clone)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    /// The home used when neither `--home` nor `SES_HOME` is given:
    /// `$XDG_DATA_HOME/ses`, else `~/.local/share/ses`.
    pub fn default_root() -> Result<PathBuf, HomeError> {
        Self::default_root_from(std::env::var_os("XDG_DATA_HOME"), std::env::var_os("HOME"))
    }

    fn default_root_from(
        xdg_data_home: Option<std::ffi::OsString>,
        home: Option<std::ffi::OsString>,
    ) -> Result<PathBuf, HomeError> {
        // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
        if let Some(xdg) = xdg_data_home.map(PathBuf::from).filter(|p| p.is_absolute()) {
            return Ok(xdg.join("ses"));
        }
        match home.map(PathBuf::from).filter(|p| p.is_absolute()) {
            Some(home) => Ok(home.join(".local/share/ses")),
            None => Err(HomeError::NoDefault),
        }
    }

    /// Opens the home at `root`, creating it and its subdirectories (0700) when missing.
    pub fn open(root: impl Into<PathBuf>) -> Result<Home, HomeError> {
        let root = root.into();
        // A relative home would change meaning when the daemon's cwd differs from the client's.
        let root = if root.is_absolute() {
            root
        } else {
            std::env::current_dir()
                .map_err(|e| HomeError::io("resolve the current directory for", &root, e))?
                .join(root)
        };
        let home = Home { root };
        ensure_private_dir(&home.root)?;
        for dir in [home.run_dir(), home.log_dir(), home.identity_dir()] {
            ensure_private_dir(&dir)?;
        }
        let socket = home.socket_path();
        let len = socket.as_os_str().len();
        if len > MAX_SOCKET_PATH {
            return Err(HomeError::SocketPathTooLong { path: socket, len });
        }
        Ok(home)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn run_dir(&self) -> PathBuf {
        self.root.join("run")
    }

    pub fn log_dir(&self) -> PathBuf {
        self.root.join("log")
    }

    pub fn identity_dir(&self) -> PathBuf {
        self.root.join("identity")
    }

    /// The daemon's listening socket.
    pub fn socket_path(&self) -> PathBuf {
        self.run_dir().join("daemon.sock")
    }

    /// The file whose exclusive lock makes a daemon the only one; it holds the daemon's pid.
    pub fn lock_path(&self) -> PathBuf {
        self.run_dir().join("daemon.lock")
    }

    pub fn daemon_log_path(&self) -> PathBuf {
        self.log_dir().join("daemon.log")
    }

    pub fn identity_key_path(&self) -> PathBuf {
        self.identity_dir().join("ed25519.key")
    }
}

/// Creates `dir` with mode 0700 if missing; if it exists, checks it is a directory we own
/// and tightens its mode to 0700 (our own directory, so this loses nothing).
fn ensure_private_dir(dir: &Path) -> Result<(), HomeError> {
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .or_else(|e| {
                // Another process may have created it between our look and our create.
                if dir.is_dir() { Ok(()) } else { Err(e) }
            })
            .map_err(|e| HomeError::io("create directory", dir, e)),
        Err(e) => Err(HomeError::io("read", dir, e)),
        Ok(meta) => {
            // Follow a symlinked home (common for dotfile setups) but judge its target.
            let meta = if meta.file_type().is_symlink() {
                fs::metadata(dir).map_err(|e| HomeError::io("follow the symlink", dir, e))?
            } else {
                meta
            };
            if !meta.is_dir() {
                return Err(HomeError::NotADirectory {
                    path: dir.to_owned(),
                });
            }
            let me = rustix::process::geteuid().as_raw();
            if meta.uid() != me {
                return Err(HomeError::NotOwned {
                    path: dir.to_owned(),
                    owner: meta.uid(),
                    me,
                });
            }
            if meta.mode() & 0o777 != 0o700 {
                fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
                    .map_err(|e| HomeError::io("set permissions 0700 on", dir, e))?;
            }
            // Root passes every permission check, so probe that we can really list it.
            fs::read_dir(dir).map_err(|e| HomeError::io("read directory", dir, e))?;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_root_prefers_absolute_xdg() {
        let got = Home::default_root_from(Some("/x/data".into()), Some("/home/u".into()));
        assert_eq!(got.unwrap(), PathBuf::from("/x/data/ses"));
        let got = Home::default_root_from(Some("relative".into()), Some("/home/u".into()));
        assert_eq!(got.unwrap(), PathBuf::from("/home/u/.local/share/ses"));
        assert!(matches!(
            Home::default_root_from(None, None),
            Err(HomeError::NoDefault)
        ));
    }

    #[test]
    fn open_creates_private_layout() {
        let tmp = tempfile::tempdir().unwrap();
        let home = Home::open(tmp.path().join("a/b")).unwrap();
        for dir in [
            home.root().to_owned(),
            home.run_dir(),
            home.log_dir(),
            home.identity_dir(),
        ] {
            let mode = fs::metadata(&dir).unwrap().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", dir.display());
        }
    }

    #[test]
    fn open_tightens_loose_permissions_and_keeps_contents() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("h");
        fs::create_dir(&root).unwrap();
        fs::set_permissions(&root, fs::Permissions::from_mode(0o755)).unwrap();
        fs::write(root.join("keep"), b"data").unwrap();
        Home::open(&root).unwrap();
        assert_eq!(fs::metadata(&root).unwrap().mode() & 0o777, 0o700);
        assert_eq!(fs::read(root.join("keep")).unwrap(), b"data");
    }

    #[test]
    fn a_file_in_the_way_is_named_and_untouched() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("h");
        fs::write(&root, b"not a dir").unwrap();
        let err = Home::open(&root).unwrap_err();
        assert!(
            err.to_string().contains(&root.display().to_string()),
            "{err}"
        );
        assert_eq!(fs::read(&root).unwrap(), b"not a dir");

        let root = tmp.path().join("h2");
        fs::create_dir(&root).unwrap();
        fs::write(root.join("run"), b"x").unwrap();
        let err = Home::open(&root).unwrap_err();
        assert!(matches!(err, HomeError::NotADirectory { ref path } if path.ends_with("run")));
        assert_eq!(fs::read(root.join("run")).unwrap(), b"x");
    }

    #[test]
    fn too_long_socket_path_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let err = Home::open(tmp.path().join("x".repeat(100))).unwrap_err();
        assert!(matches!(err, HomeError::SocketPathTooLong { .. }), "{err}");
    }
}
