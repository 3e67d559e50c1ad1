//! From source bytes to [`Symbol`]s: parse, run the language's query, then resolve what
//! the query alone cannot say — one symbol per name, wrappers, containers, methods, and
//! the comments attached above each definition.
//!
//! Invariant: nothing here walks *up* the tree. `Node::parent` and sibling lookups are
//! O(depth) in tree-sitter (it re-descends from the root), which would make deeply nested
//! sources quadratic. Nesting is recovered from byte ranges instead: tree-sitter nodes are
//! properly nested, so one sorted sweep with a stack finds every symbol's enclosing one.

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::atomic::Ordering;
use std::time::Instant;

use tree_sitter::{
    Node, ParseOptions, ParseState, Parser, QueryCursor, QueryCursorOptions, QueryCursorState,
    QueryMatch, StreamingIterator,
};

use super::query::{self, Role, SymbolQuery};
use super::{Language, MAX_NESTING, Options, Symbol, SymbolError, SymbolKind};

/// The most sibling steps [`sibling_scan_cost`] lets a query take, about a tenth of a
/// second of a release build. Real code, even with syntax errors, stays orders of magnitude
/// below; a run of ~10 000 tokens tree-sitter could not place (binary data, a file in the
/// wrong language) exceeds it.
pub(crate) const SIBLING_SCAN_BUDGET: u64 = 50_000_000;

pub(super) fn extract(
    language: Language,
    source: &[u8],
    options: &Options<'_>,
) -> Result<Vec<Symbol>, SymbolError> {
    if source.len() > options.max_bytes {
        return Err(SymbolError::TooLarge {
            size: source.len(),
            limit: options.max_bytes,
        });
    }
    let query = query::get(language)?;

    // One budget for parsing and querying together: the caller cares about the total.
    let started = Instant::now();
    let stopped = Cell::new(None);
    let should_stop = || {
        if stopped.get().is_none() {
            if options.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                stopped.set(Some(Stop::Cancelled));
            } else if started.elapsed() >= options.timeout {
                stopped.set(Some(Stop::TimedOut));
            }
        }
        stopped.get().is_some()
    };
    let stop_error = |stop: Stop| match stop {
        Stop::Cancelled => SymbolError::Cancelled { language },
        Stop::TimedOut => SymbolError::TimedOut {
            language,
            timeout: options.timeout,
        },
    };

    let mut parser = Parser::new();
    parser
        .set_language(&language.grammar())
        .map_err(|e| SymbolError::Grammar {
            language,
            detail: e.to_string(),
        })?;
    let mut parse_progress = |_: &ParseState| should_stop();
    let tree = parser.parse_with_options(
        &mut |offset, _| source.get(offset..).unwrap_or_default(),
        None,
        Some(ParseOptions::new().progress_callback(&mut parse_progress)),
    );
    let Some(tree) = tree else {
        return Err(match stopped.get() {
            Some(stop) => stop_error(stop),
            None => SymbolError::Grammar {
                language,
                detail: "the parser returned no tree".to_owned(),
            },
        });
    };

    let scan = sibling_scan_cost(&tree, &should_stop);
    if let Some(stop) = stopped.get() {
        return Err(stop_error(stop));
    }
    if scan > SIBLING_SCAN_BUDGET {
        return Err(SymbolError::Garbled { language });
    }

    let mut collected = Collected::default();
    // Declared before `matches`, so it outlives it: the cursor keeps a pointer to it.
    let mut query_progress = |_: &QueryCursorState| should_stop();
    let mut cursor = QueryCursor::new();
    cursor.set_max_start_depth(Some(MAX_NESTING));
    let mut matches = cursor.matches_with_options(
        &query.query,
        tree.root_node(),
        source,
        QueryCursorOptions::new().progress_callback(&mut query_progress),
    );
    while let Some(m) = matches.next() {
        collected.add(m, query, source);
    }
    drop(matches);
    if let Some(stop) = stopped.get() {
        return Err(stop_error(stop));
    }
    Ok(collected.finish(language, source))
}

