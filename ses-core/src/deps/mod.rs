//! Dependencies: what code depends on, for the `depends_on` edges of the contribution
//! graph. Two kinds, found by two halves of this module:
//!
//! * [`manifests`]: the external packages a manifest declares (`Cargo.toml`,
//!   `package.json`, `pyproject.toml`, `go.mod`), each an [`ExternalDep`] that becomes a
//!   `package:<ecosystem>:<name>` node. Dependencies the manifest says live in the
//!   repository (Cargo `path`, npm `workspace:`/`file:`/`link:`, Poetry `path`, uv
//!   `workspace`/`path` sources, Go `replace … => ./dir`) are *not* external: they come back
//!   separately as [`LocalDep`]s, because paying an in-repo crate's name on a registry
//!   would pay the wrong people.
//! * [`imports`]: the files of the same revision a source file imports (`mod`/`use`,
//!   `import`, `require`, `#include`, …), resolved against the revision's file list, so a
//!   file node depends on the file nodes it uses.
//!
//! # Using it for one revision
//!
//! 1. [`parse_manifest`] every manifest file, then [`resolve_workspaces`] over all of them:
//!    a Cargo member's `foo.workspace = true` is resolved against the nearest enclosing
//!    workspace root, and `workspace:` specifiers against the repository's package names.
//! 2. Build one [`ImportContext`] from the revision's paths and
//!    [`ImportContext::add_manifests`] (which registers every `go.mod` module path), then
//!    call [`file_imports`] per source file.
//!
//! [`manifest_dependencies`] is the one-file shortcut for step 1, when resolving
//! workspaces does not matter.
//!
//! # Invariants
//!
//! * Output is deterministic: every list is sorted and has no duplicates, whatever the
//!   order of the input.
//! * Manifests: a manifest the tool that owns it would reject (bad syntax, a dependency of
//!   the wrong type) is a [`DepsError`] naming the file, the place and the fix; never a
//!   panic and never a silently partial list.
//! * Imports: bad source is never an error. Syntax errors yield whatever tree-sitter
//!   recovers; bytes need not be UTF-8. Only paths present in the context's file list are
//!   returned, never the importing file itself. Sources over [`MAX_SOURCE_BYTES`], taking
//!   longer than [`IMPORT_TIMEOUT`] or too garbled to query in linear time give no imports
//!   ([`try_file_imports`] says which).

pub mod imports;
pub mod manifests;

use std::fmt;
use std::time::Duration;

pub use imports::{
    IMPORT_TIMEOUT, ImportContext, MAX_SOURCE_BYTES, file_imports, try_file_imports,
};
pub use manifests::{
    Inheritable, InheritedDep, Manifest, manifest_dependencies, parse_manifest, resolve_workspaces,
};

/// A package registry, as the graph names it in `package:<ecosystem>:<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ecosystem {
    /// crates.io (`Cargo.toml`).
    Cargo,
    /// The npm registry (`package.json`).
    Npm,
    /// PyPI (`pyproject.toml`).
    PyPI,
    /// Go modules (`go.mod`).
    Go,
}

impl Ecosystem {
    /// A stable lower-case name, for node ids and serialisation.
    pub fn as_str(&self) -> &'static str {
        match self {
            Ecosystem::Cargo => "cargo",
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "pypi",
            Ecosystem::Go => "go",
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a package is needed, as far as its manifest says.
///
/// Where a manifest gives two answers, the section wins: an `optional = true` Cargo
/// build-dependency is [`DepKind::Build`], so only what is needed at run time is ever
/// [`DepKind::Optional`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DepKind {
    /// Needed to build or run the package: Cargo `[dependencies]`, npm `dependencies`,
    /// PEP 621 `[project] dependencies`, Poetry `[tool.poetry.dependencies]`, Go `require`.
    Normal,
    /// Needed only for tests and development: Cargo `[dev-dependencies]`, npm
    /// `devDependencies`, PEP 735 `[dependency-groups]`, Poetry groups and
    /// `dev-dependencies`, uv `dev-dependencies`.
    Dev,
    /// Needed to build, not to run: Cargo `[build-dependencies]`, PEP 518
    /// `[build-system] requires`.
    Build,
    /// Needed only when a feature or extra is enabled: Cargo `optional = true`, npm
    /// `optionalDependencies`, PEP 621 `[project.optional-dependencies]`, Poetry
    /// `optional = true`.
    Optional,
    /// Expected from whoever uses the package: npm `peerDependencies`.
    Peer,
    /// Required by a dependency, not imported by the module itself: a Go requirement
    /// marked `// indirect`.
    Indirect,
}

impl DepKind {
    /// A stable lower-case name, for serialisation.
    pub fn as_str(&self) -> &'static str {
        match self {
            DepKind::Normal => "normal",
            DepKind::Dev => "dev",
            DepKind::Build => "build",
            DepKind::Optional => "optional",
            DepKind::Peer => "peer",
            DepKind::Indirect => "indirect",
        }
    }
}

