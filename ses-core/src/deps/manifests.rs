//! External packages declared in manifests: `Cargo.toml`, `package.json`, `pyproject.toml`
//! and `go.mod`, chosen by file name.
//!
//! What each format contributes:
//!
//! * `Cargo.toml`: `[dependencies]`, `[dev-dependencies]`, `[build-dependencies]` (and
//!   their old `_` spellings), the same under every `[target.<cfg or triple>]`. A
//!   `package = "…"` rename gives the real name; the requirement is `version`. `path`
//!   dependencies are local. `workspace = true` takes the entry of `[workspace.dependencies]`
//!   from the same file, or, when the file has none, waits in [`Manifest::inherited`] for
//!   [`resolve_workspaces`]. A workspace root's `[workspace.dependencies]` alone are not
//!   anyone's dependencies: they are kept in [`Manifest::workspace`] for members.
//! * `package.json`: `dependencies`, `devDependencies`, `peerDependencies`,
//!   `optionalDependencies`. `workspace:`, `file:`, `link:` and `portal:` specifiers are
//!   local; `npm:<name>@<range>` aliases give the real name.
//! * `pyproject.toml`: PEP 621 `[project] dependencies` and
//!   `[project.optional-dependencies]`, PEP 518 `[build-system] requires`, PEP 735
//!   `[dependency-groups]` (`{include-group = …}` entries add nothing new), Poetry's
//!   `[tool.poetry.dependencies]` (without `python`), `dev-dependencies` and
//!   `[tool.poetry.group.*.dependencies]`, uv's `dev-dependencies`. Names are normalised as
//!   PEP 503 says; the requirement is the rest of the PEP 508 string (extras, versions,
//!   markers). A name that `[tool.uv.sources]` maps to `workspace = true` or a `path`, and
//!   Poetry `path` dependencies, are local. A Poetry dependency with several constraints
//!   (an array) has them joined with ` || `.
//! * `go.mod`: the `module` path becomes [`Manifest::name`] (give it to
//!   [`ImportContext::add_manifests`](super::ImportContext::add_manifests)); `require`
//!   lines and blocks, `// indirect` ones as [`DepKind::Indirect`]; a requirement
//!   `replace`d by a relative directory (`=> ../lib`) is local. `exclude`, `retract`, `go`,
//!   `toolchain`, `godebug`, `tool` and directives unknown today are read and ignored.
//!
//! Invariants: a manifest its tool would reject for the parts read here is an error
//! ([`DepsError::Toml`], [`DepsError::Json`], [`DepsError::Invalid`], …) naming the file,
//! the place and the fix, never a panic and never a partial list; parts not read here
//! (`[features]`, `scripts`, …) are not checked. Lists are sorted and deduplicated.
//!
//! Known gaps: Cargo `[patch]`/`[replace]`, npm `overrides`/`resolutions` and
//! `bundleDependencies`, PDM and Hatch tables, `requirements.txt`, `setup.py`, `go.work`
//! and Go `vendor/` are not read; a Cargo member's workspace root is the nearest enclosing
//! `[workspace]` (`package.workspace = "…"` is not followed).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;
use toml::{Table, Value};

use super::{DepKind, DepsError, Ecosystem, ExternalDep, LocalDep, file_name, join, parent_dir};

/// What one manifest declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The repository path of the manifest.
    pub path: String,
    pub ecosystem: Ecosystem,
    /// The package's own name: Cargo `[package] name`, npm `name`, PEP 621 or Poetry name
    /// (PEP 503-normalised), the Go module path. `None` when the manifest has none (a
    /// virtual Cargo workspace, a private `package.json`).
    pub name: Option<String>,
    /// Packages from the registry, sorted.
    pub external: Vec<ExternalDep>,
    /// Packages the manifest says are in the repository, sorted.
    pub local: Vec<LocalDep>,
    /// Cargo `foo.workspace = true` entries whose `[workspace.dependencies]` is in another
    /// file; [`resolve_workspaces`] moves them to `external` or `local`.
    pub inherited: Vec<InheritedDep>,
    /// Cargo: `Some` for a workspace root (a file with `[workspace]`), its
    /// `[workspace.dependencies]` by key.
    pub workspace: Option<BTreeMap<String, Inheritable>>,
}

impl Manifest {
    fn new(path: &str, ecosystem: Ecosystem) -> Manifest {
        Manifest {
            path: path.to_owned(),
            ecosystem,
            name: None,
            external: Vec::new(),
            local: Vec::new(),
            inherited: Vec::new(),
            workspace: None,
        }
    }

