//! In-repository imports: which files of the same revision a source file uses, found with
//! tree-sitter and resolved against the revision's file list. Whatever does not resolve
//! to a file of that list (standard libraries, external packages, generated files) is
//! ignored: external code is counted through manifests instead.
//!
//! How each language's imports resolve (the first candidate that exists wins, unless a
//! rule says all):
//!
//! * **Rust**: `mod foo;` → `foo.rs`, then `foo/mod.rs`, in the declaring file's module
//!   directory (a crate root, `lib.rs`, `main.rs` and `mod.rs` own their directory; `a.rs`
//!   owns `a/`), inside any enclosing inline `mod x { … }`; `#[path = "…"]` directly above
//!   replaces that. `use crate::…`, `self::…`, `super::…` and paths starting with a child
//!   module → the file of the longest module prefix that exists (`crate::a::b::C` →
//!   `a/b.rs`, else `a.rs`, else the crate root). Crate roots: `build.rs` and files directly
//!   in `tests/`, `examples/`, `benches/`, `src/bin/` next to a `Cargo.toml`; otherwise the
//!   nearest `lib.rs` (preferred) or `main.rs` at or above the file, without crossing a
//!   `Cargo.toml`.
//! * **Python**: `import a.b` → `a/b.py`, `a/b/__init__.py` (then `.pyi`) under the
//!   importing file's top-level package's parent, then the repository root, then `src/`;
//!   `from a.b import c` → the submodule `a/b/c` if it exists, else `a/b`; `from . import
//!   x`, `from ..m import y` → the same, relative to the file's package. Only the most
//!   specific module counts, not the `__init__.py` of each parent package.
//! * **JavaScript, TypeScript, TSX**: the relative specifiers (`./`, `../`) of `import …
//!   from`, `export … from`, `import(…)`, `require(…)` and TypeScript's `import x =
//!   require(…)` → the exact path, then with `.ts .tsx .js .jsx .mjs .cjs .d.ts .mts .cts`
//!   appended, then a `.js`-family extension swapped for its TypeScript one (`./x.js` →
//!   `x.ts`), then `index.*` in the directory. A `?query` or `#hash` suffix is dropped.
//! * **Go**: an import path under a module registered with
//!   [`ImportContext::add_go_module`] (the longest module path wins, so nested modules
//!   work) → **all** `.go` files directly in that package directory except `_test.go` and
//!   files Go ignores (`_x.go`, `.x.go`).
//! * **C, C++**: `#include "x.h"` (quoted only) → relative to the including file's
//!   directory; then, walking up from that directory to the root, `x.h`, `include/x.h`,
//!   `src/x.h` in each.
//! * **Java**: `import a.b.C;` → a file whose path ends in `a/b/C.java`, then (nested and
//!   static imports) `a/b.java`; `import a.b.*;` → every `.java` file of a directory ending
//!   in `a/b`. Among several candidates, the one under the importing file's own source
//!   root (its directory minus its `package` path) wins, else those sharing the longest
//!   directory prefix with it.
//!
//! Invariants: never panics, and bad source is no error of [`file_imports`] (syntax errors
//! yield what tree-sitter recovers; bytes need not be UTF-8); returns only paths in the
//! context's file list, never the importing file, sorted and deduplicated. Work is bounded:
//! sources over [`MAX_SOURCE_BYTES`] are refused before parsing; parsing, querying and
//! resolving together stop after [`IMPORT_TIMEOUT`] (checked once per import); trees the
//! query engine would take quadratic time over are refused before querying. A refused file
//! has no imports; [`try_file_imports`] says why.
//!
//! Known gaps: Rust `include!` and `#[path]` separated from its `mod` by a comment; uses of
//! other crates of the same workspace (`use other_crate::…`) and absolute paths
//! (`crate::x` written in an expression rather than a `use`); Python imports made with
//! `importlib` or sys.path tweaks, and namespace packages (no `__init__.py`) as the
//! target of `import a.b`; JavaScript bare specifiers (`@/x`, tsconfig `paths`, workspace
//! package names), template-literal or computed specifiers; Go `vendor/` and `go.work`;
//! C/C++ include paths from the build system; Java same-package references (no import
//! needed) and fully qualified names in code.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tree_sitter::{
    Node, ParseOptions, ParseState, Parser, Query, QueryCursor, QueryCursorOptions,
    QueryCursorState, StreamingIterator, Tree,
};

use super::{DepsError, Manifest, file_name, join, parent_dir};
use crate::symbols::{Language, MAX_NESTING, SIBLING_SCAN_BUDGET, sibling_scan_cost};

/// Larger sources are not scanned ([`DepsError::TooLarge`]): hand-written code this
/// large is rare, and generated or bundled code would only add noise.
pub const MAX_SOURCE_BYTES: usize = 4 * 1024 * 1024;

/// Parsing, querying and resolving one file together stop after this long
/// ([`DepsError::TimedOut`]). Real code of the maximum size takes well under a second in a
/// release build; random bytes can make tree-sitter's error recovery take much longer.
pub const IMPORT_TIMEOUT: Duration = Duration::from_secs(5);

/// Module paths longer than this are not followed (they do not occur in real code; the
/// limit keeps deeply nested Rust use trees linear).
const MAX_PATH_SEGMENTS: usize = 64;

