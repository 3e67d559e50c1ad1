//! The content store: immutable blobs named by their content id ([`BlobId`], a CIDv1 of
//! the BLAKE3 hash), in redb and content-addressed files.
//!
//! Layout under `<home>/store/`:
//!
//! ```text
//! store.redb                     blob table (size, where, created), small blobs' bytes,
//!                                pins, links (parent → child)
//! blobs/<2 hex>/<64 hex>.data    bytes of a blob larger than INLINE_MAX
//! blobs/<2 hex>/<64 hex>.obao4   its BLAKE3 outboard (bao-tree, post-order, 16 KiB groups)
//! tmp/                           puts in progress; emptied when the store opens
//! ```
//!
//! Invariants:
//! * **Every read is verified.** Small blobs are re-hashed; large ones are decoded against
//!   the outboard from the root hash down, so no byte that does not belong to the id is
//!   ever returned — not in a whole read, not in a range.
//! * **A put is acknowledged only when durable**: files are written and fsynced in `tmp/`,
//!   renamed into place, their directory fsynced, and only then is the row committed
//!   (redb, `Durability::Immediate`). A crash at any point leaves either no row (the files
//!   are orphans, removed at the next open) or a complete blob.
//! * **gc never races a put**: the commit of a put and gc's delete-then-unlink run under one
//!   lock, and gc spares blobs younger than its grace period, so a blob whose put was just
//!   acknowledged survives until its writer has had time to pin or link it.
//! * Memory is bounded for any blob size: an import holds at most six 1 MiB chunks, one
//!   16 KiB chunk group and O(log n) hashes (about 6.1 MiB for a 4 GiB file); a read holds
//!   at most five 4 MiB segment buffers (20 MiB).

mod id;
mod import;
mod verified;

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::ops::Range;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bao_tree::{BaoTree, BlockSize};
use redb::{
    Database, MultimapTableDefinition, ReadableDatabase, ReadableMultimapTable, ReadableTable,
    TableDefinition,
};

pub use id::{BlobId, ParseIdError};

use crate::home::Home;

/// Blobs up to this size live inside the database; larger ones in files with an outboard.
/// One bao chunk group: smaller blobs would have an empty outboard anyway.
pub const INLINE_MAX: u64 = 16 * 1024;
/// bao-tree chunk groups of 2^4 chunks = 16 KiB, as iroh uses: the outboard is 1/256 of
/// the data.
pub(crate) const BLOCK_SIZE: BlockSize = BlockSize::from_chunk_log(4);
const IO_BUF: usize = 1 << 20;

/// id → (size, flags, created ms since the epoch).
const BLOBS: TableDefinition<[u8; 32], (u64, u8, u64)> = TableDefinition::new("blobs");
/// id → bytes, for inline blobs.
const INLINE: TableDefinition<[u8; 32], &[u8]> = TableDefinition::new("inline");
/// id → pinned at (ms since the epoch).
const PINS: TableDefinition<[u8; 32], u64> = TableDefinition::new("pins");
/// name → blob: named roots (an index snapshot per repository…); gc keeps them like pins.
const ROOTS: TableDefinition<&str, [u8; 32]> = TableDefinition::new("roots");
/// parent → children it references.
const LINKS: MultimapTableDefinition<[u8; 32], [u8; 32]> = MultimapTableDefinition::new("links");

const FLAG_INLINE: u8 = 1;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no blob {0} in the store: check the id, or put the content first")]
    NotFound(BlobId),
    #[error(
        "blob {id} is corrupt on disk ({detail}): the copy is damaged; put the original again to repair it, and run `ses store verify` to find others"
    )]
    Corrupt { id: BlobId, detail: String },
    #[error("range {start}..{end} is past the end of blob {id} ({size} bytes)")]
    RangePastEnd {
        id: BlobId,
        start: u64,
        end: u64,
        size: u64,
    },
    #[error("range {start}..{end} is empty or reversed: END is exclusive and must be ≥ START")]
    BadRange { start: u64, end: u64 },
    #[error("cannot link to {0}: it is not in the store; put it first")]
    MissingLink(BlobId),
    #[error("the input changed while it was read ({0}); retry when it is stable")]
    InputChanged(String),
    #[error("cannot {action} {path}: {error}")]
    Io {
        action: &'static str,
        path: PathBuf,
        error: io::Error,
    },
    #[error("cannot read the input: {0}")]
    Input(io::Error),
    #[error("cannot write the output: {0}")]
    Output(io::Error),
    #[error("the store database {path} failed: {error}")]
    Db { path: PathBuf, error: redb::Error },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What the store knows about one blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    pub id: BlobId,
    pub size: u64,
    pub pinned: bool,
}