    /// The module path of a `go.mod`; `None` for other manifests.
    pub fn go_module(&self) -> Option<&str> {
        match self.ecosystem {
            Ecosystem::Go => self.name.as_deref(),
            _ => None,
        }
    }

    fn external(&mut self, name: &str, requirement: Option<&str>, kind: DepKind) {
        self.external.push(ExternalDep {
            ecosystem: self.ecosystem,
            name: name.to_owned(),
            requirement: requirement.map(str::to_owned),
            kind,
            manifest: self.path.clone(),
        });
    }

    fn local(&mut self, name: &str, path: Option<String>, kind: DepKind) {
        self.local.push(LocalDep {
            ecosystem: self.ecosystem,
            name: name.to_owned(),
            path,
            kind,
            manifest: self.path.clone(),
        });
    }

    fn inherit(&mut self, entry: &Inheritable, kind: DepKind) {
        match entry {
            Inheritable::External { name, requirement } => {
                self.external(name, requirement.as_deref(), kind)
            }
            Inheritable::Local { name, path } => self.local(name, path.clone(), kind),
        }
    }

    fn sort(&mut self) {
        self.external.sort();
        self.external.dedup();
        self.local.sort();
        self.local.dedup();
        self.inherited.sort();
        self.inherited.dedup();
    }
}

/// A Cargo dependency `key = { workspace = true }` waiting for its workspace root.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InheritedDep {
    pub kind: DepKind,
    /// The key in the member's table, which names the root's entry.
    pub key: String,
}

/// An entry of a Cargo workspace root's `[workspace.dependencies]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inheritable {
    /// From the registry: the real name (after `package = …`) and the version.
    External {
        name: String,
        requirement: Option<String>,
    },
    /// A `path` dependency: its repository directory, `None` if outside the repository.
    Local { name: String, path: Option<String> },
}

/// The dependencies `path` declares, if its file name is one of the manifests this module
/// reads (`Cargo.toml`, `package.json`, `pyproject.toml`, `go.mod`); `Ok(None)` for any
/// other file.
pub fn parse_manifest(path: &str, content: &[u8]) -> Result<Option<Manifest>, DepsError> {
    let parse: fn(&str, &str) -> Result<Manifest, DepsError> = match file_name(path) {
        "Cargo.toml" => cargo,
        "package.json" => npm,
        "pyproject.toml" => pyproject,
        "go.mod" => go_mod,
        _ => return Ok(None),
    };
    let text = std::str::from_utf8(content).map_err(|e| DepsError::NotUtf8 {
        manifest: path.to_owned(),
        offset: e.valid_up_to(),
    })?;
    // Editors on Windows write a byte-order mark; npm, cargo and pip all skip it.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut manifest = parse(path, text)?;
    manifest.sort();
    Ok(Some(manifest))
}

/// The external packages `path` declares, sorted; `Ok(None)` if it is not a manifest.
///
/// One file alone cannot tell what a Cargo member's `foo.workspace = true` is: such
/// entries come back as external with no requirement, even when the workspace root would
/// say `foo` is a `path` dependency. Use [`parse_manifest`] and [`resolve_workspaces`] over
/// all of a revision's manifests to get them right.
pub fn manifest_dependencies(
    path: &str,
    content: &[u8],
) -> Result<Option<Vec<ExternalDep>>, DepsError> {
    let Some(manifest) = parse_manifest(path, content)? else {
        return Ok(None);
    };
    let mut deps = manifest.external;
    deps.extend(manifest.inherited.into_iter().map(|dep| ExternalDep {
        ecosystem: manifest.ecosystem,
        name: dep.key,
        requirement: None,
        kind: dep.kind,
        manifest: manifest.path.clone(),
    }));
    deps.sort();
    deps.dedup();
    Ok(Some(deps))
}

