//! Content ids: CIDv1, codec raw (0x55), multihash BLAKE3-256 (0x1e) of the whole blob,
//! printed in base32 (`bafkr4…`). Equal to kubo's id for single-chunk raw content and to
//! `b3sum` for the digest.

use std::fmt;
use std::str::FromStr;

use cid::Cid;
use multihash::Multihash;

/// Multicodec `raw`.
const RAW: u64 = 0x55;
/// Multicodec `blake3` (a 32-byte digest by default).
const BLAKE3: u64 = 0x1e;

/// The id of a blob: its BLAKE3 hash, shown as a CID.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobId(pub(crate) [u8; 32]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a blob id: {reason}; ids look like bafkr4… (CIDv1, raw, BLAKE3)")]
pub struct ParseIdError {
    input: String,
    reason: String,
}

impl BlobId {
    /// The id of `bytes`.
    pub fn of(bytes: &[u8]) -> BlobId {
        BlobId(*blake3::hash(bytes).as_bytes())
    }

    pub fn from_hash(hash: blake3::Hash) -> BlobId {
        BlobId(*hash.as_bytes())
    }

    pub fn hash(&self) -> blake3::Hash {
        blake3::Hash::from_bytes(self.0)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn to_cid(&self) -> Cid {
        let mh = Multihash::<64>::wrap(BLAKE3, &self.0)
            .expect("invariant: a 32-byte digest fits a 64-byte multihash");
        Cid::new_v1(RAW, mh)
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // CIDv1 prints as multibase base32 lower-case.
        fmt::Display::fmt(&self.to_cid(), f)
    }
}

impl fmt::Debug for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobId({self})")
    }
}

impl FromStr for BlobId {
    type Err = ParseIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: String| ParseIdError {
            input: s.to_owned(),
            reason,
        };
        let cid = Cid::try_from(s.trim()).map_err(|e| err(e.to_string()))?;
        if cid.version() != cid::Version::V1 {
            return Err(err("it is a CIDv0; SES ids are CIDv1".into()));
        }
        if cid.codec() != RAW {
            return Err(err(format!(
                "codec 0x{:x}, expected raw (0x55)",
                cid.codec()
            )));
        }
        let mh = cid.hash();
        if mh.code() != BLAKE3 {
            return Err(err(format!(
                "hash 0x{:x}, expected BLAKE3 (0x1e)",
                mh.code()
            )));
        }
        let digest: [u8; 32] = mh
            .digest()
            .try_into()
            .map_err(|_| err(format!("a {}-byte digest, expected 32", mh.digest().len())))?;
        Ok(BlobId(digest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_blob_has_the_known_id() {
        assert_eq!(
            BlobId::of(b"").to_string(),
            "bafkr4ifpcne3t5pzugtkaqcn5i3nzskjtpfslsnnyejlpte2spfoihzsmi"
        );
    }

    #[test]
    fn round_trips_through_text() {
        let id = BlobId::of(b"hello");
        assert_eq!(id.to_string().parse::<BlobId>().unwrap(), id);
        assert!(id.to_string().starts_with("bafkr4"));
    }

    #[test]
    fn rejects_other_ids_with_reasons() {
        for (input, reason) in [
            ("", ""),
            ("hello", ""),
            // CIDv0 (sha2-256 dag-pb)
            ("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG", "CIDv0"),
            // CIDv1 raw sha2-256
            (
                "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
                "0x12",
            ),
            // CIDv1 dag-pb blake3
            (
                "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
                "codec 0x70",
            ),
        ] {
            let err = input.parse::<BlobId>().unwrap_err().to_string();
            assert!(err.contains(reason), "{input}: {err}");
            assert!(err.contains("bafkr4"), "{err}");
        }
    }
}
