//! Parity with the `git` CLI's blame on repositories the tests build with `git` itself.

use std::path::Path;

use super::*;
use crate::testutil::Fixture;

#[test]
fn linear_history_matches_git_blame() {
    let mut f = Fixture::new();
    f.write("src/lib.rs", "fn a() {\n    1\n}\n\nfn b() {\n    2\n}\n");
    f.write("README", "hello\n");
    f.commit("Alice", "start");
    f.write(
        "src/lib.rs",
        "fn a() {\n    1\n}\n\nfn c() {\n    3\n}\n\nfn b() {\n    2\n}\n",
    );
    f.commit("Bob", "add c");
    f.write(
        "src/lib.rs",
        "fn a() {\n    10\n}\n\nfn c() {\n    3\n}\n\nfn b() {\n    2\n}",
    );
    f.write("README", "hello\nworld\n");
    f.commit("Carol", "tweak, drop the last newline");
    f.write(
        "src/lib.rs",
        "fn c() {\n    3\n}\n\nfn a() {\n    10\n}\n\nfn b() {\n    2\n}\n",
    );
    f.commit("Alice", "move a below c");
    f.git(&["rm", "-q", "README"]);
    f.write("docs/guide.md", "# Guide\n\n}\n}\n\n}\n");
    f.commit("Bob", "docs, braces");
    f.assert_parity();
}

#[test]
fn merges_and_a_conflict_resolution_match_git_blame() {
    let mut f = Fixture::new();
    f.write("a.txt", "one\ntwo\nthree\nfour\nfive\n");
    f.write("b.txt", "alpha\nbeta\n");
    f.commit("Alice", "base");
    f.git(&["checkout", "-q", "-b", "feature"]);
    f.write("a.txt", "one\nTWO\nthree\nfour\nfive\nsix\n");
    f.write("b.txt", "alpha\nbeta\ngamma\n");
    f.commit("Bob", "feature work");
    f.git(&["checkout", "-q", "main"]);
    f.write("a.txt", "zero\none\ntwo\nthree\nfour\nfive\n");
    f.write("c.txt", "main only\n");
    f.commit("Carol", "main work");
    // A clean merge.
    f.git_env(
        &["merge", "-q", "--no-ff", "-m", "merge feature", "feature"],
        &[
            ("GIT_AUTHOR_DATE", "1700001000 +0000"),
            ("GIT_COMMITTER_DATE", "1700001000 +0000"),
        ],
    );
    // A conflict, resolved by hand with lines from both sides and new ones.
    f.git(&["checkout", "-q", "feature"]);
    f.write("a.txt", "one\nTWO\nthree\nFOUR (feature)\nfive\nsix\n");
    f.commit("Bob", "feature: four");
    f.git(&["checkout", "-q", "main"]);
    f.write("a.txt", "zero\none\nTWO\nthree\nFOUR (main)\nfive\nsix\n");
    f.commit("Carol", "main: four");
    f.git_may_fail(&["merge", "--no-ff", "--no-commit", "feature"]);
    f.write(
        "a.txt",
        "zero\none\nTWO\nthree\nFOUR (feature)\nFOUR (main)\nresolved\nfive\nsix\n",
    );
    f.commit("Dave", "merge feature, resolve four");
    // A merge whose result equals the second parent's file: git passes it all to parent 2.
    f.git(&["checkout", "-q", "-b", "side"]);
    f.write("b.txt", "alpha\nbeta\ngamma\ndelta\n");
    f.commit("Erin", "side");
    f.git(&["checkout", "-q", "main"]);
    f.write("b.txt", "ALPHA\nbeta\ngamma\n");
    f.commit("Alice", "main b");
    f.git_may_fail(&["merge", "--no-ff", "--no-commit", "side"]);
    f.write("b.txt", "alpha\nbeta\ngamma\ndelta\n");
    f.commit("Erin", "take side's b");
    f.assert_parity();
}

