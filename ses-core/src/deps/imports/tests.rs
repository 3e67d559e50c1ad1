//! Tests of import resolution: for each language a small repository in memory (paths and
//! the sources of the files under test) with the exact files each source imports; then
//! what holds for every language: bad bytes, syntax errors, limits.

use super::*;
use crate::deps::parse_manifest;

fn repo(paths: &[&str]) -> BTreeSet<String> {
    paths.iter().map(|p| (*p).to_owned()).collect()
}

/// The imports of `source` as `path`, after checking what every result must satisfy.
fn imports(ctx: &ImportContext<'_>, path: &str, source: &str) -> Vec<String> {
    let found =
        try_file_imports(path, source.as_bytes(), ctx).unwrap_or_else(|e| panic!("{path}: {e}"));
    check(ctx, path, &found);
    found
}

fn check(ctx: &ImportContext<'_>, path: &str, found: &[String]) {
    assert!(found.is_sorted(), "{path}: not sorted: {found:?}");
    let unique: BTreeSet<&String> = found.iter().collect();
    assert_eq!(unique.len(), found.len(), "{path}: duplicates: {found:?}");
    for f in found {
        assert!(
            ctx.files().contains(f),
            "{path}: {f} is not in the repository"
        );
        assert_ne!(f, path, "{path} imports itself");
    }
}

// ---------------------------------------------------------------------------------------
// Rust

const RUST_FILES: [&str; 19] = [
    "Cargo.toml",
    "build.rs",
    "build/helpers.rs",
    "src/lib.rs",
    "src/main.rs",
    "src/config.rs",
    "src/net/mod.rs",
    "src/net/tcp.rs",
    "src/net/udp.rs",
    "src/util.rs",
    "src/util/strings.rs",
    "src/util/inner/leaf.rs",
    "src/other.rs",
    "src/inline/deep.rs",
    "src/platform/unix_impl.rs",
    "src/bin/tool.rs",
    "src/bin/args.rs",
    "tests/it.rs",
    "tests/common/mod.rs",
];

const RUST_LIB: &str = r#"//! The crate.
pub mod config;
pub mod net;
mod util;

/// Platform code.
#[cfg(unix)]
#[path = "platform/unix_impl.rs"]
mod platform;

mod missing; // no such file: ignored

mod inline {
    mod deep;
}

#[cfg(test)]
mod tests {
    use super::*;
}

use crate::config::Config;
use crate::net::{tcp::Stream, udp};
use std::collections::HashMap;
use serde::Serialize;
pub use util::strings::*;

pub struct Error;
"#;

#[test]
fn rust_mod_declarations_and_use_paths() {
    let files = repo(&RUST_FILES);
    let ctx = ImportContext::new(&files);
    assert_eq!(
        imports(&ctx, "src/lib.rs", RUST_LIB),
        [
            "src/config.rs",
            "src/inline/deep.rs",
            "src/net/mod.rs",
            "src/net/tcp.rs",
            "src/net/udp.rs",
            "src/platform/unix_impl.rs",
            "src/util.rs",
            "src/util/strings.rs",
        ]
    );

    // mod.rs owns its directory; self, super and crate paths.
    let net = "pub mod tcp;\npub mod udp;\nuse super::config::Config;\nuse self::tcp::Stream;\nuse crate::Error;\n";
    assert_eq!(
        imports(&ctx, "src/net/mod.rs", net),
        [
            "src/config.rs",
            "src/lib.rs",
            "src/net/tcp.rs",
            "src/net/udp.rs"
        ]
    );

    // A non-mod-rs file owns `util/`, also inside inline modules; `#[path]` outside
    // inline modules is relative to the file's own directory.
    let util = "mod strings;\n#[path = \"other.rs\"]\nmod weird;\nmod inner {\n    mod leaf;\n}\nuse super::config;\n";
    assert_eq!(
        imports(&ctx, "src/util.rs", util),
        [
            "src/config.rs",
            "src/other.rs",
            "src/util/inner/leaf.rs",
            "src/util/strings.rs"
        ]
    );

    // `super::super` above the crate root, and a `$crate`/`::` path: nothing.
    let leaf =
        "use super::super::super::super::x;\nuse ::std::fmt;\nuse super::super::strings::f;\n";
    assert_eq!(
        imports(&ctx, "src/util/inner/leaf.rs", leaf),
        ["src/util/strings.rs"]
    );

    // main.rs next to lib.rs is its own crate root.
    let main = "mod config;\nuse crate::net::tcp;\n";
    assert_eq!(
        imports(&ctx, "src/main.rs", main),
        ["src/config.rs", "src/net/tcp.rs"]
    );
}

