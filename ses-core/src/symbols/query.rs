//! The compiled symbol query of each language, built once per process, and what each of
//! its captures means.
//!
//! Compiling a query walks the whole grammar (tens of milliseconds for C++ or TypeScript),
//! so each is compiled on first use and kept for the life of the process. A query that
//! does not compile is a bug in this module's `.scm` files, caught by the tests; at run
//! time it is reported as [`SymbolError::Query`] rather than a panic.

use std::sync::OnceLock;

use tree_sitter::Query;

use super::{Language, SymbolError, SymbolKind};

/// What a capture name in a query means (see the module documentation in `mod.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// `@symbol.<kind>`: the definition node.
    Symbol(SymbolKind),
    /// `@name`: the node whose text is the symbol's name.
    Name,
    /// `@name.qualified`: a C++ `A::B::f`; the last segment is the name, the one before it
    /// the container.
    QualifiedName,
    /// `@container`: the container, when it is not the enclosing symbol (Go receivers).
    Container,
    /// `@impl.trait`: the trait of a Rust `impl Trait for Type`.
    ImplTrait,
    /// `@wrapper` / `@wrapped`: a node whose range the wrapped symbol takes on.
    Wrapper,
    Wrapped,
    /// `@attach`: comments and attributes that belong to a symbol directly below them.
    Attach,
    /// `@_…`: used by predicates only.
    Ignored,
}

pub(super) struct SymbolQuery {
    pub query: Query,
    /// Indexed by capture index.
    pub roles: Vec<Role>,
}

/// One slot per [`Language::ALL`] entry. The error is kept as a string because
/// `QueryError` is not `Clone` and every later call must report it again.
static QUERIES: [OnceLock<Result<SymbolQuery, String>>; Language::ALL.len()] =
    [const { OnceLock::new() }; Language::ALL.len()];

/// The compiled query for `language`, compiling it on first use.
pub(super) fn get(language: Language) -> Result<&'static SymbolQuery, SymbolError> {
    let slot = QUERIES
        .get(language.index())
        .expect("invariant: QUERIES has one slot per Language::ALL entry");
    slot.get_or_init(|| compile(language))
        .as_ref()
        .map_err(|detail| SymbolError::Query {
            language,
            detail: detail.clone(),
        })
}

fn compile(language: Language) -> Result<SymbolQuery, String> {
    let source = language.query_source().concat();
    let query = Query::new(&language.grammar(), &source).map_err(|e| describe_query_error(&e))?;
    let roles = query
        .capture_names()
        .iter()
        .map(|name| role(name).ok_or_else(|| format!("unknown capture name @{name}")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SymbolQuery { query, roles })
}

fn role(capture: &str) -> Option<Role> {
    Some(match capture {
        "name" => Role::Name,
        "name.qualified" => Role::QualifiedName,
        "container" => Role::Container,
        "impl.trait" => Role::ImplTrait,
        "wrapper" => Role::Wrapper,
        "wrapped" => Role::Wrapped,
        "attach" => Role::Attach,
        _ if capture.starts_with('_') => Role::Ignored,
        _ => Role::Symbol(SymbolKind::parse(capture.strip_prefix("symbol.")?)?),
    })
}

/// Where and why a query does not compile (shared with `deps`, which compiles queries too).
pub(crate) fn describe_query_error(e: &tree_sitter::QueryError) -> String {
    format!(
        "row {}, column {}: {:?}: {}",
        e.row + 1,
        e.column + 1,
        e.kind,
        e.message
    )
}
