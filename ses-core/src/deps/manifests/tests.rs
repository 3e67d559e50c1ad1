//! Tests of manifest parsing: for each format a realistic manifest using every section
//! this module reads, with its exact dependency list; then malformed input.

use super::*;

/// One line per external dependency: `kind name requirement` (`-` for none).
fn render_external(deps: &[ExternalDep]) -> Vec<String> {
    deps.iter()
        .map(|d| {
            format!(
                "{} {} {}",
                d.kind,
                d.name,
                d.requirement.as_deref().unwrap_or("-")
            )
        })
        .collect()
}

/// One line per local dependency: `kind name path` (`-` for unknown).
fn render_local(deps: &[LocalDep]) -> Vec<String> {
    deps.iter()
        .map(|d| format!("{} {} {}", d.kind, d.name, d.path.as_deref().unwrap_or("-")))
        .collect()
}

fn parse(path: &str, text: &str) -> Manifest {
    let manifest = parse_manifest(path, text.as_bytes())
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .unwrap_or_else(|| panic!("{path} is not taken for a manifest"));
    assert_eq!(manifest.path, path);
    for dep in &manifest.external {
        assert_eq!(dep.manifest, path);
        assert_eq!(dep.ecosystem, manifest.ecosystem);
    }
    for dep in &manifest.local {
        assert_eq!(dep.manifest, path);
        assert_eq!(dep.ecosystem, manifest.ecosystem);
    }
    manifest
}

fn error(path: &str, text: &[u8]) -> String {
    match parse_manifest(path, text) {
        Ok(m) => panic!("{path} parsed, expected an error: {m:?}"),
        Err(e) => e.to_string(),
    }
}

// ---------------------------------------------------------------------------------------
// Cargo.toml

const CARGO_ROOT: &str = r#"
[package]
name = "ses-cli"
version = "0.1.0"
edition = "2024"

[workspace]
members = ["crates/*"]

[workspace.dependencies]
serde = { version = "1.0.200", features = ["derive"] }
ses-core = { path = "crates/core", version = "0.1" }
rand_core = { package = "rand-core-real", version = "0.6" }
anyhow = "1"

[dependencies]
serde.workspace = true
ses-core = { workspace = true }
log = "0.4"
regex = { version = "1.10", default-features = false }
rustls-crate = { package = "rustls", version = "0.23", optional = true }
git-only = { git = "https://github.com/example/git-only" }
tools = { path = "tools" }

[dev-dependencies]
proptest = "1.4"
rand_core = { workspace = true }

[build-dependencies]
cc = { version = "1.0", optional = true }

[target.'cfg(unix)'.dependencies]
libc = "0.2"
log = "0.4"

[target.x86_64-pc-windows-msvc.dev-dependencies]
windows-sys = { version = "0.59" }

[target.'cfg(windows)'.build-dependencies]
winres = "0.1"

[features]
tls = ["dep:rustls-crate"]
"#;

#[test]
fn cargo_every_section() {
    let m = parse("Cargo.toml", CARGO_ROOT);
    assert_eq!(m.ecosystem, Ecosystem::Cargo);
    assert_eq!(m.name.as_deref(), Some("ses-cli"));
    assert_eq!(
        render_external(&m.external),
        [
            "normal git-only -",
            "normal libc 0.2",
            "normal log 0.4",
            "normal regex 1.10",
            "normal serde 1.0.200",
            "dev proptest 1.4",
            "dev rand-core-real 0.6",
            "dev windows-sys 0.59",
            "build cc 1.0",
            "build winres 0.1",
            "optional rustls 0.23",
        ]
    );
    assert_eq!(
        render_local(&m.local),
        ["normal ses-core crates/core", "normal tools tools"]
    );
    assert!(m.inherited.is_empty());
    let workspace = m.workspace.expect("a root has its workspace table");
    assert_eq!(
        workspace.keys().collect::<Vec<_>>(),
        ["anyhow", "rand_core", "serde", "ses-core"]
    );
    assert_eq!(
        workspace["rand_core"],
        Inheritable::External {
            name: "rand-core-real".into(),
            requirement: Some("0.6".into())
        }
    );
}