/// What running a query over `tree` costs in sibling steps, as far as it can be more than
/// linear.
///
/// For every node it visits, tree-sitter's query cursor scans the node's later siblings up
/// to the next named one (`ts_tree_cursor_current_status`), so a run of `k` anonymous
/// siblings costs `k²/2`. Error recovery can leave an ERROR node with millions of anonymous
/// children (a megabyte of `(`), which would take hours. This walk is linear, visits only
/// the levels the query visits (down to [`MAX_NESTING`]), and stops early when `should_stop`
/// says so (the caller then reports why) or once the cost is clearly over budget.
pub(crate) fn sibling_scan_cost(tree: &tree_sitter::Tree, should_stop: &dyn Fn() -> bool) -> u64 {
    fn run_cost(run: u64) -> u64 {
        run.saturating_mul(run.saturating_add(1)) / 2
    }
    let max_levels = usize::try_from(MAX_NESTING).unwrap_or(usize::MAX);
    let mut cursor = tree.walk();
    // The current run of anonymous siblings at each level from the root down.
    let mut runs: Vec<u64> = vec![0];
    let mut cost: u64 = 0;
    let mut visited: u64 = 0;
    loop {
        visited += 1;
        if visited.is_multiple_of(65_536) && should_stop() {
            return cost;
        }
        if let Some(run) = runs.last_mut() {
            if cursor.node().is_named() {
                cost = cost.saturating_add(run_cost(*run));
                *run = 0;
            } else {
                *run += 1;
            }
        }
        if cost > SIBLING_SCAN_BUDGET {
            return cost;
        }
        if runs.len() <= max_levels && cursor.goto_first_child() {
            runs.push(0);
            continue;
        }
        while !cursor.goto_next_sibling() {
            cost = cost.saturating_add(run_cost(runs.pop().unwrap_or(0)));
            if !cursor.goto_parent() {
                return cost;
            }
        }
    }
}

/// Why extraction stopped early.
#[derive(Debug, Clone, Copy)]
enum Stop {
    Cancelled,
    TimedOut,
}

/// A node's extent, in bytes and rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start_byte: usize,
    end_byte: usize,
    start_row: usize,
    /// In bytes, as tree-sitter counts columns.
    start_col: usize,
    /// The last row with any of the node's text on it.
    last_row: usize,
}

impl Span {
    fn of(node: Node<'_>) -> Span {
        let start = node.start_position();
        let end = node.end_position();
        // A node ending at column 0 (a Rust `///` comment owns its newline) has no text on
        // its end row.
        let last_row = if end.column == 0 && end.row > start.row {
            end.row - 1
        } else {
            end.row
        };
        Span {
            start_byte: node.start_byte(),
            end_byte: node.end_byte(),
            start_row: start.row,
            start_col: start.column,
            last_row,
        }
    }

    fn key(&self) -> (usize, usize) {
        (self.start_byte, self.end_byte)
    }

    fn len(&self) -> usize {
        self.end_byte.saturating_sub(self.start_byte)
    }

    /// Strictly contains: a span does not enclose itself.
    fn contains(&self, other: &Span) -> bool {
        self.key() != other.key()
            && self.start_byte <= other.start_byte
            && other.end_byte <= self.end_byte
    }

    /// The bytes of its first line before it, if they are all blanks: the node starts its
    /// line. Then `start_col` is its indentation.
    fn starts_line(&self, source: &[u8]) -> bool {
        let line_start = self.start_byte.saturating_sub(self.start_col);
        source
            .get(line_start..self.start_byte)
            .is_some_and(|before| before.iter().all(|b| matches!(b, b' ' | b'\t')))
    }

    /// The indentation of its first line, in bytes.
    fn indent(&self, source: &[u8]) -> usize {
        let line_start = self.start_byte.saturating_sub(self.start_col);
        source.get(line_start..).map_or(0, |line| {
            line.iter()
                .take_while(|b| matches!(b, b' ' | b'\t'))
                .count()
        })
    }
}

/// A symbol as the query found it, before containers are resolved.
#[derive(Debug)]
struct Found {
    kind: SymbolKind,
    span: Span,
    name: String,
    name_row: usize,
    /// The container the source names explicitly (Go receiver, C++ qualifier).
    container: Option<String>,
    /// What symbols inside it see as their container.
    child_container: String,
    /// A C++ `A::f` definition: a method of `A`, wherever it is written.
    qualified: bool,
}

#[derive(Default)]
struct Collected {
    found: Vec<Found>,
    /// Name node → index in `found`: a name names one symbol, however many patterns match.
    by_name: HashMap<(usize, usize), usize>,
    /// Wrapped node → the widest node wrapping it.
    wrappers: HashMap<(usize, usize), Span>,
    attach: Vec<Span>,
}

