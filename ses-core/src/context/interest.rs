//! Degree of interest per file, after Mylyn's model: every interaction event (a selection,
//! an edit) raises the interest of the file it touched, and every event elsewhere lowers
//! the interest of all the others a little. The most interesting files reopen first.
//!
//! Invariant: the score is a pure function of the event history (no clocks), kept in
//! sorted maps, so the same events give the same order byte for byte.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What happened to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterestKind {
    /// The cursor or a selection moved in it, or it was opened or focused.
    Select,
    /// Its text changed.
    Edit,
}

impl InterestKind {
    pub fn parse(s: &str) -> Option<InterestKind> {
        match s {
            "select" | "selection" => Some(InterestKind::Select),
            "edit" => Some(InterestKind::Edit),
            _ => None,
        }
    }

    /// Mylyn weighs a selection 1 and an edit 0.7 but sees many edit events per change;
    /// an editor reports one edit per change, so an edit counts more than a look.
    fn weight(self) -> f64 {
        match self {
            InterestKind::Select => 1.0,
            InterestKind::Edit => 2.0,
        }
    }
}

/// Interest lost per event on another file (Mylyn's default decay).
const DECAY: f64 = 0.017;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct FileInterest {
    /// Sum of the weights of this file's events.
    raised: f64,
    /// The event count when this file was first touched.
    first: u64,
    /// How many of the events since then were this file's.
    own: u64,
}

/// The interest model of one context.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Interest {
    /// Events seen so far.
    events: u64,
    files: BTreeMap<String, FileInterest>,
}

impl Interest {
    /// Records one event on `key` (a path relative to the repository's top, or a URI for a
    /// file outside it).
    pub fn record(&mut self, key: &str, kind: InterestKind) {
        let events = self.events;
        let f = self.files.entry(key.to_owned()).or_insert(FileInterest {
            raised: 0.0,
            first: events,
            own: 0,
        });
        f.raised += kind.weight();
        f.own += 1;
        self.events += 1;
    }

    /// The file's current degree of interest; 0 for a file never touched.
    pub fn score(&self, key: &str) -> f64 {
        self.files.get(key).map_or(0.0, |f| {
            let others = self.events.saturating_sub(f.first).saturating_sub(f.own);
            f.raised - DECAY * others as f64
        })
    }

    pub fn contains(&self, key: &str) -> bool {
        self.files.contains_key(key)
    }

    /// Every file with its score, most interesting first (ties by name).
    pub fn ranked(&self) -> Vec<(String, f64)> {
        let mut out: Vec<(String, f64)> = self
            .files
            .keys()
            .map(|k| (k.clone(), self.score(k)))
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    }

    /// Feeds the documents of an editor state: a document never seen counts as one look,
    /// the focused one as one more (it is what the user was looking at last).
    pub fn feed_editor(&mut self, editor: &Value, workdir: &Path) {
        let Some(docs) = editor.get("documents").and_then(Value::as_array) else {
            return;
        };
        let mut focused = Vec::new();
        for doc in docs {
            let Some(key) = doc
                .get("uri")
                .and_then(Value::as_str)
                .map(|u| key_for(u, workdir))
            else {
                continue;
            };
            if !self.contains(&key) {
                self.record(&key, InterestKind::Select);
            }
            if doc.get("focused").and_then(Value::as_bool) == Some(true) {
                focused.push(key);
            }
        }
        for key in focused {
            self.record(&key, InterestKind::Select);
        }
    }
}

/// The interest key of a document URI or path: its path relative to `workdir` when it is
/// inside, else the URI as given.
pub fn key_for(uri_or_path: &str, workdir: &Path) -> String {
    let path = uri_path(uri_or_path);
    match Path::new(&path).strip_prefix(workdir) {
        Ok(rel) => rel.to_string_lossy().into_owned(),
        Err(_) => match Path::new(&path).is_relative() {
            true => path,
            false => uri_or_path.to_owned(),
        },
    }
}

