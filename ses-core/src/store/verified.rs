//! Verified reads of file-backed blobs: every byte handed out has been hashed and checked
//! against the blob's id through the outboard, from the root down.
//!
//! A read is cut into 4 MiB segments aligned to chunk groups. For each, one `pread` fills a
//! buffer, and bao-tree's traversal of the tree for that range yields the parent nodes from
//! the root down and the chunk groups: each parent pair from the outboard must hash to the
//! value its parent expects, and each chunk group of the buffer to the value its parent
//! gives it. Only then are the segment's bytes written. Two workers verify alternate
//! segments while the caller writes the previous ones, since hashing, not I/O, bounds a
//! read from the page cache; buffers are reused so a read touches a fixed amount of memory.

use std::fs::File;
use std::io::Write;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::mpsc;

use bao_tree::io::outboard::PostOrderOutboard;
use bao_tree::io::sync::Outboard;
use bao_tree::iter::BaoChunk;
use bao_tree::{BaoTree, ChunkNum, ChunkRanges};
use blake3::hazmat::{
    ChainingValue, HasherExt, Mode, merge_subtrees_non_root, merge_subtrees_root,
};

use super::{BLOCK_SIZE, BlobId, Result, StoreError, io_err};

/// Bytes per segment: large enough to amortise the walk from the root, small enough to
/// keep a read's memory bounded (each worker holds at most two segment buffers).
const SEGMENT: u64 = 4 << 20;
const WORKERS: usize = 2;

pub(super) fn read_range(
    id: &BlobId,
    size: u64,
    data_path: &Path,
    outboard_path: &Path,
    range: Range<u64>,
    out: &mut dyn Write,
) -> Result<u64> {
    let data = File::open(data_path).map_err(io_err("open", data_path))?;
    let ob_file = File::open(outboard_path).map_err(io_err("open", outboard_path))?;
    let on_disk = data.metadata().map_err(io_err("read", data_path))?.len();
    if on_disk != size {
        return Err(StoreError::Corrupt {
            id: *id,
            detail: format!(
                "{} is {on_disk} bytes, expected {size}",
                data_path.display()
            ),
        });
    }
    let outboard = PostOrderOutboard {
        root: id.hash(),
        tree: BaoTree::new(size, BLOCK_SIZE),
        data: ob_file,
    };
    let reader = SegmentReader {
        id: *id,
        data: &data,
        outboard: &outboard,
    };
    let segs: Vec<Range<u64>> = segments(range).collect();
    if let [seg] = &segs[..] {
        // One segment: no workers to start.
        let mut buf = Vec::new();
        let part = reader.load_verified(seg.clone(), &mut buf)?;
        out.write_all(&buf[part.clone()])
            .map_err(StoreError::Output)?;
        return Ok(part.len() as u64);
    }
    let mut written = 0u64;
    std::thread::scope(|s| {
        let mut lanes = Vec::with_capacity(WORKERS);
        for w in 0..WORKERS {
            // Capacity 1: a worker runs at most one segment ahead of the writer.
            let (done_tx, done_rx) = mpsc::sync_channel::<(Vec<u8>, Result<Range<usize>>)>(1);
            let (free_tx, free_rx) = mpsc::channel::<Vec<u8>>();
            let (reader, segs) = (&reader, &segs);
            s.spawn(move || {
                for seg in segs.iter().skip(w).step_by(WORKERS) {
                    let mut buf = free_rx.try_recv().unwrap_or_default();
                    let part = reader.load_verified(seg.clone(), &mut buf);
                    // The writer has gone (an error, or its output closed): stop.
                    if done_tx.send((buf, part)).is_err() {
                        return;
                    }
                }
            });
            lanes.push((done_rx, free_tx));
        }
        for i in 0..segs.len() {
            let (done, free) = &lanes[i % WORKERS];
            let (buf, part) = done.recv().map_err(|_| StoreError::Corrupt {
                id: *id,
                detail: "a verifying worker stopped unexpectedly".into(),
            })?;
            let part = part?;
            out.write_all(&buf[part.clone()])
                .map_err(StoreError::Output)?;
            written += part.len() as u64;
            let _ = free.send(buf);
        }
        Ok(written)
    })
}

/// Splits `range` at SEGMENT-aligned offsets.
fn segments(range: Range<u64>) -> impl Iterator<Item = Range<u64>> {
    let mut start = range.start;
    std::iter::from_fn(move || {
        if start >= range.end {
            return None;
        }
        let end = ((start / SEGMENT + 1) * SEGMENT).min(range.end);
        let seg = start..end;
        start = end;
        Some(seg)
    })
}