#[test]
fn rust_crate_roots_by_location() {
    let files = repo(&RUST_FILES);
    let ctx = ImportContext::new(&files);
    // Files in src/bin, tests and build.rs own their directory: `mod args;` is a sibling.
    let tool = "mod args;\nuse crate::args::Parsed;\nuse mylib::net;\n";
    assert_eq!(imports(&ctx, "src/bin/tool.rs", tool), ["src/bin/args.rs"]);
    let it = "mod common;\nuse common::setup;\n";
    assert_eq!(imports(&ctx, "tests/it.rs", it), ["tests/common/mod.rs"]);
    let build = "#[path = \"build/helpers.rs\"]\nmod helpers;\nfn main() {}\n";
    assert_eq!(imports(&ctx, "build.rs", build), ["build/helpers.rs"]);

    // Without a Cargo.toml, tests/ is an ordinary module directory.
    let files = repo(&[
        "src/lib.rs",
        "src/tests.rs",
        "src/tests/unit.rs",
        "src/tests/unit/more.rs",
    ]);
    let ctx = ImportContext::new(&files);
    assert_eq!(
        imports(&ctx, "src/tests/unit.rs", "mod more;"),
        ["src/tests/unit/more.rs"]
    );
}

#[test]
fn rust_recovers_from_syntax_errors() {
    let files = repo(&RUST_FILES);
    let ctx = ImportContext::new(&files);
    let broken = "mod config;\nfn broken( {\n  let x = ;\n}\nmod net;\nuse crate::util::{;\n";
    let found = imports(&ctx, "src/lib.rs", broken);
    assert!(found.contains(&"src/config.rs".to_owned()), "{found:?}");
}

// ---------------------------------------------------------------------------------------
// Python

const PYTHON_FILES: [&str; 13] = [
    "pyproject.toml",
    "conftest.py",
    "src/app/__init__.py",
    "src/app/main.py",
    "src/app/models.py",
    "src/app/utils/__init__.py",
    "src/app/utils/text.py",
    "src/app/utils/io.py",
    "src/app/db/__init__.py",
    "src/app/db/session.pyi",
    "scripts/run.py",
    "scripts/helper.py",
    "tests/test_models.py",
];

const PYTHON_MAIN: &str = r#"
"""The entry point."""
import os, sys
import app.models
from app.utils import text, missing_name
from . import models as m
from .utils.io import read
from .. import nothing
from .db import session
import numpy as np
from app.utils import *
from __future__ import annotations

try:
    import app.nope
except ImportError:
    pass

def connect():
    from app.db import engine
    return engine
"#;

#[test]
fn python_absolute_relative_and_nested_imports() {
    let files = repo(&PYTHON_FILES);
    let ctx = ImportContext::new(&files);
    assert_eq!(
        imports(&ctx, "src/app/main.py", PYTHON_MAIN),
        [
            "src/app/db/__init__.py",
            "src/app/db/session.pyi",
            "src/app/models.py",
            "src/app/utils/__init__.py",
            "src/app/utils/io.py",
            "src/app/utils/text.py",
        ]
    );
    // A script outside any package: its own directory first, then the root, then src/.
    let run = "import helper\nfrom app import models\nimport conftest\n";
    assert_eq!(
        imports(&ctx, "scripts/run.py", run),
        ["conftest.py", "scripts/helper.py", "src/app/models.py"]
    );
    let test = "from app.models import User\nimport app.utils.text as t\n";
    assert_eq!(
        imports(&ctx, "tests/test_models.py", test),
        ["src/app/models.py", "src/app/utils/text.py"]
    );
    // `from . import x` inside a package's __init__.
    let init = "from . import text\nfrom .io import *\nfrom . import helper_in_init\n";
    assert_eq!(
        imports(&ctx, "src/app/utils/__init__.py", init),
        ["src/app/utils/io.py", "src/app/utils/text.py"]
    );
}

#[test]
fn python_recovers_from_syntax_errors() {
    let files = repo(&PYTHON_FILES);
    let ctx = ImportContext::new(&files);
    let broken = "import app.models\ndef f(:\n    return (\nfrom app.utils import\nclass\n";
    let found = imports(&ctx, "src/app/main.py", broken);
    assert!(found.contains(&"src/app/models.py".to_owned()), "{found:?}");
}