/// Resolves what one manifest cannot by itself, across all manifests of a revision:
///
/// * a Cargo member's [`Manifest::inherited`] entries, against the nearest workspace root
///   at or above its directory (entries the root lacks stay inherited);
/// * local dependencies without a path (npm `workspace:`, uv `workspace = true`), against
///   the manifests of the same ecosystem with that package name (left `None` when no
///   manifest, or more than one, has the name).
pub fn resolve_workspaces(manifests: &mut [Manifest]) {
    let roots: BTreeMap<String, BTreeMap<String, Inheritable>> = manifests
        .iter()
        .filter(|m| m.ecosystem == Ecosystem::Cargo)
        .filter_map(|m| Some((parent_dir(&m.path).to_owned(), m.workspace.clone()?)))
        .collect();
    let mut dirs_by_name: BTreeMap<(Ecosystem, String), BTreeSet<String>> = BTreeMap::new();
    for m in manifests.iter() {
        if let Some(name) = &m.name {
            dirs_by_name
                .entry((m.ecosystem, name.clone()))
                .or_default()
                .insert(parent_dir(&m.path).to_owned());
        }
    }

    for manifest in manifests.iter_mut() {
        if !manifest.inherited.is_empty()
            && let Some(root) = nearest_root(&roots, parent_dir(&manifest.path))
        {
            for dep in std::mem::take(&mut manifest.inherited) {
                match root.get(&dep.key) {
                    Some(entry) => manifest.inherit(entry, dep.kind),
                    None => manifest.inherited.push(dep),
                }
            }
        }
        for dep in manifest.local.iter_mut().filter(|d| d.path.is_none()) {
            let dirs = dirs_by_name.get(&(dep.ecosystem, dep.name.clone()));
            if let Some(dirs) = dirs
                && let [dir] = dirs.iter().collect::<Vec<_>>()[..]
            {
                dep.path = Some(dir.clone());
            }
        }
        manifest.sort();
    }
}

/// The workspace table of the nearest root at `dir` or above.
fn nearest_root<'r>(
    roots: &'r BTreeMap<String, BTreeMap<String, Inheritable>>,
    mut dir: &str,
) -> Option<&'r BTreeMap<String, Inheritable>> {
    loop {
        if let Some(root) = roots.get(dir) {
            return Some(root);
        }
        if dir.is_empty() {
            return None;
        }
        dir = parent_dir(dir);
    }
}

fn invalid(manifest: &str, place: impl Into<String>, problem: impl Into<String>) -> DepsError {
    DepsError::Invalid {
        manifest: manifest.to_owned(),
        place: place.into(),
        problem: problem.into(),
    }
}

// ---------------------------------------------------------------------------------------
// TOML helpers

fn parse_toml(manifest: &str, text: &str) -> Result<Table, DepsError> {
    toml::from_str::<Table>(text).map_err(|e| DepsError::Toml {
        manifest: manifest.to_owned(),
        line: e.span().map_or(1, |span| line_of(text, span.start)),
        detail: e.message().trim().to_owned(),
    })
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let before = text.get(..offset).unwrap_or(text);
    before.bytes().filter(|&b| b == b'\n').count() + 1
}

/// `table[key]` as a table; `None` when absent.
fn toml_table<'t>(
    manifest: &str,
    table: &'t Table,
    key: &str,
    place: &str,
) -> Result<Option<&'t Table>, DepsError> {
    match table.get(key) {
        None => Ok(None),
        Some(Value::Table(t)) => Ok(Some(t)),
        Some(other) => Err(invalid(
            manifest,
            place,
            format!("must be a table, not {}", article(other.type_str())),
        )),
    }
}

/// `table[key]` as an array; `None` when absent.
fn toml_array<'t>(
    manifest: &str,
    table: &'t Table,
    key: &str,
    place: &str,
) -> Result<Option<&'t [Value]>, DepsError> {
    match table.get(key) {
        None => Ok(None),
        Some(Value::Array(a)) => Ok(Some(a)),
        Some(other) => Err(invalid(
            manifest,
            place,
            format!(
                "must be an array of strings, not {}",
                article(other.type_str())
            ),
        )),
    }
}

fn toml_str<'t>(
    manifest: &str,
    table: &'t Table,
    key: &str,
    place: &str,
) -> Result<Option<&'t str>, DepsError> {
    match table.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(invalid(
            manifest,
            format!("{place}.{key}"),
            format!("must be a string, not {}", article(other.type_str())),
        )),
    }
}

fn toml_bool(
    manifest: &str,
    table: &Table,
    key: &str,
    place: &str,
) -> Result<Option<bool>, DepsError> {
    match table.get(key) {
        None => Ok(None),
        Some(Value::Boolean(b)) => Ok(Some(*b)),
        Some(other) => Err(invalid(
            manifest,
            format!("{place}.{key}"),
            format!("must be true or false, not {}", article(other.type_str())),
        )),
    }
}

fn article(type_name: &str) -> String {
    match type_name.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {type_name}"),
        _ => format!("a {type_name}"),
    }
}

/// A TOML key as it would be written in a header: bare when it can be, quoted otherwise.
fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare {
        key.to_owned()
    } else {
        format!("{key:?}")
    }
}

// ---------------------------------------------------------------------------------------
// Cargo.toml

