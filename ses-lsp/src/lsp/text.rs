//! Document text as the client edits it: LSP positions (0-based line, UTF-16 code units)
//! to byte offsets, and incremental edits applied in order.
//!
//! Invariant: a position past the end of a line clamps to the line's end and a line past
//! the end of the text clamps to its end, as the LSP specification asks of servers; an edit
//! never splits a UTF-8 character.

use tower_lsp_server::ls_types::{Position, Range, TextDocumentContentChangeEvent};

/// The byte offset of `pos` in `text`.
pub fn offset(text: &str, pos: Position) -> usize {
    let mut start = 0;
    for _ in 0..pos.line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let line = &text[start..];
    let line = &line[..line.find('\n').unwrap_or(line.len())];
    let mut units = 0u32;
    for (i, c) in line.char_indices() {
        if units >= pos.character {
            return start + i;
        }
        units += c.len_utf16() as u32;
    }
    // Past the end (or a position inside a surrogate pair's second half): the line's end,
    // before any `\r`.
    start + line.strip_suffix('\r').map_or(line.len(), str::len)
}

/// Applies the client's changes, in order.
pub fn apply(text: &mut String, changes: Vec<TextDocumentContentChangeEvent>) {
    for change in changes {
        match change.range {
            None => *text = change.text,
            Some(Range { start, end }) => {
                let a = offset(text, start);
                let b = offset(text, end).max(a);
                text.replace_range(a..b, &change.text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    fn edit(text: &str, a: Position, b: Position, new: &str) -> String {
        let mut t = text.to_owned();
        apply(
            &mut t,
            vec![TextDocumentContentChangeEvent {
                range: Some(Range { start: a, end: b }),
                range_length: None,
                text: new.into(),
            }],
        );
        t
    }

    #[test]
    fn positions_count_utf16_units() {
        // "é" is one unit, "𝄞" two; byte lengths 2 and 4.
        let t = "aé𝄞b\nx";
        assert_eq!(offset(t, pos(0, 0)), 0);
        assert_eq!(offset(t, pos(0, 2)), 3);
        assert_eq!(offset(t, pos(0, 4)), 7);
        assert_eq!(offset(t, pos(0, 5)), 8);
        assert_eq!(
            offset(t, pos(0, 99)),
            8,
            "past the end clamps to the line end"
        );
        assert_eq!(offset(t, pos(1, 1)), 10);
        assert_eq!(
            offset(t, pos(7, 0)),
            t.len(),
            "past the last line clamps to the end"
        );
    }

    #[test]
    fn crlf_line_ends_stay_whole() {
        assert_eq!(offset("ab\r\ncd", pos(0, 9)), 2);
        assert_eq!(offset("ab\r\ncd", pos(1, 0)), 4);
    }

    #[test]
    fn edits_insert_replace_and_delete() {
        assert_eq!(
            edit("hello\nworld\n", pos(1, 0), pos(1, 5), "there"),
            "hello\nthere\n"
        );
        assert_eq!(
            edit("hello\nworld\n", pos(0, 5), pos(1, 0), " "),
            "hello world\n"
        );
        assert_eq!(edit("ab", pos(0, 1), pos(0, 1), "𝄞"), "a𝄞b");
        // A reversed range is read as empty at its start rather than panicking.
        assert_eq!(edit("abc", pos(0, 2), pos(0, 1), "X"), "abXc");
    }

    #[test]
    fn a_change_without_range_replaces_everything() {
        let mut t = "old".to_owned();
        apply(
            &mut t,
            vec![TextDocumentContentChangeEvent {
                range: None,
                range_length: None,
                text: "new".into(),
            }],
        );
        assert_eq!(t, "new");
    }
}
