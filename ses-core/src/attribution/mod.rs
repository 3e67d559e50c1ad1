//! Attribution: who wrote the lines that are in a repository now, as `git blame` says, and
//! how those lines add up per person.
//!
//! [`index`] walks history once and keeps the owner of every line of every file; this module
//! opens repositories, resolves revisions and paths, and sums lines into people:
//! `lines` counts a line for its blamed commit's (mailmapped) author exactly as `git blame`
//! would; `credit` splits a line equally among that author and the commit's
//! `Co-authored-by:` trailers.
//!
//! Invariants: never writes to the repository; a line's owner at a revision equals
//! `git blame`'s for that line, except the divergences listed in `ARCHITECTURE.md`; output
//! is sorted (people by credit then email, files by path), never in hash-map order.

pub mod index;
mod lines;
mod renames;
pub mod snapshot;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use git2::{Oid, Repository};

use crate::graph::ContributionGraph;

pub use index::{CommitInfo, CommitIx, FileOwners, Index, Person, TreeState};

#[derive(Debug, thiserror::Error)]
pub enum AttributionError {
    #[error("{path} is not inside a git repository: run this in a repository or pass its path")]
    NotARepository { path: PathBuf },
    #[error("the repository {path} has no commits yet: commit something first")]
    EmptyRepository { path: PathBuf },
    #[error("unknown revision {rev:?} in {path}: check it with `git rev-parse {rev}`")]
    UnknownRevision { rev: String, path: PathBuf },
    #[error("{file} is not in revision {rev}: check the path, or commit the file first")]
    NotInRevision { file: String, rev: String },
    #[error("{path} is outside the repository at {repo}")]
    OutsideRepository { path: PathBuf, repo: PathBuf },
    #[error("cannot {action}: {error}")]
    Git {
        action: &'static str,
        error: git2::Error,
    },
    #[error("{path} at {rev}: {detail}; fix the file and commit it")]
    Config {
        path: &'static str,
        rev: String,
        detail: String,
    },
    #[error("cannot find the symbols of {path}: {error}")]
    Symbols {
        path: String,
        error: crate::symbols::SymbolError,
    },
    #[error("internal error in attribution: {0}; please report it")]
    Internal(String),
}

impl AttributionError {
    fn git(action: &'static str) -> impl FnOnce(git2::Error) -> AttributionError {
        move |error| AttributionError::Git { action, error }
    }
}

pub type Result<T, E = AttributionError> = std::result::Result<T, E>;

/// The owner of one line, for `ses blame`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineOwner {
    /// 1-based, as `git blame` numbers lines.
    pub line: u32,
    pub commit: Oid,
    pub author: Person,
}

/// One person's part of a revision.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorTotal {
    pub person: Person,
    /// Lines whose blamed commit this person authored (what `git blame` counts).
    pub lines: u64,
    /// Lines credited, co-authored lines split equally among their authors.
    pub credit: f64,
}

/// One file's lines by author email.
#[derive(Debug, Clone, PartialEq)]
pub struct FileTotal {
    pub path: String,
    pub lines: u64,
    /// (email, lines), most lines first.
    pub authors: Vec<(String, u64)>,
}

/// The attribution of a whole revision.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribution {
    pub rev: Oid,
    /// Lines of included files by included people: what shares are shares of.
    pub total_lines: u64,
    pub authors: Vec<AuthorTotal>,
    pub files: Vec<FileTotal>,
    /// Bot accounts left out, with the lines they own.
    pub excluded_people: Vec<(Person, u64)>,
    /// Vendored or generated files left out, with their lines and why.
    pub excluded_files: Vec<ExcludedFile>,
}

/// A file attribution leaves out.
#[derive(Debug, Clone, PartialEq)]
pub struct ExcludedFile {
    pub path: String,
    pub lines: u64,
    /// The `.gitattributes` attribute that excluded it (`linguist-vendored`, …).
    pub reason: &'static str,
}

/// Repository settings, from `.ses.toml` at the top of the attributed revision's tree
/// (so a revision always gives the same answer, and a team shares its settings):
///
/// ```toml
/// [attribution]
/// bots = ["renovate-bot", "ci@example.com"]  # names or emails; [bot] accounts always
/// exclude = ["docs/api/**", "*.min.js"]       # globs; without a `/`, any directory
/// ```
#[derive(Debug, Default, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepoConfig {
    #[serde(default)]
    pub attribution: AttributionConfig,
}

#[derive(Debug, Default, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributionConfig {
    #[serde(default)]
    pub bots: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// Who and what attribution leaves out at one revision.
pub struct Exclusions {
    bots: Vec<String>,
    patterns: Vec<(glob::Pattern, bool)>,
}

