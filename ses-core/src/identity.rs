//! The user's identity: one ed25519 key, shown as a `did:key` and as a libp2p peer id.
//!
//! The key file holds the libp2p protobuf encoding of the private key (the format
//! `ipfs key export` and rust-libp2p use), mode 0600.
//!
//! Invariants: a key is created only when no key file exists, and never replaces one;
//! creation is atomic (a reader sees no key or the whole key); a key file that cannot be
//! decoded is an error naming the file, never a reason to make a new key, since that would
//! silently change who the user is.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use libp2p_identity::{Keypair, PeerId};

use crate::home::Home;

/// Multicodec code of an ed25519 public key (0xed), as an unsigned varint.
const ED25519_PUB_MULTICODEC: [u8; 2] = [0xed, 0x01];

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error(
        "identity key {path} is corrupt ({reason}): restore it from a backup; moving it away makes a new identity with a new did"
    )]
    Corrupt { path: PathBuf, reason: String },
    #[error(
        "identity key {path} is readable by others (mode {mode:o}): run `chmod 600 {path}` and consider the key leaked"
    )]
    TooOpen { path: PathBuf, mode: u32 },
    #[error("cannot {action} identity key {path}: {error}")]
    Io {
        action: &'static str,
        path: PathBuf,
        error: io::Error,
    },
}

/// The user's keypair and the names derived from it.
#[derive(Clone)]
pub struct Identity {
    keypair: Keypair,
    did: String,
    peer_id: PeerId,
}

impl std::fmt::Debug for Identity {
    // Never print the secret half.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity").field("did", &self.did).finish()
    }
}

impl Identity {
    /// Loads the home's key, creating one on first use.
    pub fn load_or_create(home: &Home) -> Result<Identity, IdentityError> {
        let path = home.identity_key_path();
        match Self::load(&path) {
            Err(IdentityError::Io { error, .. }) if error.kind() == io::ErrorKind::NotFound => {
                Self::create(&path)
            }
            other => other,
        }
    }

    fn load(path: &Path) -> Result<Identity, IdentityError> {
        let io_err = |action| {
            move |source| IdentityError::Io {
                action,
                path: path.to_owned(),
                error: source,
            }
        };
        let meta = fs::metadata(path).map_err(io_err("read"))?;
        if !meta.is_file() {
            return Err(IdentityError::Corrupt {
                path: path.to_owned(),
                reason: "not a regular file".into(),
            });
        }
        let mode = meta.mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(IdentityError::TooOpen {
                path: path.to_owned(),
                mode,
            });
        }
        let bytes = fs::read(path).map_err(io_err("read"))?;
        let keypair =
            Keypair::from_protobuf_encoding(&bytes).map_err(|e| IdentityError::Corrupt {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
        Self::from_keypair(keypair).map_err(|reason| IdentityError::Corrupt {
            path: path.to_owned(),
            reason,
        })
    }

    fn create(path: &Path) -> Result<Identity, IdentityError> {
        let keypair = Keypair::generate_ed25519();
        let encoded = keypair
            .to_protobuf_encoding()
            .expect("invariant: an ed25519 keypair always has a protobuf encoding");
        let dir = path
            .parent()
            .expect("invariant: the key path is inside the identity dir");
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = dir.join(format!(".ed25519.key.{}.{n}.tmp", std::process::id()));
        let io_err = |action, p: &Path| {
            let p = p.to_owned();
            move |source| IdentityError::Io {
                action,
                path: p,
                error: source,
            }
        };
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io_err("create", &tmp))?;
        file.write_all(&encoded)
            .and_then(|()| file.sync_all())
            .map_err(io_err("write", &tmp))?;
        drop(file);
        // hard_link fails if the key exists, so a key made by someone else in the meantime
        // wins and ours is discarded: the key is never replaced.
        let linked = fs::hard_link(&tmp, path);
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => {
                fs::File::open(dir)
                    .and_then(|d| d.sync_all())
                    .map_err(io_err("sync the directory of", path))?;
                Self::from_keypair(keypair).map_err(|reason| IdentityError::Corrupt {
                    path: path.to_owned(),
                    reason,
                })
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Self::load(path),
            Err(e) => Err(io_err("create", path)(e)),
        }
    }