impl fmt::Display for DepKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A package from a registry that a manifest declares. Lists of them sort by ecosystem,
/// kind, name, requirement, manifest (the field order).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExternalDep {
    pub ecosystem: Ecosystem,
    pub kind: DepKind,
    /// The name on the registry, not a local alias: Cargo's `package = "…"`, npm's
    /// `npm:<name>@…`. PyPI names are normalised as PEP 503 says (lower case, runs of
    /// `-_.` as one `-`), so `Foo_Bar` and `foo-bar` are one package.
    pub name: String,
    /// The version requirement as written (`"1.0"`, `"^4.17"`, `">=2,<3; python_version
    /// < '3.11'"`, `"v1.2.3"`), or `None` when the manifest gives none (a git dependency, a
    /// Cargo member inheriting an entry not in the same file).
    pub requirement: Option<String>,
    /// The repository path of the manifest that declares it.
    pub manifest: String,
}

/// A dependency the manifest says is in the repository itself. Lists of them sort by
/// ecosystem, kind, name, path, manifest (the field order).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalDep {
    pub ecosystem: Ecosystem,
    pub kind: DepKind,
    /// The package's name (Go: the module path).
    pub name: String,
    /// The repository path of the package's directory (`""` for the root), when the
    /// manifest says where it is and it is inside the repository; `None` for npm
    /// `workspace:` and uv `workspace = true` until [`resolve_workspaces`] finds the
    /// package of that name.
    pub path: Option<String>,
    /// The repository path of the manifest that declares it.
    pub manifest: String,
}

/// Why a manifest has no dependency list, or a file no import list.
#[derive(Debug, thiserror::Error)]
pub enum DepsError {
    #[error(
        "{manifest}: not UTF-8 (invalid byte at offset {offset}): save it as UTF-8, as its tools require"
    )]
    NotUtf8 { manifest: String, offset: usize },
    #[error("{manifest}: invalid TOML at line {line}: {detail}: fix the syntax")]
    Toml {
        manifest: String,
        line: usize,
        detail: String,
    },
    #[error("{manifest}: invalid JSON at line {line}, column {column}: {detail}: fix the syntax")]
    Json {
        manifest: String,
        line: usize,
        column: usize,
        detail: String,
    },
    /// Well-formed syntax, but not what the format allows: `place` is where (a TOML or JSON
    /// key path, or `line N` for `go.mod`) and `problem` what is wrong and what would be
    /// right.
    #[error("{manifest}: {place}: {problem}")]
    Invalid {
        manifest: String,
        place: String,
        problem: String,
    },
    #[error(
        "{path} is {size} bytes, over the {limit}-byte limit for import scanning: files this large (generated or bundled code?) are not followed"
    )]
    TooLarge {
        path: String,
        size: usize,
        limit: usize,
    },
    #[error(
        "scanning {path} for imports took longer than {timeout:?} and was stopped: the source is probably generated or not really {language}"
    )]
    TimedOut {
        path: String,
        language: &'static str,
        timeout: Duration,
    },
    #[error(
        "{path} has runs of thousands of tokens tree-sitter could not parse as {language}, which its query engine takes quadratic time over: is it really {language}, or binary or damaged? Its imports are not followed"
    )]
    Garbled {
        path: String,
        language: &'static str,
    },
    #[error(
        "the {language} grammar cannot be used ({detail}): the tree-sitter crate and this grammar's crate disagree on the ABI version; align their versions in ses-core/Cargo.toml"
    )]
    Grammar {
        language: &'static str,
        detail: String,
    },
    #[error(
        "the built-in {language} import query does not compile ({detail}): fix it in ses-core/src/deps/imports.rs for this grammar version"
    )]
    Query {
        language: &'static str,
        detail: String,
    },
}

/// The directory part of a repository path: `""` for a file at the root.
fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// The last component of a repository path.
fn file_name(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, name)| name)
}

/// `rel` joined to the repository directory `dir`, with `.` and `..` resolved; `None` when
/// it is absolute or leaves the repository. `""` is the root.
fn join(dir: &str, rel: &str) -> Option<String> {
    if rel.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            _ => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_resolves_dots_and_refuses_to_leave_the_repository() {
        assert_eq!(join("a/b", "./c.rs").as_deref(), Some("a/b/c.rs"));
        assert_eq!(join("a/b", "../c/../d").as_deref(), Some("a/d"));
        assert_eq!(join("", "x//y/").as_deref(), Some("x/y"));
        assert_eq!(join("a", "..").as_deref(), Some(""));
        assert_eq!(join("a", "../.."), None);
        assert_eq!(join("a", "/etc/passwd"), None);
    }

    #[test]
    fn path_parts() {
        assert_eq!(parent_dir("a/b/c.rs"), "a/b");
        assert_eq!(parent_dir("c.rs"), "");
        assert_eq!(file_name("a/b/c.rs"), "c.rs");
        assert_eq!(file_name("c.rs"), "c.rs");
    }

    #[test]
    fn names_are_stable() {
        let ecosystems = [
            Ecosystem::Cargo,
            Ecosystem::Npm,
            Ecosystem::PyPI,
            Ecosystem::Go,
        ];
        let names: Vec<_> = ecosystems.iter().map(Ecosystem::to_string).collect();
        assert_eq!(names, ["cargo", "npm", "pypi", "go"]);
        let kinds = [
            DepKind::Normal,
            DepKind::Dev,
            DepKind::Build,
            DepKind::Optional,
            DepKind::Peer,
            DepKind::Indirect,
        ];
        let names: Vec<_> = kinds.iter().map(DepKind::as_str).collect();
        assert_eq!(
            names,
            ["normal", "dev", "build", "optional", "peer", "indirect"]
        );
    }
}
