//! One document version's attribution: who owns each line, the split of the file and of
//! each symbol, the commits behind them and what the code has earned. Computed off the
//! runtime on a snapshot of the text, tagged with the version and the repository
//! generation it was computed for, so a stale result can be recognised and dropped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use git2::Oid;
use ses_core::attribution::{AttributionError, Person, TextAttribution};
use ses_core::revenue::{self, Earnings};
use ses_core::store::{BlobId, Store};

use crate::daemon::attribution::Repos;

/// A commit as a hover shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitView {
    pub id: Oid,
    pub author: Person,
    /// Author time, seconds since the epoch.
    pub time: i64,
    pub summary: String,
}

/// Money as (currency, minor units), sorted by currency.
pub type Money = Vec<(String, i64)>;

#[derive(Debug, Clone)]
pub struct Analysis {
    pub version: i32,
    pub generation: u64,
    /// The content id of the text attributed: which text this describes, exactly.
    pub text_id: BlobId,
    pub top: PathBuf,
    /// The path inside the repository, `/`-separated.
    pub path: String,
    pub att: TextAttribution,
    pub commits: BTreeMap<Oid, CommitView>,
    pub file_money: Money,
    /// Parallel to `att.symbols`.
    pub symbol_money: Vec<Money>,
    /// Lens titles, made once per version: the file's, then each symbol's.
    pub titles: Vec<String>,
}

impl Analysis {
    /// The innermost symbol whose lines contain `line` (0-based).
    pub fn symbol_at(&self, line: u32) -> Option<usize> {
        self.att
            .symbols
            .iter()
            .enumerate()
            .filter(|(_, s)| s.symbol.lines.contains(&line))
            .min_by_key(|(_, s)| s.symbol.lines.end - s.symbol.lines.start)
            .map(|(i, _)| i)
    }

    /// The symbol whose lens sits on `line`, if any.
    pub fn symbol_named_at(&self, line: u32) -> Option<usize> {
        self.att
            .symbols
            .iter()
            .position(|s| s.symbol.name_line == line)
    }
}

/// What the records of each repository have earned, computed once per HEAD and record
/// log: building the graph for it costs as much as attributing the whole repository.
#[derive(Default)]
pub struct EarningsCache {
    by_repo: Mutex<BTreeMap<PathBuf, CachedEarnings>>,
}

/// Earnings at a HEAD with a given record log.
type CachedEarnings = (Oid, BlobId, Arc<Earnings>);

impl EarningsCache {
    fn get(
        &self,
        store: &Store,
        top: &Path,
        repo: &mut ses_core::attribution::RepoAttribution,
    ) -> Option<Arc<Earnings>> {
        // Asked on every attribution of a buffer: the log's id is one store lookup, where
        // the records themselves would be a read and parse per keystroke burst.
        let last = revenue::log_id(store, repo).ok()??;
        let head = repo.resolve("HEAD").ok()?;
        let mut cache = self.by_repo.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((h, l, e)) = cache.get(top)
            && (*h, *l) == (head, last)
        {
            return Some(e.clone());
        }
        // Money the lens cannot compute is left off the lens, never guessed; the reason
        // goes to the log, and `ses revenue split` reports it in full.
        match revenue::earnings(store, repo) {
            Ok(e) => {
                let e = Arc::new(e);
                cache.insert(top.to_owned(), (head, last, e.clone()));
                Some(e)
            }
            Err(e) => {
                tracing::warn!("cannot compute the earnings of {}: {e}", top.display());
                None
            }
        }
    }
}

/// Why a document has no analysis.
#[derive(Debug)]
pub enum NoAnalysis {
    /// Not in a git repository, or in its `.git`: no lenses, and nothing is wrong.
    Outside,
    Failed(String),
}