/// Options for a put.
#[derive(Debug, Clone, Default)]
pub struct PutOptions {
    /// Pin the blob so gc keeps it (and everything it links to).
    pub pin: bool,
    /// Blobs this one references; gc keeps them while this one is kept. Each must exist.
    pub links: Vec<BlobId>,
}

/// One damaged blob found by [`Store::verify_all`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    pub id: BlobId,
    pub detail: String,
}

/// What gc did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcReport {
    pub removed: Vec<BlobId>,
    pub freed_bytes: u64,
    pub kept: u64,
}

pub struct Store {
    db: Database,
    db_path: PathBuf,
    blobs_dir: PathBuf,
    tmp_dir: PathBuf,
    /// Serialises the commit step of large puts with gc (see the module invariants).
    commit_lock: Mutex<()>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("db", &self.db_path).finish()
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> StoreError + 'a {
    move |error| StoreError::Io {
        action,
        path: path.to_owned(),
        error,
    }
}

fn hex(id: &BlobId) -> String {
    id.hash().to_hex().to_string()
}

fn private_dir(dir: &Path) -> Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io_err("create directory", dir))
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err("sync directory", dir))
}

/// A temporary file in `tmp/` that is removed unless it was renamed into place.
struct TempFile {
    path: PathBuf,
    file: File,
    keep: bool,
}

impl TempFile {
    fn new(dir: &Path, suffix: &str) -> Result<TempFile> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!("{}-{n}.{suffix}", std::process::id()));
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io_err("create", &path))?;
        Ok(TempFile {
            path,
            file,
            keep: false,
        })
    }

    fn persist(mut self, to: &Path) -> Result<()> {
        fs::rename(&self.path, to).map_err(io_err("move into place", to))?;
        self.keep = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_file(&self.path);
        }
    }
}

impl Store {
    /// Opens (creating if needed) the store of `home`. Only one process may have it open:
    /// the daemon.
    pub fn open(home: &Home) -> Result<Store> {
        let dir = home.root().join("store");
        let blobs_dir = dir.join("blobs");
        let tmp_dir = dir.join("tmp");
        for d in [&dir, &blobs_dir, &tmp_dir] {
            private_dir(d)?;
        }
        let db_path = dir.join("store.redb");
        let db = Database::create(&db_path).map_err(|e| StoreError::Db {
            path: db_path.clone(),
            error: e.into(),
        })?;
        let store = Store {
            db,
            db_path,
            blobs_dir,
            tmp_dir,
            commit_lock: Mutex::new(()),
        };
        store.init_tables()?;
        store.remove_leftovers()?;
        Ok(store)
    }