/// The files of one revision, indexed for import resolution. Build it once per revision
/// and share it (it is `Sync`) across [`file_imports`] calls.
#[derive(Debug)]
pub struct ImportContext<'a> {
    files: &'a BTreeSet<String>,
    /// (directory of the `go.mod`, `""` for the root; module path), sorted.
    go_modules: Vec<(String, String)>,
    /// Directory → the files directly in it, sorted.
    dirs: BTreeMap<&'a str, Vec<&'a str>>,
    /// File name → the paths with that name, sorted.
    by_name: BTreeMap<&'a str, Vec<&'a str>>,
    /// Last component of a directory → the directories (with files) so named, sorted.
    dirs_by_name: BTreeMap<&'a str, Vec<&'a str>>,
}

impl<'a> ImportContext<'a> {
    /// A context over `files`: every file path of the revision, relative to the
    /// repository root, `/`-separated.
    pub fn new(files: &'a BTreeSet<String>) -> Self {
        let mut dirs: BTreeMap<&'a str, Vec<&'a str>> = BTreeMap::new();
        let mut by_name: BTreeMap<&'a str, Vec<&'a str>> = BTreeMap::new();
        for path in files {
            dirs.entry(parent_dir(path)).or_default().push(path);
            by_name.entry(file_name(path)).or_default().push(path);
        }
        let mut dirs_by_name: BTreeMap<&'a str, Vec<&'a str>> = BTreeMap::new();
        for &dir in dirs.keys() {
            dirs_by_name.entry(file_name(dir)).or_default().push(dir);
        }
        ImportContext {
            files,
            go_modules: Vec::new(),
            dirs,
            by_name,
            dirs_by_name,
        }
    }

    /// The revision's file list.
    pub fn files(&self) -> &'a BTreeSet<String> {
        self.files
    }

    /// The registered Go modules: (directory of the `go.mod`, `""` for the root; module
    /// path), sorted.
    pub fn go_modules(&self) -> &[(String, String)] {
        &self.go_modules
    }

    /// Registers the Go module `module` whose `go.mod` is in `dir` (`""` for the root), so
    /// imports of its packages resolve.
    pub fn add_go_module(&mut self, dir: &str, module: &str) {
        let entry = (dir.trim_matches('/').to_owned(), module.to_owned());
        if let Err(at) = self.go_modules.binary_search(&entry) {
            self.go_modules.insert(at, entry);
        }
    }

    /// Registers the module path of every `go.mod` among `manifests`.
    pub fn add_manifests(&mut self, manifests: &[Manifest]) {
        for manifest in manifests {
            if let Some(module) = manifest.go_module() {
                self.add_go_module(parent_dir(&manifest.path), module);
            }
        }
    }

    fn has(&self, path: &str) -> bool {
        self.files.contains(path)
    }

    fn files_in(&self, dir: &str) -> &[&'a str] {
        self.dirs.get(dir).map_or(&[], Vec::as_slice)
    }
}

/// The repository paths `path` imports, sorted and deduplicated; empty for a file in no
/// supported language, one that imports nothing resolvable, and one [`try_file_imports`]
/// refuses (too large, too slow, too garbled).
pub fn file_imports(path: &str, content: &[u8], ctx: &ImportContext<'_>) -> Vec<String> {
    try_file_imports(path, content, ctx).unwrap_or_default()
}

/// Like [`file_imports`], but says why a file was not scanned.
pub fn try_file_imports(
    path: &str,
    content: &[u8],
    ctx: &ImportContext<'_>,
) -> Result<Vec<String>, DepsError> {
    imports_within(path, content, ctx, IMPORT_TIMEOUT)
}

fn imports_within(
    path: &str,
    content: &[u8],
    ctx: &ImportContext<'_>,
    timeout: Duration,
) -> Result<Vec<String>, DepsError> {
    let Some(language) = Language::from_path(Path::new(path)) else {
        return Ok(Vec::new());
    };
    if content.len() > MAX_SOURCE_BYTES {
        return Err(DepsError::TooLarge {
            path: path.to_owned(),
            size: content.len(),
            limit: MAX_SOURCE_BYTES,
        });
    }
    let query = compiled(language)?;
    let timed_out = || DepsError::TimedOut {
        path: path.to_owned(),
        language: language.name(),
        timeout,
    };

    let started = Instant::now();
    let stopped = Cell::new(false);
    let should_stop = || {
        if !stopped.get() && started.elapsed() >= timeout {
            stopped.set(true);
        }
        stopped.get()
    };

    let mut parser = Parser::new();
    parser
        .set_language(&language.grammar())
        .map_err(|e| DepsError::Grammar {
            language: language.name(),
            detail: e.to_string(),
        })?;
    let mut parse_progress = |_: &ParseState| should_stop();
    let tree = parser.parse_with_options(
        &mut |offset, _| content.get(offset..).unwrap_or_default(),
        None,
        Some(ParseOptions::new().progress_callback(&mut parse_progress)),
    );
    let Some(tree) = tree else {
        return Err(if stopped.get() {
            timed_out()
        } else {
            DepsError::Grammar {
                language: language.name(),
                detail: "the parser returned no tree".to_owned(),
            }
        });
    };
    let scan_cost = sibling_scan_cost(&tree, &should_stop);
    if stopped.get() {
        return Err(timed_out());
    }
    if scan_cost > SIBLING_SCAN_BUDGET {
        return Err(DepsError::Garbled {
            path: path.to_owned(),
            language: language.name(),
        });
    }
    let captures = run_query(query, &tree, content, &should_stop);
    if stopped.get() {
        return Err(timed_out());
    }

    let mut scan = Scan {
        ctx,
        file: path,
        source: content,
        deadline: (started, timeout),
        timed_out: false,
        found: BTreeSet::new(),
    };
    match language {
        Language::Rust => scan.rust(&captures),
        Language::Python => scan.python(&captures),
        Language::JavaScript | Language::TypeScript | Language::Tsx => scan.ecmascript(&captures),
        Language::Go => scan.go(&captures),
        Language::C | Language::Cpp => scan.c(&captures),
        Language::Java => scan.java(&captures),
    }
    if scan.timed_out {
        return Err(timed_out());
    }
    scan.found.remove(path);
    Ok(scan.found.into_iter().collect())
}