struct SegmentReader<'a> {
    id: BlobId,
    data: &'a File,
    outboard: &'a PostOrderOutboard<File>,
}

impl SegmentReader<'_> {
    fn corrupt(&self, detail: String) -> StoreError {
        StoreError::Corrupt {
            id: self.id,
            detail,
        }
    }

    /// Reads the chunk groups covering `seg` into `buf` and verifies them; returns where
    /// `seg`'s bytes are in `buf`.
    fn load_verified(&self, seg: Range<u64>, buf: &mut Vec<u8>) -> Result<Range<usize>> {
        let tree = self.outboard.tree;
        let group = tree.block_size().bytes() as u64;
        let start = seg.start / group * group;
        let end = seg
            .end
            .div_ceil(group)
            .saturating_mul(group)
            .min(tree.size());
        buf.resize((end - start) as usize, 0);
        self.data
            .read_exact_at(buf, start)
            .map_err(|e| self.corrupt(format!("cannot read bytes {start}..{end}: {e}")))?;
        let chunks = ChunkRanges::from(ChunkNum(start / 1024)..ChunkNum(end.div_ceil(1024)));
        let mut stack = vec![self.outboard.root];
        for item in tree.ranges_pre_order_chunks_iter_ref(&chunks, 0) {
            match item {
                BaoChunk::Parent {
                    node,
                    is_root,
                    left,
                    right,
                    ..
                } => {
                    let expected = stack
                        .pop()
                        .expect("invariant: the traversal is well-formed");
                    let (l, r) = self
                        .outboard
                        .load(node)
                        .map_err(|e| self.corrupt(format!("cannot read its outboard: {e}")))?
                        .ok_or_else(|| self.corrupt(format!("its outboard lacks node {node:?}")))?;
                    if parent_cv(&l, &r, is_root) != expected {
                        return Err(self.corrupt(format!(
                            "outboard node {node:?} does not match (near bytes {start}..{end})"
                        )));
                    }
                    if right {
                        stack.push(r);
                    }
                    if left {
                        stack.push(l);
                    }
                }
                BaoChunk::Leaf {
                    start_chunk,
                    size,
                    is_root,
                    ..
                } => {
                    let expected = stack
                        .pop()
                        .expect("invariant: the traversal is well-formed");
                    let at = (start_chunk.to_bytes() - start) as usize;
                    let leaf = buf.get(at..at + size).ok_or_else(|| {
                        self.corrupt(format!(
                            "chunk group at byte {} is out of range",
                            start_chunk.to_bytes()
                        ))
                    })?;
                    if hash_subtree(start_chunk.0, leaf, is_root) != expected {
                        return Err(self.corrupt(format!(
                            "bytes {}..{} do not match the id",
                            start_chunk.to_bytes(),
                            start_chunk.to_bytes() + size as u64
                        )));
                    }
                }
            }
        }
        Ok((seg.start - start) as usize..(seg.end - start) as usize)
    }
}

/// The BLAKE3 chaining value of a subtree starting at `start_chunk` (the root hash when it
/// is the whole blob), as bao-tree computes it.
fn hash_subtree(start_chunk: u64, data: &[u8], is_root: bool) -> blake3::Hash {
    if is_root {
        return blake3::hash(data);
    }
    let mut hasher = blake3::Hasher::new();
    hasher.set_input_offset(start_chunk * 1024);
    hasher.update(data);
    let cv: ChainingValue = hasher.finalize_non_root();
    blake3::Hash::from(cv)
}

/// The BLAKE3 parent node of two subtrees.
fn parent_cv(left: &blake3::Hash, right: &blake3::Hash, is_root: bool) -> blake3::Hash {
    let (l, r): (ChainingValue, ChainingValue) = (*left.as_bytes(), *right.as_bytes());
    if is_root {
        merge_subtrees_root(&l, &r, Mode::Hash)
    } else {
        blake3::Hash::from(merge_subtrees_non_root(&l, &r, Mode::Hash))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_split_at_aligned_offsets() {
        let s: Vec<_> = segments(10..SEGMENT * 2 + 5).collect();
        assert_eq!(
            s,
            vec![
                10..SEGMENT,
                SEGMENT..2 * SEGMENT,
                2 * SEGMENT..2 * SEGMENT + 5
            ]
        );
        assert_eq!(segments(7..7).count(), 0);
    }
}