#[test]
fn cargo_virtual_workspace_declares_nothing() {
    let text = "[workspace]\nmembers = [\"a\"]\n\n[workspace.dependencies]\nserde = \"1\"\n";
    let m = parse("Cargo.toml", text);
    assert!(m.external.is_empty() && m.local.is_empty() && m.inherited.is_empty());
    assert_eq!(m.name, None);
    assert_eq!(
        manifest_dependencies("Cargo.toml", text.as_bytes()).unwrap(),
        Some(vec![])
    );
}

const CARGO_MEMBER: &str = r#"
[package]
name = "ses-lsp"
version.workspace = true

[dependencies]
ses-core.workspace = true
serde = { workspace = true, optional = true }
tokio = "1"
not-in-root = { workspace = true }

[dev-dependencies]
anyhow.workspace = true
"#;

#[test]
fn cargo_member_inherits_from_its_workspace_root() {
    let member = parse("crates/lsp/Cargo.toml", CARGO_MEMBER);
    assert_eq!(render_external(&member.external), ["normal tokio 1"]);
    assert_eq!(
        member.inherited,
        [
            InheritedDep {
                key: "not-in-root".into(),
                kind: DepKind::Normal
            },
            InheritedDep {
                key: "ses-core".into(),
                kind: DepKind::Normal
            },
            InheritedDep {
                key: "anyhow".into(),
                kind: DepKind::Dev
            },
            InheritedDep {
                key: "serde".into(),
                kind: DepKind::Optional
            },
        ]
    );

    // One file alone: inherited entries are external, requirement unknown.
    let alone = manifest_dependencies("crates/lsp/Cargo.toml", CARGO_MEMBER.as_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(
        render_external(&alone),
        [
            "normal not-in-root -",
            "normal ses-core -",
            "normal tokio 1",
            "dev anyhow -",
            "optional serde -"
        ]
    );

    // With the root: versions filled in, the path dependency becomes local, the missing
    // entry stays inherited. A root elsewhere is not this member's root.
    let other = "[workspace]\n[workspace.dependencies]\ntokio = \"0.1\"\nses-core = \"9\"\n";
    let mut all = vec![
        parse("other/Cargo.toml", other),
        member,
        parse("Cargo.toml", CARGO_ROOT),
    ];
    resolve_workspaces(&mut all);
    let member = &all[1];
    assert_eq!(
        render_external(&member.external),
        ["normal tokio 1", "dev anyhow 1", "optional serde 1.0.200"]
    );
    assert_eq!(render_local(&member.local), ["normal ses-core crates/core"]);
    assert_eq!(
        member.inherited,
        [InheritedDep {
            key: "not-in-root".into(),
            kind: DepKind::Normal
        }]
    );
}

#[test]
fn cargo_path_dependencies_are_relative_to_the_manifest() {
    let text = "[dependencies]\nup = { path = \"../up\" }\nout = { path = \"../../../x\" }\n";
    let m = parse("crates/a/Cargo.toml", text);
    assert_eq!(
        render_local(&m.local),
        ["normal out -", "normal up crates/up"]
    );
    assert!(m.external.is_empty());
}

#[test]
fn cargo_errors_name_the_file_the_place_and_the_fix() {
    let e = error(
        "Cargo.toml",
        b"[package]\nname = \"x\"\n\n[dependencies\nserde = \"1\"\n",
    );
    assert!(e.starts_with("Cargo.toml: invalid TOML at line 4:"), "{e}");

    let e = error("a/Cargo.toml", b"[dependencies]\nserde = 1\n");
    assert!(
        e.starts_with("a/Cargo.toml: [dependencies] serde: must be a version string"),
        "{e}"
    );
    assert!(e.ends_with("not an integer"), "{e}");

    let e = error("Cargo.toml", b"[dependencies]\nserde = { version = 1 }\n");
    assert_eq!(
        e,
        "Cargo.toml: [dependencies] serde.version: must be a string, not an integer"
    );

    let e = error(
        "Cargo.toml",
        b"[dependencies]\nserde = { version = \"1\", optional = \"yes\" }\n",
    );
    assert!(e.contains("serde.optional: must be true or false"), "{e}");

    let e = error("Cargo.toml", b"dependencies = [\"serde\"]\n");
    assert_eq!(
        e,
        "Cargo.toml: [dependencies]: must be a table, not an array"
    );

    let e = error("Cargo.toml", b"[target.'cfg(unix)']\ndependencies = 3\n");
    assert!(
        e.starts_with("Cargo.toml: [target.\"cfg(unix)\".dependencies]: must be a table"),
        "{e}"
    );

    let e = error(
        "Cargo.toml",
        b"[workspace]\n[workspace.dependencies]\n[dependencies]\nserde.workspace = true\n",
    );
    assert!(
        e.contains("[workspace.dependencies] has no serde: add it there"),
        "{e}"
    );

    let e = error(
        "Cargo.toml",
        b"[dependencies]\nserde = { workspace = false }\n",
    );
    assert!(e.contains("workspace = false is not allowed"), "{e}");

    let e = error("Cargo.toml", b"[package]\nname = \"caf\xe9\"\n");
    assert!(
        e.starts_with("Cargo.toml: not UTF-8 (invalid byte at offset 21)"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------
// package.json

const PACKAGE_JSON: &str = r#"{
  "name": "@acme/web",
  "version": "1.0.0",
  "private": true,
  "scripts": { "build": "tsc -b" },
  "dependencies": {
    "react": "^18.2.0",
    "lodash-es": "npm:lodash@^4.17.21",
    "types-alias": "npm:@types/node@20",
    "bare-alias": "npm:left-pad",
    "@acme/ui": "workspace:*",
    "@acme/utils": "workspace:../utils",
    "vendored": "file:../../vendor/vendored",
    "linked": "link:./linked",
    "git-dep": "github:user/repo#v1",
    "anything": ""
  },
  "devDependencies": {
    "typescript": "~5.4.0",
    "react": "^18.2.0"
  },
  "peerDependencies": { "react-dom": ">=17" },
  "optionalDependencies": { "fsevents": "2.3.3" },
  "bundleDependencies": ["react"]
}"#;

#[test]
fn package_json_every_section() {
    let m = parse("apps/web/package.json", PACKAGE_JSON);
    assert_eq!(m.ecosystem, Ecosystem::Npm);
    assert_eq!(m.name.as_deref(), Some("@acme/web"));
    assert_eq!(
        render_external(&m.external),
        [
            "normal @types/node 20",
            "normal anything -",
            "normal git-dep github:user/repo#v1",
            "normal left-pad -",
            "normal lodash ^4.17.21",
            "normal react ^18.2.0",
            "dev react ^18.2.0",
            "dev typescript ~5.4.0",
            "optional fsevents 2.3.3",
            "peer react-dom >=17",
        ]
    );
    assert_eq!(
        render_local(&m.local),
        [
            "normal @acme/ui -",
            "normal @acme/utils apps/utils",
            "normal linked apps/web/linked",
            "normal vendored vendor/vendored",
        ]
    );
}

#[test]
fn npm_workspace_specifiers_resolve_by_package_name() {
    let mut all = vec![
        parse("apps/web/package.json", PACKAGE_JSON),
        parse("packages/ui/package.json", r#"{"name": "@acme/ui"}"#),
        parse(
            "package.json",
            r#"{"private": true, "workspaces": ["apps/*"]}"#,
        ),
    ];
    resolve_workspaces(&mut all);
    assert_eq!(
        render_local(&all[0].local)[0],
        "normal @acme/ui packages/ui"
    );
}

#[test]
fn package_json_errors() {
    let e = error(
        "package.json",
        b"{\n  \"dependencies\": {\n    \"a\": \"1\",\n  }\n}",
    );
    assert!(
        e.starts_with("package.json: invalid JSON at line 4, column 3: trailing comma"),
        "{e}"
    );
    assert!(!e.contains(" at line 4 column"), "{e}");

    let e = error("package.json", b"[]");
    assert!(
        e.starts_with("package.json: the top level: must be a JSON object"),
        "{e}"
    );

    let e = error("package.json", br#"{"dependencies": ["react"]}"#);
    assert!(
        e.starts_with("package.json: dependencies: must be an object"),
        "{e}"
    );

    let e = error("package.json", br#"{"devDependencies": {"jest": 29}}"#);
    assert_eq!(
        e,
        "package.json: devDependencies.jest: must be a version range string like \"^1.2.0\""
    );
}

#[test]
fn byte_order_mark_is_skipped() {
    let text = "\u{feff}{\"dependencies\": {\"a\": \"1\"}}";
    assert_eq!(
        render_external(&parse("package.json", text).external),
        ["normal a 1"]
    );
}

// ---------------------------------------------------------------------------------------
// pyproject.toml

const PYPROJECT: &str = r#"
[build-system]
requires = ["hatchling>=1.18", "hatch-vcs"]
build-backend = "hatchling.build"

[project]
name = "My_Project.Core"
version = "0.3.0"
requires-python = ">=3.9"
dependencies = [
    "requests[socks] >= 2.31",
    "Typing_Extensions>=4.0; python_version < '3.11'",
    "numpy",
    "attrs (>=23.1)",
    "pip @ https://github.com/pypa/pip/archive/1.3.1.zip",
    "sibling-lib",
]

[project.optional-dependencies]
cli = ["click>=8", "rich"]
docs = ["Sphinx==7.2.6"]

[dependency-groups]
test = ["pytest>=8", "pytest-cov"]
dev = [{include-group = "test"}, "ruff"]

[tool.poetry.dependencies]
python = "^3.9"
Flask = "^3.0"
pendulum = { version = "^3.0", optional = true }
mylib = { path = "../mylib", develop = true }
gitdep = { git = "https://github.com/a/gitdep.git", branch = "main" }
numpy2 = [
    { version = "<1.25", python = "<3.9" },
    { version = "^1.25", python = ">=3.9" },
]

[tool.poetry.dev-dependencies]
black = "^24.0"

[tool.poetry.group.lint.dependencies]
mypy = { version = "^1.8" }

[tool.uv]
dev-dependencies = ["ipython"]

[tool.uv.sources]
sibling-lib = { workspace = true }
"#;

#[test]
fn pyproject_every_section() {
    let m = parse("python/pyproject.toml", PYPROJECT);
    assert_eq!(m.ecosystem, Ecosystem::PyPI);
    assert_eq!(m.name.as_deref(), Some("my-project-core"));
    assert_eq!(
        render_external(&m.external),
        [
            "normal attrs (>=23.1)",
            "normal flask ^3.0",
            "normal gitdep -",
            "normal numpy -",
            "normal numpy2 <1.25 || ^1.25",
            "normal pip @ https://github.com/pypa/pip/archive/1.3.1.zip",
            "normal requests [socks] >= 2.31",
            "normal typing-extensions >=4.0; python_version < '3.11'",
            "dev black ^24.0",
            "dev ipython -",
            "dev mypy ^1.8",
            "dev pytest >=8",
            "dev pytest-cov -",
            "dev ruff -",
            "build hatch-vcs -",
            "build hatchling >=1.18",
            "optional click >=8",
            "optional pendulum ^3.0",
            "optional rich -",
            "optional sphinx ==7.2.6",
        ]
    );
    assert_eq!(
        render_local(&m.local),
        ["normal mylib mylib", "normal sibling-lib -"]
    );
}

#[test]
fn uv_workspace_members_resolve_by_normalised_name() {
    let mut all = vec![
        parse("python/pyproject.toml", PYPROJECT),
        parse(
            "libs/sibling/pyproject.toml",
            "[project]\nname = \"Sibling_Lib\"\n",
        ),
    ];
    resolve_workspaces(&mut all);
    assert_eq!(
        render_local(&all[0].local),
        ["normal mylib mylib", "normal sibling-lib libs/sibling"]
    );
}

#[test]
fn pep508_names_and_rest() {
    let cases = [
        ("requests", Some(("requests", None))),
        ("  Django>=4.2 ", Some(("django", Some(">=4.2")))),
        ("zope.interface", Some(("zope-interface", None))),
        ("A__b--C..d", Some(("a-b-c-d", None))),
        (
            "name[extra1,extra2]",
            Some(("name", Some("[extra1,extra2]"))),
        ),
        (
            "name ; os_name == 'nt'",
            Some(("name", Some("; os_name == 'nt'"))),
        ),
        ("name~=1.4.2", Some(("name", Some("~=1.4.2")))),
        ("name!=1.5", Some(("name", Some("!=1.5")))),
        ("", None),
        ("-leading", None),
        ("trailing-", None),
        ("two words", None),
        (">=1.0", None),
    ];
    for (spec, expected) in cases {
        let got = pep508(spec);
        let got = got.as_ref().map(|(n, r)| (n.as_str(), *r));
        assert_eq!(got, expected, "{spec:?}");
    }
}

#[test]
fn pyproject_errors() {
    let e = error(
        "pyproject.toml",
        b"[project]\ndependencies = [\"ok\", \"not ok\"]\n",
    );
    assert!(
        e.starts_with(
            "pyproject.toml: [project] dependencies: \"not ok\" is not a PEP 508 requirement"
        ),
        "{e}"
    );
    let e = error(
        "pyproject.toml",
        b"[project]\ndependencies = \"requests\"\n",
    );
    assert_eq!(
        e,
        "pyproject.toml: [project] dependencies: must be an array of strings, not a string"
    );
    let e = error("pyproject.toml", b"[project]\ndependencies = [3]\n");
    assert!(e.contains("must hold requirement strings"), "{e}");
    let e = error("pyproject.toml", b"[tool.poetry.dependencies]\nflask = 3\n");
    assert!(
        e.starts_with("pyproject.toml: [tool.poetry.dependencies] flask: must be a version string"),
        "{e}"
    );
    let e = error("pyproject.toml", b"[project]\nname = \"x\"\nname = \"y\"\n");
    assert!(
        e.starts_with("pyproject.toml: invalid TOML at line 3:"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------
// go.mod

const GO_MOD: &str = r#"// The server.
module "github.com/acme/server" // quoted, as go mod edit may write it

go 1.22.0

toolchain go1.22.4

require github.com/spf13/cobra v1.8.0

require (
	github.com/acme/shared v0.0.0-00010101000000-000000000000
	golang.org/x/sync v0.7.0
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	`github.com/raw/quoted` v1.0.0 // indirect; kept by go mod tidy
	github.com/not/indirect v2.0.0+incompatible // indirectly useful
)

replace github.com/acme/shared => ../shared

replace (
	golang.org/x/sync v0.7.0 => golang.org/x/sync v0.6.0
	github.com/spf13/cobra => /home/me/cobra
)

exclude golang.org/x/net v0.1.0

retract (
	v1.0.1 // published by mistake
	[v1.1.0, v1.1.5]
)

godebug default=go1.21

tool golang.org/x/tools/cmd/stringer
"#;

#[test]
fn go_mod_every_directive() {
    let m = parse("server/go.mod", GO_MOD);
    assert_eq!(m.ecosystem, Ecosystem::Go);
    assert_eq!(m.go_module(), Some("github.com/acme/server"));
    assert_eq!(
        render_external(&m.external),
        [
            "normal github.com/not/indirect v2.0.0+incompatible",
            "normal github.com/spf13/cobra v1.8.0",
            "normal golang.org/x/sync v0.7.0",
            "indirect github.com/inconshreveable/mousetrap v1.1.0",
            "indirect github.com/raw/quoted v1.0.0",
        ]
    );
    assert_eq!(
        render_local(&m.local),
        ["normal github.com/acme/shared shared"]
    );
    assert_eq!(parse("Cargo.toml", "").go_module(), None);
}

#[test]
fn go_mod_errors() {
    let e = error(
        "go.mod",
        b"module x\n\nrequire (\n\tgolang.org/x/sync v0.7.0\n",
    );
    assert_eq!(
        e,
        "go.mod: line 3: the `require (` block is never closed: add a line with `)`"
    );
    let e = error("go.mod", b"module x\nrequire golang.org/x/sync\n");
    assert!(
        e.starts_with("go.mod: line 2: require needs a module path and a version"),
        "{e}"
    );
    let e = error("go.mod", b"module x\n)\n");
    assert_eq!(e, "go.mod: line 2: `)` closes no block: remove it");
    let e = error("go.mod", b"module \"x\n");
    assert!(
        e.starts_with("go.mod: line 1: a \"-quoted string is never closed"),
        "{e}"
    );
    let e = error("go.mod", b"replace a b\n");
    assert!(
        e.contains("replace needs `old [version] => new [version]`"),
        "{e}"
    );
    let e = error("go.mod", b"module\n");
    assert!(e.contains("module needs exactly one path"), "{e}");
}

// ---------------------------------------------------------------------------------------
// Dispatch

#[test]
fn only_manifest_names_are_manifests() {
    for path in [
        "README.md",
        "cargo.toml",
        "Cargo.lock",
        "package-lock.json",
        "src/package.json.bak",
        "go.sum",
        "setup.py",
    ] {
        assert!(
            parse_manifest(path, b"\xff garbage").unwrap().is_none(),
            "{path}"
        );
        assert!(
            manifest_dependencies(path, b"").unwrap().is_none(),
            "{path}"
        );
    }
    assert!(parse_manifest("deep/dir/go.mod", b"").unwrap().is_some());
}

#[test]
fn output_does_not_depend_on_input_order() {
    let a = "[dependencies]\nb = \"1\"\na = \"2\"\n[dev-dependencies]\nc = \"3\"\n";
    let b = "[dev-dependencies]\nc = \"3\"\n[dependencies]\na = \"2\"\nb = \"1\"\n";
    assert_eq!(
        manifest_dependencies("Cargo.toml", a.as_bytes()).unwrap(),
        manifest_dependencies("Cargo.toml", b.as_bytes()).unwrap()
    );
    let go_a = "module m\nrequire (\n z v1\n a v2\n)\n";
    let go_b = "module m\nrequire a v2\nrequire z v1\n";
    assert_eq!(
        manifest_dependencies("go.mod", go_a.as_bytes()).unwrap(),
        manifest_dependencies("go.mod", go_b.as_bytes()).unwrap()
    );
}

#[test]
fn garbage_never_panics() {
    let inputs: [&[u8]; 6] = [
        b"",
        b"\x00\x01\x02",
        b"[[[[",
        b"{\"dependencies\": {\"a\": {\"b\": []}}}",
        b"require ( ( ( )",
        b"\"\\",
    ];
    for name in ["Cargo.toml", "package.json", "pyproject.toml", "go.mod"] {
        for input in inputs {
            let _ = parse_manifest(name, input);
        }
    }
}