#[test]
fn renames_are_followed_as_git_blame_follows_them() {
    let mut f = Fixture::new();
    let body: String = (0..30).map(|i| format!("line {i}\n")).collect();
    f.write("old/name.txt", &body);
    f.write("keep.txt", "keep\n");
    f.commit("Alice", "start");
    std::fs::create_dir(f.dir.join("new")).unwrap();
    f.git(&["mv", "old/name.txt", "new/name.txt"]);
    f.commit("Bob", "pure rename");
    let mut edited = body.replace("line 3\n", "line three\n");
    edited.push_str("appended\n");
    f.write("new/name.txt", &edited);
    f.git(&["mv", "new/name.txt", "new/renamed.txt"]);
    f.commit("Carol", "rename with edits");
    // Rewritten beyond recognition: a new file for git blame too.
    f.git(&["rm", "-q", "keep.txt"]);
    f.write("kept.txt", "entirely\ndifferent\ncontent\n");
    f.commit("Dave", "not a rename");
    f.assert_parity();
}

#[test]
fn a_random_history_with_branches_matches_git_blame() {
    let mut f = Fixture::new();
    let vocab = [
        "}",
        "",
        "{",
        "    return x;",
        "fn f() {",
        "    let y = 1;",
        "// comment",
        "end",
        "x += 1;",
    ];
    let people = ["Alice", "Bob", "Carol"];
    let mut seed: u64 = 42;
    let mut rnd = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let files = ["a.rs", "b.rs", "c/d.rs"];
    let mut contents: Vec<Vec<String>> = files
        .iter()
        .map(|_| (0..8).map(|i| format!("init {i}")).collect())
        .collect();
    let write_all = |f: &Fixture, contents: &[Vec<String>]| {
        for (path, lines) in files.iter().zip(contents) {
            let mut s = lines.join("\n");
            s.push('\n');
            f.write(path, &s);
        }
    };
    write_all(&f, &contents);
    f.commit("Alice", "init");
    let mut branch = 0;
    for step in 0..40 {
        for _ in 0..=rnd(3) {
            let file = rnd(files.len());
            let lines = &mut contents[file];
            match rnd(4) {
                0 => {
                    let at = rnd(lines.len() + 1);
                    for k in 0..=rnd(3) {
                        lines.insert(at.min(lines.len()), vocab[rnd(vocab.len())].to_owned());
                        let _ = k;
                    }
                }
                1 if lines.len() > 2 => {
                    let at = rnd(lines.len());
                    let n = 1 + rnd(2);
                    lines.drain(at..(at + n).min(lines.len()));
                }
                2 if !lines.is_empty() => {
                    let at = rnd(lines.len());
                    lines[at] = format!("changed at {step}");
                }
                _ => {
                    let at = rnd(lines.len() + 1);
                    lines.insert(at, format!("new {step}"));
                }
            }
        }
        write_all(&f, &contents);
        f.commit(people[rnd(people.len())], &format!("step {step}"));
        if step % 10 == 4 {
            branch += 1;
            let name = format!("b{branch}");
            f.git(&["checkout", "-q", "-b", &name]);
            let saved = contents.clone();
            for k in 0..3 {
                let file = rnd(files.len());
                let at = rnd(contents[file].len() + 1);
                contents[file].insert(at, format!("branch {branch} edit {k}"));
                write_all(&f, &contents);
                f.commit(people[rnd(people.len())], &format!("{name} {k}"));
            }
            let theirs = contents.clone();
            f.git(&["checkout", "-q", "main"]);
            contents = saved;
            let file = rnd(files.len());
            contents[file].insert(0, format!("main while {name}"));
            write_all(&f, &contents);
            f.commit("Alice", &format!("main during {name}"));
            f.git_may_fail(&["merge", "--no-ff", "--no-commit", &name]);
            // Resolve: take the branch's version of each file plus main's new first line.
            for (i, lines) in theirs.iter().enumerate() {
                let mut merged = lines.clone();
                if i == file {
                    merged.insert(0, format!("main while {name}"));
                }
                contents[i] = merged;
            }
            write_all(&f, &contents);
            f.commit(people[rnd(people.len())], &format!("merge {name}"));
        }
    }
    f.assert_parity();
}