impl Exclusions {
    fn new(config: &AttributionConfig) -> std::result::Result<Exclusions, String> {
        let patterns = config
            .exclude
            .iter()
            .map(|p| {
                glob::Pattern::new(p)
                    .map(|g| (g, p.contains('/')))
                    .map_err(|e| format!("exclude pattern {p:?}: {e}"))
            })
            .collect::<std::result::Result<_, _>>()?;
        Ok(Exclusions {
            bots: config.bots.iter().map(|b| b.to_lowercase()).collect(),
            patterns,
        })
    }

    /// GitHub's `[bot]` accounts, and the names or emails `.ses.toml` lists.
    pub fn is_bot(&self, person: &Person) -> bool {
        person.name.contains("[bot]")
            || person.email.contains("[bot]")
            || self.bots.iter().any(|b| {
                b.eq_ignore_ascii_case(&person.name) || b.eq_ignore_ascii_case(&person.email)
            })
    }

    /// Whether `.ses.toml` excludes a path: a pattern with a `/` matches the whole path,
    /// one without matches the file name in any directory (as `.gitignore` does).
    fn excludes(&self, path: &str) -> bool {
        let opts = glob::MatchOptions {
            require_literal_separator: true,
            ..Default::default()
        };
        let name = path.rsplit('/').next().unwrap_or(path);
        self.patterns.iter().any(|(p, anchored)| {
            if *anchored {
                p.matches_with(path, opts)
            } else {
                p.matches_with(name, opts)
            }
        })
    }
}

/// One person's part of a symbol.
#[derive(Debug, Clone, PartialEq)]
pub struct SymbolAuthor {
    pub person: Person,
    /// Lines of the symbol whose blamed commit this person authored.
    pub lines: u32,
    /// Lines credited, co-authored lines split equally.
    pub credit: f64,
}

/// A function, method, class… with who wrote the lines it spans now.
#[derive(Debug, Clone, PartialEq)]
pub struct SymbolShare {
    pub symbol: crate::symbols::Symbol,
    /// People by credit (highest first), then email.
    pub authors: Vec<SymbolAuthor>,
    /// Lines of the symbol that are not committed yet (credited to the local user).
    pub uncommitted: u32,
}

/// The split of some lines among people.
struct Shares {
    authors: Vec<SymbolAuthor>,
    uncommitted: u32,
}

/// An editor buffer's attribution: see [`RepoAttribution::text_attribution`].
#[derive(Debug, Clone, PartialEq)]
pub struct TextAttribution {
    /// The owner of each line, 1-based as `git blame` numbers them.
    pub lines: Vec<LineOwner>,
    /// Everyone with a line in the text, by credit (highest first), then email.
    pub authors: Vec<SymbolAuthor>,
    /// Lines not committed yet (credited to the local user).
    pub uncommitted: u32,
    pub symbols: Vec<SymbolShare>,
}

/// The grammar for a repository path, if SES has one.
fn language_of(path: &[u8]) -> Option<crate::symbols::Language> {
    use std::os::unix::ffi::OsStrExt;
    crate::symbols::Language::from_path(Path::new(std::ffi::OsStr::from_bytes(path)))
}

/// A repository opened for attribution, with its index.
pub struct RepoAttribution {
    repo: Repository,
    root: PathBuf,
    index: Index,
    /// The `.mailmap` the index's authors were mapped with.
    mailmap_seen: Option<[u8; 32]>,
    /// The revision state last saved as a snapshot.
    saved: Option<Oid>,
}

impl RepoAttribution {
    /// Opens the repository containing `path` (a directory or a file in it).
    pub fn discover(path: &Path) -> Result<RepoAttribution> {
        // libgit2 re-hashes (SHA-1 with collision detection) every object it reads unless
        // told not to: 40% of an index build. git itself does not re-hash on read (fsck
        // does), and SES only reads, so it behaves as git does.
        static FAST_READS: std::sync::Once = std::sync::Once::new();
        FAST_READS.call_once(|| git2::opts::strict_hash_verification(false));
        let repo = Repository::discover(path).map_err(|e| match e.code() {
            git2::ErrorCode::NotFound => AttributionError::NotARepository {
                path: path.to_owned(),
            },
            _ => AttributionError::Git {
                action: "open the repository",
                error: e,
            },
        })?;
        let root = repo.workdir().unwrap_or_else(|| repo.path()).to_path_buf();
        Ok(RepoAttribution {
            repo,
            root,
            index: Index::new(),
            mailmap_seen: None,
            saved: None,
        })
    }