const CARGO_SECTIONS: [(&str, DepKind); 5] = [
    ("dependencies", DepKind::Normal),
    ("dev-dependencies", DepKind::Dev),
    ("dev_dependencies", DepKind::Dev),
    ("build-dependencies", DepKind::Build),
    ("build_dependencies", DepKind::Build),
];

fn cargo(path: &str, text: &str) -> Result<Manifest, DepsError> {
    let doc = parse_toml(path, text)?;
    let dir = parent_dir(path);
    let mut m = Manifest::new(path, Ecosystem::Cargo);

    if let Some(package) = toml_table(path, &doc, "package", "[package]")? {
        m.name = toml_str(path, package, "name", "[package]")?.map(str::to_owned);
    }
    if let Some(workspace) = toml_table(path, &doc, "workspace", "[workspace]")? {
        let mut entries = BTreeMap::new();
        let place = "[workspace.dependencies]";
        if let Some(deps) = toml_table(path, workspace, "dependencies", place)? {
            for (key, value) in deps {
                entries.insert(
                    key.clone(),
                    cargo_workspace_entry(path, dir, place, key, value)?,
                );
            }
        }
        m.workspace = Some(entries);
    }

    let mut sections: Vec<(String, &Table, DepKind)> = Vec::new();
    for (key, kind) in CARGO_SECTIONS {
        let place = format!("[{key}]");
        if let Some(table) = toml_table(path, &doc, key, &place)? {
            sections.push((place, table, kind));
        }
    }
    if let Some(targets) = toml_table(path, &doc, "target", "[target]")? {
        for (target, spec) in targets {
            let Value::Table(spec) = spec else {
                return Err(invalid(
                    path,
                    format!("[target.{}]", toml_key(target)),
                    "must be a table of dependency sections, like [target.'cfg(unix)'.dependencies]",
                ));
            };
            for (key, kind) in CARGO_SECTIONS {
                let place = format!("[target.{}.{key}]", toml_key(target));
                if let Some(table) = toml_table(path, spec, key, &place)? {
                    sections.push((place, table, kind));
                }
            }
        }
    }

    for (place, table, kind) in sections {
        for (key, value) in table {
            cargo_dependency(&mut m, dir, &place, key, value, kind)?;
        }
    }
    Ok(m)
}

fn cargo_dependency(
    m: &mut Manifest,
    dir: &str,
    section: &str,
    key: &str,
    value: &Value,
    kind: DepKind,
) -> Result<(), DepsError> {
    let path = m.path.clone();
    let place = format!("{section} {key}");
    let table = match value {
        Value::String(requirement) => {
            m.external(key, Some(requirement), kind);
            return Ok(());
        }
        Value::Table(table) => table,
        other => {
            return Err(invalid(
                &path,
                place,
                format!(
                    "must be a version string like \"1.0\" or a table like {{ version = \"1.0\" }}, not {}",
                    article(other.type_str())
                ),
            ));
        }
    };
    // Only what is needed at run time becomes Optional; see DepKind.
    let kind = match (kind, toml_bool(&path, table, "optional", &place)?) {
        (DepKind::Normal, Some(true)) => DepKind::Optional,
        _ => kind,
    };
    match toml_bool(&path, table, "workspace", &place)? {
        Some(true) => {
            match &m.workspace {
                None => m.inherited.push(InheritedDep {
                    key: key.to_owned(),
                    kind,
                }),
                Some(workspace) => {
                    let Some(entry) = workspace.get(key).cloned() else {
                        return Err(invalid(
                            &path,
                            place,
                            format!(
                                "says workspace = true, but [workspace.dependencies] has no {key}: add it there"
                            ),
                        ));
                    };
                    m.inherit(&entry, kind);
                }
            }
            return Ok(());
        }
        Some(false) => {
            return Err(invalid(
                &path,
                place,
                "workspace = false is not allowed: remove it, or set true to inherit the workspace's entry",
            ));
        }
        None => {}
    }
    let name = toml_str(&path, table, "package", &place)?.unwrap_or(key);
    if let Some(local) = toml_str(&path, table, "path", &place)? {
        m.local(name, join(dir, local), kind);
    } else {
        let version = toml_str(&path, table, "version", &place)?;
        m.external(name, version, kind);
    }
    Ok(())
}

