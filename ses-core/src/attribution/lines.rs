//! Passing line ownership across one file change, the way `git blame` does.
//!
//! git blame diffs a parent's version of a file against the child's with xdiff's Myers
//! algorithm, the indent heuristic on (`diff.indentHeuristic`, git's default) and no
//! context; a child line inside an unchanged region is the parent's line at the same
//! offset, every other line is the child's own. imara-diff's Myers with `postprocess_lines`
//! (slider compaction plus git's indent heuristic) reproduces those hunks.

use imara_diff::{Algorithm, Diff, InternedInput};

/// The number of lines git counts in a blob: lines end after `\n`, and a last line
/// without one is a line too.
pub fn count_lines(blob: &[u8]) -> usize {
    let newlines = blob.iter().filter(|&&b| b == b'\n').count();
    newlines + usize::from(!blob.is_empty() && !blob.ends_with(b"\n"))
}

/// For each line of `child`, the line of `parent` it is unchanged from, if any.
pub fn unchanged_from(parent: &[u8], child: &[u8]) -> Vec<Option<u32>> {
    // imara-diff's byte lines split after each `\n` and keep it, as xdiff does.
    let input = InternedInput::new(parent, child);
    let after_len = input.after.len();
    let mut diff = Diff::compute(Algorithm::Myers, &input);
    diff.postprocess_lines(&input);
    let mut map = Vec::with_capacity(after_len);
    let mut p = 0u32;
    let mut c = 0u32;
    for hunk in diff.hunks() {
        while c < hunk.after.start {
            map.push(Some(p));
            p += 1;
            c += 1;
        }
        for _ in hunk.after.clone() {
            map.push(None);
        }
        c = hunk.after.end;
        p = hunk.before.end;
    }
    while (c as usize) < after_len {
        map.push(Some(p));
        p += 1;
        c += 1;
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_last_line_counts() {
        assert_eq!(count_lines(b""), 0);
        assert_eq!(count_lines(b"a\n"), 1);
        assert_eq!(count_lines(b"a\nb"), 2);
        assert_eq!(count_lines(b"\n\n"), 2);
    }

    #[test]
    fn unchanged_lines_map_to_their_parent_lines() {
        let parent = b"a\nb\nc\nd\n";
        let child = b"a\nX\nc\nd\nE\n";
        assert_eq!(
            unchanged_from(parent, child),
            vec![Some(0), None, Some(2), Some(3), None]
        );
        assert_eq!(unchanged_from(b"", b"x\n"), vec![None]);
        assert_eq!(unchanged_from(b"x\n", b""), Vec::<Option<u32>>::new());
        // A missing final newline makes the line different.
        assert_eq!(unchanged_from(b"a\nb", b"a\nb\n"), vec![Some(0), None]);
    }
}