// ---------------------------------------------------------------------------------------
// JavaScript, TypeScript, TSX

const ECMASCRIPT_FILES: [&str; 13] = [
    "package.json",
    "src/index.ts",
    "src/app.tsx",
    "src/components/Button.tsx",
    "src/components/index.ts",
    "src/lib/math.ts",
    "src/lib/legacy.js",
    "src/lib/data.json",
    "src/types.d.ts",
    "src/util/format.ts",
    "web/main.js",
    "web/helpers.mjs",
    "web/styles.css",
];

const TYPESCRIPT_INDEX: &str = r#"
import { App } from './app';
import Button, { type Props } from "./components";
export * from './lib/math.js';
export { legacy } from './lib/legacy';
import data from './lib/data.json';
import type { T } from './types';
import fmt = require('./util/format');
import React from 'react';
import missing from './missing';
import abs from '/src/lib/math';
const lazy = () => import('./components/Button');
export const x: Props = { n: 1 as number };
"#;

#[test]
fn typescript_specifiers() {
    let files = repo(&ECMASCRIPT_FILES);
    let ctx = ImportContext::new(&files);
    assert_eq!(
        imports(&ctx, "src/index.ts", TYPESCRIPT_INDEX),
        [
            "src/app.tsx",
            "src/components/Button.tsx",
            "src/components/index.ts",
            "src/lib/data.json",
            "src/lib/legacy.js",
            "src/lib/math.ts",
            "src/types.d.ts",
            "src/util/format.ts",
        ]
    );
}

#[test]
fn tsx_and_javascript_specifiers() {
    let files = repo(&ECMASCRIPT_FILES);
    let ctx = ImportContext::new(&files);
    let app = "import { Button } from './components/Button';\nimport * as lib from '../src/lib/math?worker';\nexport default () => <Button label={`x`} />;\n";
    assert_eq!(
        imports(&ctx, "src/app.tsx", app),
        ["src/components/Button.tsx", "src/lib/math.ts"]
    );
    let main = r#"
const h = require('./helpers.mjs');
const css = require("./styles.css");
const shared = require('../src/lib/legacy');
const dynamic = require(name);
import('./dyn' + x);
const notRequire = load('./helpers.mjs');
import { Button } from '../src/components';
"#;
    assert_eq!(
        imports(&ctx, "web/main.js", main),
        [
            "src/components/index.ts",
            "src/lib/legacy.js",
            "web/helpers.mjs",
            "web/styles.css"
        ]
    );
}

#[test]
fn ecmascript_recovers_from_syntax_errors() {
    let files = repo(&ECMASCRIPT_FILES);
    let ctx = ImportContext::new(&files);
    let broken =
        "import { App } from './app';\nfunction (( {\nconst = ;\nimport x from './lib/legacy'\n";
    let found = imports(&ctx, "src/index.ts", broken);
    assert!(found.contains(&"src/app.tsx".to_owned()), "{found:?}");
    // An unterminated string names nothing.
    assert_eq!(
        imports(&ctx, "web/main.js", "require('./helpers.mjs"),
        Vec::<String>::new()
    );
}

// ---------------------------------------------------------------------------------------
// Go

const GO_FILES: [&str; 11] = [
    "go.mod",
    "cmd/shop/main.go",
    "internal/cart/cart.go",
    "internal/cart/total.go",
    "internal/cart/cart_test.go",
    "internal/cart/_scratch.go",
    "internal/cart/README.md",
    "internal/cart/testdata/fixture.go",
    "pkg/money/money.go",
    "tools/go.mod",
    "tools/gen/gen.go",
];

const GO_MAIN: &str = r#"package main

import (
	"fmt"

	"example.com/shop/internal/cart"
	m `example.com/shop/pkg/money`
	_ "example.com/tools/gen"
	"example.com/shopping/other"
	"example.com/shop/missing"
)

func main() { fmt.Println(cart.Total(), m.Zero) }
"#;