#[test]
fn incremental_updates_equal_a_fresh_build() {
    let mut f = Fixture::new();
    f.write("f.txt", "a\nb\nc\n");
    f.commit("Alice", "one");
    let mut repo = RepoAttribution::discover(&f.dir).unwrap();
    let first = repo.resolve("HEAD").unwrap();
    repo.state(first, &mut |_, _| {}).unwrap();
    f.write("f.txt", "a\nB\nc\nd\n");
    f.commit("Bob", "two");
    f.write("g.txt", "g\n");
    f.commit("Carol", "three");
    let head = repo.resolve("HEAD").unwrap();
    let mut walked = 0;
    let incremental = repo
        .state(head, &mut |done, todo| walked = walked.max(todo.max(done)))
        .unwrap();
    assert_eq!(walked, 2, "only the two new commits are walked");
    let mut fresh = RepoAttribution::discover(&f.dir).unwrap();
    let full = fresh.state(head, &mut |_, _| {}).unwrap();
    let ids = |r: &RepoAttribution, s: &TreeState| -> BTreeMap<Vec<u8>, Vec<Oid>> {
        s.iter()
            .map(|(p, f)| {
                (
                    p.to_vec(),
                    f.owners.iter().map(|&c| r.index().commit(c).id).collect(),
                )
            })
            .collect()
    };
    assert_eq!(ids(&repo, &incremental), ids(&fresh, &full));
}

#[test]
fn mailmap_and_co_authors_shape_the_totals() {
    let mut f = Fixture::new();
    f.write(
        ".mailmap",
        "Alice Smith <alice@example.com> <old-alice@example.org>\n",
    );
    f.commit("Alice", "mailmap");
    f.write("x.txt", "1\n2\n");
    f.git_env(&["commit", "-q", "--allow-empty", "-m", "old address"], &[]);
    f.git(&["add", "-A"]);
    f.git_env(
        &[
            "commit",
            "-q",
            "-m",
            "from an old address\n\nCo-authored-by: Bob <bob@example.com>",
        ],
        &[
            ("GIT_AUTHOR_NAME", "alice"),
            ("GIT_AUTHOR_EMAIL", "old-alice@example.org"),
        ],
    );
    let mut repo = RepoAttribution::discover(&f.dir).unwrap();
    let head = repo.resolve("HEAD").unwrap();
    let blame = repo.blame(head, b"x.txt").unwrap();
    assert_eq!(blame[0].author.name, "Alice Smith");
    assert_eq!(blame[0].author.email, "alice@example.com");
    let att = repo.attribute(head, &mut |_, _| {}).unwrap();
    assert_eq!(att.total_lines, 3);
    let alice = att
        .authors
        .iter()
        .find(|a| a.person.email == "alice@example.com")
        .unwrap();
    let bob = att
        .authors
        .iter()
        .find(|a| a.person.email == "bob@example.com")
        .unwrap();
    // The .mailmap line is Alice's own; x.txt's two lines are shared with Bob.
    assert_eq!((alice.lines, alice.credit), (3, 2.0));
    assert_eq!((bob.lines, bob.credit), (0, 1.0));
}

#[test]
fn bad_input_gives_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let err = RepoAttribution::discover(tmp.path()).err().unwrap();
    assert!(
        matches!(err, AttributionError::NotARepository { .. }),
        "{err}"
    );

    let f = Fixture::new();
    let repo = RepoAttribution::discover(&f.dir).unwrap();
    let err = repo.resolve("HEAD").unwrap_err();
    assert!(
        matches!(err, AttributionError::EmptyRepository { .. }),
        "{err}"
    );

    let mut f = Fixture::new();
    f.write("bin.dat", "\0\x01\x02\nnot utf8 \u{fffd}\n");
    std::fs::write(f.dir.join("raw.txt"), b"\xff\xfe bad utf-8\nok\n").unwrap();
    f.commit("Alice", "odd files");
    let mut repo = RepoAttribution::discover(&f.dir).unwrap();
    let err = repo.resolve("no-such-branch").unwrap_err();
    assert!(
        matches!(err, AttributionError::UnknownRevision { .. }),
        "{err}"
    );
    let head = repo.resolve("HEAD").unwrap();
    let err = repo.blame(head, b"missing.txt").unwrap_err();
    assert!(
        matches!(err, AttributionError::NotInRevision { .. }),
        "{err}"
    );
    assert_eq!(repo.blame(head, b"raw.txt").unwrap().len(), 2);
    f.assert_parity();
}

