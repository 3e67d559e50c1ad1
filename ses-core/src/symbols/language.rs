//! The languages symbols are extracted from: which files they cover, their grammar, and
//! the query that finds their symbols.
//!
//! Invariant: every [`Language`] has exactly one grammar and one query source, and
//! [`Language::ALL`] lists every variant (the query cache is indexed by it).

use std::fmt;
use std::path::Path;

/// A language with a grammar and a symbol query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Language {
    Rust,
    Python,
    JavaScript,
    TypeScript,
    /// TypeScript with JSX: a separate grammar, because `<T>x` means a cast in `.ts` and an
    /// element in `.tsx`.
    Tsx,
    Go,
    C,
    Cpp,
    Java,
}

impl Language {
    /// Every language, in declaration order.
    pub const ALL: [Language; 9] = [
        Language::Rust,
        Language::Python,
        Language::JavaScript,
        Language::TypeScript,
        Language::Tsx,
        Language::Go,
        Language::C,
        Language::Cpp,
        Language::Java,
    ];

    /// The language of a file, by its extension; `None` for anything else.
    ///
    /// Extensions are matched case-insensitively, except that `.C` is C++ (the GCC
    /// convention) while `.c` is C. `.h` is C: the C grammar reads C-style C++ headers well
    /// enough, and the C++ grammar would misread some C.
    pub fn from_path(path: &Path) -> Option<Language> {
        let ext = path.extension()?.to_str()?;
        if ext == "C" {
            return Some(Language::Cpp);
        }
        Some(match ext.to_ascii_lowercase().as_str() {
            "rs" => Language::Rust,
            "py" | "pyi" => Language::Python,
            "js" | "mjs" | "cjs" | "jsx" => Language::JavaScript,
            "ts" | "mts" | "cts" => Language::TypeScript,
            "tsx" => Language::Tsx,
            "go" => Language::Go,
            "c" | "h" => Language::C,
            "cc" | "cpp" | "cxx" | "c++" | "hpp" | "hh" | "hxx" | "h++" => Language::Cpp,
            "java" => Language::Java,
            _ => return None,
        })
    }

    /// A stable lower-case name, for messages and serialisation.
    pub fn name(&self) -> &'static str {
        match self {
            Language::Rust => "rust",
            Language::Python => "python",
            Language::JavaScript => "javascript",
            Language::TypeScript => "typescript",
            Language::Tsx => "tsx",
            Language::Go => "go",
            Language::C => "c",
            Language::Cpp => "cpp",
            Language::Java => "java",
        }
    }

    /// Position in [`Language::ALL`].
    pub(super) fn index(self) -> usize {
        self as usize
    }

    pub(crate) fn grammar(self) -> tree_sitter::Language {
        match self {
            Language::Rust => tree_sitter_rust::LANGUAGE.into(),
            Language::Python => tree_sitter_python::LANGUAGE.into(),
            Language::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Language::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Language::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Language::Go => tree_sitter_go::LANGUAGE.into(),
            Language::C => tree_sitter_c::LANGUAGE.into(),
            Language::Cpp => tree_sitter_cpp::LANGUAGE.into(),
            Language::Java => tree_sitter_java::LANGUAGE.into(),
        }
    }

    /// The symbol query, as the parts to concatenate (the ECMAScript family shares one).
    pub(super) fn query_source(self) -> &'static [&'static str] {
        const ECMA: &str = include_str!("queries/ecma.scm");
        match self {
            Language::Rust => &[include_str!("queries/rust.scm")],
            Language::Python => &[include_str!("queries/python.scm")],
            Language::JavaScript => &[ECMA, include_str!("queries/javascript.scm")],
            Language::TypeScript | Language::Tsx => &[ECMA, include_str!("queries/typescript.scm")],
            Language::Go => &[include_str!("queries/go.scm")],
            Language::C => &[include_str!("queries/c.scm")],
            Language::Cpp => &[include_str!("queries/cpp.scm")],
            Language::Java => &[include_str!("queries/java.scm")],
        }
    }

    /// Whether a function named like its enclosing type is that type's constructor. True
    /// only where the syntax says so and the grammar does not mark it (C++: `Foo::Foo()`,
    /// or `Foo()` inside `class Foo`); Java and JavaScript mark constructors in the query.
    pub(super) fn constructors_named_like_type(self) -> bool {
        matches!(self, Language::Cpp)
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