#[test]
fn go_packages_of_registered_modules() {
    let files = repo(&GO_FILES);
    let mut ctx = ImportContext::new(&files);
    // Nothing resolves before the modules are known.
    assert_eq!(
        imports(&ctx, "cmd/shop/main.go", GO_MAIN),
        Vec::<String>::new()
    );

    let manifests = [
        parse_manifest("go.mod", b"module example.com/shop\n\ngo 1.22\n"),
        parse_manifest("tools/go.mod", b"module example.com/tools\n"),
    ]
    .map(|m| m.unwrap().unwrap());
    ctx.add_manifests(&manifests);
    assert_eq!(
        ctx.go_modules(),
        [
            ("".to_owned(), "example.com/shop".to_owned()),
            ("tools".to_owned(), "example.com/tools".to_owned())
        ]
    );
    assert_eq!(
        imports(&ctx, "cmd/shop/main.go", GO_MAIN),
        [
            "internal/cart/cart.go",
            "internal/cart/total.go",
            "pkg/money/money.go",
            "tools/gen/gen.go",
        ]
    );
    // An external test package imports the package it sits in, not itself.
    let test = "package cart_test\n\nimport \"example.com/shop/internal/cart\"\n";
    assert_eq!(
        imports(&ctx, "internal/cart/cart_test.go", test),
        ["internal/cart/cart.go", "internal/cart/total.go"]
    );
}

#[test]
fn go_nested_module_wins_over_its_parent() {
    let files = repo(&["go.mod", "a.go", "sub/go.mod", "sub/x/x.go", "x/x.go"]);
    let mut ctx = ImportContext::new(&files);
    ctx.add_go_module("", "example.com/m");
    ctx.add_go_module("sub/", "example.com/m/sub");
    // Registering twice changes nothing.
    ctx.add_go_module("", "example.com/m");
    assert_eq!(ctx.go_modules().len(), 2);
    let source = "package a\nimport \"example.com/m/sub/x\"\nimport \"example.com/m/x\"\n";
    assert_eq!(imports(&ctx, "a.go", source), ["sub/x/x.go", "x/x.go"]);
    let broken = "package a\nimport (\n\t\"example.com/m/x\"\nfunc {{{\n";
    let found = imports(&ctx, "a.go", broken);
    assert!(found.contains(&"x/x.go".to_owned()), "{found:?}");
}

// ---------------------------------------------------------------------------------------
// C, C++

const C_FILES: [&str; 8] = [
    "include/mylib/api.h",
    "src/api.c",
    "src/internal.h",
    "src/util/strings.h",
    "lib/vendor/z.h",
    "app/main.cpp",
    "app/config.hpp",
    "app/sub/deep.c",
];

const C_API: &str = r#"
#include <stdio.h>
#include "mylib/api.h"
#include "internal.h"
#include "util/strings.h"
#include "missing.h"
#ifdef _WIN32
#  include "../lib/vendor/z.h"
#endif
#define X 1
int api(void) { return X; }
"#;

#[test]
fn c_and_cpp_quoted_includes() {
    let files = repo(&C_FILES);
    let ctx = ImportContext::new(&files);
    assert_eq!(
        imports(&ctx, "src/api.c", C_API),
        [
            "include/mylib/api.h",
            "lib/vendor/z.h",
            "src/internal.h",
            "src/util/strings.h"
        ]
    );
    let main = "#include \"config.hpp\"\n#include \"mylib/api.h\"\n#include \"internal.h\"\n#include <vector>\nnamespace app { class A {}; }\n";
    assert_eq!(
        imports(&ctx, "app/main.cpp", main),
        ["app/config.hpp", "include/mylib/api.h", "src/internal.h"]
    );
    // Walking up: app/sub → app → root.
    let deep = "#include \"config.hpp\"\n#include \"../../src/internal.h\"\n";
    assert_eq!(
        imports(&ctx, "app/sub/deep.c", deep),
        ["app/config.hpp", "src/internal.h"]
    );
    let broken = "#include \"internal.h\"\nint f( {{ ;\n#include \"util/strings.h\n";
    let found = imports(&ctx, "src/api.c", broken);
    assert!(found.contains(&"src/internal.h".to_owned()), "{found:?}");
}

// ---------------------------------------------------------------------------------------
// Java

const JAVA_FILES: [&str; 9] = [
    "core/src/main/java/com/acme/core/Model.java",
    "core/src/main/java/com/acme/core/Repo.java",
    "core/src/main/java/com/acme/core/Outer.java",
    "core/src/main/java/com/acme/core/util/Strings.java",
    "core/src/main/java/com/acme/core/util/Numbers.java",
    "core/src/test/java/com/acme/core/RepoTest.java",
    "app/src/main/java/com/acme/app/Main.java",
    "app/src/main/java/com/acme/core/Model.java",
    "legacy/src/com/acme/core/Repo.java",
];

