//! Revenue: signed records of money earned by code, and the split of it to the people who
//! wrote that code and the code it depends on.
//!
//! A record says "this amount was earned by this file (or symbol) of this repository". It
//! is canonical JSON (sorted keys), signed with the user's key, stored as a blob and
//! appended to the repository's revenue log — a blob that lists and links every record,
//! named by a store root — so records are content-addressed and append-only.
//!
//! The split (see [`split`]): a record of R minor units against contribution c is a
//! unanimity game on c's dependency closure D(c) — c and the in-repository files it imports,
//! transitively — weighted by lines, so each member gets R × lines / Σ lines (the weighted
//! Shapley value), by largest remainder; each member's amount goes to its authors by their
//! credited lines, again by largest remainder. Integers throughout: every record's amount is
//! paid out exactly, to the unit.
//!
//! Invariants: a record is stored only when its target exists and its amount is valid; a
//! record whose signature does not verify is refused, never counted; the same records at the
//! same revision give byte-identical output (no time, no hash-map order in the receipt).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::attribution::{AttributionError, RepoAttribution};
use crate::graph::{EdgeKind, NodeKind};
use crate::identity::{Identity, verify_did};
use crate::shapley::{self, ShapleyError};
use crate::store::{BlobId, PutOptions, Store, StoreError};

/// What a record and a receipt call themselves (and the format version they follow).
const RECORD_KIND: &str = "ses.revenue.record/1";
const RECEIPT_KIND: &str = "ses.revenue.receipt/1";
const LOG_KIND: &str = "ses.revenue.log/1";
/// Credit is split among co-authors in fractions 1/k; this common multiple of 1..=12 makes
/// those fractions whole numbers, so author shares are exact integers.
const CREDIT_UNIT: f64 = 27_720.0;

#[derive(Debug, thiserror::Error)]
pub enum RevenueError {
    #[error(transparent)]
    Attribution(#[from] AttributionError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Amount(#[from] ShapleyError),
    #[error(
        "{target} is not in the repository at {rev}: give a path relative to its top (and ::SYMBOL for a function or class in it)"
    )]
    UnknownTarget { target: String, rev: String },
    #[error(
        "record {id} does not verify: its signature does not match {signer}; it is not counted"
    )]
    BadSignature { id: BlobId, signer: String },
    #[error("record {id} is damaged: {detail}")]
    Damaged { id: BlobId, detail: String },
    #[error("no revenue recorded for {repo}: record some with `ses revenue record`")]
    NoRecords { repo: String },
    #[error("records are in {currencies}: split one currency at a time with --currency")]
    MixedCurrencies { currencies: String },
    #[error("no records in {currency} (there are records in {present})")]
    NoRecordsInCurrency { currency: String, present: String },
    #[error("{target} has no lines anyone wrote (all excluded?): nothing to pay to")]
    NobodyToPay { target: String },
}

pub type Result<T, E = RevenueError> = std::result::Result<T, E>;

/// What a record says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub kind: String,
    /// The repository's top directory when recorded.
    pub repo: String,
    /// The commit HEAD named when recorded.
    pub rev: String,
    pub target: Target,
    pub amount_minor: i64,
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memo: Option<String>,
    /// Seconds since the epoch.
    pub recorded_at: u64,
    /// The `did:key` that signed it.
    pub signer: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
}

impl Target {
    /// `PATH`, `PATH::SYMBOL` (`Type::method` works too: the first `::` splits), or `.`
    /// for the whole repository.
    pub fn parse(text: &str) -> Target {
        if matches!(text.trim(), "." | "./" | "") {
            return Target {
                path: String::new(),
                symbol: None,
            };
        }
        match text.split_once("::") {
            Some((path, symbol)) if !symbol.is_empty() => Target {
                path: path.trim_start_matches("./").to_owned(),
                symbol: Some(symbol.to_owned()),
            },
            _ => Target {
                path: text.trim_start_matches("./").to_owned(),
                symbol: None,
            },
        }
    }

    /// The whole repository, not one file.
    pub fn is_repository(&self) -> bool {
        self.path.is_empty()
    }