/// The path a `file://` URI names (percent-decoded); anything else is returned as given.
pub fn uri_path(uri_or_path: &str) -> String {
    match uri_or_path.strip_prefix("file://") {
        Some(rest) => percent_decode(rest),
        None => uri_or_path.to_owned(),
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The editor state with its documents ordered for reopening: most interesting first, the
/// focused document last (it is opened last so it ends up on top). Ties keep tab order.
pub fn order_documents(editor: &Value, interest: &Interest, workdir: &Path) -> Value {
    let mut editor = editor.clone();
    let Some(docs) = editor.get_mut("documents").and_then(Value::as_array_mut) else {
        return editor;
    };
    let mut keyed: Vec<(bool, f64, i64, usize, Value)> = docs
        .drain(..)
        .enumerate()
        .map(|(i, d)| {
            let focused = d.get("focused").and_then(Value::as_bool) == Some(true);
            let score = d
                .get("uri")
                .and_then(Value::as_str)
                .map_or(0.0, |u| interest.score(&key_for(u, workdir)));
            let tab = d.get("tab").and_then(Value::as_i64).unwrap_or(i64::MAX);
            (focused, score, tab, i, d)
        })
        .collect();
    keyed.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| b.1.total_cmp(&a.1))
            .then_with(|| a.2.cmp(&b.2))
            .then_with(|| a.3.cmp(&b.3))
    });
    docs.extend(keyed.into_iter().map(|k| k.4));
    editor
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn edits_and_selections_raise_other_activity_decays() {
        let mut i = Interest::default();
        i.record("a.rs", InterestKind::Edit);
        i.record("b.rs", InterestKind::Select);
        assert!(i.score("a.rs") > i.score("b.rs"));
        // Much activity elsewhere lets a's interest fall below b's.
        for _ in 0..100 {
            i.record("b.rs", InterestKind::Select);
        }
        assert!(i.score("a.rs") < 1.0, "{}", i.score("a.rs"));
        assert!(i.score("b.rs") > i.score("a.rs"));
        assert_eq!(i.score("never.rs"), 0.0);
        assert_eq!(i.ranked()[0].0, "b.rs");
    }

    #[test]
    fn documents_ordered_by_interest_focused_last() {
        let wd = Path::new("/w");
        let mut i = Interest::default();
        i.record("hot.rs", InterestKind::Edit);
        i.record("hot.rs", InterestKind::Edit);
        i.record("warm.rs", InterestKind::Select);
        let editor = json!({"documents": [
            {"uri": "file:///w/cold.rs", "tab": 0},
            {"uri": "file:///w/focus.rs", "focused": true, "tab": 1},
            {"uri": "file:///w/warm.rs", "tab": 2},
            {"uri": "file:///w/hot.rs", "tab": 3},
        ], "layout": {"x": 1}});
        let out = order_documents(&editor, &i, wd);
        let uris: Vec<&str> = out["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["uri"].as_str().unwrap())
            .collect();
        assert_eq!(
            uris,
            [
                "file:///w/hot.rs",
                "file:///w/warm.rs",
                "file:///w/cold.rs",
                "file:///w/focus.rs"
            ]
        );
        assert_eq!(out["layout"], json!({"x": 1}));
    }

    #[test]
    fn keys_are_relative_inside_and_uris_outside() {
        let wd = Path::new("/w/repo");
        assert_eq!(key_for("file:///w/repo/src/a%20b.rs", wd), "src/a b.rs");
        assert_eq!(key_for("/w/repo/x.rs", wd), "x.rs");
        assert_eq!(key_for("src/y.rs", wd), "src/y.rs");
        assert_eq!(key_for("file:///etc/hosts", wd), "file:///etc/hosts");
    }

    #[test]
    fn feeding_an_editor_state_counts_new_and_focused_documents() {
        let wd = Path::new("/w");
        let mut i = Interest::default();
        let editor = json!({"documents": [
            {"uri": "file:///w/a.rs"}, {"uri": "file:///w/b.rs", "focused": true}]});
        i.feed_editor(&editor, wd);
        assert!(i.score("b.rs") > i.score("a.rs"));
        assert!(i.score("a.rs") > 0.0);
    }
}
