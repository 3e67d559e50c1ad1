use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;

use serde_json::json;

use super::*;
use crate::testutil::Fixture;

/// Everything a user could see: HEAD, `git status` (index and worktree, with modes and
/// ids) and every file under the working tree except `.git`: bytes, mode, link target.
/// Path → (mode bits or 0o120000 for a symlink, bytes or link target).
type Files = BTreeMap<String, (u32, Vec<u8>)>;

fn state(f: &Fixture) -> (String, String, Files) {
    let head = git_try(f, &["symbolic-ref", "-q", "HEAD"])
        .trim()
        .to_owned()
        + " "
        + git_try(f, &["rev-parse", "-q", "--verify", "HEAD"]).trim();
    let status = f.git(&["status", "--porcelain=v2", "--untracked-files=all", "-z"]);
    let mut files = BTreeMap::new();
    walk(&f.dir, &f.dir, &mut files);
    (head, status, files)
}

fn walk(root: &Path, dir: &Path, out: &mut Files) {
    for e in fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        if rel == ".git" {
            continue;
        }
        let m = fs::symlink_metadata(&p).unwrap();
        if m.is_dir() {
            walk(root, &p, out);
        } else if m.file_type().is_symlink() {
            let t = fs::read_link(&p).unwrap();
            out.insert(rel, (0o120000, t.as_os_str().as_bytes().to_vec()));
        } else {
            out.insert(rel, (m.permissions().mode() & 0o111, fs::read(&p).unwrap()));
        }
    }
}

