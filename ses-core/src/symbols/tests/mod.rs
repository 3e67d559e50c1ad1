//! Tests of the symbol extraction: one module per language with a realistic fixture and
//! its exact symbols, and here what holds for every language (limits, errors, robustness).

mod c;
mod cpp;
mod go;
mod java;
mod javascript;
mod python;
mod rust;
mod typescript;

use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::{
    Language, MAX_NESTING, MAX_SOURCE_BYTES, Options, Symbol, SymbolError, SymbolKind, query,
    symbols, symbols_with,
};

/// Every fixture, for the tests that hold across languages.
const FIXTURES: [(Language, &str); 9] = [
    (Language::Rust, rust::SOURCE),
    (Language::Python, python::SOURCE),
    (Language::JavaScript, javascript::SOURCE),
    (Language::TypeScript, typescript::SOURCE),
    (Language::Tsx, typescript::TSX_SOURCE),
    (Language::Go, go::SOURCE),
    (Language::C, c::SOURCE),
    (Language::Cpp, cpp::SOURCE),
    (Language::Java, java::SOURCE),
];

/// One line per symbol: `lines @name_line kind name [in container]`, lines 0-based.
fn render(symbols: &[Symbol]) -> String {
    let mut out = String::new();
    for s in symbols {
        write!(
            out,
            "{}..{} @{} {} {}",
            s.lines.start, s.lines.end, s.name_line, s.kind, s.name
        )
        .expect("writing to a String cannot fail");
        if let Some(container) = &s.container {
            write!(out, " in {container}").expect("writing to a String cannot fail");
        }
        out.push('\n');
    }
    out
}

/// The symbols of `source`, rendered, after checking the invariants every result keeps.
fn extract(language: Language, source: &[u8]) -> String {
    let found = symbols(language, source).unwrap_or_else(|e| panic!("{language}: {e}"));
    check_invariants(&found);
    render(&found)
}

fn check_invariants(found: &[Symbol]) {
    for s in found {
        assert!(
            s.lines.start <= s.name_line && s.name_line < s.lines.end,
            "name line outside the symbol: {s:?}"
        );
        assert!(!s.name.is_empty(), "empty name: {s:?}");
    }
    for pair in found.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert_ne!(a, b, "duplicate symbol");
        let key = |s: &Symbol| {
            (
                s.lines.start,
                std::cmp::Reverse(s.lines.end),
                s.name.clone(),
            )
        };
        assert!(key(a) <= key(b), "out of order: {a:?} before {b:?}");
    }
}

/// Compares line by line, so a failure names the first differing symbol.
#[track_caller]
fn assert_symbols(actual: &str, expected: &str) {
    let expected = expected.trim_start_matches('\n');
    if actual != expected {
        let first_diff = actual
            .lines()
            .zip(expected.lines())
            .position(|(a, e)| a != e)
            .unwrap_or_else(|| actual.lines().count().min(expected.lines().count()));
        panic!(
            "symbols differ from line {} of the expected list\n--- actual\n{actual}--- expected\n{expected}",
            first_diff + 1
        );
    }
}

#[test]
fn every_query_compiles_with_known_captures() {
    for language in Language::ALL {
        let query = query::get(language).unwrap_or_else(|e| panic!("{e}"));
        assert!(query.query.pattern_count() > 0, "{language}");
    }
}

#[test]
fn language_all_matches_index() {
    for (i, language) in Language::ALL.into_iter().enumerate() {
        assert_eq!(language.index(), i, "{language}");
    }
}

#[test]
fn kind_names_round_trip() {
    for kind in SymbolKind::ALL {
        assert_eq!(SymbolKind::parse(kind.as_str()), Some(kind));
    }
    assert_eq!(SymbolKind::parse("funktion"), None);
}