#[test]
fn repo_paths_are_relative_to_the_top() {
    let f = Fixture::new();
    f.write("sub/x.txt", "x\n");
    let repo = RepoAttribution::discover(&f.dir.join("sub")).unwrap();
    assert_eq!(
        repo.repo_path(&f.dir.join("sub/x.txt")).unwrap(),
        b"sub/x.txt"
    );
    let outside = repo.repo_path(Path::new("/etc/hostname"));
    assert!(matches!(
        outside,
        Err(AttributionError::OutsideRepository { .. })
    ));
}

#[test]
fn bots_and_vendored_files_are_excluded_and_reported() {
    let mut f = Fixture::new();
    f.write(
        ".gitattributes",
        "vendor/** linguist-vendored\ngen.rs linguist-generated=true\n",
    );
    f.write("vendor/lib.js", "a\nb\nc\n");
    f.write("gen.rs", "x\n");
    f.write("main.rs", "fn main() {}\n");
    f.commit("Alice", "code");
    f.write("deps.lock", "1\n2\n");
    f.git(&["add", "-A"]);
    f.git_env(
        &[
            "commit",
            "-q",
            "-m",
            "bump\n\nCo-authored-by: Alice <alice@example.com>",
        ],
        &[
            ("GIT_AUTHOR_NAME", "dependabot[bot]"),
            (
                "GIT_AUTHOR_EMAIL",
                "49699333+dependabot[bot]@users.noreply.github.com",
            ),
        ],
    );
    let mut repo = RepoAttribution::discover(&f.dir).unwrap();
    let head = repo.resolve("HEAD").unwrap();
    let att = repo.attribute(head, &mut |_, _| {}).unwrap();
    let excluded: Vec<(&str, &str)> = att
        .excluded_files
        .iter()
        .map(|e| (e.path.as_str(), e.reason))
        .collect();
    assert_eq!(
        excluded,
        vec![
            ("gen.rs", "linguist-generated"),
            ("vendor/lib.js", "linguist-vendored")
        ]
    );
    assert_eq!(att.excluded_people.len(), 1);
    assert_eq!(att.excluded_people[0].1, 2);
    // .gitattributes (2 lines) and main.rs (1 line), all Alice's.
    assert_eq!(att.total_lines, 3);
    assert_eq!(att.authors.len(), 1);
    assert_eq!((att.authors[0].lines, att.authors[0].credit), (3, 3.0));
}

#[test]
fn unsaved_text_is_uncommitted_and_credited_to_the_local_user() {
    let mut f = Fixture::new();
    f.write("f.txt", "a\nb\nc\n");
    let first = f.commit("Alice", "one");
    let mut repo = RepoAttribution::discover(&f.dir).unwrap();
    let lines = repo.blame_text(b"f.txt", b"a\nB\nc\nnew\n").unwrap();
    let owners: Vec<(String, &str)> = lines
        .iter()
        .map(|l| (l.commit.to_string(), l.author.email.as_str()))
        .collect();
    let zero = "0".repeat(40);
    assert_eq!(
        owners,
        vec![
            (first.clone(), "alice@example.com"),
            (zero.clone(), "local@example.com"),
            (first, "alice@example.com"),
            (zero, "local@example.com"),
        ]
    );
    let fresh = repo.blame_text(b"new-file.txt", b"x\ny").unwrap();
    assert!(fresh.iter().all(|l| l.commit.is_zero()));
    assert_eq!(fresh.len(), 2);
}