/// Attributes `text`, the contents of `file`, against its repository.
pub fn compute(
    repos: &Repos,
    store: &Store,
    earnings: &EarningsCache,
    file: &Path,
    text: &str,
    (version, generation): (i32, u64),
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Analysis, NoAnalysis> {
    let dir = file.parent().unwrap_or(Path::new("/"));
    let (top, repo) = match repos.get(dir) {
        Ok(r) => r,
        Err(_) => return Err(NoAnalysis::Outside),
    };
    let mut repo = repo.lock().unwrap_or_else(|p| p.into_inner());
    let path = match repo.repo_path(file) {
        Ok(p) => p,
        Err(AttributionError::OutsideRepository { .. }) => return Err(NoAnalysis::Outside),
        Err(e) => return Err(NoAnalysis::Failed(e.to_string())),
    };
    if path.starts_with(b".git/") {
        return Err(NoAnalysis::Outside);
    }
    // Brings the index up to HEAD first, so a long walk reports progress.
    if let Ok(head) = repo.resolve("HEAD") {
        repo.state(head, progress)
            .map_err(|e| NoAnalysis::Failed(e.to_string()))?;
    }
    let att = repo
        .text_attribution(&path, text.as_bytes())
        .map_err(|e| NoAnalysis::Failed(e.to_string()))?;
    let mut commits = BTreeMap::new();
    for l in &att.lines {
        if l.commit.is_zero() || commits.contains_key(&l.commit) {
            continue;
        }
        if let Some(c) = repo.index().commit_by_id(l.commit) {
            commits.insert(
                l.commit,
                CommitView {
                    id: c.id,
                    author: c.author.clone(),
                    time: c.time,
                    summary: c.summary.clone(),
                },
            );
        }
    }
    let path = String::from_utf8_lossy(&path).into_owned();
    let (file_money, symbol_money) = match earnings.get(store, &top, &mut repo) {
        Some(e) => money_of(&e, &path, &att),
        None => (Vec::new(), vec![Vec::new(); att.symbols.len()]),
    };
    repos.save(&top, &mut repo);
    let mut an = Analysis {
        version,
        generation,
        text_id: BlobId::of(text.as_bytes()),
        top,
        path,
        att,
        commits,
        file_money,
        symbol_money,
        titles: Vec::new(),
    };
    an.titles = std::iter::once(super::present::file_lens_title(&an))
        .chain((0..an.att.symbols.len()).map(|i| super::present::symbol_lens_title(&an, i)))
        .collect();
    Ok(an)
}

/// A file's money is its own part plus its symbols'; a symbol's is the part of the node
/// with its qualified name (at its line when the name is not unique).
fn money_of(e: &Earnings, path: &str, att: &TextAttribution) -> (Money, Vec<Money>) {
    let file_id = format!("file:{path}");
    let symbol_prefix = format!("symbol:{path}#");
    let mut file = Money::new();
    let mut symbols = vec![Money::new(); att.symbols.len()];
    for (currency, by_node) in &e.by_node {
        // The repository's other files are of no interest to this one's symbols.
        let by_node: Vec<(&String, &i64)> = by_node
            .iter()
            .filter(|(id, _)| **id == file_id || id.starts_with(&symbol_prefix))
            .collect();
        let in_file: i64 = by_node.iter().map(|(_, v)| **v).sum();
        if in_file != 0 {
            file.push((currency.clone(), in_file));
        }
        for (i, s) in att.symbols.iter().enumerate() {
            let qualified = match &s.symbol.container {
                Some(c) => format!("{c}::{}", s.symbol.name),
                None => s.symbol.name.clone(),
            };
            let prefix = format!("{symbol_prefix}{qualified}@");
            let named: Vec<&(&String, &i64)> = by_node
                .iter()
                .filter(|(id, _)| id.starts_with(&prefix))
                .collect();
            let exact = format!("{prefix}{}", s.symbol.name_line + 1);
            let amount = match named.as_slice() {
                [] => 0,
                [(_, v)] => **v,
                many => many
                    .iter()
                    .find(|(id, _)| **id == exact)
                    .map_or(0, |(_, v)| **v),
            };
            if amount != 0 {
                symbols[i].push((currency.clone(), amount));
            }
        }
    }
    (file, symbols)
}