    /// The repository's top directory (the git directory for a bare repository).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The commit a revision names (`HEAD`, a branch, a tag, an id…).
    pub fn resolve(&self, rev: &str) -> Result<Oid> {
        if rev == "HEAD" && self.repo.head().is_err() {
            return Err(AttributionError::EmptyRepository {
                path: self.root.clone(),
            });
        }
        self.repo
            .revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map(|c| c.id())
            .map_err(|_| AttributionError::UnknownRevision {
                rev: rev.to_owned(),
                path: self.root.clone(),
            })
    }

    /// A path inside the repository as git names it (relative, `/`-separated).
    pub fn repo_path(&self, path: &Path) -> Result<Vec<u8>> {
        use std::os::unix::ffi::OsStrExt;
        let abs = std::path::absolute(path).map_err(|_| AttributionError::OutsideRepository {
            path: path.to_owned(),
            repo: self.root.clone(),
        })?;
        // Resolve symlinked parents (e.g. /tmp) the same way on both sides.
        let canon_root = self
            .root
            .canonicalize()
            .unwrap_or_else(|_| self.root.clone());
        let canon = abs
            .parent()
            .and_then(|p| p.canonicalize().ok())
            .map(|p| p.join(abs.file_name().unwrap_or_default()))
            .unwrap_or(abs);
        let rel =
            canon
                .strip_prefix(&canon_root)
                .map_err(|_| AttributionError::OutsideRepository {
                    path: path.to_owned(),
                    repo: self.root.clone(),
                })?;
        Ok(rel.as_os_str().as_bytes().to_vec())
    }

    /// The state of every file at `rev`, building or updating the index as needed.
    pub fn state(
        &mut self,
        rev: Oid,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<std::sync::Arc<TreeState>> {
        let fingerprint = self.mailmap_fingerprint();
        if self.mailmap_seen != Some(fingerprint) {
            let mailmap = self
                .repo
                .mailmap()
                .map_err(AttributionError::git("read .mailmap"))?;
            self.index.remap_authors(&mailmap);
            self.mailmap_seen = Some(fingerprint);
        }
        let ignored = self.ignored_revs(rev)?;
        self.index.set_ignored(ignored);
        self.index.state_at(&self.repo, rev, progress)
    }

    /// The commits blame looks through at `rev`: those listed (full hex ids, `#`
    /// comments) in `.git-blame-ignore-revs` at the top of `rev`'s tree — the file GitHub
    /// reads — and in the files `blame.ignoreRevsFile` names, as `git blame` reads them.
    pub fn ignored_revs(&self, rev: Oid) -> Result<std::collections::BTreeSet<Oid>> {
        let mut texts: Vec<Vec<u8>> = Vec::new();
        let tree = self
            .repo
            .find_commit(rev)
            .and_then(|c| c.tree())
            .map_err(AttributionError::git("read a tree"))?;
        if let Some(entry) = tree.get_name(".git-blame-ignore-revs")
            && let Ok(blob) = self.repo.find_blob(entry.id())
        {
            texts.push(blob.content().to_vec());
        }
        if let Ok(config) = self.repo.config()
            && let Ok(mut entries) = config.multivar("blame.ignorerevsfile", None)
        {
            while let Some(Ok(entry)) = entries.next() {
                if let Ok(value) = entry.value() {
                    let path = self.root.join(value);
                    texts.push(std::fs::read(&path).map_err(|e| AttributionError::Config {
                        path: "blame.ignoreRevsFile",
                        rev: rev.to_string(),
                        detail: format!("cannot read {}: {e}", path.display()),
                    })?);
                }
            }
        }
        let mut ids = std::collections::BTreeSet::new();
        for text in texts {
            for line in String::from_utf8_lossy(&text).lines() {
                let word = line.split('#').next().unwrap_or("").trim();
                // git takes full object names only; anything else is not a commit of ours.
                if word.len() == 40
                    && let Ok(id) = Oid::from_str(word)
                    && self.repo.find_commit(id).is_ok()
                {
                    ids.insert(id);
                }
            }
        }
        Ok(ids)
    }

    /// What `.mailmap` resolution depends on: the working tree's `.mailmap`, HEAD's, and
    /// the `mailmap.file` / `mailmap.blob` settings (with the file's content).
    fn mailmap_fingerprint(&self) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        if let Some(dir) = self.repo.workdir() {
            h.update(&std::fs::read(dir.join(".mailmap")).unwrap_or_default());
        }
        h.update(b"\0");
        let head_mailmap = self
            .repo
            .head()
            .ok()
            .and_then(|r| r.peel_to_tree().ok())
            .and_then(|t| t.get_name(".mailmap").map(|e| e.id()));
        if let Some(id) = head_mailmap {
            h.update(id.as_bytes());
        }
        if let Ok(config) = self.repo.config() {
            for key in ["mailmap.file", "mailmap.blob"] {
                if let Ok(v) = config.get_string(key) {
                    h.update(key.as_bytes());
                    h.update(v.as_bytes());
                    if key == "mailmap.file" {
                        h.update(&std::fs::read(&v).unwrap_or_default());
                    }
                }
            }
        }
        *h.finalize().as_bytes()
    }

