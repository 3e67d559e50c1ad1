//! Where an added file came from, as `git blame`'s `find_rename` decides.
//!
//! git blame follows one path at a time (`diff_opts.single_follow`), so its rename
//! detection has exactly one destination and every file the commit deleted as a source.
//! Whole-history rename detection (git2's `find_similar`) pairs many destinations at once
//! and can give a source to another destination; among identical copies it also chooses
//! differently. So this module reproduces diffcore-rename for one destination:
//!
//! 1. exact: a source with the same blob (modes must match unless both are regular files),
//!    preferring an unused source with the same basename, the first in path order;
//! 2. basename: if exactly one source has the destination's basename, it wins when at
//!    least 75% similar (`minimum_score + 0.5 × (MAX_SCORE − minimum_score)`);
//! 3. inexact: the most similar regular-file source at ≥ 50%, ties to the same basename,
//!    then to path order.
//!
//! Similarity is diffcore-delta's: both blobs are cut into spans ending at `\n` or after
//! 64 bytes (a CR before LF ignored in text), each span hashed; the bytes of spans the
//! source shares with the destination, over the larger size, scaled to 60000.

use std::collections::HashMap;

use git2::{FileMode, Oid, Repository};

const MAX_SCORE: u64 = 60_000;
/// git's default `-M50%`.
const MINIMUM_SCORE: u64 = 30_000;
const MIN_BASENAME_SCORE: u64 = MINIMUM_SCORE + (MAX_SCORE - MINIMUM_SCORE) / 2;
const HASHBASE: u32 = 107_927;

/// A file on either side of a tree diff.
#[derive(Debug, Clone)]
pub struct Side {
    pub path: Vec<u8>,
    pub blob: Oid,
    pub mode: FileMode,
}

fn is_regular(mode: FileMode) -> bool {
    matches!(
        mode,
        FileMode::Blob | FileMode::BlobExecutable | FileMode::BlobGroupWritable
    )
}

fn basename(path: &[u8]) -> &[u8] {
    path.rsplit(|&b| b == b'/').next().unwrap_or(path)
}

/// Span-hash counts of a blob, sorted by hash: diffcore-delta's `hash_chars`.
fn span_counts(data: &[u8]) -> Vec<(u32, u64)> {
    let is_text = !data.iter().take(8000).any(|&b| b == 0);
    let mut counts: HashMap<u32, u64> = HashMap::new();
    let (mut accum1, mut accum2, mut n) = (0u32, 0u32, 0u64);
    let mut i = 0;
    while i < data.len() {
        let c = data[i] as u32;
        i += 1;
        if is_text && c == u32::from(b'\r') && data.get(i) == Some(&b'\n') {
            continue;
        }
        let old1 = accum1;
        accum1 = (accum1 << 7) ^ (accum2 >> 25);
        accum2 = (accum2 << 7) ^ (old1 >> 25);
        accum1 = accum1.wrapping_add(c);
        n += 1;
        if n < 64 && c != u32::from(b'\n') {
            continue;
        }
        let h = accum1.wrapping_add(accum2.wrapping_mul(0x61)) % HASHBASE;
        *counts.entry(h).or_default() += n;
        n = 0;
        accum1 = 0;
        accum2 = 0;
    }
    if n > 0 {
        let h = accum1.wrapping_add(accum2.wrapping_mul(0x61)) % HASHBASE;
        *counts.entry(h).or_default() += n;
    }
    let mut v: Vec<(u32, u64)> = counts.into_iter().collect();
    v.sort_unstable();
    v
}

/// Bytes of `src` that are also in `dst`, by span: diffcore-delta's `src_copied`.
fn copied(src: &[(u32, u64)], dst: &[(u32, u64)]) -> u64 {
    let (mut i, mut j, mut sc) = (0, 0, 0);
    while i < src.len() && j < dst.len() {
        match src[i].0.cmp(&dst[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sc += src[i].1.min(dst[j].1);
                i += 1;
                j += 1;
            }
        }
    }
    sc
}

/// Caches blobs and their span counts across the destinations of one commit.
pub struct Similarity<'r> {
    repo: &'r Repository,
    spans: HashMap<Oid, (u64, Vec<(u32, u64)>)>,
}