impl Collected {
    fn add(&mut self, m: &QueryMatch<'_, '_>, query: &SymbolQuery, source: &[u8]) {
        let mut symbol = None;
        let mut name = None;
        let mut qualified = None;
        let mut container = None;
        let mut impl_trait = None;
        let mut wrapper = None;
        let mut wrapped = None;
        for capture in m.captures {
            let Some(role) = usize::try_from(capture.index)
                .ok()
                .and_then(|i| query.roles.get(i))
            else {
                continue;
            };
            let node = capture.node;
            match role {
                Role::Symbol(kind) => symbol = Some((*kind, Span::of(node))),
                Role::Name => name = Some(node),
                Role::QualifiedName => qualified = Some(node),
                Role::Container => container = Some(bare_type_name(&text(node, source))),
                Role::ImplTrait => impl_trait = Some(text(node, source)),
                Role::Wrapper => wrapper = Some(Span::of(node)),
                Role::Wrapped => wrapped = Some(Span::of(node)),
                Role::Attach => self.attach.push(Span::of(node)),
                Role::Ignored => {}
            }
        }

        if let (Some(wrapper), Some(wrapped)) = (wrapper, wrapped) {
            let widest = self.wrappers.entry(wrapped.key()).or_insert(wrapper);
            if wrapper.len() > widest.len() {
                *widest = wrapper;
            }
        }

        let Some((kind, span)) = symbol else { return };
        // The key is the node the pattern captured as the name: patterns that agree on it
        // found the same symbol.
        let (key_node, name_node, qualified) = match (name, qualified) {
            (Some(node), _) => (node, node, false),
            (None, Some(node)) => {
                let (last, scope) = split_qualified(node);
                if let Some(scope) = scope {
                    container = Some(bare_type_name(&text(scope, source)));
                }
                (node, last, scope.is_some())
            }
            (None, None) => return,
        };
        let name_text = text(name_node, source);
        let (name, child_container) = if kind == SymbolKind::Impl {
            let name = match impl_trait {
                Some(t) => format!("impl {t} for {name_text}"),
                None => format!("impl {name_text}"),
            };
            (name, bare_type_name(&name_text))
        } else {
            (name_text.clone(), name_text)
        };
        let found = Found {
            kind,
            span,
            name,
            name_row: name_node.start_position().row,
            container,
            child_container,
            qualified,
        };
        self.insert(Span::of(key_node).key(), found);
    }

    /// Records `found` under its name node; if another pattern already found that name,
    /// the wider definition wins and an explicit container from either is kept.
    fn insert(&mut self, name_key: (usize, usize), mut found: Found) {
        match self.by_name.entry(name_key) {
            Entry::Vacant(slot) => {
                slot.insert(self.found.len());
                self.found.push(found);
            }
            Entry::Occupied(slot) => {
                let existing = &mut self.found[*slot.get()];
                if found.span.len() > existing.span.len() {
                    found.container = found.container.or(existing.container.take());
                    *existing = found;
                } else if existing.container.is_none() {
                    existing.container = found.container;
                }
            }
        }
    }

    fn finish(mut self, language: Language, source: &[u8]) -> Vec<Symbol> {
        for found in &mut self.found {
            // Wrappers nest (`export` around a declaration around its declarator); each
            // step strictly widens the span, so this ends.
            while let Some(wider) = self.wrappers.get(&found.span.key()) {
                if wider.len() <= found.span.len() {
                    break;
                }
                found.span = *wider;
            }
        }

        // Outer before inner: by start, then longest first.
        let mut order: Vec<usize> = (0..self.found.len()).collect();
        order.sort_by_key(|&i| {
            let f = &self.found[i];
            (f.span.start_byte, Reverse(f.span.end_byte), f.name_row)
        });

        let attached_above = attachments(&self.attach, source);
        let mut stack: Vec<usize> = Vec::new();
        let mut kinds = vec![SymbolKind::Function; self.found.len()];
        let mut symbols = Vec::with_capacity(self.found.len());
        for &i in &order {
            let f = &self.found[i];
            while let Some(&top) = stack.last() {
                if self.found[top].span.contains(&f.span) {
                    break;
                }
                stack.pop();
            }
            let enclosing = stack
                .last()
                .map(|&e| (kinds[e], &self.found[e].child_container));

            let mut kind = f.kind;
            if kind == SymbolKind::Function
                && (f.qualified || enclosing.is_some_and(|(k, _)| k.has_methods()))
            {
                kind = SymbolKind::Method;
            }
            let container = f
                .container
                .clone()
                .or_else(|| enclosing.map(|(_, name)| name.clone()));
            if kind == SymbolKind::Method
                && language.constructors_named_like_type()
                && container.as_deref() == Some(bare_type_name(&f.name).as_str())
            {
                kind = SymbolKind::Constructor;
            }
            kinds[i] = kind;
            stack.push(i);

            let mut first_row = f.span.start_row;
            let indent = f.span.indent(source);
            while let Some(&(row, col)) = first_row
                .checked_sub(1)
                .and_then(|above| attached_above.get(&above))
            {
                if col != indent {
                    break;
                }
                first_row = row;
            }
            symbols.push(Symbol {
                kind,
                name: f.name.clone(),
                container,
                lines: row_u32(first_row)..row_u32(f.span.last_row).saturating_add(1),
                name_line: row_u32(f.name_row),
            });
        }

        symbols.sort_by(|a, b| {
            (
                a.lines.start,
                Reverse(a.lines.end),
                &a.name,
                a.kind,
                &a.container,
                a.name_line,
            )
                .cmp(&(
                    b.lines.start,
                    Reverse(b.lines.end),
                    &b.name,
                    b.kind,
                    &b.container,
                    b.name_line,
                ))
        });
        symbols.dedup();
        symbols
    }
}