    fn shown(&self) -> String {
        match &self.symbol {
            Some(s) => format!("{}::{s}", self.path),
            None if self.is_repository() => "the whole repository".into(),
            None => self.path.clone(),
        }
    }
}

/// A signed record as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Signed {
    record: Record,
    /// Hex ed25519 signature of the record's canonical JSON.
    signature: String,
}

fn canonical(value: &impl Serialize) -> Vec<u8> {
    // serde_json's maps are sorted (no preserve_order), so this is canonical.
    let v = serde_json::to_value(value).expect("invariant: plain data serialises");
    serde_json::to_vec(&v).expect("invariant: a Value serialises")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn log_root(repo: &RepoAttribution) -> String {
    let top = repo
        .root()
        .canonicalize()
        .unwrap_or_else(|_| repo.root().to_owned());
    format!("revenue-log:{}", top.display())
}

#[derive(Serialize, Deserialize)]
struct Log {
    kind: String,
    records: Vec<String>,
}

/// The id of the repository's record log; every record appended gives a new one, so it
/// names the whole set of records without reading them. `None` before the first record.
pub fn log_id(store: &Store, repo: &RepoAttribution) -> Result<Option<BlobId>> {
    Ok(store.root(&log_root(repo))?)
}

/// The ids of the records of a repository, oldest first.
pub fn record_ids(store: &Store, repo: &RepoAttribution) -> Result<Vec<BlobId>> {
    let Some(log_id) = log_id(store, repo)? else {
        return Ok(Vec::new());
    };
    let bytes = store.get(&log_id)?;
    let log: Log = serde_json::from_slice(&bytes).map_err(|e| RevenueError::Damaged {
        id: log_id,
        detail: format!("the revenue log does not parse: {e}"),
    })?;
    log.records
        .iter()
        .map(|s| {
            s.parse().map_err(|e| RevenueError::Damaged {
                id: log_id,
                detail: format!("the revenue log lists a bad id: {e}"),
            })
        })
        .collect()
}

/// Records `amount` (text, in `currency`) against `target` at HEAD, signed by `identity`;
/// returns the record's id.
pub fn record(
    store: &Store,
    identity: &Identity,
    repo: &mut RepoAttribution,
    target: &Target,
    amount: &str,
    currency: &str,
    memo: Option<String>,
) -> Result<BlobId> {
    let digits = shapley::currency_minor_digits(currency)?;
    let amount_minor = shapley::parse_amount(amount, digits)?;
    let head = repo.resolve("HEAD")?;
    check_target(repo, head, target)?;
    let record = Record {
        kind: RECORD_KIND.into(),
        repo: repo.root().display().to_string(),
        rev: head.to_string(),
        target: target.clone(),
        amount_minor,
        currency: currency.trim().to_ascii_uppercase(),
        memo,
        recorded_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        signer: identity.did().to_owned(),
    };
    let signature = hex(&identity.sign(&canonical(&record)));
    let id = store.put_bytes(
        &canonical(&Signed { record, signature }),
        &PutOptions {
            pin: true,
            links: vec![],
        },
    )?;
    // Append: a new log listing every record, linking them so gc keeps them.
    let mut ids = record_ids(store, repo)?;
    if !ids.contains(&id) {
        ids.push(id);
    }
    let log = Log {
        kind: LOG_KIND.into(),
        records: ids.iter().map(|i| i.to_string()).collect(),
    };
    let log_id = store.put_bytes(
        &canonical(&log),
        &PutOptions {
            pin: false,
            links: ids,
        },
    )?;
    store.set_root(&log_root(repo), &log_id)?;
    Ok(id)
}

/// Reads and verifies a stored record.
pub fn load_record(store: &Store, id: &BlobId) -> Result<Record> {
    let bytes = store.get(id)?;
    let signed: Signed = serde_json::from_slice(&bytes).map_err(|e| RevenueError::Damaged {
        id: *id,
        detail: e.to_string(),
    })?;
    let sig = unhex(&signed.signature).unwrap_or_default();
    if !verify_did(&signed.record.signer, &canonical(&signed.record), &sig) {
        return Err(RevenueError::BadSignature {
            id: *id,
            signer: signed.record.signer,
        });
    }
    Ok(signed.record)
}

/// Checks that `target` exists at `rev`: the file, and the symbol in it when named.
fn check_target(repo: &mut RepoAttribution, rev: git2::Oid, target: &Target) -> Result<()> {
    let unknown = || RevenueError::UnknownTarget {
        target: target.shown(),
        rev: rev.to_string(),
    };
    if target.is_repository() {
        return Ok(());
    }
    let shares = match repo.symbol_shares(rev, target.path.as_bytes(), None) {
        Ok(shares) => shares,
        Err(AttributionError::NotInRevision { .. }) => return Err(unknown()),
        Err(e) => return Err(e.into()),
    };
    if let Some(symbol) = &target.symbol
        && !shares.iter().any(|s| symbol_matches(&s.symbol, symbol))
    {
        return Err(unknown());
    }
    Ok(())
}

fn symbol_matches(s: &crate::symbols::Symbol, wanted: &str) -> bool {
    let qualified = match &s.container {
        Some(c) => format!("{c}::{}", s.name),
        None => s.name.clone(),
    };
    qualified == wanted || s.name == wanted
}

/// One contributor's part of a split.
#[derive(Debug, Clone, PartialEq)]
pub struct Payout {
    pub name: String,
    pub email: String,
    pub amount_minor: i64,
}

/// A split of every record of one currency at one revision.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub currency: String,
    pub total_minor: i64,
    /// Most paid first, then by email.
    pub contributors: Vec<Payout>,
    pub records: Vec<BlobId>,
    pub receipt: BlobId,
    pub rev: git2::Oid,
}