impl<'r> Similarity<'r> {
    pub fn new(repo: &'r Repository) -> Self {
        Similarity {
            repo,
            spans: HashMap::new(),
        }
    }

    fn spans(&mut self, id: Oid) -> Option<&(u64, Vec<(u32, u64)>)> {
        if !self.spans.contains_key(&id) {
            let blob = self.repo.find_blob(id).ok()?;
            let entry = (blob.size() as u64, span_counts(blob.content()));
            self.spans.insert(id, entry);
        }
        self.spans.get(&id)
    }

    /// diffcore-rename's `estimate_similarity`, 0..=60000.
    fn score(&mut self, src: &Side, dst: &Side) -> u64 {
        if !is_regular(src.mode) || !is_regular(dst.mode) {
            return 0;
        }
        let Some((src_size, _)) = self.spans(src.blob).map(|s| (s.0, ())) else {
            return 0;
        };
        let Some((dst_size, _)) = self.spans(dst.blob).map(|s| (s.0, ())) else {
            return 0;
        };
        let max_size = src_size.max(dst_size);
        let delta = max_size - src_size.min(dst_size);
        // Sizes too far apart can never reach the minimum score.
        if max_size * (MAX_SCORE - MINIMUM_SCORE) < delta * MAX_SCORE || max_size == 0 {
            return 0;
        }
        let (s, d) = (&self.spans[&src.blob].1, &self.spans[&dst.blob].1);
        copied(s, d) * MAX_SCORE / max_size
    }

    /// The source `dst` was renamed from, among `sources` (sorted by path).
    pub fn find_rename<'s>(&mut self, dst: &Side, sources: &'s [Side]) -> Option<&'s Side> {
        // 1. Exact renames.
        let mut best: Option<(&Side, u8)> = None;
        for src in sources.iter().filter(|s| s.blob == dst.blob) {
            if (!is_regular(src.mode) || !is_regular(dst.mode)) && src.mode != dst.mode {
                continue;
            }
            let score = 1 + u8::from(basename(&src.path) == basename(&dst.path));
            if best.is_none_or(|(_, b)| score > b) {
                best = Some((src, score));
                if score == 2 {
                    break;
                }
            }
        }
        if let Some((src, _)) = best {
            return Some(src);
        }
        // 2. A unique source with the same basename, if similar enough.
        let base = basename(&dst.path);
        let mut same_base = sources.iter().filter(|s| basename(&s.path) == base);
        if let (Some(only), None) = (same_base.next(), same_base.next())
            && self.score(only, dst) >= MIN_BASENAME_SCORE
        {
            return Some(only);
        }
        // 3. The most similar source.
        let mut best: Option<(&Side, u64, bool)> = None;
        for src in sources {
            let score = self.score(src, dst);
            if score < MINIMUM_SCORE {
                continue;
            }
            let same = basename(&src.path) == base;
            let better = match best {
                None => true,
                Some((_, s, b)) => score > s || (score == s && same && !b),
            };
            if better {
                best = Some((src, score, same));
            }
        }
        best.map(|(src, _, _)| src)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_end_at_newlines_or_64_bytes_and_ignore_cr_in_text() {
        let lf = span_counts(b"abc\ndef\n");
        let crlf = span_counts(b"abc\r\ndef\r\n");
        assert_eq!(lf, crlf);
        assert_eq!(lf.iter().map(|s| s.1).sum::<u64>(), 8);
        let long = span_counts(&[b'x'; 130]);
        assert_eq!(long.iter().map(|s| s.1).sum::<u64>(), 130);
        // Binary data keeps its CRs.
        let bin = span_counts(b"\0\r\n");
        assert_eq!(bin.iter().map(|s| s.1).sum::<u64>(), 3);
    }

    #[test]
    fn copied_counts_shared_span_bytes() {
        let a = span_counts(b"one\ntwo\nthree\n");
        let b = span_counts(b"one\ntwo\nfour\n");
        assert_eq!(copied(&a, &b), 8);
        assert_eq!(copied(&a, &a), 14);
    }
}