#[test]
fn symbols_get_their_authors_shares() {
    let mut f = Fixture::new();
    f.write(
        "lib.rs",
        "fn alpha() {\n    1\n}\n\nfn beta() {\n    2\n}\n",
    );
    f.commit("Alice", "start");
    f.write(
        "lib.rs",
        "fn alpha() {\n    1\n}\n\nfn beta() {\n    20\n    21\n}\n",
    );
    f.git(&["add", "-A"]);
    f.git_env(
        &[
            "commit",
            "-q",
            "-m",
            "beta\n\nCo-authored-by: Carol <carol@example.com>",
        ],
        &[
            ("GIT_AUTHOR_NAME", "Bob"),
            ("GIT_AUTHOR_EMAIL", "bob@example.com"),
        ],
    );
    let mut repo = RepoAttribution::discover(&f.dir).unwrap();
    let head = repo.resolve("HEAD").unwrap();
    let render = |shares: &[SymbolShare]| -> Vec<String> {
        shares
            .iter()
            .map(|s| {
                let who: Vec<String> = s
                    .authors
                    .iter()
                    .map(|a| format!("{}:{}:{}", a.person.email, a.lines, a.credit))
                    .collect();
                format!(
                    "{} {:?} [{}] u{}",
                    s.symbol.name,
                    s.symbol.lines,
                    who.join(" "),
                    s.uncommitted
                )
            })
            .collect()
    };
    let shares = repo.symbol_shares(head, b"lib.rs", None).unwrap();
    assert_eq!(
        render(&shares),
        vec![
            "alpha 0..3 [alice@example.com:3:3] u0",
            "beta 4..8 [alice@example.com:2:2 bob@example.com:2:1 carol@example.com:0:1] u0",
        ]
    );
    // Unsaved text: the new line is the local user's.
    let text = b"fn alpha() {\n    1\n    unsaved\n}\n\nfn beta() {\n    20\n    21\n}\n";
    let shares = repo.symbol_shares(head, b"lib.rs", Some(text)).unwrap();
    assert_eq!(
        render(&shares)[0],
        "alpha 0..4 [alice@example.com:3:3 local@example.com:1:1] u1"
    );
    // No grammar, no symbols.
    assert!(
        repo.symbol_shares(head, b"notes.txt", Some(b"x\n"))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn the_graph_links_people_commits_files_and_symbols() {
    let mut f = Fixture::new();
    f.write("src/lib.rs", "fn alpha() {\n    1\n}\n");
    f.write("vendor/x.rs", "fn v() {}\n");
    f.write(".gitattributes", "vendor/** linguist-vendored\n");
    let first = f.commit("Alice", "start");
    f.write("src/lib.rs", "fn alpha() {\n    1\n    2\n}\n");
    let second = f.commit("Bob", "grow alpha");
    let mut repo = RepoAttribution::discover(&f.dir).unwrap();
    let head = repo.resolve("HEAD").unwrap();
    let g = repo.graph(head, &mut |_, _| {}).unwrap();
    let edges: Vec<String> = g
        .edges()
        .iter()
        .map(|e| format!("{} -{}({})-> {}", e.from, e.kind.as_str(), e.weight, e.to))
        .collect();
    let c1 = format!("commit:{first}");
    let c2 = format!("commit:{second}");
    let mut expected = vec![
        format!("{c1} -introduced(1)-> file:.gitattributes"),
        format!("{c1} -introduced(3)-> file:src/lib.rs"),
        format!("{c2} -introduced(1)-> file:src/lib.rs"),
        "file:src/lib.rs -contains(4)-> symbol:src/lib.rs#alpha@1".to_owned(),
        format!("person:alice@example.com -authored(1)-> {c1}"),
        "person:alice@example.com -authored(1)-> file:.gitattributes".to_owned(),
        "person:alice@example.com -authored(3)-> file:src/lib.rs".to_owned(),
        "person:alice@example.com -authored(3)-> symbol:src/lib.rs#alpha@1".to_owned(),
        format!("person:bob@example.com -authored(1)-> {c2}"),
        "person:bob@example.com -authored(1)-> file:src/lib.rs".to_owned(),
        "person:bob@example.com -authored(1)-> symbol:src/lib.rs#alpha@1".to_owned(),
    ];
    expected.sort();
    let mut got = edges.clone();
    got.sort();
    assert_eq!(got, expected);
    assert!(
        g.get("file:vendor/x.rs").is_none(),
        "vendored files stay out"
    );
    assert_eq!(
        g.get("symbol:src/lib.rs#alpha@1").unwrap().attrs["symbol_kind"],
        "function"
    );
}

#[test]
fn a_snapshot_restores_the_index_without_walking_history() {
    let mut f = Fixture::new();
    f.write("a.txt", "1\n2\n");
    f.commit("Alice", "one");
    f.write("a.txt", "1\n2\n3\n");
    f.commit("Bob", "two");
    let mut repo = RepoAttribution::discover(&f.dir).unwrap();
    let head = repo.resolve("HEAD").unwrap();
    let before = repo.blame(head, b"a.txt").unwrap();
    let bytes = repo
        .snapshot_if_changed()
        .expect("a new state is worth saving");
    assert!(
        repo.snapshot_if_changed().is_none(),
        "nothing changed since"
    );

    let mut restored = RepoAttribution::discover(&f.dir).unwrap();
    restored.restore(&bytes).unwrap();
    let mut walked = 0;
    restored
        .state(head, &mut |_, total| walked = total)
        .unwrap();
    assert_eq!(walked, 0, "the snapshot answered");
    assert_eq!(restored.blame(head, b"a.txt").unwrap(), before);
    // A new commit walks from the restored state.
    f.write("a.txt", "1\n2\n3\n4\n");
    f.commit("Carol", "three");
    let head = restored.resolve("HEAD").unwrap();
    restored
        .state(head, &mut |_, total| walked = total)
        .unwrap();
    assert_eq!(walked, 1);
    f.assert_parity();

    // Damage and other versions are refused, never half-loaded.
    let mut damaged = bytes.clone();
    damaged.truncate(bytes.len() / 2);
    assert!(
        RepoAttribution::discover(&f.dir)
            .unwrap()
            .restore(&damaged)
            .is_err()
    );
    assert!(
        RepoAttribution::discover(&f.dir)
            .unwrap()
            .restore(b"junk")
            .is_err()
    );
}

#[test]
fn a_changed_mailmap_takes_effect_without_a_rebuild() {
    let mut f = Fixture::new();
    f.write("a.txt", "1\n");
    f.commit("Alice", "one");
    let mut repo = RepoAttribution::discover(&f.dir).unwrap();
    let head = repo.resolve("HEAD").unwrap();
    assert_eq!(repo.blame(head, b"a.txt").unwrap()[0].author.name, "Alice");
    f.write(".mailmap", "Alice Liddell <alice@example.com>\n");
    assert_eq!(
        repo.blame(head, b"a.txt").unwrap()[0].author.name,
        "Alice Liddell"
    );
}

#[test]
fn the_graph_has_dependencies_from_manifests_and_imports() {
    let mut f = Fixture::new();
    f.write(
        "Cargo.toml",
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\n\n[dependencies]\nserde = \"1\"\n",
    );
    f.write(
        "src/lib.rs",
        "mod util;\n\npub fn run() {\n    util::go()\n}\n",
    );
    f.write("src/util.rs", "pub fn go() {}\n");
    f.write(
        "web/package.json",
        "{\"name\": \"web\", \"dependencies\": {\"left-pad\": \"^1.3.0\"}}\n",
    );
    f.write(
        "web/main.js",
        "import { helper } from './helper';\nhelper();\n",
    );
    f.write("web/helper.js", "export function helper() {}\n");
    f.commit("Alice", "deps");
    let mut repo = RepoAttribution::discover(&f.dir).unwrap();
    let head = repo.resolve("HEAD").unwrap();
    let g = repo.graph(head, &mut |_, _| {}).unwrap();
    let deps: Vec<(String, String)> = g
        .edges()
        .iter()
        .filter(|e| e.kind == crate::graph::EdgeKind::DependsOn)
        .map(|e| (e.from.to_owned(), e.to.to_owned()))
        .collect();
    let pair = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    assert_eq!(
        deps,
        vec![
            pair("file:Cargo.toml", "package:cargo:serde"),
            pair("file:src/lib.rs", "file:src/util.rs"),
            pair("file:web/main.js", "file:web/helper.js"),
            pair("file:web/package.json", "package:npm:left-pad"),
        ]
    );
    let closure: Vec<String> = g
        .dependency_closure("file:src/lib.rs")
        .into_iter()
        .collect();
    assert_eq!(closure, ["file:src/lib.rs", "file:src/util.rs"]);
}

#[test]
fn ses_toml_lists_more_bots_and_excluded_paths() {
    let mut f = Fixture::new();
    f.write(
        ".ses.toml",
        "[attribution]\nbots = [\"ci@example.com\"]\nexclude = [\"gen/**\", \"*.min.js\"]\n",
    );
    f.write("gen/api.rs", "generated\n");
    f.write("web/app.min.js", "x\n");
    f.write("src/main.rs", "fn main() {}\n");
    f.commit("Alice", "code");
    f.write("CHANGELOG", "auto\n");
    f.git(&["add", "-A"]);
    f.git_env(
        &["commit", "-q", "-m", "release"],
        &[
            ("GIT_AUTHOR_NAME", "Release Robot"),
            ("GIT_AUTHOR_EMAIL", "ci@example.com"),
        ],
    );
    let mut repo = RepoAttribution::discover(&f.dir).unwrap();
    let head = repo.resolve("HEAD").unwrap();
    let att = repo.attribute(head, &mut |_, _| {}).unwrap();
    let excluded: Vec<(&str, &str)> = att
        .excluded_files
        .iter()
        .map(|e| (e.path.as_str(), e.reason))
        .collect();
    assert_eq!(
        excluded,
        vec![
            ("gen/api.rs", ".ses.toml exclude"),
            ("web/app.min.js", ".ses.toml exclude")
        ]
    );
    assert_eq!(att.excluded_people.len(), 1);
    assert_eq!(att.excluded_people[0].0.email, "ci@example.com");
    assert_eq!(att.authors.len(), 1);
    // .ses.toml (3 lines) and src/main.rs (1 line).
    assert_eq!(att.total_lines, 4);

    f.write(".ses.toml", "[attribution]\nbots = 3\n");
    f.commit("Alice", "break the settings");
    let head = repo.resolve("HEAD").unwrap();
    let err = repo.attribute(head, &mut |_, _| {}).unwrap_err();
    assert!(matches!(err, AttributionError::Config { .. }), "{err}");
    assert!(err.to_string().contains(".ses.toml"), "{err}");
}

#[test]
fn amend_and_rebase_walk_only_what_is_new() {
    let mut f = Fixture::new();
    for i in 0..5 {
        f.write("a.txt", &"x\n".repeat(i + 1));
        f.commit("Alice", &format!("c{i}"));
    }
    let mut repo = RepoAttribution::discover(&f.dir).unwrap();
    let walked = |repo: &mut RepoAttribution| {
        let head = repo.resolve("HEAD").unwrap();
        let mut total = 0;
        repo.state(head, &mut |_, t| total = t).unwrap();
        total
    };
    assert_eq!(walked(&mut repo), 5);
    // Amend: the new commit's parent is the old HEAD's parent.
    f.write("a.txt", "x\nx\nx\nx\namended\n");
    f.git(&["add", "-A"]);
    f.git(&["commit", "-q", "--amend", "-m", "c4 amended"]);
    assert_eq!(walked(&mut repo), 1);
    // Rewrite the last two commits: both are new, their base is known.
    f.git(&["reset", "-q", "--hard", "HEAD~2"]);
    f.write("b.txt", "b\n");
    f.commit("Bob", "b1");
    f.write("b.txt", "b\nb\n");
    f.commit("Bob", "b2");
    assert_eq!(walked(&mut repo), 2);
    // An older revision is answered from a checkpoint.
    let old = repo.resolve("HEAD~3").unwrap();
    let mut total = 0;
    repo.state(old, &mut |_, t| total = t).unwrap();
    assert_eq!(total, 0);
    f.assert_parity();
}

#[test]
fn ignored_revisions_are_looked_through_as_git_blame_does() {
    let mut f = Fixture::new();
    f.write(
        "f.rs",
        "fn main() {\nlet a = 1;\nlet b = 2;\nlet c = 3;\n}\n",
    );
    f.commit("Alice", "base");
    f.write(
        "f.rs",
        "fn main() {\nlet a = 1;\nlet b = 20;\nlet c = 3;\nlet d = 4;\n}\n",
    );
    f.commit("Bob", "bob");
    f.write(
        "f.rs",
        "fn main() {\n    let a = 1;\n    let b = 20;\n    let c = 3;\n    let d = 4;\n    let e = 5;\n    let f =\n        6;\n}\n",
    );
    let reformat = f.commit("Fmt", "reformat");
    f.write(
        ".git-blame-ignore-revs",
        &format!("# formatting\n{reformat}\n"),
    );
    f.write(
        "f.rs",
        "fn main() {\n    let a = 1;\n    let b = 20;\n    let c = 30;\n    let d = 4;\n    let e = 5;\n    let f =\n        6;\n}\n",
    );
    f.commit("Carol", "after");
    f.git(&["config", "blame.ignoreRevsFile", ".git-blame-ignore-revs"]);
    f.assert_parity();
    let mut repo = RepoAttribution::discover(&f.dir).unwrap();
    let head = repo.resolve("HEAD").unwrap();
    let who: Vec<String> = repo
        .blame(head, b"f.rs")
        .unwrap()
        .iter()
        .map(|l| l.author.name.clone())
        .collect();
    assert_eq!(
        who,
        [
            "Alice", "Alice", "Bob", "Carol", "Bob", "Fmt", "Fmt", "Fmt", "Alice"
        ]
    );
}

#[test]
fn reformats_that_split_join_and_move_lines_match_git_blame_when_ignored() {
    let mut f = Fixture::new();
    f.write(
        "src/calc.rs",
        "fn total(items: &[Item], rate: f64) -> f64 { items.iter().map(|i| i.price * rate).sum() }\n\
         fn label(name: &str) -> String { format!(\"item: {name}\") }\n\
         const LIMIT: usize = 10;\n\
         fn check(n: usize) -> bool {\n\
         n < LIMIT\n\
         }\n",
    );
    f.write("README", "Calc\n====\nAdds things up.\n");
    f.commit("Alice", "base");
    f.write(
        "src/calc.rs",
        "fn total(items: &[Item], rate: f64) -> f64 { items.iter().map(|i| i.price * rate * 2.0).sum() }\n\
         fn label(name: &str) -> String { format!(\"item: {name}\") }\n\
         const LIMIT: usize = 12;\n\
         fn check(n: usize) -> bool {\n\
         n < LIMIT && n > 0\n\
         }\n",
    );
    f.commit("Bob", "tweaks");
    // The reformat: long lines split, short ones joined, everything re-indented, a
    // function moved below another, and one line that is new.
    f.write(
        "src/calc.rs",
        "fn label(name: &str) -> String {\n    format!(\"item: {name}\")\n}\n\
         \n\
         fn total(items: &[Item], rate: f64) -> f64 {\n    items\n        .iter()\n        .map(|i| i.price * rate * 2.0)\n        .sum()\n}\n\
         const LIMIT: usize = 12;\n\
         fn check(n: usize) -> bool { n < LIMIT && n > 0 }\n\
         // formatted by fmt\n",
    );
    f.write("README", "# Calc\n\nAdds things up.\n");
    let reformat = f.commit("Fmt", "reformat");
    // A second ignored commit right after the first: git refreshes what it matched.
    f.write(
        "src/calc.rs",
        "fn label(name: &str) -> String {\n    format!(\"item: {name}\")\n}\n\
         \n\
         fn total(items: &[Item], rate: f64) -> f64 {\n    items.iter().map(|i| i.price * rate * 2.0).sum()\n}\n\
         \n\
         const LIMIT: usize = 12;\n\
         \n\
         fn check(n: usize) -> bool {\n    n < LIMIT && n > 0\n}\n\
         // formatted by fmt\n",
    );
    let again = f.commit("Fmt", "reformat again");
    // An ignored merge whose resolution rewrites one line and takes another from the
    // second parent: that line is the second parent's even though it also resembles a
    // line of the first (git passes unchanged lines before it guesses).
    f.git(&["checkout", "-q", "-b", "side"]);
    f.write("README", "# Calc\n\nAdds things up, fast.\n");
    f.commit("Carol", "side: readme");
    f.git(&["checkout", "-q", "main"]);
    f.write("README", "# Calc\n\nAdds things up exactly.\n");
    f.commit("Dave", "main: readme");
    f.git_may_fail(&["merge", "--no-ff", "--no-commit", "side"]);
    f.write("README", "# CALC\n\nAdds things up, fast.\nLicense: MIT\n");
    let merge = f.commit("Erin", "merge side");
    f.write(
        ".git-blame-ignore-revs",
        &format!("{reformat}\n{again}\n{merge}\n"),
    );
    f.commit("Alice", "ignore the formatting");
    f.git(&["config", "blame.ignoreRevsFile", ".git-blame-ignore-revs"]);
    f.assert_parity();
}