/// Splits the repository's records (of `currency`, or of the only currency there is) at
/// HEAD, and stores a receipt naming every input.
pub fn split(store: &Store, repo: &mut RepoAttribution, currency: Option<&str>) -> Result<Split> {
    let ids = record_ids(store, repo)?;
    if ids.is_empty() {
        return Err(RevenueError::NoRecords {
            repo: repo.root().display().to_string(),
        });
    }
    let mut records = Vec::with_capacity(ids.len());
    for id in &ids {
        records.push((*id, load_record(store, id)?));
    }
    let present: std::collections::BTreeSet<String> =
        records.iter().map(|(_, r)| r.currency.clone()).collect();
    let currency = match currency {
        Some(c) => {
            let c = c.trim().to_ascii_uppercase();
            if !present.contains(&c) {
                return Err(RevenueError::NoRecordsInCurrency {
                    currency: c,
                    present: present.into_iter().collect::<Vec<_>>().join(", "),
                });
            }
            c
        }
        None if present.len() == 1 => present.into_iter().next().unwrap_or_default(),
        None => {
            return Err(RevenueError::MixedCurrencies {
                currencies: present.into_iter().collect::<Vec<_>>().join(", "),
            });
        }
    };
    records.retain(|(_, r)| r.currency == currency);
    let head = repo.resolve("HEAD")?;
    let graph = repo.graph(head, &mut |_, _| {})?;
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut paid: BTreeMap<String, i64> = BTreeMap::new();
    let mut total: i64 = 0;
    for (_, r) in &records {
        total = total.saturating_add(r.amount_minor);
        for (email, amount) in split_record(&graph, r, &mut names)? {
            *paid.entry(email).or_default() += amount;
        }
    }
    let mut contributors: Vec<Payout> = paid
        .into_iter()
        .map(|(email, amount_minor)| Payout {
            name: names.get(&email).cloned().unwrap_or_default(),
            email,
            amount_minor,
        })
        .collect();
    contributors.sort_by(|a, b| {
        b.amount_minor
            .cmp(&a.amount_minor)
            .then_with(|| a.email.cmp(&b.email))
    });
    let record_ids: Vec<BlobId> = records.iter().map(|(id, _)| *id).collect();
    let receipt = json!({
        "kind": RECEIPT_KIND,
        "repo": repo.root().display().to_string(),
        "rev": head.to_string(),
        "index_version": crate::attribution::snapshot::VERSION,
        "method": "per record: weighted Shapley value of the unanimity game on the target's dependency closure (weights: lines), then each file's amount to its authors by credited lines; largest remainder, ties by id",
        "currency": currency,
        "total_minor": total,
        "records": record_ids.iter().map(|i| i.to_string()).collect::<Vec<_>>(),
        "contributors": contributors.iter().map(|p| json!({"name": p.name, "email": p.email, "amount_minor": p.amount_minor})).collect::<Vec<_>>(),
    });
    let receipt = store.put_bytes(
        &canonical(&receipt),
        &PutOptions {
            pin: true,
            links: record_ids.clone(),
        },
    )?;
    Ok(Split {
        currency,
        total_minor: total,
        contributors,
        records: record_ids,
        receipt,
        rev: head,
    })
}

