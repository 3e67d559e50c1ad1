//! Verified reads of file-backed blobs: every byte handed out has been hashed and checked
//! against the blob's id through the outboard, from the root down.
//!
//! A read is cut into aligned segments. For each, bao-tree encodes the segment's chunk
//! groups with the parent hashes that lead to them from the root, and its decoder checks
//! them as it goes; only then are the segment's bytes written. Two segments are decoded at
//! a time on two threads, since hashing, not I/O, bounds a read from the page cache.

use std::fs::File;
use std::io::{Cursor, Write};
use std::ops::Range;
use std::path::Path;

use bao_tree::io::outboard::PostOrderOutboard;
use bao_tree::io::sync::{DecodeResponseIter, encode_ranges};
use bao_tree::io::{BaoContentItem, round_up_to_chunks};
use bao_tree::{BaoTree, ByteRanges};

use super::{BLOCK_SIZE, BlobId, Result, StoreError, io_err};

/// Bytes per segment: large enough to amortise the walk from the root, small enough to
/// keep a read's memory bounded (two segments in flight, each held twice: encoded, decoded).
const SEGMENT: u64 = 4 << 20;

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
    let tree = BaoTree::new(size, BLOCK_SIZE);
    let outboard = PostOrderOutboard {
        root: id.hash(),
        tree,
        data: ob_file,
    };
    let segments: Vec<Range<u64>> = segments(range.clone()).collect();
    let mut written = 0u64;
    for pair in segments.chunks(2) {
        let decoded: Vec<Result<Vec<u8>>> = std::thread::scope(|s| {
            let second = pair
                .get(1)
                .map(|seg| s.spawn(|| decode_segment(id, &data, &outboard, seg.clone())));
            let first = decode_segment(id, &data, &outboard, pair[0].clone());
            let mut all = vec![first];
            if let Some(h) = second {
                all.push(h.join().unwrap_or_else(|_| {
                    Err(StoreError::Corrupt {
                        id: *id,
                        detail: "the decoder panicked".into(),
                    })
                }));
            }
            all
        });
        for bytes in decoded {
            let bytes = bytes?;
            out.write_all(&bytes).map_err(StoreError::Input)?;
            written += bytes.len() as u64;
        }
    }
    Ok(written)
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

/// Reads and verifies the bytes of `seg`.
fn decode_segment(
    id: &BlobId,
    data: &File,
    outboard: &PostOrderOutboard<File>,
    seg: Range<u64>,
) -> Result<Vec<u8>> {
    let corrupt = |detail: String| StoreError::Corrupt { id: *id, detail };
    let chunks = round_up_to_chunks(&ByteRanges::from(seg.clone()));
    let mut encoded = Vec::with_capacity((seg.end - seg.start) as usize + 64 * 1024);
    encode_ranges(data, outboard, &chunks, &mut encoded)
        .map_err(|e| corrupt(format!("cannot read it back: {e}")))?;
    let mut out = Vec::with_capacity((seg.end - seg.start) as usize);
    let items = DecodeResponseIter::new(id.hash(), outboard.tree, Cursor::new(&encoded), &chunks);
    for item in items {
        match item.map_err(|e| corrupt(format!("{e} in bytes {}..{}", seg.start, seg.end)))? {
            BaoContentItem::Parent(_) => {}
            BaoContentItem::Leaf(leaf) => {
                let leaf_end = leaf.offset + leaf.data.len() as u64;
                let from = seg.start.max(leaf.offset);
                let to = seg.end.min(leaf_end);
                if from < to {
                    out.extend_from_slice(
                        &leaf.data[(from - leaf.offset) as usize..(to - leaf.offset) as usize],
                    );
                }
            }
        }
    }
    if out.len() as u64 != seg.end - seg.start {
        return Err(corrupt(format!(
            "bytes {}..{} decoded to {} bytes",
            seg.start,
            seg.end,
            out.len()
        )));
    }
    Ok(out)
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