    fn from_keypair(keypair: Keypair) -> Result<Identity, String> {
        let public = keypair
            .public()
            .try_into_ed25519()
            .map_err(|_| format!("key type {:?}, expected Ed25519", keypair.key_type()))?;
        let mut bytes = ED25519_PUB_MULTICODEC.to_vec();
        bytes.extend_from_slice(&public.to_bytes());
        let did = format!("did:key:z{}", bs58::encode(bytes).into_string());
        let peer_id = keypair.public().to_peer_id();
        Ok(Identity {
            keypair,
            did,
            peer_id,
        })
    }

    /// The W3C `did:key` of the public key (`did:key:z6Mk…`).
    pub fn did(&self) -> &str {
        &self.did
    }

    /// The libp2p peer id of the same key (`12D3KooW…`).
    pub fn peer_id(&self) -> PeerId {
        self.peer_id
    }

    pub fn keypair(&self) -> &Keypair {
        &self.keypair
    }

    /// Signs `msg` with the identity's key (ed25519).
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        self.keypair
            .sign(msg)
            .expect("invariant: ed25519 signing cannot fail")
    }
}

/// Whether `sig` is the signature of `msg` by the key a `did:key` names (ed25519 only).
pub fn verify_did(did: &str, msg: &[u8], sig: &[u8]) -> bool {
    let Some(encoded) = did.strip_prefix("did:key:z") else {
        return false;
    };
    let Ok(bytes) = bs58::decode(encoded).into_vec() else {
        return false;
    };
    let Some(key) = bytes.strip_prefix(&ED25519_PUB_MULTICODEC[..]) else {
        return false;
    };
    libp2p_identity::ed25519::PublicKey::try_from_bytes(key).is_ok_and(|pk| pk.verify(msg, sig))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn home() -> (tempfile::TempDir, Home) {
        let tmp = tempfile::tempdir().unwrap();
        let home = Home::open(tmp.path().join("h")).unwrap();
        (tmp, home)
    }

    #[test]
    fn created_once_then_reloaded() {
        let (_tmp, home) = home();
        let a = Identity::load_or_create(&home).unwrap();
        let b = Identity::load_or_create(&home).unwrap();
        assert_eq!(a.did(), b.did());
        assert_eq!(a.peer_id(), b.peer_id());
        assert!(a.did().starts_with("did:key:z6Mk"), "{}", a.did());
        assert!(a.peer_id().to_string().starts_with("12D3KooW"));
        let mode = fs::metadata(home.identity_key_path()).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn did_key_matches_the_spec_test_vector() {
        // Expected value computed independently with Python `cryptography` + base58btc.
        let seed = [0u8; 32];
        let kp = Keypair::ed25519_from_bytes(seed).unwrap();
        let id = Identity::from_keypair(kp).unwrap();
        // did:key of the public key of the all-zero seed, computed independently.
        assert_eq!(
            id.did(),
            "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"
        );
    }

    #[test]
    fn signatures_verify_against_the_did() {
        let (_tmp, home) = home();
        let id = Identity::load_or_create(&home).unwrap();
        let sig = id.sign(b"record");
        assert!(verify_did(id.did(), b"record", &sig));
        assert!(!verify_did(id.did(), b"other", &sig));
        assert!(!verify_did("did:key:zNotAKey", b"record", &sig));
        assert!(!verify_did("did:web:example.com", b"record", &sig));
    }

    #[test]
    fn corrupt_key_is_an_error_and_left_alone() {
        let (_tmp, home) = home();
        let path = home.identity_key_path();
        fs::write(&path, b"garbage").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        let err = Identity::load_or_create(&home).unwrap_err();
        assert!(matches!(err, IdentityError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains(&path.display().to_string()));
        assert_eq!(fs::read(&path).unwrap(), b"garbage");
    }

    #[test]
    fn world_readable_key_is_refused() {
        let (_tmp, home) = home();
        Identity::load_or_create(&home).unwrap();
        let path = home.identity_key_path();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = Identity::load_or_create(&home).unwrap_err();
        assert!(
            matches!(err, IdentityError::TooOpen { mode: 0o644, .. }),
            "{err}"
        );
    }

    #[test]
    fn concurrent_first_starts_agree_on_one_key() {
        let (_tmp, home) = home();
        let dids: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| Identity::load_or_create(&home).unwrap().did().to_owned()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(dids.windows(2).all(|w| w[0] == w[1]), "{dids:?}");
    }
}