/// What the code itself has earned at HEAD: each record's amount divided among the
/// files and symbols of its target's dependency closure (the first half of [`split`],
/// before each part goes to its authors), summed per currency and graph node id
/// (`file:PATH`, `symbol:PATH#NAME@LINE`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Earnings {
    /// Currency → node id → minor units.
    pub by_node: BTreeMap<String, BTreeMap<String, i64>>,
    /// Records whose target is no longer at HEAD, so they are not counted.
    pub skipped: usize,
}

/// The [`Earnings`] of every record of the repository; empty when there are none.
pub fn earnings(store: &Store, repo: &mut RepoAttribution) -> Result<Earnings> {
    let ids = record_ids(store, repo)?;
    let mut out = Earnings::default();
    if ids.is_empty() {
        return Ok(out);
    }
    let head = repo.resolve("HEAD")?;
    let graph = repo.graph(head, &mut |_, _| {})?;
    for id in &ids {
        let record = load_record(store, id)?;
        match member_amounts(&graph, &record) {
            Ok(parts) => {
                let by_node = out.by_node.entry(record.currency.clone()).or_default();
                for (node, amount) in parts {
                    *by_node.entry(node).or_default() += amount;
                }
            }
            Err(RevenueError::UnknownTarget { .. } | RevenueError::NobodyToPay { .. }) => {
                out.skipped += 1;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// One record's money by author email.
fn split_record(
    graph: &crate::graph::ContributionGraph,
    record: &Record,
    names: &mut BTreeMap<String, String>,
) -> Result<Vec<(String, i64)>> {
    let edges = graph.edges();
    let mut out = Vec::new();
    for (member, amount) in member_amounts(graph, record)? {
        let authors: Vec<(String, u64)> = edges
            .iter()
            .filter(|e| e.kind == EdgeKind::Authored && e.to == member)
            .map(|e| {
                let email = e.from.trim_start_matches("person:").to_owned();
                if let Some(n) = graph.get(e.from) {
                    names.insert(email.clone(), n.label.clone());
                }
                (email, (e.weight * CREDIT_UNIT).round() as u64)
            })
            .filter(|(_, w)| *w > 0)
            .collect();
        if authors.is_empty() {
            return Err(RevenueError::NobodyToPay {
                target: member.trim_start_matches("file:").to_owned(),
            });
        }
        out.extend(shapley::split_minor_integer(amount, &authors)?);
    }
    Ok(out)
}

/// One record's money by member of its game: files and the symbol it names.
fn member_amounts(
    graph: &crate::graph::ContributionGraph,
    record: &Record,
) -> Result<Vec<(String, i64)>> {
    let file_id = format!("file:{}", record.target.path);
    // The contribution node: the file, or the symbol named (its line number may have moved).
    // A whole repository needs every file it has.
    let target_node = match &record.target.symbol {
        None if record.target.is_repository() => Some(String::new()),
        None => graph.get(&file_id).map(|n| n.id.clone()),
        Some(sym) => graph
            .nodes()
            .into_iter()
            .filter(|n| n.kind == NodeKind::Symbol)
            .find(|n| {
                n.id.strip_prefix(&format!("symbol:{}#", record.target.path))
                    .and_then(|rest| rest.rsplit_once('@'))
                    .is_some_and(|(q, _)| q == sym || q.rsplit("::").next() == Some(sym.as_str()))
            })
            .map(|n| n.id.clone()),
    }
    .ok_or_else(|| RevenueError::UnknownTarget {
        target: record.target.shown(),
        rev: "HEAD".into(),
    })?;
    // D(c): the target and the in-repository files its file imports, transitively.
    let members: Vec<String> = if record.target.is_repository() {
        graph
            .nodes()
            .into_iter()
            .filter(|n| n.kind == NodeKind::File)
            .map(|n| n.id.clone())
            .collect()
    } else {
        let mut members = vec![target_node.clone()];
        for dep in graph.dependency_closure(&file_id) {
            if dep != file_id && dep.starts_with("file:") {
                members.push(dep);
            }
        }
        members
    };
    // Weights: lines, from the graph (a file's lines; a symbol's `contains` edge).
    let edges = graph.edges();
    let lines_of = |id: &str| -> u64 {
        if id.starts_with("symbol:") {
            edges
                .iter()
                .find(|e| e.kind == EdgeKind::Contains && e.to == id)
                .map_or(0, |e| e.weight as u64)
        } else {
            graph
                .get(id)
                .and_then(|n| n.attrs.get("lines"))
                .and_then(|l| l.parse().ok())
                .unwrap_or(0)
        }
    };
    let weights: Vec<(String, u64)> = members
        .iter()
        .map(|m| (m.clone(), lines_of(m)))
        .filter(|(_, w)| *w > 0)
        .collect();
    if weights.is_empty() {
        return Err(RevenueError::NobodyToPay {
            target: record.target.shown(),
        });
    }
    Ok(shapley::split_minor_integer(record.amount_minor, &weights)?)
}

/// A record as shown to people (and in `--json` listings).
pub fn describe(record: &Record) -> Value {
    json!({
        "target": record.target.shown(),
        "amount_minor": record.amount_minor,
        "currency": record.currency,
        "memo": record.memo,
        "rev": record.rev,
        "signer": record.signer,
        "recorded_at": record.recorded_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::home::Home;
    use crate::testutil::Fixture;

    struct Env {
        _tmp: tempfile::TempDir,
        store: Store,
        identity: Identity,
    }

    fn env() -> Env {
        let tmp = tempfile::tempdir().unwrap();
        let home = Home::open(tmp.path().join("home")).unwrap();
        Env {
            store: Store::open(&home).unwrap(),
            identity: Identity::load_or_create(&home).unwrap(),
            _tmp: tmp,
        }
    }

    fn repo() -> Fixture {
        let mut f = Fixture::new();
        f.write(
            "src/lib.rs",
            "mod util;\n\npub fn run() {\n    util::go();\n}\n",
        );
        f.write("src/util.rs", "pub fn go() {\n    let x = 1;\n}\n");
        f.commit("Alice", "start");
        f.write(
            "src/util.rs",
            "pub fn go() {\n    let x = 1;\n    let y = 2;\n}\n",
        );
        f.commit("Bob", "grow util");
        f
    }

    #[test]
    fn records_are_signed_stored_and_split_to_the_unit() {
        let e = env();
        let f = repo();
        let mut r = RepoAttribution::discover(&f.dir).unwrap();
        let a = record(
            &e.store,
            &e.identity,
            &mut r,
            &Target::parse("src/lib.rs"),
            "10.01",
            "usd",
            None,
        )
        .unwrap();
        let b = record(
            &e.store,
            &e.identity,
            &mut r,
            &Target::parse("src/util.rs::go"),
            "3",
            "USD",
            Some("tips".into()),
        )
        .unwrap();
        assert_eq!(record_ids(&e.store, &r).unwrap(), vec![a, b]);
        let rec = load_record(&e.store, &b).unwrap();
        assert_eq!((rec.amount_minor, rec.currency.as_str()), (300, "USD"));

        let s = split(&e.store, &mut r, None).unwrap();
        assert_eq!(s.total_minor, 1301);
        let paid: i64 = s.contributors.iter().map(|p| p.amount_minor).sum();
        assert_eq!(paid, 1301, "every unit is paid out");
        // lib.rs (5 lines, Alice) imports util.rs (4 lines: Alice 3, Bob 1): 1001 units
        // split 5:4 -> 556 to lib.rs and 445 to util.rs (445 = 334 Alice + 111 Bob);
        // go() (4 lines) takes 300 = 225 Alice + 75 Bob.
        let got: Vec<(&str, i64)> = s
            .contributors
            .iter()
            .map(|p| (p.email.as_str(), p.amount_minor))
            .collect();
        assert_eq!(
            got,
            vec![
                ("alice@example.com", 556 + 334 + 225),
                ("bob@example.com", 111 + 75)
            ]
        );
        // The same records at the same revision: the same receipt.
        let again = split(&e.store, &mut r, None).unwrap();
        assert_eq!(again.receipt, s.receipt);

        // What the code earned, before the authors' part: the same 556/445 and 300.
        let earned = earnings(&e.store, &mut r).unwrap();
        assert_eq!(earned.skipped, 0);
        let usd: Vec<(String, i64)> = earned.by_node["USD"]
            .iter()
            .map(|(k, v)| (k.split('@').next().unwrap().to_owned(), *v))
            .collect();
        assert_eq!(
            usd,
            vec![
                ("file:src/lib.rs".to_owned(), 556),
                ("file:src/util.rs".to_owned(), 445),
                ("symbol:src/util.rs#go".to_owned(), 300),
            ]
        );
    }

    #[test]
    fn a_whole_repository_pays_every_file_by_its_lines() {
        let e = env();
        let f = repo();
        let mut r = RepoAttribution::discover(&f.dir).unwrap();
        record(
            &e.store,
            &e.identity,
            &mut r,
            &Target::parse("."),
            "9",
            "USD",
            None,
        )
        .unwrap();
        let s = split(&e.store, &mut r, None).unwrap();
        // 9 lines in all: Alice wrote 8, Bob 1.
        let got: Vec<(&str, i64)> = s
            .contributors
            .iter()
            .map(|p| (p.email.as_str(), p.amount_minor))
            .collect();
        assert_eq!(
            got,
            vec![("alice@example.com", 800), ("bob@example.com", 100)]
        );
    }

    #[test]
    fn bad_records_are_refused() {
        let e = env();
        let f = repo();
        let mut r = RepoAttribution::discover(&f.dir).unwrap();
        let t = Target::parse("src/lib.rs");
        for (amount, currency) in [
            ("-1", "USD"),
            ("ten", "USD"),
            ("1.001", "USD"),
            ("1.5", "JPY"),
            ("1", "XXX"),
        ] {
            let err = record(&e.store, &e.identity, &mut r, &t, amount, currency, None);
            assert!(
                matches!(err, Err(RevenueError::Amount(_))),
                "{amount} {currency}: {err:?}"
            );
        }
        for target in ["missing.rs", "src/lib.rs::nope"] {
            let err = record(
                &e.store,
                &e.identity,
                &mut r,
                &Target::parse(target),
                "1",
                "USD",
                None,
            );
            assert!(
                matches!(err, Err(RevenueError::UnknownTarget { .. })),
                "{target}: {err:?}"
            );
        }
        assert!(matches!(
            split(&e.store, &mut r, None),
            Err(RevenueError::NoRecords { .. })
        ));
        record(&e.store, &e.identity, &mut r, &t, "1", "USD", None).unwrap();
        record(&e.store, &e.identity, &mut r, &t, "1", "EUR", None).unwrap();
        assert!(matches!(
            split(&e.store, &mut r, None),
            Err(RevenueError::MixedCurrencies { .. })
        ));
        assert_eq!(
            split(&e.store, &mut r, Some("eur")).unwrap().total_minor,
            100
        );
    }

    #[test]
    fn a_tampered_record_does_not_verify() {
        let e = env();
        let f = repo();
        let mut r = RepoAttribution::discover(&f.dir).unwrap();
        let id = record(
            &e.store,
            &e.identity,
            &mut r,
            &Target::parse("src/lib.rs"),
            "1",
            "USD",
            None,
        )
        .unwrap();
        let text = String::from_utf8(e.store.get(&id).unwrap()).unwrap();
        let forged = text.replace("\"amount_minor\":100", "\"amount_minor\":100000");
        assert_ne!(forged, text);
        let forged_id = e
            .store
            .put_bytes(forged.as_bytes(), &PutOptions::default())
            .unwrap();
        assert!(matches!(
            load_record(&e.store, &forged_id),
            Err(RevenueError::BadSignature { .. })
        ));
    }
}