    /// A snapshot of the index to store, when it changed since the last one.
    pub fn snapshot_if_changed(&mut self) -> Option<Vec<u8>> {
        let latest = self.index.latest_tip().map(|(id, _)| *id);
        if latest.is_none() || latest == self.saved {
            return None;
        }
        let bytes = snapshot::save(&self.index)?;
        self.saved = latest;
        Some(bytes)
    }

    /// Replaces the index with a stored snapshot (before any question is asked).
    pub fn restore(&mut self, bytes: &[u8]) -> std::result::Result<(), snapshot::SnapshotError> {
        let mailmap = self
            .repo
            .mailmap()
            .map_err(|e| snapshot::SnapshotError::Damaged(format!("cannot read .mailmap: {e}")))?;
        self.index = snapshot::load(bytes, &mailmap)?;
        self.saved = self.index.latest_tip().map(|(id, _)| *id);
        self.mailmap_seen = Some(self.mailmap_fingerprint());
        Ok(())
    }

    pub fn index(&self) -> &Index {
        &self.index
    }

    /// One file of `rev` with its line owners.
    fn file(&mut self, rev: Oid, path: &[u8]) -> Result<FileOwners> {
        let state = self.state(rev, &mut |_, _| {})?;
        state
            .get(path)
            .cloned()
            .ok_or_else(|| AttributionError::NotInRevision {
                file: String::from_utf8_lossy(path).into_owned(),
                rev: rev.to_string(),
            })
    }

    /// The bytes of `path` at `rev`.
    pub fn file_at(&mut self, rev: Oid, path: &[u8]) -> Result<Vec<u8>> {
        let file = self.file(rev, path)?;
        self.repo
            .find_blob(file.blob)
            .map(|b| b.content().to_vec())
            .map_err(AttributionError::git("read a blob"))
    }