// ---------------------------------------------------------------------------------------
// Queries

/// What a capture of an import query marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Rust `mod_item`, with or without a body.
    Mod,
    /// Rust `attribute_item` (those that are `#[path = "…"]` matter).
    Attr,
    /// Rust: the argument of a `use` declaration.
    Use,
    /// Python: the dotted name of `import a.b`.
    Import,
    /// Python: a whole `from … import …` statement; Java: an `import` declaration.
    From,
    /// A string literal naming what is imported (ECMAScript, Go, C/C++).
    Source,
    /// Java: the `package` declaration.
    Package,
}

fn role(capture: &str) -> Result<Option<Role>, String> {
    Ok(Some(match capture {
        "mod" => Role::Mod,
        "attr" => Role::Attr,
        "use" => Role::Use,
        "import" => Role::Import,
        "from" => Role::From,
        "source" => Role::Source,
        "package" => Role::Package,
        _ if capture.starts_with('_') => return Ok(None),
        _ => return Err(format!("unknown capture name @{capture}")),
    }))
}

const RUST_QUERY: &str = r#"
(mod_item) @mod
(attribute_item) @attr
(use_declaration argument: (_) @use)
"#;

const PYTHON_QUERY: &str = r#"
(import_statement name: (dotted_name) @import)
(import_statement name: (aliased_import name: (dotted_name) @import))
(import_from_statement) @from
"#;

const ECMASCRIPT_QUERY: &str = r#"
(import_statement source: (string) @source)
(export_statement source: (string) @source)
(call_expression function: (import) arguments: (arguments . (string) @source))
((call_expression
   function: (identifier) @_require
   arguments: (arguments . (string) @source))
 (#eq? @_require "require"))
"#;

/// Only the TypeScript grammars know `import x = require("…")`.
const TYPESCRIPT_QUERY: &str = r#"
(import_require_clause source: (string) @source)
"#;

const GO_QUERY: &str = r#"
(import_spec path: (_) @source)
"#;

const C_QUERY: &str = r#"
(preproc_include path: (string_literal) @source)
"#;

const JAVA_QUERY: &str = r#"
(import_declaration) @from
(package_declaration) @package
"#;

fn query_source(language: Language) -> Cow<'static, str> {
    match language {
        Language::Rust => RUST_QUERY.into(),
        Language::Python => PYTHON_QUERY.into(),
        Language::JavaScript => ECMASCRIPT_QUERY.into(),
        Language::TypeScript | Language::Tsx => {
            format!("{ECMASCRIPT_QUERY}{TYPESCRIPT_QUERY}").into()
        }
        Language::Go => GO_QUERY.into(),
        Language::C | Language::Cpp => C_QUERY.into(),
        Language::Java => JAVA_QUERY.into(),
    }
}

struct ImportQuery {
    query: Query,
    /// Indexed by capture index; `None` for captures used by predicates only.
    roles: Vec<Option<Role>>,
}

/// One slot per [`Language::ALL`] entry. Compiling walks the grammar (tens of
/// milliseconds), so it happens once per process. The error is kept as a string because
/// `QueryError` is not `Clone` and every later call must report it again.
static QUERIES: [OnceLock<Result<ImportQuery, String>>; Language::ALL.len()] =
    [const { OnceLock::new() }; Language::ALL.len()];

fn compiled(language: Language) -> Result<&'static ImportQuery, DepsError> {
    let slot = Language::ALL
        .iter()
        .position(|&l| l == language)
        .and_then(|index| QUERIES.get(index))
        .expect("invariant: QUERIES has one slot per Language::ALL entry");
    slot.get_or_init(|| compile(language))
        .as_ref()
        .map_err(|detail| DepsError::Query {
            language: language.name(),
            detail: detail.clone(),
        })
}

fn compile(language: Language) -> Result<ImportQuery, String> {
    let query = Query::new(&language.grammar(), &query_source(language))
        .map_err(|e| crate::symbols::describe_query_error(&e))?;
    let roles = query
        .capture_names()
        .iter()
        .map(|name| role(name))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ImportQuery { query, roles })
}