/// Comments and attributes that start their line, by their last row → (first row,
/// indentation). A symbol whose first row follows directly, at the same indentation,
/// takes them on.
fn attachments(attach: &[Span], source: &[u8]) -> HashMap<usize, (usize, usize)> {
    let mut above = HashMap::new();
    for span in attach.iter().filter(|s| s.starts_line(source)) {
        above
            .entry(span.last_row)
            .and_modify(|(row, col): &mut (usize, usize)| {
                if span.start_row < *row {
                    (*row, *col) = (span.start_row, span.start_col);
                }
            })
            .or_insert((span.start_row, span.start_col));
    }
    above
}

/// The last name of a C++ `a::B<T>::f` and the scope just before it (`B<T>`).
fn split_qualified(node: Node<'_>) -> (Node<'_>, Option<Node<'_>>) {
    let mut name = node;
    let mut scope = None;
    // Each step goes to a child, so this ends at the tree's depth.
    while name.kind() == "qualified_identifier" {
        scope = name.child_by_field_name("scope").or(scope);
        match name.child_by_field_name("name") {
            Some(inner) => name = inner,
            None => break,
        }
    }
    (name, scope)
}

/// A node's text, decoded lossily, whitespace runs collapsed to one space (a name can span
/// lines: `impl<T> Trait\n    for Type`).
fn text(node: Node<'_>, source: &[u8]) -> String {
    let bytes = source
        .get(node.start_byte()..node.end_byte())
        .unwrap_or_default();
    String::from_utf8_lossy(bytes)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The bare name of a type as written: `Wrapper` for `Wrapper<T>`, `&'a mut Wrapper`,
/// `*Stack[T]` or `ns::Wrapper`. Falls back to the text itself when there is no such name
/// (`[T; 3]`, `(A, B)`).
fn bare_type_name(text: &str) -> String {
    let head = text.split(['<', '[', '(']).next().unwrap_or(text);
    let last_word = head.split_whitespace().last().unwrap_or_default();
    let unpointed = last_word.trim_start_matches(['&', '*']);
    let segment = unpointed
        .rsplit("::")
        .next()
        .unwrap_or(unpointed)
        .rsplit('.')
        .next()
        .unwrap_or(unpointed);
    if segment.is_empty() {
        text.to_owned()
    } else {
        segment.to_owned()
    }
}

fn row_u32(row: usize) -> u32 {
    // Sources are at most MAX_SOURCE_BYTES, so rows fit; saturate rather than wrap anyway.
    u32::try_from(row).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::bare_type_name;

    #[test]
    fn bare_type_names() {
        for (written, bare) in [
            ("Wrapper", "Wrapper"),
            ("Wrapper<T>", "Wrapper"),
            ("&'a mut Wrapper<T>", "Wrapper"),
            ("*Stack[T]", "Stack"),
            ("std::fmt::Display", "Display"),
            ("ns::Foo<A::B>", "Foo"),
            ("pkg.Type", "Type"),
            ("dyn Trait", "Trait"),
            ("[T; 3]", "[T; 3]"),
            ("&[u8]", "&[u8]"),
            ("(A, B)", "(A, B)"),
            ("", ""),
        ] {
            assert_eq!(bare_type_name(written), bare, "{written}");
        }
    }
}