fn git_try(f: &Fixture, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(&f.dir)
        .env("HOME", f.dir.parent().unwrap())
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A repository with a context "review" on a clean `main`, then a messy working state on
/// branch `feature`.
fn messy() -> (Fixture, ContextRepo) {
    let mut f = Fixture::new();
    f.write("a.txt", "one\n");
    f.write("src/b.rs", "fn b() {}\n");
    f.write("gone.txt", "bye\n");
    f.write("old-name.txt", "rename me\n");
    f.write(".gitignore", "*.log\ntarget/\n");
    f.commit("Alice", "start");
    f.write("debug.log", "ignored\n");
    let mut c = ContextRepo::open(&f.dir).unwrap();
    c.capture("review", None).unwrap();
    f.git(&["checkout", "-q", "-b", "feature"]);
    // staged change, then a further unstaged change on the same file
    f.write("a.txt", "one\nstaged\n");
    f.git(&["add", "a.txt"]);
    f.write("a.txt", "one\nstaged\nunstaged\n");
    // unstaged deletion and a staged rename
    fs::remove_file(f.dir.join("gone.txt")).unwrap();
    f.git(&["mv", "old-name.txt", "new-name.txt"]);
    // untracked text, binary, executable, symlink, nested dir
    f.write("notes/todo.md", "- this\n");
    fs::write(f.dir.join("blob.bin"), [0u8, 159, 146, 150, 0, 255]).unwrap();
    f.write("run.sh", "#!/bin/sh\n");
    fs::set_permissions(f.dir.join("run.sh"), fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::symlink("a.txt", f.dir.join("link")).unwrap();
    // a tracked file made executable, unstaged
    fs::set_permissions(f.dir.join("src/b.rs"), fs::Permissions::from_mode(0o755)).unwrap();
    (f, c)
}

#[test]
fn switching_back_and_forth_restores_everything_exactly() {
    let (f, mut c) = messy();
    let mess = state(&f);
    // HEAD moved to `feature` outside SES: the current context follows the branch.
    assert_eq!(c.current_name().unwrap(), "feature");
    let s = c.switch("review", None).unwrap();
    assert_eq!((s.previous.as_str(), s.files > 0), ("feature", true));
    let saved = s.saved.unwrap();
    assert_eq!(
        saved.meta.counts,
        Counts {
            staged: 3,
            unstaged: 3,
            untracked: 4
        }
    );
    let review = state(&f);
    assert!(review.0.starts_with("refs/heads/main "), "{}", review.0);
    assert_eq!(review.1, "", "main is clean");
    // Ignored files are neither saved nor touched.
    assert_eq!(
        fs::read_to_string(f.dir.join("debug.log")).unwrap(),
        "ignored\n"
    );
    c.switch("feature", None).unwrap();
    assert_eq!(state(&f), mess);
    let s = c.switch("review", None).unwrap();
    assert_eq!(state(&f), review);
    // Nothing changed since "feature" was saved: no second, identical version.
    let saved = s.saved.unwrap();
    assert!(saved.unchanged && saved.meta.version == 1);
    c.switch("feature", None).unwrap();
    assert_eq!(state(&f), mess);
    assert!(c.pending().unwrap().is_empty());
    assert_eq!(c.show("feature").unwrap().versions.len(), 1);
}

fn two_contexts() -> (Fixture, ContextRepo) {
    let mut f = Fixture::new();
    f.write("a.txt", "main\n");
    f.commit("Alice", "start");
    let mut c = ContextRepo::open(&f.dir).unwrap();
    c.capture("one", None).unwrap();
    f.git(&["checkout", "-q", "-b", "two"]);
    f.write("a.txt", "two\n");
    f.commit("Bob", "two");
    f.write("wip.txt", "wip on two\n");
    c.capture("two", None).unwrap();
    (f, c)
}

#[test]
fn no_op_unknown_names_and_listing() {
    let (_f, mut c) = two_contexts();
    let s = c.switch("two", None).unwrap();
    assert!(s.noop);
    let err = c.switch("three", None).unwrap_err().to_string();
    assert!(
        err.contains("\"three\"") && err.contains("one, two"),
        "{err}"
    );
    let list = c.list().unwrap();
    assert_eq!(
        list.iter()
            .map(|s| (s.name.as_str(), s.current))
            .collect::<Vec<_>>(),
        [("one", false), ("two", true)]
    );
    let show = c.show("two").unwrap();
    assert_eq!(
        show.files,
        [FileState {
            path: "wip.txt".into(),
            staged: None,
            worktree: Some("untracked")
        }]
    );
    assert!(c.show("nope").is_err());
    assert!(check_name("").is_err() && check_name("a\nb").is_err());
    assert!(check_name("feature/x y.lock").is_ok());
}

#[test]
fn names_round_trip_through_refs() {
    for name in ["feature/x", "a b", ".lock", "..", "ünï", "x-y_z"] {
        assert_eq!(decode_name(&encode_name(name)).as_deref(), Some(name));
        assert!(git2::Reference::is_valid_name(&format!(
            "{CONTEXTS}{}/0000000001",
            encode_name(name)
        )));
    }
}

#[test]
fn refuses_during_a_merge_with_conflicts_and_says_what_to_do() {
    let (f, mut c) = two_contexts();
    fs::remove_file(f.dir.join("wip.txt")).unwrap();
    f.git(&["checkout", "-q", "main"]);
    f.write("a.txt", "main changed\n");
    f.git(&["commit", "-q", "-am", "main changes"]);
    f.git_may_fail(&["merge", "two"]);
    let err = c.switch("two", None).unwrap_err().to_string();
    assert!(err.contains("a merge is in progress"), "{err}");
    assert!(err.contains("git merge --abort"), "{err}");
    f.git(&["merge", "--abort"]);
    // A rebase that stops on a conflict.
    f.git(&["checkout", "-q", "two"]);
    f.git_may_fail(&["rebase", "main"]);
    let err = c.switch("one", None).unwrap_err().to_string();
    assert!(err.contains("rebase"), "{err}");
    f.git(&["rebase", "--abort"]);
    assert!(c.pending().unwrap().is_empty());
}

#[test]
fn an_ignored_file_in_the_way_stops_the_switch_before_anything_changes() {
    let mut f = Fixture::new();
    f.write(".gitignore", "build\n");
    f.write("a.txt", "a\n");
    f.commit("Alice", "start");
    let mut c = ContextRepo::open(&f.dir).unwrap();
    // Context "x" has an untracked file where main will have an ignored one... the other
    // way round: x tracks `build` (force-added), main ignores it.
    f.git(&["checkout", "-q", "-b", "x"]);
    f.write("build", "tracked in x\n");
    f.git(&["add", "-f", "build"]);
    f.git(&["commit", "-q", "-m", "x tracks build"]);
    c.capture("x", None).unwrap();
    f.git(&["checkout", "-q", "main"]);
    f.write("build", "precious ignored output\n");
    c.capture("main", None).unwrap();
    let before = state(&f);
    let err = c.switch("x", None).unwrap_err();
    assert!(matches!(err, ContextError::Conflict { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("build") && msg.contains("Both versions are kept"),
        "{msg}"
    );
    assert_eq!(state(&f), before);
    assert_eq!(c.current_name().unwrap(), "main");
    // Moved away, the switch goes through.
    fs::rename(f.dir.join("build"), f.dir.join("../build.bak")).unwrap();
    c.switch("x", None).unwrap();
    assert_eq!(
        fs::read_to_string(f.dir.join("build")).unwrap(),
        "tracked in x\n"
    );
}

#[test]
fn a_repository_without_commits_works() {
    let f = Fixture::new();
    f.write("first.txt", "not committed yet\n");
    f.git(&["add", "first.txt"]);
    f.write("scratch.txt", "untracked\n");
    let mut c = ContextRepo::open(&f.dir).unwrap();
    let before = state(&f);
    let v = c.capture("start", None).unwrap();
    assert_eq!(v.meta.head.branch.as_deref(), Some("main"));
    assert_eq!(v.meta.head.commit, None);
    assert!(v.meta.repo.roots.is_empty());
    // An empty context on another unborn branch.
    f.git(&["rm", "-q", "--cached", "first.txt"]);
    fs::remove_file(f.dir.join("first.txt")).unwrap();
    fs::remove_file(f.dir.join("scratch.txt")).unwrap();
    f.git(&["symbolic-ref", "HEAD", "refs/heads/empty"]);
    c.capture("empty", None).unwrap();
    let empty = state(&f);
    c.switch("start", None).unwrap();
    assert_eq!(state(&f), before);
    c.switch("empty", None).unwrap();
    assert_eq!(state(&f), empty);
}

#[test]
fn detached_head_is_restored_detached() {
    let (f, mut c) = two_contexts();
    let first = f.git(&["rev-parse", "main"]).trim().to_owned();
    fs::remove_file(f.dir.join("wip.txt")).unwrap();
    f.git(&["checkout", "-q", "--detach", &first]);
    f.write("detached-wip.txt", "x\n");
    c.capture("det", None).unwrap();
    let before = state(&f);
    c.switch("two", None).unwrap();
    assert_eq!(
        fs::read_to_string(f.dir.join("wip.txt")).unwrap(),
        "wip on two\n"
    );
    c.switch("det", None).unwrap();
    assert_eq!(state(&f), before);
    assert!(git_try(&f, &["symbolic-ref", "-q", "HEAD"]).is_empty());
}

#[test]
fn a_branch_deleted_since_capture_is_recreated_and_a_recreated_one_is_left_alone() {
    let (f, mut c) = two_contexts();
    let two_tip = f.git(&["rev-parse", "two"]).trim().to_owned();
    c.switch("one", None).unwrap();
    f.git(&["branch", "-D", "two"]);
    let s = c.switch("two", None).unwrap();
    assert!(
        s.notes.iter().any(|n| n.contains("re-created")),
        "{:?}",
        s.notes
    );
    assert_eq!(f.git(&["rev-parse", "two"]).trim(), two_tip);
    assert_eq!(f.git(&["symbolic-ref", "HEAD"]).trim(), "refs/heads/two");
    assert_eq!(
        fs::read_to_string(f.dir.join("wip.txt")).unwrap(),
        "wip on two\n"
    );

    // Now "two" is deleted and re-created elsewhere while "one" is current.
    c.switch("one", None).unwrap();
    f.git(&["branch", "-D", "two"]);
    f.git(&["branch", "two", "main"]);
    let other = f.git(&["rev-parse", "two"]).trim().to_owned();
    let s = c.switch("two", None).unwrap();
    assert!(
        s.notes.iter().any(|n| n.contains("detached")),
        "{:?}",
        s.notes
    );
    // The new branch is not moved; the work is restored where it was made.
    assert_eq!(f.git(&["rev-parse", "two"]).trim(), other);
    assert_eq!(f.git(&["rev-parse", "HEAD"]).trim(), two_tip);
    assert_eq!(
        fs::read_to_string(f.dir.join("wip.txt")).unwrap(),
        "wip on two\n"
    );
    assert_eq!(fs::read_to_string(f.dir.join("a.txt")).unwrap(), "two\n");
}

#[test]
fn submodules_are_left_untouched_and_reported() {
    let mut f = Fixture::new();
    let sub = Fixture::new();
    sub.write("s.txt", "sub\n");
    sub.git(&["add", "s.txt"]);
    sub.git(&["commit", "-q", "-m", "sub"]);
    f.write("a.txt", "a\n");
    f.commit("Alice", "start");
    f.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        sub.dir.to_str().unwrap(),
        "sub",
    ]);
    f.commit("Alice", "add sub");
    f.write("sub/dirty.txt", "inside the submodule\n");
    let mut c = ContextRepo::open(&f.dir).unwrap();
    let v = c.capture("main", None).unwrap();
    assert_eq!(
        v.meta.untouched,
        [Untouched {
            path: "sub".into(),
            why: "submodule".into()
        }]
    );
    f.git(&["checkout", "-q", "-b", "other"]);
    f.write("a.txt", "other\n");
    c.capture("other", None).unwrap();
    let s = c.switch("main", None).unwrap();
    assert!(s.untouched.iter().any(|u| u.path == "sub"));
    assert_eq!(
        fs::read_to_string(f.dir.join("sub/dirty.txt")).unwrap(),
        "inside the submodule\n"
    );
}

#[test]
fn history_keeps_twenty_versions_and_the_newest_explicit_one() {
    let (f, mut c) = two_contexts();
    c.capture("two", None).unwrap();
    // Automatic saves (as switches make) beyond the limit never push out the explicit one.
    for i in 0..25 {
        f.write("wip.txt", &format!("{i}\n"));
        c.save("two", None, true, "switch").unwrap();
    }
    let versions = c.versions_of("two").unwrap();
    assert_eq!(versions.len(), KEEP_VERSIONS + 1);
    assert_eq!(versions.iter().filter(|v| !v.automatic).count(), 1);
    assert_eq!(versions.last().unwrap().version, 27);
    let shown = c.show("two").unwrap();
    assert_eq!(shown.versions[0].meta.version, 27);
}

#[test]
fn an_automatic_save_keeps_the_richer_editor_state() {
    let (f, mut c) = two_contexts();
    let editor = json!({"documents": [{"uri": format!("file://{}/a.txt", f.dir.display()), "focused": true}]});
    c.capture("two", Some(editor.clone())).unwrap();
    f.write("more.txt", "work after the capture\n");
    let away = c.switch("one", None).unwrap().saved.unwrap();
    assert!(!away.unchanged && away.meta.version == 3);
    let s = c.switch("two", None).unwrap();
    // The switch away saved "two" again without an editor state: the captured one stays.
    assert_eq!(s.editor, editor);
    let latest = &c.show("two").unwrap().versions[0];
    assert!(latest.meta.automatic && latest.meta.editor_from == Some(2));
    // Back and forth with nothing changed: the newest version stands for the save.
    let again = c.switch("one", None).unwrap().saved.unwrap();
    assert!(again.unchanged && again.meta.version == 3);
    assert_eq!(c.show("two").unwrap().versions.len(), 3);
    // A different editor state is a change.
    let moved = json!({"documents": [{"uri": format!("file://{}/more.txt", f.dir.display())}]});
    c.switch("two", None).unwrap();
    let s = c.switch("one", Some(moved)).unwrap().saved.unwrap();
    assert!(!s.unchanged && s.meta.version == 4);
}

#[test]
fn switch_returns_documents_by_interest_focused_last() {
    let (f, mut c) = two_contexts();
    let wd = c.workdir().to_owned();
    let uri = |p: &str| format!("file://{}/{p}", wd.display());
    for _ in 0..3 {
        c.record_interest(&uri("hot.rs"), InterestKind::Edit)
            .unwrap();
    }
    // A relative path works as well as a URI; two looks outweigh the decay that the
    // editor state's own documents cause below.
    c.record_interest("warm.rs", InterestKind::Select).unwrap();
    c.record_interest("warm.rs", InterestKind::Select).unwrap();
    let editor = json!({"documents": [
        {"uri": uri("cold.rs"), "tab": 0},
        {"uri": uri("focus.rs"), "tab": 1, "focused": true},
        {"uri": uri("warm.rs"), "tab": 2},
        {"uri": uri("hot.rs"), "tab": 3},
    ]});
    c.switch("one", Some(editor)).unwrap();
    let s = c.switch("two", None).unwrap();
    let order: Vec<String> = s.editor["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            d["uri"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(order, ["hot.rs", "warm.rs", "cold.rs", "focus.rs"]);
    let _ = f;
}

/// Does what a switch does up to half of the writes, as if killed there; with `legacy`,
/// the journal is a commit under refs/ses/recover/ as earlier builds wrote it.
fn interrupt_a_switch(f: &Fixture, c: &mut ContextRepo, legacy: bool) -> (String, String, Files) {
    f.write("new-in-two.bin", "\u{0}binary\u{0}");
    fs::remove_file(f.dir.join("a.txt")).unwrap();
    let before = state(f);
    let one = c.load("one", c.latest("one").unwrap()).unwrap();
    let target = c.target(&one).unwrap();
    let (saved, snap) = c.save("two", None, true, "switch").unwrap();
    let mut journal = Pending {
        id: now_ms().to_string(),
        journal: String::new(),
        from: "two".into(),
        to: "one".into(),
        started_ms: now_ms(),
        saved: saved.commit.to_string(),
        saved_version: saved.meta.version,
        target: one.commit.to_string(),
        target_version: one.meta.version,
    };
    if legacy {
        let json = serde_json::to_string_pretty(&journal).unwrap();
        let tree = c
            .repo
            .find_tree(c.repo.treebuilder(None).unwrap().write().unwrap())
            .unwrap();
        let sig = git2::Signature::now("ses", "ses@localhost").unwrap();
        let parents = [
            c.repo.find_commit(saved.commit).unwrap(),
            c.repo.find_commit(one.commit).unwrap(),
        ];
        let commit = c
            .repo
            .commit(
                None,
                &sig,
                &sig,
                &format!("ses switch\n{json}\n"),
                &tree,
                &parents.iter().collect::<Vec<_>>(),
            )
            .unwrap();
        c.repo
            .reference(&format!("{RECOVER}{}", journal.id), commit, false, "test")
            .unwrap();
    } else {
        c.write_journal(&mut journal).unwrap();
    }
    let mut plan = restore::plan(&c.repo, snap.worktree_tree, target.worktree).unwrap();
    plan.writes.truncate(plan.writes.len() / 2);
    restore::apply(&c.repo, &c.workdir, &plan).unwrap();
    assert_ne!(state(f), before);
    before
}

#[test]
fn an_interrupted_switch_is_recovered() {
    for legacy in [false, true] {
        let (f, mut c) = two_contexts();
        let before = interrupt_a_switch(&f, &mut c, legacy);
        // Switching and deleting either side are refused until the work is put back.
        let err = c.switch("one", None).unwrap_err().to_string();
        assert!(err.contains("ses context recover --restore"), "{err}");
        let err = c.delete("two").unwrap_err().to_string();
        assert!(err.contains("ses context recover --restore"), "{err}");
        // Captures go on, but never prune the versions the journal names.
        for _ in 0..KEEP_VERSIONS + 3 {
            c.capture("two", None).unwrap();
        }
        let pending = c.pending().unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(
            (pending[0].from.as_str(), pending[0].to.as_str()),
            ("two", "one")
        );
        let saved = Oid::from_str(&pending[0].saved).unwrap();
        assert!(
            c.versions_of("two")
                .unwrap()
                .iter()
                .any(|v| v.commit == saved)
        );
        // Put the half-switched state back as it was before the captures.
        let r = c.recover(&pending[0].id).unwrap();
        assert_eq!(r.name, "two");
        assert_eq!(state(&f), before, "legacy: {legacy}");
        assert!(c.pending().unwrap().is_empty());
        assert!(c.recover(&pending[0].id).is_err());
        c.switch("one", None).unwrap();
        c.switch("two", None).unwrap();
        assert_eq!(state(&f), before);
    }
}

#[test]
fn a_journal_torn_by_a_kill_reads_as_its_first_line() {
    let (f, mut c) = two_contexts();
    interrupt_a_switch(&f, &mut c, false);
    let path = c.journal_path();
    let line = fs::read_to_string(&path).unwrap();
    // A longer old text's tail after the new line, as a kill between the write and the
    // truncation leaves it.
    fs::write(&path, format!("{line}{}", "x".repeat(300))).unwrap();
    assert_eq!(c.pending().unwrap().len(), 1);
    fs::write(&path, "{not json\n").unwrap();
    let err = c.pending().unwrap_err().to_string();
    assert!(
        err.contains("journal does not parse") && err.contains("refs/ses/contexts"),
        "{err}"
    );
}

#[test]
fn deleting_forgets_versions_but_not_the_working_tree() {
    let (f, mut c) = two_contexts();
    let before = state(&f);
    assert_eq!(c.delete("two").unwrap(), 1);
    assert_eq!(state(&f), before);
    assert!(c.delete("two").is_err());
    assert_eq!(
        c.list()
            .unwrap()
            .iter()
            .map(|s| s.name.clone())
            .collect::<Vec<_>>(),
        ["one"]
    );
}

/// The working tree as git itself sees it, reading every file (no stat data to trust):
/// the index's tree read into a scratch index, `git add -A`, `git write-tree`. No libgit2.
fn git_worktree_tree(f: &Fixture) -> String {
    let tmp = f.dir.parent().unwrap().join("reference-index");
    let _ = fs::remove_file(&tmp);
    let env = [("GIT_INDEX_FILE", tmp.to_str().unwrap())];
    let index_tree = f.git(&["write-tree"]);
    f.git_env(&["read-tree", index_tree.trim()], &env);
    f.git_env(&["add", "-A"], &env);
    f.git_env(&["write-tree"], &env).trim().to_owned()
}

/// A small deterministic generator (xorshift), so a failing round can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn the_scan_sees_the_working_tree_as_git_does() {
    let mut f = Fixture::new();
    for d in ["a", "a/deep", "b", "c"] {
        for i in 0..4 {
            f.write(&format!("{d}/f{i}.txt"), &format!("{d} {i}\n"));
        }
    }
    f.write("top.txt", "top\n");
    f.write(".gitignore", "*.log\ntarget/\n!keep.log\n");
    f.commit("Alice", "start");
    let mut c = ContextRepo::open(&f.dir).unwrap();
    let mut rng = Rng(0x5e5_c0de);
    let files = |f: &Fixture| -> Vec<String> {
        let mut out = Vec::new();
        let mut all = BTreeMap::new();
        walk(&f.dir, &f.dir, &mut all);
        for (p, (mode, _)) in all {
            if mode != 0o120000 {
                out.push(p);
            }
        }
        out
    };
    for round in 0..120 {
        let existing = files(&f);
        let pick = |rng: &mut Rng| existing[rng.below(existing.len())].clone();
        match rng.below(12) {
            0 | 1 => {
                let p = pick(&mut rng);
                let old = fs::read(f.dir.join(&p)).unwrap();
                // Same size, new bytes: only the stat data can tell.
                let mut new = old.clone();
                if let Some(b) = new.first_mut() {
                    *b = if *b == b'x' { b'y' } else { b'x' };
                }
                fs::write(f.dir.join(&p), new).unwrap();
            }
            2 => {
                let p = pick(&mut rng);
                fs::OpenOptions::new()
                    .append(true)
                    .open(f.dir.join(&p))
                    .unwrap()
                    .write_all(b"more\n")
                    .unwrap();
            }
            3 => {
                let _ = fs::remove_file(f.dir.join(pick(&mut rng)));
            }
            4 => f.write(&format!("new{round}/x/{round}.txt"), "untracked\n"),
            5 => f.write(&format!("{}.log", round), "ignored\n"),
            6 => f.write(&format!("target/t{round}.o"), "ignored dir\n"),
            7 => {
                let p = f.dir.join(pick(&mut rng));
                let m = fs::metadata(&p).unwrap().permissions().mode();
                fs::set_permissions(&p, fs::Permissions::from_mode(m ^ 0o111)).unwrap();
            }
            8 => {
                let _ = std::os::unix::fs::symlink(pick(&mut rng), f.dir.join(format!("l{round}")));
            }
            9 => {
                // A file becomes a directory, or a directory a file.
                let p = pick(&mut rng);
                fs::remove_file(f.dir.join(&p)).unwrap();
                f.write(&format!("{p}/inside.txt"), "was a file\n");
            }
            10 => {
                let p = pick(&mut rng);
                f.git(&["add", "-A", "--", &p]);
                if rng.below(3) == 0 {
                    f.commit("Bob", &format!("round {round}"));
                }
            }
            _ => f.write("keep.log", &format!("kept {round}\n")),
        }
        if round == 60 {
            // A tracked directory replaced by a symlink to another: git does not follow it.
            fs::remove_dir_all(f.dir.join("c")).unwrap();
            std::os::unix::fs::symlink("b", f.dir.join("c")).unwrap();
        }
        let snap = snapshot::take(&c.repo, &mut c.memo).unwrap();
        let want = git_worktree_tree(&f);
        if snap.worktree_tree.to_string() != want {
            let diff = f.git(&[
                "diff-tree",
                "-r",
                "--name-only",
                &snap.worktree_tree.to_string(),
                &want,
            ]);
            for p in diff.lines() {
                eprintln!(
                    "{p}: on disk {} ours {:?} git {}",
                    f.git(&["hash-object", "--", p]).trim(),
                    c.repo
                        .find_tree(snap.worktree_tree)
                        .unwrap()
                        .get_path(Path::new(p))
                        .map(|e| e.id()),
                    f.git(&["rev-parse", &format!("{want}:{p}")]).trim()
                );
                eprintln!("{}", f.git(&["ls-files", "--debug", "--", p]));
                eprintln!(
                    "{:?}",
                    fs::symlink_metadata(f.dir.join(p)).map(|m| memo::Stat::of(&m))
                );
            }
            eprintln!(
                "index {:?}",
                memo::Stat::of(&fs::metadata(f.dir.join(".git/index")).unwrap())
            );
            eprintln!("git again: {}", git_worktree_tree(&f));
            panic!("round {round}");
        }
        assert_eq!(
            snap.index_tree.to_string(),
            f.git(&["write-tree"]).trim(),
            "round {round}"
        );
        if round % 5 == 0 {
            // Changed again at once, same size: the cache must not vouch for it.
            let p = pick(&mut rng);
            if let Ok(old) = fs::read(f.dir.join(&p)) {
                let mut new = old.clone();
                if let Some(b) = new.last_mut() {
                    *b ^= 1;
                }
                fs::write(f.dir.join(&p), new).unwrap();
                let snap = snapshot::take(&c.repo, &mut c.memo).unwrap();
                assert_eq!(
                    snap.worktree_tree.to_string(),
                    git_worktree_tree(&f),
                    "round {round}, again"
                );
            }
        }
        if round % 40 == 39 {
            // Let the cache's readings settle, then change a file and put its mtime back.
            std::thread::sleep(std::time::Duration::from_millis(60));
            snapshot::take(&c.repo, &mut c.memo).unwrap();
            let p = pick(&mut rng);
            if let Ok(m) = fs::metadata(f.dir.join(&p)) {
                let old = fs::read(f.dir.join(&p)).unwrap();
                let mut new = old.clone();
                if let Some(b) = new.first_mut() {
                    *b ^= 2;
                }
                let file = fs::OpenOptions::new()
                    .write(true)
                    .open(f.dir.join(&p))
                    .unwrap();
                (&file).write_all(&new).unwrap();
                file.set_modified(m.modified().unwrap()).unwrap();
                drop(file);
                let snap = snapshot::take(&c.repo, &mut c.memo).unwrap();
                assert_eq!(
                    snap.worktree_tree.to_string(),
                    git_worktree_tree(&f),
                    "round {round}, mtime put back"
                );
            }
        }
    }
}

/// Changes right after a reading, same size, so the stat data is all that tells. On
/// kernels with coarse file timestamps (before 6.13's multigrain ones) many land within
/// the reading's tick, where only the cache's settling rule and git's racy-index rule
/// (unit-tested below on their own) catch them.
#[test]
fn changes_right_after_a_reading_are_never_missed() {
    let mut f = Fixture::new();
    f.write("t.txt", "0000\n");
    f.commit("Alice", "start");
    let mut c = ContextRepo::open(&f.dir).unwrap();
    let blob_at = |c: &ContextRepo, tree: Oid, path: &str| {
        c.repo
            .find_tree(tree)
            .unwrap()
            .get_path(Path::new(path))
            .unwrap()
            .id()
    };
    let mut missed = 0;
    for i in 0..120 {
        // An untracked and a tracked file, rewritten at once after each reading.
        let text = format!("{:04}\n", i % 10_000);
        fs::write(f.dir.join("u.txt"), &text).unwrap();
        fs::write(f.dir.join("t.txt"), &text).unwrap();
        let snap = snapshot::take(&c.repo, &mut c.memo).unwrap();
        let want = Oid::hash_object(ObjectType::Blob, text.as_bytes()).unwrap();
        missed += usize::from(blob_at(&c, snap.worktree_tree, "u.txt") != want);
        missed += usize::from(blob_at(&c, snap.worktree_tree, "t.txt") != want);
        if i % 12 == 0 {
            // The index written with the file's stat data, then the file changed at once.
            f.git(&["add", "t.txt"]);
            let text = format!("{:04}\n", 9999 - i);
            fs::write(f.dir.join("t.txt"), &text).unwrap();
            let snap = snapshot::take(&c.repo, &mut c.memo).unwrap();
            let want = Oid::hash_object(ObjectType::Blob, text.as_bytes()).unwrap();
            missed += usize::from(blob_at(&c, snap.worktree_tree, "t.txt") != want);
        }
    }
    assert_eq!(missed, 0);
}

#[test]
fn index_entries_changed_when_the_index_was_written_prove_nothing() {
    let f = Fixture::new();
    f.write("a.txt", "a\n");
    f.git(&["add", "a.txt"]);
    let repo = Repository::open(&f.dir).unwrap();
    let mut e = repo
        .index()
        .unwrap()
        .get_path(Path::new("a.txt"), 0)
        .unwrap();
    let empty = Oid::hash_object(ObjectType::Blob, b"").unwrap();
    let at = (
        i64::from(e.mtime.seconds()),
        i64::from(e.mtime.nanoseconds()),
    );
    assert!(memo::entry_trusted(&e, (at.0 + 1, 0), empty));
    // Changed in the index's own timestamp, or after it: racy.
    assert!(!memo::entry_trusted(&e, at, empty));
    assert!(!memo::entry_trusted(&e, (at.0 - 1, 0), empty));
    // Smudged by git (size zeroed), unless the blob really is empty.
    e.file_size = 0;
    assert!(!memo::entry_trusted(&e, (at.0 + 1, 0), empty));
    e.id = empty;
    assert!(memo::entry_trusted(&e, (at.0 + 1, 0), empty));
}

#[test]
fn the_stat_cache_vouches_only_for_settled_unchanged_files() {
    let stat = |ctime_s: i64, size: u64| memo::Stat {
        mtime: (ctime_s, 0),
        ctime: (ctime_s, 0),
        ino: 7,
        mode: 0o100644,
        uid: 1,
        gid: 1,
        size,
    };
    let oid = Oid::hash_object(ObjectType::Blob, b"x").unwrap();
    let mut cache = memo::Memo::default();
    let now = 1_000 * 1_000_000_000i128;
    // Read within the settling time of its last change: not trusted.
    cache.record(b"fresh", stat(1_000, 1), oid, now);
    assert_eq!(cache.get(b"fresh", &stat(1_000, 1)), None);
    // Read a second after it: trusted while nothing in the stat data changes.
    cache.record(b"old", stat(999, 1), oid, now);
    assert_eq!(cache.get(b"old", &stat(999, 1)), Some(oid));
    assert_eq!(cache.get(b"old", &stat(999, 2)), None);
    assert_eq!(cache.get(b"old", &stat(1_001, 1)), None);
    assert_eq!(cache.get(b"other", &stat(999, 1)), None);
}

#[test]
fn the_stat_cache_forgets_files_no_longer_read() {
    let mut f = Fixture::new();
    f.write("a.txt", "a\n");
    f.commit("Alice", "start");
    let mut c = ContextRepo::open(&f.dir).unwrap();
    for i in 0..50 {
        f.write(&format!("tmp{i}.txt"), "untracked\n");
    }
    snapshot::take(&c.repo, &mut c.memo).unwrap();
    assert_eq!(c.memo.len(), 50);
    for i in 0..50 {
        fs::remove_file(f.dir.join(format!("tmp{i}.txt"))).unwrap();
    }
    f.write("one.txt", "x\n");
    snapshot::take(&c.repo, &mut c.memo).unwrap();
    assert_eq!(c.memo.len(), 1);
}