    fn db_err<E: Into<redb::Error>>(&self) -> impl FnOnce(E) -> StoreError + '_ {
        |e| StoreError::Db {
            path: self.db_path.clone(),
            error: e.into(),
        }
    }

    fn init_tables(&self) -> Result<()> {
        let txn = self.db.begin_write().map_err(self.db_err())?;
        txn.open_table(BLOBS).map_err(self.db_err())?;
        txn.open_table(INLINE).map_err(self.db_err())?;
        txn.open_table(PINS).map_err(self.db_err())?;
        txn.open_table(ROOTS).map_err(self.db_err())?;
        txn.open_multimap_table(LINKS).map_err(self.db_err())?;
        txn.commit().map_err(self.db_err())
    }

    /// Removes what a crash left: puts in progress and files that no committed row names.
    fn remove_leftovers(&self) -> Result<()> {
        for entry in fs::read_dir(&self.tmp_dir).map_err(io_err("read", &self.tmp_dir))? {
            let entry = entry.map_err(io_err("read", &self.tmp_dir))?;
            let _ = fs::remove_file(entry.path());
        }
        let txn = self.db.begin_read().map_err(self.db_err())?;
        let blobs = txn.open_table(BLOBS).map_err(self.db_err())?;
        for shard in fs::read_dir(&self.blobs_dir).map_err(io_err("read", &self.blobs_dir))? {
            let shard = shard.map_err(io_err("read", &self.blobs_dir))?.path();
            let Ok(files) = fs::read_dir(&shard) else {
                continue;
            };
            for file in files.flatten() {
                let path = file.path();
                let known = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .and_then(parse_hex)
                    .map(|key| blobs.get(key).map(|v| v.is_some()))
                    .transpose()
                    .map_err(self.db_err())?
                    .unwrap_or(false);
                if !known {
                    let _ = fs::remove_file(&path);
                }
            }
        }
        Ok(())
    }

    fn data_path(&self, id: &BlobId) -> PathBuf {
        let h = hex(id);
        self.blobs_dir.join(&h[..2]).join(format!("{h}.data"))
    }

    fn outboard_path(&self, id: &BlobId) -> PathBuf {
        let h = hex(id);
        self.blobs_dir.join(&h[..2]).join(format!("{h}.obao4"))
    }

    /// Stores `bytes` and returns their id.
    pub fn put_bytes(&self, bytes: &[u8], opts: &PutOptions) -> Result<BlobId> {
        if bytes.len() as u64 <= INLINE_MAX {
            let id = BlobId::of(bytes);
            self.commit(id, bytes.len() as u64, Some(bytes), opts)?;
            return Ok(id);
        }
        self.put_reader(bytes, Some(bytes.len() as u64), opts)
    }

    /// Stores everything `input` yields and returns its id. With `size` known (a file), the
    /// input is read once; without it (a pipe), it is spooled to disk first.
    pub fn put_reader(
        &self,
        mut input: impl Read,
        size: Option<u64>,
        opts: &PutOptions,
    ) -> Result<BlobId> {
        let Some(size) = size else {
            return self.put_unsized(input, opts);
        };
        if size <= INLINE_MAX {
            let mut buf = Vec::with_capacity(size as usize);
            input
                .by_ref()
                .take(INLINE_MAX + 1)
                .read_to_end(&mut buf)
                .map_err(StoreError::Input)?;
            if buf.len() as u64 != size {
                return Err(StoreError::InputChanged(format!(
                    "expected {size} bytes, read {}",
                    buf.len()
                )));
            }
            return self.put_bytes(&buf, opts);
        }
        let data = TempFile::new(&self.tmp_dir, "data")?;
        let outboard = TempFile::new(&self.tmp_dir, "obao4")?;
        let root = import::write_and_hash(&mut input, size, &data.file, &outboard.file)?;
        let mut extra = [0u8; 1];
        if input.read(&mut extra).map_err(StoreError::Input)? != 0 {
            return Err(StoreError::InputChanged(format!(
                "it grew past {size} bytes"
            )));
        }
        self.commit_files(BlobId::from_hash(root), size, data, outboard, opts)
    }

    fn put_unsized(&self, input: impl Read, opts: &PutOptions) -> Result<BlobId> {
        let data = TempFile::new(&self.tmp_dir, "data")?;
        let mut input = input;
        let mut writer = BufWriter::with_capacity(IO_BUF, &data.file);
        let mut buf = vec![0u8; IO_BUF];
        let mut size = 0u64;
        loop {
            let n = match input.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(StoreError::Input(e)),
            };
            writer
                .write_all(&buf[..n])
                .map_err(io_err("write", &data.path))?;
            size += n as u64;
        }
        writer.flush().map_err(io_err("write", &data.path))?;
        drop(writer);
        let mut spooled = File::open(&data.path).map_err(io_err("read", &data.path))?;
        if size <= INLINE_MAX {
            let mut buf = Vec::with_capacity(size as usize);
            spooled
                .read_to_end(&mut buf)
                .map_err(io_err("read", &data.path))?;
            return self.put_bytes(&buf, opts);
        }
        let outboard = TempFile::new(&self.tmp_dir, "obao4")?;
        let mut ob = BufWriter::with_capacity(64 * 1024, &outboard.file);
        let tree = BaoTree::new(size, BLOCK_SIZE);
        let root = bao_tree::io::sync::outboard_post_order(
            io::BufReader::with_capacity(IO_BUF, spooled),
            tree,
            &mut ob,
        )
        .map_err(io_err("read", &data.path))?;
        ob.flush().map_err(io_err("write", &outboard.path))?;
        drop(ob);
        self.commit_files(BlobId::from_hash(root), size, data, outboard, opts)
    }

    /// Makes the files of a large blob durable, moves them into place and commits the row.
    /// Putting content that is already stored replaces its files with the fresh copy, which
    /// repairs a damaged one.
    fn commit_files(
        &self,
        id: BlobId,
        size: u64,
        data: TempFile,
        outboard: TempFile,
        opts: &PutOptions,
    ) -> Result<BlobId> {
        data.file.sync_all().map_err(io_err("sync", &data.path))?;
        outboard
            .file
            .sync_all()
            .map_err(io_err("sync", &outboard.path))?;
        let data_path = self.data_path(&id);
        let shard = data_path
            .parent()
            .expect("invariant: a blob path has a shard directory")
            .to_owned();
        let _guard = self.commit_lock.lock().unwrap_or_else(|p| p.into_inner());
        private_dir(&shard)?;
        data.persist(&data_path)?;
        outboard.persist(&self.outboard_path(&id))?;
        sync_dir(&shard)?;
        self.commit(id, size, None, opts)?;
        Ok(id)
    }

    /// Commits the row of a blob (and its inline bytes, pin and links) in one transaction.
    fn commit(
        &self,
        id: BlobId,
        size: u64,
        inline: Option<&[u8]>,
        opts: &PutOptions,
    ) -> Result<()> {
        let txn = self.db.begin_write().map_err(self.db_err())?;
        {
            let mut blobs = txn.open_table(BLOBS).map_err(self.db_err())?;
            let created = match blobs.get(id.0).map_err(self.db_err())? {
                // Keep the first put's time: a re-put is not a new blob.
                Some(v) => v.value().2,
                None => now_ms(),
            };
            let flags = if inline.is_some() { FLAG_INLINE } else { 0 };
            blobs
                .insert(id.0, (size, flags, created))
                .map_err(self.db_err())?;
            if let Some(bytes) = inline {
                txn.open_table(INLINE)
                    .map_err(self.db_err())?
                    .insert(id.0, bytes)
                    .map_err(self.db_err())?;
            }
            let mut links = txn.open_multimap_table(LINKS).map_err(self.db_err())?;
            for child in &opts.links {
                if blobs.get(child.0).map_err(self.db_err())?.is_none() {
                    return Err(StoreError::MissingLink(*child));
                }
                links.insert(id.0, child.0).map_err(self.db_err())?;
            }
            if opts.pin {
                txn.open_table(PINS)
                    .map_err(self.db_err())?
                    .insert(id.0, now_ms())
                    .map_err(self.db_err())?;
            }
        }
        txn.commit().map_err(self.db_err())
    }

    fn row(&self, id: &BlobId) -> Result<Option<(u64, u8)>> {
        let txn = self.db.begin_read().map_err(self.db_err())?;
        let blobs = txn.open_table(BLOBS).map_err(self.db_err())?;
        Ok(blobs
            .get(id.0)
            .map_err(self.db_err())?
            .map(|v| (v.value().0, v.value().1)))
    }

    pub fn has(&self, id: &BlobId) -> Result<bool> {
        Ok(self.row(id)?.is_some())
    }

    pub fn stat(&self, id: &BlobId) -> Result<BlobInfo> {
        let (size, _) = self.row(id)?.ok_or(StoreError::NotFound(*id))?;
        let txn = self.db.begin_read().map_err(self.db_err())?;
        let pins = txn.open_table(PINS).map_err(self.db_err())?;
        let pinned = pins.get(id.0).map_err(self.db_err())?.is_some();
        Ok(BlobInfo {
            id: *id,
            size,
            pinned,
        })
    }

    /// Every blob, sorted by id.
    pub fn list(&self) -> Result<Vec<BlobInfo>> {
        let txn = self.db.begin_read().map_err(self.db_err())?;
        let blobs = txn.open_table(BLOBS).map_err(self.db_err())?;
        let pins = txn.open_table(PINS).map_err(self.db_err())?;
        let mut out = Vec::new();
        for row in blobs.iter().map_err(self.db_err())? {
            let (k, v) = row.map_err(self.db_err())?;
            let id = BlobId(k.value());
            out.push(BlobInfo {
                id,
                size: v.value().0,
                pinned: pins.get(id.0).map_err(self.db_err())?.is_some(),
            });
        }
        out.sort_by_key(|b| b.id.to_string());
        Ok(out)
    }

    /// The whole blob, verified. For blobs that fit in memory; stream big ones with
    /// [`Store::read_range`].
    pub fn get(&self, id: &BlobId) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.read_range(id, None, &mut out)?;
        Ok(out)
    }

    /// Writes the bytes of `range` (END exclusive; `None` = all) of a blob to `out`, each
    /// verified before it is written. Returns the number of bytes written.
    pub fn read_range(
        &self,
        id: &BlobId,
        range: Option<Range<u64>>,
        out: &mut dyn Write,
    ) -> Result<u64> {
        let (size, flags) = self.row(id)?.ok_or(StoreError::NotFound(*id))?;
        let range = range.unwrap_or(0..size);
        if range.start > range.end {
            return Err(StoreError::BadRange {
                start: range.start,
                end: range.end,
            });
        }
        if range.end > size {
            return Err(StoreError::RangePastEnd {
                id: *id,
                start: range.start,
                end: range.end,
                size,
            });
        }
        if flags & FLAG_INLINE != 0 {
            let bytes = self.inline_bytes(id)?;
            let slice = &bytes[range.start as usize..range.end as usize];
            out.write_all(slice).map_err(StoreError::Output)?;
            return Ok(slice.len() as u64);
        }
        verified::read_range(
            id,
            size,
            &self.data_path(id),
            &self.outboard_path(id),
            range,
            out,
        )
    }

    /// The verified bytes of an inline blob.
    fn inline_bytes(&self, id: &BlobId) -> Result<Vec<u8>> {
        let txn = self.db.begin_read().map_err(self.db_err())?;
        let table = txn.open_table(INLINE).map_err(self.db_err())?;
        let bytes = table
            .get(id.0)
            .map_err(self.db_err())?
            .map(|v| v.value().to_vec())
            .ok_or_else(|| StoreError::Corrupt {
                id: *id,
                detail: "its bytes are missing from the database".into(),
            })?;
        if BlobId::of(&bytes) != *id {
            return Err(StoreError::Corrupt {
                id: *id,
                detail: "its bytes do not hash to its id".into(),
            });
        }
        Ok(bytes)
    }

    /// Checks one blob completely.
    pub fn verify(&self, id: &BlobId) -> Result<()> {
        self.read_range(id, None, &mut io::sink()).map(|_| ())
    }

    /// Checks every blob; returns the damaged ones (empty when all are sound).
    pub fn verify_all(&self) -> Result<Vec<Damage>> {
        let mut damaged = Vec::new();
        for blob in self.list()? {
            match self.verify(&blob.id) {
                Ok(()) => {}
                Err(StoreError::Corrupt { id, detail }) => damaged.push(Damage { id, detail }),
                Err(StoreError::Io { path, error, .. }) => damaged.push(Damage {
                    id: blob.id,
                    detail: format!("{}: {error}", path.display()),
                }),
                Err(e) => return Err(e),
            }
        }
        Ok(damaged)
    }

    pub fn pin(&self, id: &BlobId) -> Result<()> {
        let txn = self.db.begin_write().map_err(self.db_err())?;
        {
            let blobs = txn.open_table(BLOBS).map_err(self.db_err())?;
            if blobs.get(id.0).map_err(self.db_err())?.is_none() {
                return Err(StoreError::NotFound(*id));
            }
            let mut pins = txn.open_table(PINS).map_err(self.db_err())?;
            if pins.get(id.0).map_err(self.db_err())?.is_none() {
                pins.insert(id.0, now_ms()).map_err(self.db_err())?;
            }
        }
        txn.commit().map_err(self.db_err())
    }

    /// Removes a pin; returns whether there was one.
    pub fn unpin(&self, id: &BlobId) -> Result<bool> {
        let txn = self.db.begin_write().map_err(self.db_err())?;
        let was = {
            let blobs = txn.open_table(BLOBS).map_err(self.db_err())?;
            if blobs.get(id.0).map_err(self.db_err())?.is_none() {
                return Err(StoreError::NotFound(*id));
            }
            let mut pins = txn.open_table(PINS).map_err(self.db_err())?;
            pins.remove(id.0).map_err(self.db_err())?.is_some()
        };
        txn.commit().map_err(self.db_err())?;
        Ok(was)
    }

    /// Points the named root `name` at `id` (replacing what it named): gc keeps it and
    /// everything it links to, as it keeps pins.
    pub fn set_root(&self, name: &str, id: &BlobId) -> Result<()> {
        let txn = self.db.begin_write().map_err(self.db_err())?;
        {
            let blobs = txn.open_table(BLOBS).map_err(self.db_err())?;
            if blobs.get(id.0).map_err(self.db_err())?.is_none() {
                return Err(StoreError::NotFound(*id));
            }
            txn.open_table(ROOTS)
                .map_err(self.db_err())?
                .insert(name, id.0)
                .map_err(self.db_err())?;
        }
        txn.commit().map_err(self.db_err())
    }

    /// The blob the named root points at.
    pub fn root(&self, name: &str) -> Result<Option<BlobId>> {
        let txn = self.db.begin_read().map_err(self.db_err())?;
        let roots = txn.open_table(ROOTS).map_err(self.db_err())?;
        Ok(roots
            .get(name)
            .map_err(self.db_err())?
            .map(|v| BlobId(v.value())))
    }

    /// Removes every blob not reachable from a pin through links, except those younger
    /// than `grace`.
    pub fn gc(&self, grace: Duration) -> Result<GcReport> {
        let cutoff = now_ms().saturating_sub(grace.as_millis() as u64);
        let _guard = self.commit_lock.lock().unwrap_or_else(|p| p.into_inner());
        let txn = self.db.begin_write().map_err(self.db_err())?;
        let mut report = GcReport::default();
        let mut files = Vec::new();
        {
            let mut blobs = txn.open_table(BLOBS).map_err(self.db_err())?;
            let mut inline = txn.open_table(INLINE).map_err(self.db_err())?;
            let pins = txn.open_table(PINS).map_err(self.db_err())?;
            let mut links = txn.open_multimap_table(LINKS).map_err(self.db_err())?;

            let mut live = BTreeSet::new();
            let mut stack = Vec::new();
            for row in pins.iter().map_err(self.db_err())? {
                stack.push(row.map_err(self.db_err())?.0.value());
            }
            let roots = txn.open_table(ROOTS).map_err(self.db_err())?;
            for row in roots.iter().map_err(self.db_err())? {
                stack.push(row.map_err(self.db_err())?.1.value());
            }
            while let Some(key) = stack.pop() {
                if live.insert(key) {
                    for child in links.get(key).map_err(self.db_err())? {
                        stack.push(child.map_err(self.db_err())?.value());
                    }
                }
            }
            let mut doomed = Vec::new();
            for row in blobs.iter().map_err(self.db_err())? {
                let (k, v) = row.map_err(self.db_err())?;
                let (size, flags, created) = v.value();
                if live.contains(&k.value()) || created > cutoff {
                    report.kept += 1;
                } else {
                    doomed.push((k.value(), size, flags));
                }
            }
            for (key, size, flags) in doomed {
                blobs.remove(key).map_err(self.db_err())?;
                links.remove_all(key).map_err(self.db_err())?;
                let id = BlobId(key);
                if flags & FLAG_INLINE != 0 {
                    inline.remove(key).map_err(self.db_err())?;
                } else {
                    files.push(self.data_path(&id));
                    files.push(self.outboard_path(&id));
                }
                report.freed_bytes += size;
                report.removed.push(id);
            }
        }
        txn.commit().map_err(self.db_err())?;
        // Rows are gone (durably) before files: a crash here leaves orphans, which the next
        // open removes, never a row without its file.
        for path in files {
            let _ = fs::remove_file(path);
        }
        report.removed.sort_by_key(|id| id.to_string());
        Ok(report)
    }
}

fn parse_hex(s: &str) -> Option<[u8; 32]> {
    blake3::Hash::from_hex(s).ok().map(|h| *h.as_bytes())
}

#[cfg(test)]
mod tests;
