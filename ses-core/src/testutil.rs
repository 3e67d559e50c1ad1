//! Test fixtures shared by modules: repositories built with the `git` CLI.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use crate::attribution::RepoAttribution;

/// A scratch repository driven by the `git` CLI, with fixed dates so runs repeat.
pub struct Fixture {
    _tmp: tempfile::TempDir,
    pub dir: PathBuf,
    tick: u64,
}

impl Fixture {
    pub fn new() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("repo");
        std::fs::create_dir(&dir).unwrap();
        let f = Fixture {
            _tmp: tmp,
            dir,
            tick: 0,
        };
        f.git(&["init", "-q", "-b", "main"]);
        f.git(&["config", "user.name", "Local User"]);
        f.git(&["config", "user.email", "local@example.com"]);
        f.git(&["config", "commit.gpgsign", "false"]);
        f
    }

    pub fn git(&self, args: &[&str]) -> String {
        self.git_env(args, &[])
    }

    pub fn git_env(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(&self.dir)
            .envs(env.iter().copied())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", self.dir.parent().unwrap())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Like `git`, but a failure is fine (a merge that stops on conflicts).
    pub fn git_may_fail(&self, args: &[&str]) {
        let _ = Command::new("git")
            .args(args)
            .current_dir(&self.dir)
            .env("HOME", self.dir.parent().unwrap())
            .output()
            .unwrap();
    }

    pub fn write(&self, path: &str, content: &str) {
        let p = self.dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    pub fn commit(&mut self, who: &str, msg: &str) -> String {
        self.tick += 1;
        let date = format!("{} +0000", 1_700_000_000 + self.tick * 60);
        let email = format!("{}@example.com", who.to_lowercase());
        self.git(&["add", "-A"]);
        self.git_env(
            &["commit", "-q", "--allow-empty", "-m", msg],
            &[
                ("GIT_AUTHOR_NAME", who),
                ("GIT_AUTHOR_EMAIL", &email),
                ("GIT_AUTHOR_DATE", &date),
                ("GIT_COMMITTER_NAME", who),
                ("GIT_COMMITTER_EMAIL", &email),
                ("GIT_COMMITTER_DATE", &date),
            ],
        );
        self.git(&["rev-parse", "HEAD"]).trim().to_owned()
    }

    /// `git blame --line-porcelain` of every file at HEAD: path → commit per line.
    pub fn git_blame_all(&self) -> BTreeMap<String, Vec<String>> {
        let files = self.git(&["ls-tree", "-r", "--name-only", "-z", "HEAD"]);
        let mut out = BTreeMap::new();
        for path in files.split('\0').filter(|p| !p.is_empty()) {
            let porcelain = self.git(&["blame", "--line-porcelain", "HEAD", "--", path]);
            let commits = porcelain
                .lines()
                .filter(|l| l.len() > 40 && l.as_bytes()[40] == b' ')
                .filter(|l| l[..40].bytes().all(|b| b.is_ascii_hexdigit()))
                .map(|l| l[..40].to_owned())
                .collect();
            out.insert(path.to_owned(), commits);
        }
        out
    }

    pub fn our_blame_all(&self) -> BTreeMap<String, Vec<String>> {
        let mut repo = RepoAttribution::discover(&self.dir).unwrap();
        let head = repo.resolve("HEAD").unwrap();
        let state = repo.state(head, &mut |_, _| {}).unwrap();
        state
            .iter()
            .map(|(path, file)| {
                let commits = file
                    .owners
                    .iter()
                    .map(|&c| repo.index().commit(c).id.to_string())
                    .collect();
                (String::from_utf8_lossy(path).into_owned(), commits)
            })
            .collect()
    }

    pub fn assert_parity(&self) {
        let theirs = self.git_blame_all();
        let ours = self.our_blame_all();
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            theirs.keys().collect::<Vec<_>>(),
            "file sets differ"
        );
        for (path, lines) in &theirs {
            let mine = &ours[path];
            assert_eq!(mine.len(), lines.len(), "{path}: line count");
            for (i, (a, b)) in mine.iter().zip(lines).enumerate() {
                assert_eq!(a, b, "{path}:{} owner differs", i + 1);
            }
        }
    }
}