/// Every role capture of `query` over `tree`, in the order the cursor yields them.
fn run_query<'t>(
    query: &ImportQuery,
    tree: &'t Tree,
    source: &[u8],
    should_stop: &dyn Fn() -> bool,
) -> Vec<(Role, Node<'t>)> {
    let mut out = Vec::new();
    // Declared before `matches`, so it outlives it: the cursor keeps a pointer to it.
    let mut progress = |_: &QueryCursorState| should_stop();
    let mut cursor = QueryCursor::new();
    // The same depth bound the scan-cost guard assumes.
    cursor.set_max_start_depth(Some(MAX_NESTING));
    let mut matches = cursor.matches_with_options(
        &query.query,
        tree.root_node(),
        source,
        QueryCursorOptions::new().progress_callback(&mut progress),
    );
    while let Some(m) = matches.next() {
        for capture in m.captures {
            let index = usize::try_from(capture.index).unwrap_or(usize::MAX);
            if let Some(Some(role)) = query.roles.get(index) {
                out.push((*role, capture.node));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Resolution

/// One file being scanned: what it is, and the repository paths found so far.
struct Scan<'c, 'a> {
    ctx: &'c ImportContext<'a>,
    file: &'c str,
    source: &'c [u8],
    /// When parsing started, and the time allowed: resolution shares it with parsing.
    deadline: (Instant, Duration),
    timed_out: bool,
    found: BTreeSet<String>,
}

impl Scan<'_, '_> {
    /// Whether the time is up; checked once per capture, so resolution overruns the
    /// timeout by at most one import's work.
    fn out_of_time(&mut self) -> bool {
        let (started, timeout) = self.deadline;
        if !self.timed_out && started.elapsed() >= timeout {
            self.timed_out = true;
        }
        self.timed_out
    }

    /// The nodes captured as `role`, without repeats of the same text: the same text
    /// resolves the same way, and generated files repeat imports by the thousand.
    fn distinct<'t>(&self, captures: &[(Role, Node<'t>)], role: Role) -> Vec<Node<'t>> {
        let mut seen: HashSet<&[u8]> = HashSet::new();
        captures
            .iter()
            .filter(|(r, _)| *r == role)
            .map(|&(_, node)| node)
            .filter(|node| seen.insert(self.source.get(node.byte_range()).unwrap_or_default()))
            .collect()
    }

    /// The text of `node`, decoded lossily: invalid UTF-8 cannot name a file anyway.
    fn text(&self, node: Node<'_>) -> Cow<'_, str> {
        String::from_utf8_lossy(self.source.get(node.byte_range()).unwrap_or_default())
    }

    /// A string literal's contents, without its quotes; `None` if it is unterminated (a
    /// syntax error) or has escapes (never in a real import path).
    fn string(&self, node: Node<'_>) -> Option<String> {
        let text = self.text(node);
        let mut chars = text.chars();
        let open = chars.next()?;
        let close = chars.next_back()?;
        let inner = chars.as_str();
        (matches!(open, '"' | '\'' | '`') && open == close && !inner.contains('\\'))
            .then(|| inner.to_owned())
    }

    /// The segments of a dotted or `::`-separated name, whitespace ignored.
    fn segments(&self, node: Node<'_>, separator: &str) -> Vec<String> {
        let text: String = self.text(node).split_whitespace().collect();
        text.split(separator).map(str::to_owned).collect()
    }

    /// Adds `path` if it is a file of the revision; says whether it did.
    fn add(&mut self, path: &str) -> bool {
        let present = self.ctx.has(path);
        if present {
            self.found.insert(path.to_owned());
        }
        present
    }

    /// Adds the first of `candidates` that is a file of the revision.
    fn add_first(&mut self, candidates: impl IntoIterator<Item = Option<String>>) -> bool {
        candidates
            .into_iter()
            .flatten()
            .any(|candidate| self.add(&candidate))
    }

    // -- Rust -----------------------------------------------------------------------------

    fn rust(&mut self, captures: &[(Role, Node<'_>)]) {
        let layout = RustLayout::of(self.file, self.ctx);

        // Attributes by end offset, with the value of `#[path = "…"]`, so a `mod` finds
        // the attributes right above it by walking back over whitespace (linear, where
        // asking tree-sitter for siblings would not be).
        let mut attributes: HashMap<usize, (usize, Option<String>)> = HashMap::new();
        for &(role, node) in captures {
            if role == Role::Attr {
                attributes.insert(
                    node.end_byte(),
                    (node.start_byte(), self.path_attribute(node)),
                );
            }
        }

        let mut mods: Vec<Node<'_>> = captures
            .iter()
            .filter(|(role, _)| *role == Role::Mod)
            .map(|&(_, node)| node)
            .collect();
        mods.sort_by_key(|n| (n.start_byte(), std::cmp::Reverse(n.end_byte())));
        mods.dedup_by_key(|n| n.id());
        // The enclosing inline modules: (end offset, directory component).
        let mut inline: Vec<(usize, String)> = Vec::new();
        for node in mods {
            if self.out_of_time() {
                return;
            }
            while inline
                .last()
                .is_some_and(|&(end, _)| end <= node.start_byte())
            {
                inline.pop();
            }
            let Some(name) = node.child_by_field_name("name") else {
                continue;
            };
            let name = self.text(name).into_owned();
            let path_attribute = self.path_attribute_above(node, &attributes);
            let nested: Vec<&str> = inline.iter().map(|(_, dir)| dir.as_str()).collect();
            let module_dir = join(&layout.module_dir, &nested.join("/"));
            if node.child_by_field_name("body").is_some() {
                if inline.len() < MAX_PATH_SEGMENTS {
                    inline.push((node.end_byte(), path_attribute.unwrap_or(name)));
                }
                continue;
            }
            let Some(module_dir) = module_dir else {
                continue;
            };
            match path_attribute {
                // Outside inline modules, `#[path]` is relative to the file's directory.
                Some(p) if nested.is_empty() => {
                    self.add_first([join(parent_dir(self.file), &p)]);
                }
                Some(p) => {
                    self.add_first([join(&module_dir, &p)]);
                }
                None => {
                    self.add_first([
                        join(&module_dir, &format!("{name}.rs")),
                        join(&module_dir, &format!("{name}/mod.rs")),
                    ]);
                }
            }
        }

        if let Some(krate) = &layout.krate {
            for node in self.distinct(captures, Role::Use) {
                if self.out_of_time() {
                    return;
                }
                for path in self.use_paths(node) {
                    self.add_use(krate, &path);
                }
            }
        }
    }

    /// The value of a `#[path = "…"]` attribute item; `None` for any other attribute.
    fn path_attribute(&self, item: Node<'_>) -> Option<String> {
        let attribute = item.named_child(0)?;
        let name = attribute.named_child(0)?;
        if name.kind() != "identifier" || self.text(name) != "path" {
            return None;
        }
        let value = attribute.child_by_field_name("value")?;
        if value.kind() != "string_literal" {
            return None;
        }
        self.string(value)
    }

    /// The `#[path]` among the attributes directly above `item`.
    fn path_attribute_above(
        &self,
        item: Node<'_>,
        attributes: &HashMap<usize, (usize, Option<String>)>,
    ) -> Option<String> {
        let mut at = item.start_byte();
        loop {
            let before = self.source.get(..at)?;
            at = before.trim_ascii_end().len();
            let (start, path) = attributes.get(&at)?;
            if path.is_some() {
                return path.clone();
            }
            at = *start;
        }
    }

    /// The paths a `use` argument names, one per leaf of its tree (`a::{b, c::d}` → `a::b`,
    /// `a::c::d`; `a::{self}` and `a::*` → `a`).
    fn use_paths(&self, argument: Node<'_>) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        let mut stack: Vec<(Node<'_>, Vec<String>)> = vec![(argument, Vec::new())];
        while let Some((node, prefix)) = stack.pop() {
            if prefix.len() > MAX_PATH_SEGMENTS {
                continue;
            }
            let mut cursor = node.walk();
            let with = |tail: Option<Node<'_>>| {
                let mut path = prefix.clone();
                if let Some(tail) = tail {
                    path.extend(self.segments(tail, "::"));
                }
                if path.len() > 1 && path.last().is_some_and(|s| s == "self") {
                    path.pop();
                }
                path
            };
            match node.kind() {
                "use_list" => {
                    for child in node.named_children(&mut cursor) {
                        stack.push((child, prefix.clone()));
                    }
                }
                "scoped_use_list" => {
                    let path = with(node.child_by_field_name("path"));
                    if let Some(list) = node.child_by_field_name("list") {
                        stack.push((list, path));
                    }
                }
                "use_as_clause" => out.push(with(node.child_by_field_name("path"))),
                "use_wildcard" => out.push(with(node.named_child(0))),
                // Comments inside a use list.
                "line_comment" | "block_comment" => {}
                _ => out.push(with(Some(node))),
            }
        }
        out
    }

    /// Adds the file of the longest module prefix of a `use` path that exists.
    fn add_use(&mut self, krate: &RustCrate, path: &[String]) {
        let Some(first) = path.first() else {
            return;
        };
        let (base, rest, may_be_base): (Vec<&str>, &[String], bool) = match first.as_str() {
            "crate" => (Vec::new(), &path[1..], true),
            "self" => (
                krate.module.iter().map(String::as_str).collect(),
                &path[1..],
                true,
            ),
            "super" => {
                let supers = path.iter().take_while(|s| *s == "super").count();
                let Some(depth) = krate.module.len().checked_sub(supers) else {
                    return;
                };
                let base = krate.module[..depth].iter().map(String::as_str).collect();
                (base, &path[supers..], true)
            }
            // `::x`, `$crate::x`: another crate.
            "" | "$crate" => return,
            // Uniform paths: `foo::x` is a child module `foo` if there is one, else
            // another crate; never the current module itself.
            _ => (
                krate.module.iter().map(String::as_str).collect(),
                path,
                false,
            ),
        };
        for len in (1..=rest.len()).rev() {
            let mut module = base.clone();
            module.extend(rest[..len].iter().map(String::as_str));
            if self.add_first(krate.module_files(&module)) {
                return;
            }
        }
        if may_be_base {
            if base.is_empty() {
                self.add(&krate.root);
            } else {
                self.add_first(krate.module_files(&base));
            }
        }
    }

    // -- Python ---------------------------------------------------------------------------

    fn python(&mut self, captures: &[(Role, Node<'_>)]) {
        let roots = python_roots(self.file, self.ctx);
        let here = parent_dir(self.file).to_owned();
        for node in self.distinct(captures, Role::Import) {
            if self.out_of_time() {
                return;
            }
            let module = self.segments(node, ".");
            for root in &roots {
                if self.add_first(python_module(root, &module)) {
                    break;
                }
            }
        }
        for node in self.distinct(captures, Role::From) {
            if self.out_of_time() {
                return;
            }
            let Some(module_node) = node.child_by_field_name("module_name") else {
                continue;
            };
            let mut cursor = node.walk();
            let names: Vec<Vec<String>> = node
                .children_by_field_name("name", &mut cursor)
                .filter_map(|n| match n.kind() {
                    "aliased_import" => n.child_by_field_name("name"),
                    _ => Some(n),
                })
                .map(|n| self.segments(n, "."))
                .collect();
            if module_node.kind() == "relative_import" {
                let (dots, module) = self.relative_import(module_node);
                let mut base = Some(here.clone());
                for _ in 1..dots {
                    base = base
                        .filter(|b| !b.is_empty())
                        .map(|b| parent_dir(&b).to_owned());
                }
                if let Some(base) = base {
                    self.python_from(&base, &module, &names);
                }
            } else {
                let module = self.segments(module_node, ".");
                for root in &roots {
                    if self.python_from(root, &module, &names) {
                        break;
                    }
                }
            }
        }
    }

    /// The number of leading dots of a relative import and the module after them.
    fn relative_import(&self, node: Node<'_>) -> (usize, Vec<String>) {
        let mut dots = 0;
        let mut module = Vec::new();
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            match child.kind() {
                "import_prefix" => dots = self.text(child).matches('.').count(),
                "dotted_name" => module = self.segments(child, "."),
                _ => {}
            }
        }
        (dots, module)
    }

    /// `from <module> import <names>` under `root`: each name that is a submodule, and the
    /// module itself for the names that are not (and for `*`). Says whether anything
    /// resolved.
    fn python_from(&mut self, root: &str, module: &[String], names: &[Vec<String>]) -> bool {
        let mut any = false;
        let mut need_module = names.is_empty();
        for name in names {
            if self.out_of_time() {
                return any;
            }
            let submodule: Vec<String> = module.iter().chain(name).cloned().collect();
            if self.add_first(python_module(root, &submodule)) {
                any = true;
            } else {
                need_module = true;
            }
        }
        if need_module {
            any |= self.add_first(python_module(root, module));
        }
        any
    }

    // -- JavaScript, TypeScript -----------------------------------------------------------

    fn ecmascript(&mut self, captures: &[(Role, Node<'_>)]) {
        for node in self.distinct(captures, Role::Source) {
            if self.out_of_time() {
                return;
            }
            let Some(specifier) = self.string(node) else {
                continue;
            };
            let candidates = ecmascript_candidates(self.file, &specifier);
            self.add_first(candidates.into_iter().map(Some));
        }
    }

    // -- Go -------------------------------------------------------------------------------

    fn go(&mut self, captures: &[(Role, Node<'_>)]) {
        for node in self.distinct(captures, Role::Source) {
            if self.out_of_time() {
                return;
            }
            let Some(import) = self.string(node) else {
                continue;
            };
            let module = self
                .ctx
                .go_modules
                .iter()
                .filter(|(_, module)| {
                    import
                        .strip_prefix(module.as_str())
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
                })
                .max_by_key(|(_, module)| module.len());
            let Some((dir, module)) = module else {
                continue;
            };
            let within = import[module.len()..].trim_start_matches('/');
            let Some(package) = join(dir, within) else {
                continue;
            };
            let files: Vec<&str> = self
                .ctx
                .files_in(&package)
                .iter()
                .copied()
                .filter(|f| {
                    let name = file_name(f);
                    name.ends_with(".go")
                        && !name.ends_with("_test.go")
                        && !name.starts_with(['_', '.'])
                })
                .collect();
            for file in files {
                self.add(file);
            }
        }
    }

    // -- C, C++ ---------------------------------------------------------------------------

    fn c(&mut self, captures: &[(Role, Node<'_>)]) {
        for node in self.distinct(captures, Role::Source) {
            if self.out_of_time() {
                return;
            }
            let Some(include) = self.string(node) else {
                continue;
            };
            let mut dir = parent_dir(self.file).to_owned();
            loop {
                let found = self.add_first(
                    ["", "include", "src"]
                        .iter()
                        .map(|sub| join(&dir, sub).and_then(|d| join(&d, &include))),
                );
                if found || dir.is_empty() {
                    break;
                }
                dir = parent_dir(&dir).to_owned();
            }
        }
    }

    // -- Java -----------------------------------------------------------------------------

    fn java(&mut self, captures: &[(Role, Node<'_>)]) {
        let package = captures
            .iter()
            .find(|(role, _)| *role == Role::Package)
            .and_then(|&(_, node)| {
                let mut cursor = node.walk();
                let name = node
                    .named_children(&mut cursor)
                    .find(|n| matches!(n.kind(), "identifier" | "scoped_identifier"));
                name.map(|n| self.segments(n, "."))
            })
            .unwrap_or_default();
        let here = parent_dir(self.file);
        let package_dir = package.join("/");
        let source_root = if package_dir.is_empty() {
            Some(here)
        } else if here == package_dir {
            Some("")
        } else {
            here.strip_suffix(package_dir.as_str())
                .and_then(|root| root.strip_suffix('/'))
        };

        for node in self.distinct(captures, Role::From) {
            if self.out_of_time() {
                return;
            }
            let mut is_static = false;
            let mut wildcard = false;
            let mut name = None;
            let mut cursor = node.walk();
            for child in node.children(&mut cursor) {
                match child.kind() {
                    "static" => is_static = true,
                    "asterisk" => wildcard = true,
                    "identifier" | "scoped_identifier" => name = Some(child),
                    _ => {}
                }
            }
            let Some(name) = name else {
                continue;
            };
            let segments = self.segments(name, ".");
            if segments.len() > MAX_PATH_SEGMENTS {
                continue;
            }
            if wildcard && !is_static {
                let files = self.java_package(&segments, source_root);
                if !files.is_empty() {
                    for file in files {
                        self.add(&file);
                    }
                    continue;
                }
            }
            // A class, or (nested classes, static members) the longest prefix that is one.
            for len in (2..=segments.len()).rev() {
                let files = self.java_class(&segments[..len], source_root);
                if !files.is_empty() {
                    for file in files {
                        self.add(&file);
                    }
                    break;
                }
            }
        }
    }

    /// The files of the class `segments` (`a.b.C` → `…/a/b/C.java`) nearest this file.
    fn java_class(&self, segments: &[String], source_root: Option<&str>) -> Vec<String> {
        let Some(last) = segments.last() else {
            return Vec::new();
        };
        let suffix = format!("{}.java", segments.join("/"));
        let candidates = self
            .ctx
            .by_name
            .get(format!("{last}.java").as_str())
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .copied()
            .filter(|p| ends_with_path(p, &suffix));
        let own = source_root.and_then(|root| join(root, &suffix));
        nearest(candidates, own.as_deref(), parent_dir(self.file))
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    /// The `.java` files of the package directory `segments` nearest this file.
    fn java_package(&self, segments: &[String], source_root: Option<&str>) -> Vec<String> {
        let Some(last) = segments.last() else {
            return Vec::new();
        };
        let suffix = segments.join("/");
        let is_java = |f: &&str| f.ends_with(".java");
        let candidates = self
            .ctx
            .dirs_by_name
            .get(last.as_str())
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .copied()
            .filter(|d| ends_with_path(d, &suffix))
            .filter(|d| self.ctx.files_in(d).iter().any(is_java));
        let own = source_root.and_then(|root| join(root, &suffix));
        nearest(candidates, own.as_deref(), parent_dir(self.file))
            .into_iter()
            .flat_map(|dir| self.ctx.files_in(dir).iter().copied().filter(is_java))
            .map(str::to_owned)
            .collect()
    }
}

/// Whether `path` is `suffix` or ends with `/suffix`.
fn ends_with_path(path: &str, suffix: &str) -> bool {
    path.strip_suffix(suffix)
        .is_some_and(|rest| rest.is_empty() || rest.ends_with('/'))
}

/// Among `candidates`: `own` if it is one, else those sharing the most leading directory
/// components with `near`.
fn nearest<'p>(
    candidates: impl Iterator<Item = &'p str>,
    own: Option<&str>,
    near: &str,
) -> Vec<&'p str> {
    let candidates: Vec<&str> = candidates.collect();
    if let Some(own) = own
        && let Some(&found) = candidates.iter().find(|&&c| c == own)
    {
        return vec![found];
    }
    let shared = |path: &str| {
        path.split('/')
            .zip(near.split('/'))
            .take_while(|(a, b)| a == b)
            .count()
    };
    let best = candidates.iter().map(|c| shared(c)).max();
    candidates
        .into_iter()
        .filter(|c| Some(shared(c)) == best)
        .collect()
}

/// Where a Rust file sits: the directory of its child modules, and its crate.
struct RustLayout {
    module_dir: String,
    krate: Option<RustCrate>,
}

/// The crate a Rust file belongs to, as far as paths tell.
struct RustCrate {
    /// The directory of the crate root's modules (`src` for `src/lib.rs`).
    dir: String,
    /// The crate root file.
    root: String,
    /// The file's module path from the crate root (`["a", "b"]` for `src/a/b.rs`).
    module: Vec<String>,
}

impl RustCrate {
    /// The two files a module path may live in: `a/b.rs` and `a/b/mod.rs`.
    fn module_files(&self, module: &[&str]) -> [Option<String>; 2] {
        let path = module.join("/");
        [
            join(&self.dir, &format!("{path}.rs")),
            join(&self.dir, &format!("{path}/mod.rs")),
        ]
    }
}

impl RustLayout {
    fn of(file: &str, ctx: &ImportContext<'_>) -> RustLayout {
        let dir = parent_dir(file);
        let name = file_name(file);
        let is_root = rust_crate_root_by_location(file, ctx);
        let module_dir = if is_root || matches!(name, "lib.rs" | "main.rs" | "mod.rs") {
            dir.to_owned()
        } else {
            let stem = name.strip_suffix(".rs").unwrap_or(name);
            join(dir, stem).unwrap_or_default()
        };
        let krate = if is_root {
            Some(RustCrate {
                dir: dir.to_owned(),
                root: file.to_owned(),
                module: Vec::new(),
            })
        } else {
            rust_crate_above(file, ctx)
        };
        RustLayout { module_dir, krate }
    }
}

/// Whether Cargo compiles `file` as a crate root by where it is: `build.rs`, or directly in
/// `tests/`, `examples/`, `benches/` or `src/bin/` of a package.
fn rust_crate_root_by_location(file: &str, ctx: &ImportContext<'_>) -> bool {
    let is_package = |dir: &str| ctx.has(&join(dir, "Cargo.toml").unwrap_or_default());
    let dir = parent_dir(file);
    if file_name(file) == "build.rs" {
        return is_package(dir);
    }
    let (above, last) = dir.rsplit_once('/').unwrap_or(("", dir));
    match last {
        "tests" | "examples" | "benches" => is_package(above),
        "bin" => file_name(above) == "src" && is_package(parent_dir(above)),
        _ => false,
    }
}

/// The crate of a file that is not a root by location: the nearest directory at or above
/// it with `lib.rs` or `main.rs`, not above the package's `Cargo.toml`.
fn rust_crate_above(file: &str, ctx: &ImportContext<'_>) -> Option<RustCrate> {
    let mut dir = parent_dir(file);
    loop {
        let lib = join(dir, "lib.rs")?;
        let main = join(dir, "main.rs")?;
        let root = if file == lib || file == main {
            Some(file.to_owned())
        } else if ctx.has(&lib) {
            Some(lib)
        } else if ctx.has(&main) {
            Some(main)
        } else {
            None
        };
        if let Some(root) = root {
            let relative = if dir.is_empty() {
                file
            } else {
                file.get(dir.len() + 1..)?
            };
            let mut module: Vec<String> = relative
                .strip_suffix(".rs")?
                .split('/')
                .map(str::to_owned)
                .collect();
            if root == file || module.last().is_some_and(|m| m == "mod") {
                module.pop();
            }
            return Some(RustCrate {
                dir: dir.to_owned(),
                root,
                module,
            });
        }
        if dir.is_empty() || ctx.has(&join(dir, "Cargo.toml")?) {
            return None;
        }
        dir = parent_dir(dir);
    }
}

/// Where absolute Python imports are looked for: the parent of the importing file's
/// top-level package (its own directory when it is in no package), the repository root,
/// and `src/`.
fn python_roots(file: &str, ctx: &ImportContext<'_>) -> Vec<String> {
    let mut top = parent_dir(file);
    while !top.is_empty() && ctx.has(&format!("{top}/__init__.py")) {
        top = parent_dir(top);
    }
    let mut roots = vec![top.to_owned()];
    for root in ["", "src"] {
        if !roots.iter().any(|r| r == root) {
            roots.push(root.to_owned());
        }
    }
    roots
}

/// The files the Python module `module` may be under `root`; the package itself when
/// `module` is empty.
fn python_module(root: &str, module: &[String]) -> [Option<String>; 4] {
    let base = (module.len() <= MAX_PATH_SEGMENTS)
        .then(|| join(root, &module.join("/")))
        .flatten();
    let Some(base) = base else {
        return [const { None }; 4];
    };
    let at = |suffix: &str| {
        Some(match base.as_str() {
            "" => suffix.trim_start_matches('/').to_owned(),
            base => format!("{base}{suffix}"),
        })
    };
    if module.is_empty() {
        return [at("/__init__.py"), at("/__init__.pyi"), None, None];
    }
    [
        at(".py"),
        at("/__init__.py"),
        at(".pyi"),
        at("/__init__.pyi"),
    ]
}

/// Extensions tried after a relative specifier, in order.
const ECMASCRIPT_EXTENSIONS: [&str; 9] = [
    ".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".d.ts", ".mts", ".cts",
];

/// The paths a relative specifier may mean, in order; empty for a bare or absolute one.
fn ecmascript_candidates(file: &str, specifier: &str) -> Vec<String> {
    let specifier = specifier.split(['?', '#']).next().unwrap_or(specifier);
    let relative = matches!(specifier, "." | "..")
        || specifier.starts_with("./")
        || specifier.starts_with("../");
    let Some(target) = relative
        .then(|| join(parent_dir(file), specifier))
        .flatten()
    else {
        return Vec::new();
    };
    let mut out = vec![target.clone()];
    if !target.is_empty() {
        out.extend(
            ECMASCRIPT_EXTENSIONS
                .iter()
                .map(|ext| format!("{target}{ext}")),
        );
        // TypeScript's ESM style imports `./x.js` for the source file `x.ts`.
        if let Some((stem, ext)) = target.rsplit_once('.') {
            let swaps: &[&str] = match ext {
                "js" => &["ts", "tsx"],
                "jsx" => &["tsx"],
                "mjs" => &["mts"],
                "cjs" => &["cts"],
                _ => &[],
            };
            out.extend(swaps.iter().map(|ts| format!("{stem}.{ts}")));
        }
    }
    let index = join(&target, "index").unwrap_or_default();
    out.extend(
        ECMASCRIPT_EXTENSIONS
            .iter()
            .map(|ext| format!("{index}{ext}")),
    );
    out
}

#[cfg(test)]
mod tests;