fn cargo_workspace_entry(
    manifest: &str,
    dir: &str,
    section: &str,
    key: &str,
    value: &Value,
) -> Result<Inheritable, DepsError> {
    let place = format!("{section} {key}");
    let table = match value {
        Value::String(requirement) => {
            return Ok(Inheritable::External {
                name: key.to_owned(),
                requirement: Some(requirement.clone()),
            });
        }
        Value::Table(table) => table,
        other => {
            return Err(invalid(
                manifest,
                place,
                format!(
                    "must be a version string like \"1.0\" or a table like {{ version = \"1.0\" }}, not {}",
                    article(other.type_str())
                ),
            ));
        }
    };
    if toml_bool(manifest, table, "workspace", &place)?.is_some() {
        return Err(invalid(
            manifest,
            place,
            "a workspace's own dependency cannot say workspace = …: give its version or path",
        ));
    }
    let name = toml_str(manifest, table, "package", &place)?
        .unwrap_or(key)
        .to_owned();
    Ok(match toml_str(manifest, table, "path", &place)? {
        Some(local) => Inheritable::Local {
            name,
            path: join(dir, local),
        },
        None => Inheritable::External {
            name,
            requirement: toml_str(manifest, table, "version", &place)?.map(str::to_owned),
        },
    })
}

// ---------------------------------------------------------------------------------------
// package.json

const NPM_SECTIONS: [(&str, DepKind); 4] = [
    ("dependencies", DepKind::Normal),
    ("devDependencies", DepKind::Dev),
    ("peerDependencies", DepKind::Peer),
    ("optionalDependencies", DepKind::Optional),
];

fn npm(path: &str, text: &str) -> Result<Manifest, DepsError> {
    let doc: Json = serde_json::from_str(text).map_err(|e| {
        // serde_json's message ends with its own " at line L column C"; the variant says it.
        let message = e.to_string();
        let detail = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(detail, _)| detail);
        DepsError::Json {
            manifest: path.to_owned(),
            line: e.line(),
            column: e.column(),
            detail: detail.to_owned(),
        }
    })?;
    let Json::Object(doc) = doc else {
        return Err(invalid(
            path,
            "the top level",
            "must be a JSON object like {\"name\": …, \"dependencies\": {…}}",
        ));
    };
    let dir = parent_dir(path);
    let mut m = Manifest::new(path, Ecosystem::Npm);
    match doc.get("name") {
        None | Some(Json::Null) => {}
        Some(Json::String(name)) => m.name = Some(name.clone()),
        Some(_) => return Err(invalid(path, "name", "must be a string")),
    }
    for (section, kind) in NPM_SECTIONS {
        let deps = match doc.get(section) {
            None | Some(Json::Null) => continue,
            Some(Json::Object(deps)) => deps,
            Some(_) => {
                return Err(invalid(
                    path,
                    section,
                    "must be an object mapping package names to version ranges, like {\"react\": \"^18.2.0\"}",
                ));
            }
        };
        for (name, spec) in deps {
            let Json::String(spec) = spec else {
                return Err(invalid(
                    path,
                    format!("{section}.{name}"),
                    "must be a version range string like \"^1.2.0\"",
                ));
            };
            npm_dependency(&mut m, dir, name, spec.trim(), kind);
        }
    }
    Ok(m)
}

fn npm_dependency(m: &mut Manifest, dir: &str, name: &str, spec: &str, kind: DepKind) {
    if let Some(rest) = spec.strip_prefix("workspace:") {
        // pnpm also accepts a relative path after `workspace:`; otherwise it is a range
        // over the workspace package of that name.
        let path = (rest.starts_with("./") || rest.starts_with("../"))
            .then(|| join(dir, rest))
            .flatten();
        m.local(name, path, kind);
    } else if let Some(rest) = ["file:", "link:", "portal:"]
        .iter()
        .find_map(|scheme| spec.strip_prefix(scheme))
    {
        m.local(name, join(dir, rest), kind);
    } else if let Some(alias) = spec.strip_prefix("npm:") {
        // `npm:<name>@<range>`; a scoped name starts with its own `@`.
        match alias.get(1..).and_then(|tail| tail.find('@')) {
            Some(at) => {
                let (real, range) = alias.split_at(at + 1);
                let range = &range[1..];
                m.external(real, (!range.is_empty()).then_some(range), kind);
            }
            None => m.external(alias, None, kind),
        }
    } else {
        m.external(name, (!spec.is_empty()).then_some(spec), kind);
    }
}

// ---------------------------------------------------------------------------------------
// pyproject.toml