#[test]
fn from_path_by_extension() {
    let cases = [
        ("src/lib.rs", Some(Language::Rust)),
        ("a.py", Some(Language::Python)),
        ("stubs/a.pyi", Some(Language::Python)),
        ("a.js", Some(Language::JavaScript)),
        ("a.mjs", Some(Language::JavaScript)),
        ("a.cjs", Some(Language::JavaScript)),
        ("App.jsx", Some(Language::JavaScript)),
        ("a.ts", Some(Language::TypeScript)),
        ("types.d.ts", Some(Language::TypeScript)),
        ("a.mts", Some(Language::TypeScript)),
        ("a.cts", Some(Language::TypeScript)),
        ("App.tsx", Some(Language::Tsx)),
        ("main.go", Some(Language::Go)),
        ("a.c", Some(Language::C)),
        ("a.h", Some(Language::C)),
        ("a.cc", Some(Language::Cpp)),
        ("a.cpp", Some(Language::Cpp)),
        ("a.cxx", Some(Language::Cpp)),
        ("a.hpp", Some(Language::Cpp)),
        ("a.hh", Some(Language::Cpp)),
        ("a.hxx", Some(Language::Cpp)),
        ("a.C", Some(Language::Cpp)),
        ("Main.java", Some(Language::Java)),
        ("LOUD.RS", Some(Language::Rust)),
        ("a.txt", None),
        ("Makefile", None),
        (".rs", None),
        ("a.rs.orig", None),
        ("", None),
    ];
    for (path, language) in cases {
        assert_eq!(Language::from_path(Path::new(path)), language, "{path}");
    }
}

#[test]
fn empty_and_blank_sources_have_no_symbols() {
    for language in Language::ALL {
        assert_eq!(symbols(language, b"").expect("empty source"), vec![]);
        assert_eq!(
            symbols(language, b"\n\n  \n").expect("blank source"),
            vec![]
        );
    }
}

#[test]
fn invalid_utf8_is_tolerated_and_names_are_decoded_lossily() {
    // Stray bytes in a comment and a string shift nothing; a name node holding one (here a
    // module specifier) comes out with U+FFFD in its place.
    let python = b"# caf\xe9 \xff\ndef f():\n    return '\xff\xfe'\n\nclass B:\n    pass\n";
    assert_symbols(
        &extract(Language::Python, python),
        "
0..3 @1 function f
4..6 @4 class B
",
    );
    let typescript = b"declare module \"caf\xe9\" {\n  export const x = 1;\n}\n";
    assert_symbols(
        &extract(Language::TypeScript, typescript),
        "
0..3 @0 module \"caf\u{fffd}\"
",
    );
}

#[test]
fn sources_over_the_limit_are_refused_before_parsing() {
    let options = Options::default();
    let at_limit = b"fn a() {}\nfn b(){}";
    let options = Options {
        max_bytes: at_limit.len(),
        ..options
    };
    assert_eq!(
        symbols_with(Language::Rust, at_limit, &options)
            .expect("a source at the limit is accepted")
            .len(),
        2
    );
    let over = b"fn a() {}\nfn b(){} ";
    match symbols_with(Language::Rust, over, &options) {
        Err(SymbolError::TooLarge {
            size: 19,
            limit: 18,
        }) => {}
        other => panic!("expected TooLarge, got {other:?}"),
    }

    // 50 MB with the default limit: refused at once, without a tree.
    let huge = vec![b'x'; 50 * 1024 * 1024];
    let err = symbols(Language::C, &huge).expect_err("over MAX_SOURCE_BYTES");
    assert!(matches!(
        err,
        SymbolError::TooLarge { size, limit: MAX_SOURCE_BYTES } if size == huge.len()
    ));
    assert!(
        err.to_string()
            .contains("52428800 bytes, over the 4194304-byte limit")
    );
}

#[test]
fn timeout_stops_extraction() {
    let source = rust::SOURCE.repeat(20);
    let options = Options {
        timeout: Duration::ZERO,
        ..Options::default()
    };
    match symbols_with(Language::Rust, source.as_bytes(), &options) {
        Err(SymbolError::TimedOut {
            language: Language::Rust,
            timeout: Duration::ZERO,
        }) => {}
        other => panic!("expected TimedOut, got {other:?}"),
    }
}