const JAVA_MAIN: &str = r#"
package com.acme.app;

import java.util.List;
import com.acme.core.Model;
import com.acme.core.util.*;
import static com.acme.core.Outer.Inner.CONSTANT;
import com.acme.core.Outer.Inner;
import static com.acme.core.util.Strings.*;
import com.acme.missing.Thing;

public class Main {
    public static void main(String[] args) {}
}
"#;

#[test]
fn java_imports_by_path_suffix() {
    let files = repo(&JAVA_FILES);
    let ctx = ImportContext::new(&files);
    assert_eq!(
        imports(&ctx, "app/src/main/java/com/acme/app/Main.java", JAVA_MAIN),
        [
            // The app module's own Model wins over core's.
            "app/src/main/java/com/acme/core/Model.java",
            "core/src/main/java/com/acme/core/Outer.java",
            "core/src/main/java/com/acme/core/util/Numbers.java",
            "core/src/main/java/com/acme/core/util/Strings.java",
        ]
    );
    // Two candidates outside the own source root: the one sharing more of the path.
    let test = "package com.acme.core;\nimport com.acme.core.Repo;\nclass RepoTest {}\n";
    assert_eq!(
        imports(&ctx, "core/src/test/java/com/acme/core/RepoTest.java", test),
        ["core/src/main/java/com/acme/core/Repo.java"]
    );
    // No package line, equally distant candidates: both.
    let loose = "import com.acme.core.Repo;\nclass X {}\n";
    assert_eq!(
        imports(&ctx, "X.java", loose),
        [
            "core/src/main/java/com/acme/core/Repo.java",
            "legacy/src/com/acme/core/Repo.java"
        ]
    );
    let broken = "package com.acme.app;\nimport com.acme.core.Outer;\nclass { void (( }\nimport com.acme.core.util.*\n";
    let found = imports(&ctx, "app/src/main/java/com/acme/app/Main.java", broken);
    assert!(
        found.contains(&"core/src/main/java/com/acme/core/Outer.java".to_owned()),
        "{found:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Every language

/// A file per language with an import that resolves, for the cross-language tests.
const SAMPLES: [(&str, &str); 9] = [
    ("src/lib.rs", "mod a;"),
    ("m.py", "import a"),
    ("m.js", "import './a.js';"),
    ("m.ts", "import './a.js';"),
    ("m.tsx", "import './a.js';"),
    ("m.go", "package m\nimport \"example.com/m/a\""),
    ("m.c", "#include \"a.h\""),
    ("m.cc", "#include \"a.h\""),
    ("m/M.java", "import a.A;"),
];

fn sample_repo() -> BTreeSet<String> {
    let mut files = repo(&["src/a.rs", "a.py", "a.js", "a/a.go", "a.h", "a/A.java"]);
    files.extend(SAMPLES.iter().map(|(p, _)| (*p).to_owned()));
    files
}

#[test]
fn every_language_query_compiles() {
    for language in Language::ALL {
        if let Err(e) = compiled(language) {
            panic!("{language}: {e}");
        }
    }
}

#[test]
fn every_language_resolves_its_sample() {
    let files = sample_repo();
    let mut ctx = ImportContext::new(&files);
    ctx.add_go_module("", "example.com/m");
    for (path, source) in SAMPLES {
        let language = Language::from_path(Path::new(path));
        assert!(language.is_some(), "{path}");
        assert_eq!(imports(&ctx, path, source).len(), 1, "{path}");
    }
}

#[test]
fn bad_bytes_never_panic() {
    let files = sample_repo();
    let mut ctx = ImportContext::new(&files);
    ctx.add_go_module("", "example.com/m");
    let mut garbage: Vec<u8> = (0..=255u8).cycle().take(20_000).collect();
    garbage.extend_from_slice(b"\xff\xfe mod \xc3( import \"\xe2\x82\" #include \"");
    for (path, source) in SAMPLES {
        // Invalid UTF-8 around a valid import: the import is still found.
        let mut bytes = b"\xff\xfe\n".to_vec();
        bytes.extend_from_slice(source.as_bytes());
        bytes.extend_from_slice(b"\n\xc3\x28 \x80\n");
        let found = file_imports(path, &bytes, &ctx);
        check(&ctx, path, &found);

        let found = file_imports(path, &garbage, &ctx);
        check(&ctx, path, &found);
        // Cut anywhere, even inside a multi-byte character.
        for cut in 0..source.len() {
            let found = file_imports(path, &source.as_bytes()[..cut], &ctx);
            check(&ctx, path, &found);
        }
    }
}

#[test]
fn non_source_files_import_nothing() {
    let files = sample_repo();
    let ctx = ImportContext::new(&files);
    for path in ["README.md", "Makefile", "a.h.orig", "noext"] {
        assert_eq!(
            try_file_imports(path, b"import a", &ctx).unwrap(),
            Vec::<String>::new()
        );
    }
}

#[test]
fn oversized_sources_are_refused() {
    let files = sample_repo();
    let ctx = ImportContext::new(&files);
    let mut big = b"import a\n".to_vec();
    big.resize(MAX_SOURCE_BYTES + 1, b'#');
    let err = try_file_imports("m.py", &big, &ctx).unwrap_err();
    assert!(matches!(err, DepsError::TooLarge { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("m.py is 4194305 bytes, over the 4194304-byte limit"),
        "{err}"
    );
    assert_eq!(file_imports("m.py", &big, &ctx), Vec::<String>::new());
    // At the limit it is scanned.
    big.truncate(MAX_SOURCE_BYTES);
    assert_eq!(file_imports("m.py", &big, &ctx), ["a.py"]);
}

#[test]
fn a_file_never_imports_itself() {
    let files = repo(&["pkg/__init__.py", "a.h", "x.js"]);
    let ctx = ImportContext::new(&files);
    assert_eq!(
        imports(&ctx, "pkg/__init__.py", "from . import nothing\n"),
        Vec::<String>::new()
    );
    assert_eq!(
        imports(&ctx, "a.h", "#include \"a.h\"\n"),
        Vec::<String>::new()
    );
    assert_eq!(
        imports(&ctx, "x.js", "require('./x')"),
        Vec::<String>::new()
    );
}

#[test]
fn ecmascript_candidate_order() {
    assert_eq!(
        ecmascript_candidates("src/a.ts", "./b.js")[..3],
        ["src/b.js", "src/b.js.ts", "src/b.js.tsx"]
    );
    let candidates = ecmascript_candidates("src/a.ts", "./b.js");
    let swap = candidates.iter().position(|c| c == "src/b.ts");
    let index = candidates.iter().position(|c| c == "src/b.js/index.ts");
    assert!(swap < index && swap.is_some(), "{candidates:?}");
    assert!(ecmascript_candidates("a.js", "lodash").is_empty());
    assert!(ecmascript_candidates("a.js", "../../up").is_empty());
    assert_eq!(ecmascript_candidates("d/a.js", "..")[0], "");
    assert!(ecmascript_candidates("d/a.js", "..").contains(&"index.js".to_owned()));
}

#[test]
fn garbled_sources_are_refused_before_querying() {
    let files = sample_repo();
    let mut ctx = ImportContext::new(&files);
    ctx.add_go_module("", "example.com/m");
    for (path, source) in SAMPLES {
        // 20 000 unparsable tokens in a row would cost the query engine 200 million steps.
        let mut garbled = source.as_bytes().to_vec();
        garbled.push(b'\n');
        garbled.extend_from_slice(&b"(".repeat(20_000));
        let err = try_file_imports(path, &garbled, &ctx).unwrap_err();
        assert!(matches!(err, DepsError::Garbled { .. }), "{path}: {err}");
        assert_eq!(file_imports(path, &garbled, &ctx), Vec::<String>::new());
        // A few hundred are ordinary error recovery.
        let mut damaged = source.as_bytes().to_vec();
        damaged.extend_from_slice(&b"\n(".repeat(300));
        assert_eq!(
            imports(&ctx, path, std::str::from_utf8(&damaged).unwrap()).len(),
            1,
            "{path}"
        );
    }
}

#[test]
fn the_timeout_covers_resolution() {
    let files = sample_repo();
    let ctx = ImportContext::new(&files);
    let err = imports_within("m.py", b"import a\n", &ctx, Duration::ZERO).unwrap_err();
    assert!(matches!(err, DepsError::TimedOut { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("scanning m.py for imports took longer than 0ns"),
        "{err}"
    );
    assert_eq!(
        imports_within("m.py", b"import a\n", &ctx, IMPORT_TIMEOUT).unwrap(),
        ["a.py"]
    );
}