fn pyproject(path: &str, text: &str) -> Result<Manifest, DepsError> {
    let doc = parse_toml(path, text)?;
    let dir = parent_dir(path);
    let mut m = Manifest::new(path, Ecosystem::PyPI);

    if let Some(project) = toml_table(path, &doc, "project", "[project]")? {
        m.name = toml_str(path, project, "name", "[project]")?.map(normalise_pypi_name);
        pep508_list(
            &mut m,
            project,
            "dependencies",
            "[project]",
            DepKind::Normal,
        )?;
        let place = "[project.optional-dependencies]";
        if let Some(extras) = toml_table(path, project, "optional-dependencies", place)? {
            for extra in extras.keys() {
                let place = format!("{place} {extra}");
                pep508_list(&mut m, extras, extra, &place, DepKind::Optional)?;
            }
        }
    }
    if let Some(build) = toml_table(path, &doc, "build-system", "[build-system]")? {
        pep508_list(&mut m, build, "requires", "[build-system]", DepKind::Build)?;
    }
    if let Some(groups) = toml_table(path, &doc, "dependency-groups", "[dependency-groups]")? {
        for group in groups.keys() {
            let place = format!("[dependency-groups] {group}");
            pep508_list(&mut m, groups, group, &place, DepKind::Dev)?;
        }
    }

    let tool = toml_table(path, &doc, "tool", "[tool]")?;
    let poetry = match tool {
        Some(tool) => toml_table(path, tool, "poetry", "[tool.poetry]")?,
        None => None,
    };
    if let Some(poetry) = poetry {
        if m.name.is_none() {
            m.name = toml_str(path, poetry, "name", "[tool.poetry]")?.map(normalise_pypi_name);
        }
        for (key, kind) in [
            ("dependencies", DepKind::Normal),
            ("dev-dependencies", DepKind::Dev),
        ] {
            let place = format!("[tool.poetry.{key}]");
            if let Some(deps) = toml_table(path, poetry, key, &place)? {
                for (name, spec) in deps {
                    poetry_dependency(&mut m, dir, &place, name, spec, kind)?;
                }
            }
        }
        if let Some(groups) = toml_table(path, poetry, "group", "[tool.poetry.group]")? {
            for (group, spec) in groups {
                let place = format!("[tool.poetry.group.{}]", toml_key(group));
                let Value::Table(spec) = spec else {
                    return Err(invalid(
                        path,
                        place,
                        "must be a table with a dependencies table",
                    ));
                };
                let place = format!("[tool.poetry.group.{}.dependencies]", toml_key(group));
                if let Some(deps) = toml_table(path, spec, "dependencies", &place)? {
                    for (name, spec) in deps {
                        poetry_dependency(&mut m, dir, &place, name, spec, DepKind::Dev)?;
                    }
                }
            }
        }
    }

    let uv = match tool {
        Some(tool) => toml_table(path, tool, "uv", "[tool.uv]")?,
        None => None,
    };
    if let Some(uv) = uv {
        pep508_list(&mut m, uv, "dev-dependencies", "[tool.uv]", DepKind::Dev)?;
        if let Some(sources) = toml_table(path, uv, "sources", "[tool.uv.sources]")? {
            uv_sources(&mut m, dir, sources)?;
        }
    }
    Ok(m)
}