#[test]
fn cancel_flag_stops_extraction() {
    let source = javascript::SOURCE.repeat(20);
    let cancel = AtomicBool::new(true);
    let options = Options {
        cancel: Some(&cancel),
        ..Options::default()
    };
    match symbols_with(Language::JavaScript, source.as_bytes(), &options) {
        Err(SymbolError::Cancelled {
            language: Language::JavaScript,
        }) => {}
        other => panic!("expected Cancelled, got {other:?}"),
    }
    // The same source, not cancelled, has symbols: the flag is what stopped it.
    let cancel = AtomicBool::new(false);
    let options = Options {
        cancel: Some(&cancel),
        ..Options::default()
    };
    assert!(
        !symbols_with(Language::JavaScript, source.as_bytes(), &options)
            .expect("not cancelled")
            .is_empty()
    );
}

#[test]
fn long_runs_of_unparsed_tokens_are_refused() {
    // Each of 20 000 `(` is an anonymous child of one ERROR node; querying that tree would
    // take seconds (and hours for a megabyte).
    let source = "(".repeat(20_000);
    match symbols(Language::JavaScript, source.as_bytes()) {
        Err(SymbolError::Garbled {
            language: Language::JavaScript,
        }) => {}
        other => panic!("expected Garbled, got {other:?}"),
    }
    // A few hundred are ordinary error recovery, and the symbols around them survive.
    let source = format!(
        "function a() {{}}\n{}\nfunction b() {{}}\n",
        "(".repeat(300)
    );
    let found = symbols(Language::JavaScript, source.as_bytes()).expect("short run");
    assert_eq!(found.first().map(|s| s.name.as_str()), Some("a"));
}

#[test]
fn nesting_is_searched_down_to_max_nesting() {
    // Function k (from 0) sits at tree depth 2k + 1 (function, body, function, ...), so
    // exactly those with 2k + 1 <= MAX_NESTING are found. One per line: on one line they
    // would be identical symbols, reported once.
    let depth = 3000;
    let source = format!("{}{}", "function f() {\n".repeat(depth), "}".repeat(depth));
    let found = symbols(Language::JavaScript, source.as_bytes()).expect("deep nesting");
    let expected = usize::try_from(MAX_NESTING / 2).expect("fits");
    assert_eq!(found.len(), expected);
    assert_eq!(found[0].container, None);
    assert_eq!(found[1].container.as_deref(), Some("f"));
}

#[test]
fn every_prefix_of_every_fixture_parses_without_panicking() {
    // Truncation is the commonest broken source: a file being typed or half-saved.
    for (language, source) in FIXTURES {
        let bytes = source.as_bytes();
        for end in (0..bytes.len()).step_by(11) {
            let found = symbols(language, &bytes[..end])
                .unwrap_or_else(|e| panic!("{language} prefix of {end} bytes: {e}"));
            check_invariants(&found);
        }
    }
}

#[test]
fn arbitrary_bytes_do_not_panic() {
    // A fixed pseudo-random stream (xorshift), biased towards syntax characters.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let alphabet = b"(){}[]<>;:,.=+-*/&|!?'\"`#@\\\n\t abcxyz019\xff\xc3\x00";
    let bytes: Vec<u8> = (0..20_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            alphabet[usize::try_from(state % alphabet.len() as u64).expect("fits")]
        })
        .collect();
    for language in Language::ALL {
        match symbols(language, &bytes) {
            Ok(found) => check_invariants(&found),
            Err(SymbolError::Garbled { .. } | SymbolError::TimedOut { .. }) => {}
            Err(e) => panic!("{language}: {e}"),
        }
    }
}

#[test]
fn fixtures_are_deterministic() {
    for (language, source) in FIXTURES {
        assert_eq!(
            symbols(language, source.as_bytes()).expect("fixture"),
            symbols(language, source.as_bytes()).expect("fixture"),
            "{language}"
        );
    }
}