    /// `git blame` of one file at `rev`.
    pub fn blame(&mut self, rev: Oid, path: &[u8]) -> Result<Vec<LineOwner>> {
        let file = self.file(rev, path)?;
        Ok(file
            .owners
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let info = self.index.commit(c);
                LineOwner {
                    line: i as u32 + 1,
                    commit: info.id,
                    author: info.author.clone(),
                }
            })
            .collect())
    }

    /// The blame of `text` — a working-tree file or an editor's unsaved buffer — for
    /// `path`: lines unchanged from HEAD's version keep its owners; the others are
    /// uncommitted (commit id all zeros, as `git blame` shows them) and credited to the
    /// local user from git config.
    pub fn blame_text(&mut self, path: &[u8], text: &[u8]) -> Result<Vec<LineOwner>> {
        let local = self.local_user();
        let uncommitted = |line: usize| LineOwner {
            line: line as u32 + 1,
            commit: Oid::ZERO_SHA1,
            author: local.clone(),
        };
        let head = match self.repo.head().ok().and_then(|h| h.target()) {
            Some(head) => head,
            None => return Ok((0..lines::count_lines(text)).map(uncommitted).collect()),
        };
        let state = self.state(head, &mut |_, _| {})?;
        let Some(file) = state.get(path) else {
            return Ok((0..lines::count_lines(text)).map(uncommitted).collect());
        };
        let committed = self
            .repo
            .find_blob(file.blob)
            .map_err(AttributionError::git("read a blob"))?;
        Ok(lines::unchanged_from_text(&committed, text)
            .map_err(AttributionError::git("diff the text against HEAD"))?
            .into_iter()
            .enumerate()
            .map(|(i, from)| match from {
                Some(j) => {
                    let info = self.index.commit(file.owners[j as usize]);
                    LineOwner {
                        line: i as u32 + 1,
                        commit: info.id,
                        author: info.author.clone(),
                    }
                }
                None => uncommitted(i),
            })
            .collect())
    }

    /// Every symbol of a file with its authors' shares: of `text` (an editor buffer or
    /// the file on disk) when given, else of the file at `rev`. A file in a language
    /// without a grammar has no symbols.
    pub fn symbol_shares(
        &mut self,
        rev: Oid,
        path: &[u8],
        text: Option<&[u8]>,
    ) -> Result<Vec<SymbolShare>> {
        if language_of(path).is_none() {
            return Ok(Vec::new());
        }
        let (lines, text) = match text {
            Some(text) => (self.blame_text(path, text)?, text.to_vec()),
            None => (self.blame(rev, path)?, self.file_at(rev, path)?),
        };
        let ex = self.exclusions(rev)?;
        Ok(self.shares_of(path, &text, &lines, &ex)?.1)
    }

    /// What an editor shows for a buffer: each line's owner (uncommitted lines are the
    /// local user's), the whole text's split and each symbol's. Bots and the other
    /// exclusions are those of HEAD (none in a repository without commits).
    pub fn text_attribution(&mut self, path: &[u8], text: &[u8]) -> Result<TextAttribution> {
        let lines = self.blame_text(path, text)?;
        let ex = match self.repo.head().ok().and_then(|h| h.target()) {
            Some(head) => self.exclusions(head)?,
            None => Exclusions::new(&AttributionConfig::default())
                .map_err(AttributionError::Internal)?,
        };
        let (file, symbols) = self.shares_of(path, text, &lines, &ex)?;
        Ok(TextAttribution {
            lines,
            authors: file.authors,
            uncommitted: file.uncommitted,
            symbols,
        })
    }

    /// The split of the whole text and of each symbol, from the owners of its lines.
    fn shares_of(
        &self,
        path: &[u8],
        text: &[u8],
        lines: &[LineOwner],
        ex: &Exclusions,
    ) -> Result<(Shares, Vec<SymbolShare>)> {
        let symbols = match language_of(path) {
            Some(language) => crate::symbols::symbols(language, text).map_err(|error| {
                AttributionError::Symbols {
                    path: String::from_utf8_lossy(path).into_owned(),
                    error,
                }
            })?,
            None => Vec::new(),
        };
        let mailmap = self
            .repo
            .mailmap()
            .map_err(AttributionError::git("read .mailmap"))?;
        // Each line's people: the author first, then co-authors; bots left out.
        let mut people_of: BTreeMap<Oid, Vec<Person>> = BTreeMap::new();
        let line_people: Vec<Vec<Person>> = lines
            .iter()
            .map(|l| {
                let people = if l.commit.is_zero() {
                    vec![l.author.clone()]
                } else {
                    people_of
                        .entry(l.commit)
                        .or_insert_with(|| match self.index.commit_by_id(l.commit) {
                            Some(info) => commit_people(info, &mailmap),
                            None => vec![l.author.clone()],
                        })
                        .clone()
                };
                people.into_iter().filter(|p| !ex.is_bot(p)).collect()
            })
            .collect();
        let shares = |range: Range<usize>| -> Shares {
            let mut by_email: BTreeMap<&str, SymbolAuthor> = BTreeMap::new();
            let mut uncommitted = 0;
            for i in range.start..range.end.min(lines.len()) {
                if lines[i].commit.is_zero() {
                    uncommitted += 1;
                }
                let share = 1.0 / line_people[i].len().max(1) as f64;
                for (k, p) in line_people[i].iter().enumerate() {
                    let entry = by_email
                        .entry(p.email.as_str())
                        .or_insert_with(|| SymbolAuthor {
                            person: p.clone(),
                            lines: 0,
                            credit: 0.0,
                        });
                    // The first person of a line is its commit's author; that is whom
                    // `git blame` names.
                    if k == 0 && lines[i].author.email == p.email {
                        entry.lines += 1;
                    }
                    entry.credit += share;
                }
            }
            let mut authors: Vec<SymbolAuthor> = by_email.into_values().collect();
            authors.sort_by(|a, b| {
                b.credit
                    .total_cmp(&a.credit)
                    .then_with(|| a.person.email.cmp(&b.person.email))
            });
            Shares {
                authors,
                uncommitted,
            }
        };
        let file = shares(0..lines.len());
        let symbols = symbols
            .into_iter()
            .map(|symbol| {
                let s = shares(symbol.lines.start as usize..symbol.lines.end as usize);
                SymbolShare {
                    symbol,
                    authors: s.authors,
                    uncommitted: s.uncommitted,
                }
            })
            .collect();
        Ok((file, symbols))
    }

    /// The contribution graph of `rev`: people, the commits that own lines now, files
    /// (vendored and generated ones left out, as in [`Self::attribute`]), their symbols,
    /// and what depends on what.
    pub fn graph(
        &mut self,
        rev: Oid,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<ContributionGraph> {
        use crate::graph::{EdgeKind, NodeKind};
        let state = self.state(rev, progress)?;
        let ex = self.exclusions(rev)?;
        let mailmap = self
            .repo
            .mailmap()
            .map_err(AttributionError::git("read .mailmap"))?;
        let mut g = ContributionGraph::new();
        let mut people_of: BTreeMap<CommitIx, Vec<Person>> = BTreeMap::new();
        let mut included: BTreeMap<String, Oid> = BTreeMap::new();
        let mut paths: Vec<&std::sync::Arc<[u8]>> = state.keys().collect();
        paths.sort();
        for path in paths {
            if self.excluded_path(path, &ex).is_some() {
                continue;
            }
            let file = &state[path];
            let shown = String::from_utf8_lossy(path).into_owned();
            let file_node = g.node(format!("file:{shown}"), NodeKind::File, shown.clone());
            g.set_attr(file_node, "lines", file.owners.len().to_string());
            for &c in file.owners.iter() {
                people_of
                    .entry(c)
                    .or_insert_with(|| commit_people(self.index.commit(c), &mailmap));
            }
            // Per line: its people, for the file and its symbols alike.
            let line_people: Vec<&[Person]> = file
                .owners
                .iter()
                .map(|c| people_of[c].as_slice())
                .collect();
            for (&c, who) in file.owners.iter().zip(&line_people) {
                let info = self.index.commit(c);
                let commit = g.node(
                    format!("commit:{}", info.id),
                    NodeKind::Commit,
                    info.summary.clone(),
                );
                g.edge(commit, file_node, EdgeKind::Introduced, 1.0);
                let humans: Vec<&Person> = who.iter().filter(|p| !ex.is_bot(p)).collect();
                for p in &humans {
                    let person = g.node(
                        format!("person:{}", p.email),
                        NodeKind::Contributor,
                        p.name.clone(),
                    );
                    g.edge(
                        person,
                        file_node,
                        EdgeKind::Authored,
                        1.0 / humans.len() as f64,
                    );
                }
            }
            let blob = self
                .repo
                .find_blob(file.blob)
                .map_err(AttributionError::git("read a blob"))?;
            self.add_symbols(
                &mut g,
                &ex,
                file_node,
                &shown,
                path,
                blob.content(),
                &line_people,
            );
            included.insert(shown, file.blob);
        }
        self.add_dependencies(&mut g, &included)?;
        // authored: person → commit, once per commit that owns lines now.
        for (&c, who) in &people_of {
            let info = self.index.commit(c);
            let commit = g.node(
                format!("commit:{}", info.id),
                NodeKind::Commit,
                info.summary.clone(),
            );
            for p in who.iter().filter(|p| !ex.is_bot(p)) {
                let person = g.node(
                    format!("person:{}", p.email),
                    NodeKind::Contributor,
                    p.name.clone(),
                );
                g.edge(person, commit, EdgeKind::Authored, 1.0);
            }
        }
        Ok(g)
    }

    /// Symbols of one file as nodes, with `contains` and `authored` edges.
    #[allow(clippy::too_many_arguments)]
    fn add_symbols(
        &self,
        g: &mut ContributionGraph,
        ex: &Exclusions,
        file_node: petgraph::graph::NodeIndex,
        shown: &str,
        path: &[u8],
        content: &[u8],
        line_people: &[&[Person]],
    ) {
        use crate::graph::{EdgeKind, NodeKind};
        use std::os::unix::ffi::OsStrExt;
        let Some(language) =
            crate::symbols::Language::from_path(Path::new(std::ffi::OsStr::from_bytes(path)))
        else {
            return;
        };
        // A file the parser refuses (too large, garbled) simply has no symbol nodes.
        let Ok(symbols) = crate::symbols::symbols(language, content) else {
            return;
        };
        for s in symbols {
            let qualified = match &s.container {
                Some(c) => format!("{c}::{}", s.name),
                None => s.name.clone(),
            };
            let node = g.node(
                format!("symbol:{shown}#{qualified}@{}", s.name_line + 1),
                NodeKind::Symbol,
                qualified,
            );
            g.set_attr(node, "symbol_kind", s.kind.as_str());
            let lines = s.lines.start as usize..(s.lines.end as usize).min(line_people.len());
            g.edge(file_node, node, EdgeKind::Contains, lines.len() as f64);
            for who in &line_people[lines] {
                let humans: Vec<&Person> = who.iter().filter(|p| !ex.is_bot(p)).collect();
                for p in &humans {
                    let person = g.node(
                        format!("person:{}", p.email),
                        NodeKind::Contributor,
                        p.name.clone(),
                    );
                    g.edge(person, node, EdgeKind::Authored, 1.0 / humans.len() as f64);
                }
            }
        }
    }

    /// `depends_on` edges: a manifest to the packages it declares (and to the manifests
    /// of in-repository packages), a file to the files it imports.
    fn add_dependencies(
        &self,
        g: &mut ContributionGraph,
        files: &BTreeMap<String, Oid>,
    ) -> Result<()> {
        use crate::deps;
        use crate::graph::{EdgeKind, NodeKind};
        let read = |id: Oid| -> Result<git2::Blob<'_>> {
            self.repo
                .find_blob(id)
                .map_err(AttributionError::git("read a blob"))
        };
        let paths: BTreeSet<String> = files.keys().cloned().collect();
        let mut manifests = Vec::new();
        for (path, id) in files {
            // A manifest that does not parse contributes no edges; attribution goes on.
            if let Ok(Some(m)) = deps::parse_manifest(path, read(*id)?.content()) {
                manifests.push(m);
            }
        }
        deps::resolve_workspaces(&mut manifests);
        let mut ctx = deps::ImportContext::new(&paths);
        ctx.add_manifests(&manifests);
        for m in &manifests {
            let from = g.node(format!("file:{}", m.path), NodeKind::File, m.path.clone());
            for d in &m.external {
                let to = g.node(
                    format!("package:{}:{}", d.ecosystem.as_str(), d.name),
                    NodeKind::Package,
                    d.name.clone(),
                );
                g.set_attr(to, "ecosystem", d.ecosystem.as_str());
                g.edge(from, to, EdgeKind::DependsOn, 1.0);
            }
            for d in &m.local {
                let Some(dir) = &d.path else { continue };
                let manifest_name = m.path.rsplit('/').next().unwrap_or(&m.path);
                let target = if dir.is_empty() {
                    manifest_name.to_owned()
                } else {
                    format!("{dir}/{manifest_name}")
                };
                if target != m.path && paths.contains(&target) {
                    let to = g.node(format!("file:{target}"), NodeKind::File, target.clone());
                    g.edge(from, to, EdgeKind::DependsOn, 1.0);
                }
            }
        }
        for (path, id) in files {
            for target in deps::file_imports(path, read(*id)?.content(), &ctx) {
                if &target == path {
                    continue;
                }
                let from = g.node(format!("file:{path}"), NodeKind::File, path.clone());
                let to = g.node(format!("file:{target}"), NodeKind::File, target.clone());
                g.edge(from, to, EdgeKind::DependsOn, 1.0);
            }
        }
        Ok(())
    }

    /// The person uncommitted lines belong to: `user.name` and `user.email`.
    pub fn local_user(&self) -> Person {
        let config = self.repo.config().ok();
        let get = |key: &str| config.as_ref().and_then(|c| c.get_string(key).ok());
        Person {
            name: get("user.name").unwrap_or_else(|| "Not Committed Yet".into()),
            email: get("user.email").unwrap_or_else(|| "not.committed.yet".into()),
        }
    }

    /// Lines and credit per person, and per file, at `rev`.
    pub fn attribute(
        &mut self,
        rev: Oid,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Attribution> {
        let state = self.state(rev, progress)?;
        let ex = self.exclusions(rev)?;
        let mailmap = self
            .repo
            .mailmap()
            .map_err(AttributionError::git("read .mailmap"))?;
        // Per commit: its authors (author first, then distinct co-authors).
        let mut authors_of: BTreeMap<CommitIx, Vec<Person>> = BTreeMap::new();
        let mut people: BTreeMap<String, (Person, u64, f64)> = BTreeMap::new();
        let mut bots: BTreeMap<String, (Person, u64)> = BTreeMap::new();
        let mut files = Vec::with_capacity(state.len());
        let mut excluded_files = Vec::new();
        let mut total = 0u64;
        let mut paths: Vec<&std::sync::Arc<[u8]>> = state.keys().collect();
        paths.sort();
        for path in paths {
            let file = &state[path];
            let shown = String::from_utf8_lossy(path).into_owned();
            if let Some(reason) = self.excluded_path(path, &ex) {
                excluded_files.push(ExcludedFile {
                    path: shown,
                    lines: file.owners.len() as u64,
                    reason,
                });
                continue;
            }
            let mut per_email: BTreeMap<String, u64> = BTreeMap::new();
            let mut lines = 0u64;
            for &c in file.owners.iter() {
                let who = authors_of
                    .entry(c)
                    .or_insert_with(|| commit_people(self.index.commit(c), &mailmap));
                let author = &who[0];
                if ex.is_bot(author) {
                    bots.entry(author.email.clone())
                        .or_insert_with(|| (author.clone(), 0))
                        .1 += 1;
                    continue;
                }
                lines += 1;
                *per_email.entry(author.email.clone()).or_default() += 1;
                let humans: Vec<&Person> = who.iter().filter(|p| !ex.is_bot(p)).collect();
                let share = 1.0 / humans.len() as f64;
                for p in humans {
                    let entry = people
                        .entry(p.email.clone())
                        .or_insert_with(|| (p.clone(), 0, 0.0));
                    if p.email == author.email {
                        entry.1 += 1;
                    }
                    entry.2 += share;
                }
            }
            total += lines;
            let mut authors: Vec<(String, u64)> = per_email.into_iter().collect();
            authors.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            files.push(FileTotal {
                path: shown,
                lines,
                authors,
            });
        }
        let mut authors: Vec<AuthorTotal> = people
            .into_values()
            .map(|(person, lines, credit)| AuthorTotal {
                person,
                lines,
                credit,
            })
            .collect();
        authors.sort_by(|a, b| {
            b.credit
                .total_cmp(&a.credit)
                .then_with(|| a.person.email.cmp(&b.person.email))
        });
        Ok(Attribution {
            rev,
            total_lines: total,
            authors,
            files,
            excluded_people: bots.into_values().collect(),
            excluded_files,
        })
    }

    /// The settings of `rev` (`.ses.toml` at the top of its tree; defaults without one).
    pub fn config(&self, rev: Oid) -> Result<RepoConfig> {
        let bad = |detail: String| AttributionError::Config {
            path: ".ses.toml",
            rev: rev.to_string(),
            detail,
        };
        let tree = self
            .repo
            .find_commit(rev)
            .and_then(|c| c.tree())
            .map_err(AttributionError::git("read a tree"))?;
        let Some(entry) = tree.get_name(".ses.toml") else {
            return Ok(RepoConfig::default());
        };
        let blob = self
            .repo
            .find_blob(entry.id())
            .map_err(|_| bad("it is not a file".into()))?;
        let text =
            std::str::from_utf8(blob.content()).map_err(|e| bad(format!("not UTF-8: {e}")))?;
        toml::from_str(text).map_err(|e| bad(e.to_string().trim().replace('\n', " ")))
    }

    fn exclusions(&self, rev: Oid) -> Result<Exclusions> {
        let config = self.config(rev)?;
        Exclusions::new(&config.attribution).map_err(|detail| AttributionError::Config {
            path: ".ses.toml",
            rev: rev.to_string(),
            detail,
        })
    }

    /// Why attribution leaves a file out: `linguist-vendored` or `linguist-generated` in
    /// `.gitattributes` (working tree, then index, as GitHub's linguist reads them), or an
    /// `exclude` pattern of `.ses.toml`.
    fn excluded_path(&self, path: &[u8], ex: &Exclusions) -> Option<&'static str> {
        if ex.excludes(&String::from_utf8_lossy(path)) {
            return Some(".ses.toml exclude");
        }
        self.excluded_by_attributes(path)
    }

    fn excluded_by_attributes(&self, path: &[u8]) -> Option<&'static str> {
        use std::os::unix::ffi::OsStrExt;
        let path = Path::new(std::ffi::OsStr::from_bytes(path));
        ["linguist-vendored", "linguist-generated"]
            .into_iter()
            .find(|attr| {
                let value = self
                    .repo
                    .get_attr_bytes(path, attr, git2::AttrCheckFlags::FILE_THEN_INDEX)
                    .ok()
                    .flatten();
                match value.map(|v| git2::AttrValue::from_bytes(Some(v))) {
                    Some(git2::AttrValue::True) => true,
                    Some(git2::AttrValue::String(v)) => {
                        matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes")
                    }
                    Some(git2::AttrValue::Bytes(v)) => v == b"true" || v == b"1",
                    _ => false,
                }
            })
    }
}

/// A commit's author and its distinct `Co-authored-by:` people, mailmapped.
fn commit_people(commit: &CommitInfo, mailmap: &git2::Mailmap) -> Vec<Person> {
    let mut people = vec![commit.author.clone()];
    for line in commit.message.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        if !key.trim().eq_ignore_ascii_case("co-authored-by") {
            continue;
        }
        let value = value.trim();
        let (Some(lt), Some(gt)) = (value.find('<'), value.rfind('>')) else {
            continue;
        };
        if gt < lt {
            continue;
        }
        let name = value[..lt].trim();
        let email = value[lt + 1..gt].trim();
        let (name, email) = match git2::Signature::now(name, email)
            .ok()
            .and_then(|s| mailmap.resolve_signature(&s).ok())
        {
            Some(s) => (
                String::from_utf8_lossy(s.name_bytes()).into_owned(),
                String::from_utf8_lossy(s.email_bytes()).into_owned(),
            ),
            None => (name.to_owned(), email.to_owned()),
        };
        if !people.iter().any(|p| p.email.eq_ignore_ascii_case(&email)) {
            people.push(Person { name, email });
        }
    }
    people
}

#[cfg(test)]
mod tests;