/// Reads `table[key]`, an array of PEP 508 strings, as dependencies of `kind`. PEP 735
/// `{include-group = "…"}` entries are skipped: the group they include is read on its own.
fn pep508_list(
    m: &mut Manifest,
    table: &Table,
    key: &str,
    place: &str,
    kind: DepKind,
) -> Result<(), DepsError> {
    let path = m.path.clone();
    let Some(items) = toml_array(&path, table, key, &format!("{place} {key}"))? else {
        return Ok(());
    };
    for item in items {
        match item {
            Value::String(spec) => {
                let Some((name, rest)) = pep508(spec) else {
                    return Err(invalid(
                        &path,
                        format!("{place} {key}"),
                        format!(
                            "{spec:?} is not a PEP 508 requirement: write a name, then extras, versions or markers, like \"requests[socks]>=2.31; python_version >= '3.8'\""
                        ),
                    ));
                };
                m.external(&name, rest, kind);
            }
            Value::Table(t) if t.contains_key("include-group") => {}
            other => {
                return Err(invalid(
                    &path,
                    format!("{place} {key}"),
                    format!(
                        "must hold requirement strings like \"requests>=2\", not {}",
                        article(other.type_str())
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The PEP 503-normalised distribution name of a PEP 508 requirement and the rest of it
/// (extras, version specifiers, URL, markers), or `None` if it does not start with a
/// valid name.
fn pep508(spec: &str) -> Option<(String, Option<&str>)> {
    let spec = spec.trim();
    let end = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    let (name, rest) = spec.split_at(end);
    let alphanumeric_ends = name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    let rest = rest.trim();
    // After the name only extras, a version (bare or parenthesised), a URL or markers.
    let continues =
        rest.is_empty() || rest.starts_with(['[', '(', ';', '@', '<', '>', '=', '!', '~']);
    (alphanumeric_ends && continues).then(|| {
        (
            normalise_pypi_name(name),
            (!rest.is_empty()).then_some(rest),
        )
    })
}

/// PEP 503: lower case, every run of `-`, `_` and `.` as one `-`.
fn normalise_pypi_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            out.extend(c.to_lowercase());
            in_run = false;
        }
    }
    out
}

fn poetry_dependency(
    m: &mut Manifest,
    dir: &str,
    section: &str,
    key: &str,
    value: &Value,
    kind: DepKind,
) -> Result<(), DepsError> {
    let name = normalise_pypi_name(key);
    if name == "python" {
        return Ok(());
    }
    let path = m.path.clone();
    let place = format!("{section} {key}");
    let constraints: Vec<&Table> = match value {
        Value::String(requirement) => {
            m.external(&name, Some(requirement), kind);
            return Ok(());
        }
        Value::Table(table) => vec![table],
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Table(t) => Ok(t),
                _ => Err(invalid(
                    &path,
                    place.as_str(),
                    "a list of constraints must hold tables like { version = \"^1.0\", python = \"<3.10\" }",
                )),
            })
            .collect::<Result<_, _>>()?,
        other => {
            return Err(invalid(
                &path,
                place,
                format!(
                    "must be a version string like \"^2.31\" or a table like {{ version = \"^2.31\" }}, not {}",
                    article(other.type_str())
                ),
            ));
        }
    };
    let mut optional = false;
    let mut local = None;
    let mut versions: Vec<&str> = Vec::new();
    for table in constraints {
        optional |= toml_bool(&path, table, "optional", &place)?.unwrap_or(false);
        if let Some(p) = toml_str(&path, table, "path", &place)? {
            local.get_or_insert(join(dir, p));
        }
        if let Some(v) = toml_str(&path, table, "version", &place)?
            && !versions.contains(&v)
        {
            versions.push(v);
        }
    }
    let kind = if optional && kind == DepKind::Normal {
        DepKind::Optional
    } else {
        kind
    };
    match local {
        Some(dir) => m.local(&name, dir, kind),
        None => {
            let requirement = versions.join(" || ");
            m.external(
                &name,
                (!requirement.is_empty()).then_some(&requirement),
                kind,
            );
        }
    }
    Ok(())
}

/// Moves the dependencies `[tool.uv.sources]` puts in the repository from external to
/// local.
fn uv_sources(m: &mut Manifest, dir: &str, sources: &Table) -> Result<(), DepsError> {
    let path = m.path.clone();
    let mut local: BTreeMap<String, Option<String>> = BTreeMap::new();
    for (key, value) in sources {
        let place = format!("[tool.uv.sources] {key}");
        let tables: Vec<&Table> = match value {
            Value::Table(t) => vec![t],
            Value::Array(items) => items
                .iter()
                .filter_map(|item| match item {
                    Value::Table(t) => Some(t),
                    _ => None,
                })
                .collect(),
            _ => {
                return Err(invalid(
                    &path,
                    place,
                    "must be a table like { workspace = true } or { path = \"../lib\" }",
                ));
            }
        };
        for table in tables {
            if toml_bool(&path, table, "workspace", &place)? == Some(true) {
                local.entry(normalise_pypi_name(key)).or_insert(None);
            } else if let Some(p) = toml_str(&path, table, "path", &place)? {
                local
                    .entry(normalise_pypi_name(key))
                    .or_insert(join(dir, p));
            }
        }
    }
    let (moved, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut m.external)
        .into_iter()
        .partition(|dep| local.contains_key(&dep.name));
    m.external = kept;
    for dep in moved {
        let dir = local.get(&dep.name).cloned().flatten();
        m.local(&dep.name, dir, dep.kind);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// go.mod

fn go_mod(path: &str, text: &str) -> Result<Manifest, DepsError> {
    let dir = parent_dir(path);
    let mut m = Manifest::new(path, Ecosystem::Go);
    // (module path, version, indirect)
    let mut requires: Vec<(String, String, bool)> = Vec::new();
    // Modules replaced by a directory in the repository (None: a relative path outside it).
    let mut replaced: BTreeMap<String, Option<String>> = BTreeMap::new();
    // The verb of the open `verb (` block, and its line.
    let mut block: Option<(String, usize)> = None;

    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let place = || format!("line {number}");
        let (tokens, comment) =
            go_tokens(line).map_err(|problem| invalid(path, place(), problem))?;
        let indirect = comment.is_some_and(|c| {
            let c = c.trim();
            c == "indirect" || c.starts_with("indirect;")
        });
        let (verb, args) = match (&block, tokens.as_slice()) {
            (_, []) => continue,
            (Some(_), [close]) if close == ")" => {
                block = None;
                continue;
            }
            (Some((verb, _)), args) => (verb.clone(), args),
            (None, [verb, open]) if open == "(" => {
                block = Some((verb.clone(), number));
                continue;
            }
            (None, [_, open, close]) if open == "(" && close == ")" => continue,
            (None, [close, ..]) if close == ")" => {
                return Err(invalid(path, place(), "`)` closes no block: remove it"));
            }
            (None, [verb, args @ ..]) => (verb.clone(), args),
        };
        match verb.as_str() {
            "module" => match args {
                [module] => m.name = Some(module.clone()),
                _ => {
                    return Err(invalid(
                        path,
                        place(),
                        "module needs exactly one path, like `module example.com/m`",
                    ));
                }
            },
            "require" => match args {
                [module, version] => requires.push((module.clone(), version.clone(), indirect)),
                _ => {
                    return Err(invalid(
                        path,
                        place(),
                        "require needs a module path and a version, like `require example.com/m v1.2.3`",
                    ));
                }
            },
            "replace" => {
                let arrow = args.iter().position(|t| t == "=>");
                let (old, new) = match arrow {
                    Some(at) => (&args[..at], &args[at + 1..]),
                    None => (args, &[][..]),
                };
                if !(1..=2).contains(&old.len()) || !(1..=2).contains(&new.len()) {
                    return Err(invalid(
                        path,
                        place(),
                        "replace needs `old [version] => new [version]`, like `replace example.com/m => ../m`",
                    ));
                }
                // Go's rule: a replacement starting with ./ or ../ is a directory.
                if let [target] = new
                    && (target.starts_with("./") || target.starts_with("../"))
                {
                    replaced.insert(old[0].clone(), join(dir, target));
                }
            }
            _ => {}
        }
    }
    if let Some((verb, line)) = block {
        return Err(invalid(
            path,
            format!("line {line}"),
            format!("the `{verb} (` block is never closed: add a line with `)`"),
        ));
    }

    for (module, version, indirect) in requires {
        let kind = if indirect {
            DepKind::Indirect
        } else {
            DepKind::Normal
        };
        match replaced.get(&module) {
            Some(dir) => m.local(&module, dir.clone(), kind),
            None => m.external(&module, Some(&version), kind),
        }
    }
    Ok(m)
}

/// The tokens of a `go.mod` line (quotes removed; `(` and `)` on their own) and its `//`
/// comment.
fn go_tokens(line: &str) -> Result<(Vec<String>, Option<&str>), String> {
    let mut tokens = Vec::new();
    let mut rest = line;
    loop {
        rest = rest.trim_start();
        let Some(c) = rest.chars().next() else {
            return Ok((tokens, None));
        };
        if let Some(comment) = rest.strip_prefix("//") {
            return Ok((tokens, Some(comment)));
        }
        match c {
            '(' | ')' => {
                tokens.push(c.to_string());
                rest = &rest[1..];
            }
            '`' => {
                let body = &rest[1..];
                let end = body
                    .find('`')
                    .ok_or("a `-quoted string is never closed: add the closing `")?;
                tokens.push(body[..end].to_owned());
                rest = &body[end + 1..];
            }
            '"' => {
                let mut token = String::new();
                let mut chars = rest[1..].char_indices();
                let end = loop {
                    match chars.next() {
                        None => {
                            return Err(
                                "a \"-quoted string is never closed: add the closing \"".to_owned()
                            );
                        }
                        Some((i, '"')) => break i + 2,
                        Some((_, '\\')) => match chars.next() {
                            Some((_, escaped)) => token.push(escaped),
                            None => return Err("a \"-quoted string ends in a lone \\".to_owned()),
                        },
                        Some((_, other)) => token.push(other),
                    }
                };
                tokens.push(token);
                rest = &rest[end..];
            }
            _ => {
                let end = rest
                    .find(|c: char| {
                        c.is_whitespace() || c == '(' || c == ')' || c == '"' || c == '`'
                    })
                    .unwrap_or(rest.len());
                let end = rest[..end].find("//").unwrap_or(end);
                tokens.push(rest[..end].to_owned());
                rest = &rest[end..];
            }
        }
    }
}

#[cfg(test)]
mod tests;
