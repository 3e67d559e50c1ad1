//! How attribution reads in an editor: lens titles, hovers and the full split that
//! `ses.showAttribution` shows. Pure functions of an [`Analysis`], so their output is
//! tested as text.
//!
//! Invariant: the percentages of a title add up to 100 (largest remainder), so a reader
//! never sees 33% · 33% · 33%.

use serde_json::{Value, json};
use ses_core::attribution::SymbolAuthor;
use ses_core::shapley::money::{currency_minor_digits, format_amount};

use super::analysis::{Analysis, Money};

/// People named on a lens before the rest are counted as "+N more".
const LENS_PEOPLE: usize = 3;

/// Integer percentages of `credits` that add up to 100 (largest remainder; ties to the
/// earlier, which is the larger credit since authors come sorted).
pub fn percents(credits: &[f64]) -> Vec<u32> {
    let total: f64 = credits.iter().sum();
    if total <= 0.0 {
        return vec![0; credits.len()];
    }
    let exact: Vec<f64> = credits.iter().map(|c| c * 100.0 / total).collect();
    let mut out: Vec<u32> = exact.iter().map(|e| e.floor() as u32).collect();
    let short = 100u32.saturating_sub(out.iter().sum());
    let mut order: Vec<usize> = (0..credits.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = exact[a] - exact[a].floor();
        let rb = exact[b] - exact[b].floor();
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &i in order.iter().take(short as usize) {
        out[i] += 1;
    }
    out
}

/// `$412.10`, `€3.00`, `£1.50`, or `12.00 CHF`.
pub fn money_text(currency: &str, minor: i64) -> String {
    let digits = currency_minor_digits(currency).unwrap_or(2);
    let amount = format_amount(minor, digits);
    match currency {
        "USD" => format!("${amount}"),
        "EUR" => format!("€{amount}"),
        "GBP" => format!("£{amount}"),
        _ => format!("{amount} {currency}"),
    }
}

fn money_list(money: &Money) -> String {
    money
        .iter()
        .map(|(c, m)| money_text(c, *m))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// `alice 62% · bob 38% · $412.10`.
pub fn lens_title(authors: &[SymbolAuthor], money: &Money) -> String {
    let credits: Vec<f64> = authors.iter().map(|a| a.credit).collect();
    let pct = percents(&credits);
    let mut parts: Vec<String> = authors
        .iter()
        .zip(&pct)
        .take(LENS_PEOPLE)
        .map(|(a, p)| format!("{} {p}%", a.person.name))
        .collect();
    if authors.len() > LENS_PEOPLE {
        parts.push(format!("+{} more", authors.len() - LENS_PEOPLE));
    }
    if parts.is_empty() {
        parts.push("no authors (excluded accounts only)".into());
    }
    if !money.is_empty() {
        parts.push(money_list(money));
    }
    parts.join(" · ")
}

/// The lens over the whole file (line 0).
pub fn file_lens_title(an: &Analysis) -> String {
    format!("File: {}", lens_title(&an.att.authors, &an.file_money))
}

/// The lens over symbol `i`.
pub fn symbol_lens_title(an: &Analysis, i: usize) -> String {
    lens_title(&an.att.symbols[i].authors, &an.symbol_money[i])
}

fn date(time: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(time.max(0) as u64);
    humantime::format_rfc3339_seconds(t).to_string()[..10].to_owned()
}

fn split_lines(authors: &[SymbolAuthor]) -> Vec<String> {
    let credits: Vec<f64> = authors.iter().map(|a| a.credit).collect();
    authors
        .iter()
        .zip(percents(&credits))
        .map(|(a, p)| {
            format!(
                "{} <{}>: {p}% ({} line{})",
                a.person.name,
                a.person.email,
                a.lines,
                if a.lines == 1 { "" } else { "s" }
            )
        })
        .collect()
}

/// Markdown for a hover on `line` (0-based).
pub fn hover(an: &Analysis, line: u32) -> Option<String> {
    let owner = an.att.lines.get(line as usize)?;
    let mut out = String::new();
    if owner.commit.is_zero() {
        out.push_str(&format!(
            "**{}** · not committed yet\n",
            escape(&owner.author.name)
        ));
    } else {
        let c = an.commits.get(&owner.commit);
        let short = &owner.commit.to_string()[..8];
        out.push_str(&format!(
            "**{}** · `{short}` · {}\n\n{}\n",
            escape(&owner.author.name),
            c.map(|c| date(c.time)).unwrap_or_default(),
            c.map(|c| escape(&c.summary)).unwrap_or_default(),
        ));
    }
    let (what, authors, money) = match an.symbol_at(line) {
        Some(i) => {
            let s = &an.att.symbols[i];
            (
                format!("{} `{}`", s.symbol.kind.as_str(), s.symbol.name),
                &s.authors,
                &an.symbol_money[i],
            )
        }
        None => (format!("`{}`", an.path), &an.att.authors, &an.file_money),
    };
    out.push_str(&format!("\n---\n{what}: {}\n", lens_title(authors, money)));
    Some(out)
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\`*_{}[]<>()#+-.!|".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The full split behind a lens: of the whole file, or of the symbol whose lens is on
/// `line` (else the innermost one around it): people, lines, commits, money and why.
pub fn detail(an: &Analysis, line: u32, whole_file: bool) -> (Value, String) {
    let symbol_ix = if whole_file {
        None
    } else {
        an.symbol_named_at(line).or_else(|| an.symbol_at(line))
    };
    let (symbol, range, authors, money) = match symbol_ix {
        Some(i) => {
            let s = &an.att.symbols[i];
            (
                Some(s),
                s.symbol.lines.clone(),
                &s.authors,
                &an.symbol_money[i],
            )
        }
        None => (
            None,
            0..an.att.lines.len() as u32,
            &an.att.authors,
            &an.file_money,
        ),
    };
    // Commits owning lines in the range, most lines first, then newest.
    let mut by_commit: std::collections::BTreeMap<git2::Oid, u32> = Default::default();
    for l in an
        .att
        .lines
        .iter()
        .skip(range.start as usize)
        .take((range.end - range.start) as usize)
    {
        *by_commit.entry(l.commit).or_default() += 1;
    }
    let mut commits: Vec<(git2::Oid, u32)> = by_commit.into_iter().collect();
    commits.sort_by(|a, b| {
        let time = |id: &git2::Oid| an.commits.get(id).map_or(i64::MAX, |c| c.time);
        b.1.cmp(&a.1)
            .then(time(&b.0).cmp(&time(&a.0)))
            .then(a.0.cmp(&b.0))
    });
    let credits: Vec<f64> = authors.iter().map(|a| a.credit).collect();
    let pct = percents(&credits);
    let total_credit: f64 = credits.iter().sum();
    let name = symbol.map_or_else(|| an.path.clone(), |s| s.symbol.name.clone());
    let why = "Each line belongs to the author of the commit `git blame` names for it \
        (.mailmap applied, .git-blame-ignore-revs honoured); lines not committed yet belong \
        to you. A commit's Co-authored-by people share its lines equally; bot accounts are \
        left out. Revenue recorded against code is split by the weighted Shapley value of \
        the unanimity game on the target's dependency closure (weights: lines), then among \
        each part's authors by credited lines: docs/revenue.md.";
    let json = json!({
        "version": an.version,
        "text_cid": an.text_id.to_string(),
        "path": an.path,
        "repo": an.top,
        "symbol": symbol.map(|s| json!({
            "name": s.symbol.name,
            "kind": s.symbol.kind.as_str(),
            "container": s.symbol.container,
        })),
        "range": {"start": range.start, "end": range.end},
        "lines": range.end - range.start,
        "uncommitted": symbol.map_or(an.att.uncommitted, |s| s.uncommitted),
        "authors": authors.iter().zip(&pct).map(|(a, p)| json!({
            "name": a.person.name,
            "email": a.person.email,
            "lines": a.lines,
            "credit": a.credit,
            "share": if total_credit > 0.0 { a.credit / total_credit } else { 0.0 },
            "percent": p,
        })).collect::<Vec<_>>(),
        "commits": commits.iter().map(|(id, n)| {
            let c = an.commits.get(id);
            json!({
                "id": id.to_string(),
                "lines": n,
                "uncommitted": id.is_zero(),
                "name": c.map(|c| c.author.name.clone()),
                "email": c.map(|c| c.author.email.clone()),
                "date": c.map(|c| date(c.time)),
                "summary": c.map(|c| c.summary.clone()),
            })
        }).collect::<Vec<_>>(),
        "money": money.iter().map(|(c, m)| json!({
            "currency": c, "amount_minor": m, "text": money_text(c, *m),
        })).collect::<Vec<_>>(),
        "why": why,
    });
    let mut text = format!(
        "{name}: {} lines\n{}",
        range.end - range.start,
        split_lines(authors).join("\n")
    );
    if !money.is_empty() {
        text.push_str(&format!("\nearned: {}", money_list(money)));
    }
    text.push_str(&format!(
        "\ncommits: {}",
        commits
            .iter()
            .take(5)
            .map(|(id, n)| if id.is_zero() {
                format!("uncommitted ({n})")
            } else {
                format!("{} ({n})", &id.to_string()[..8])
            })
            .collect::<Vec<_>>()
            .join(", ")
    ));
    (json, text)
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;

    use expect_test::expect;
    use ses_core::home::Home;
    use ses_core::store::Store;

    use super::*;
    use crate::daemon::attribution::Repos;
    use crate::lsp::analysis::{EarningsCache, compute};

    fn git(dir: &Path, args: &[&str], who: Option<&str>) {
        let mut cmd = Command::new("git");
        cmd.arg("-C")
            .arg(dir)
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", dir);
        if let Some(who) = who {
            let email = format!("{}@example.com", who.to_lowercase());
            for k in ["AUTHOR", "COMMITTER"] {
                cmd.env(format!("GIT_{k}_NAME"), who)
                    .env(format!("GIT_{k}_EMAIL"), &email)
                    .env(format!("GIT_{k}_DATE"), "1700000000 +0000");
            }
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A Rust file by Alice, Bob (with co-author Carol) and a bot, and the buffer edited.
    fn analysis() -> (tempfile::TempDir, Analysis) {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("repo");
        std::fs::create_dir(&repo).unwrap();
        git(&repo, &["init", "-q", "-b", "main"], None);
        git(&repo, &["config", "user.name", "Dee Local"], None);
        git(&repo, &["config", "user.email", "dee@example.com"], None);
        let file = repo.join("lib.rs");
        std::fs::write(
            &file,
            "pub struct Point {\n    x: i32,\n}\n\nfn one() -> i32 {\n    1\n}\n",
        )
        .unwrap();
        git(&repo, &["add", "-A"], None);
        git(&repo, &["commit", "-qm", "start"], Some("Alice"));
        std::fs::write(&file, "pub struct Point {\n    x: i32,\n    y: i32,\n}\n\nfn one() -> i32 {\n    let a = 1;\n    a\n}\n").unwrap();
        git(&repo, &["add", "-A"], None);
        git(
            &repo,
            &[
                "commit",
                "-qm",
                "y, and a local\n\nCo-authored-by: Carol <carol@example.com>",
            ],
            Some("Bob"),
        );
        std::fs::write(&file, "pub struct Point {\n    x: i32,\n    y: i32,\n}\n\nfn one() -> i32 {\n    let a = 1;\n    a\n}\n// generated\n").unwrap();
        git(&repo, &["add", "-A"], None);
        git(&repo, &["commit", "-qm", "stamp"], Some("renovate[bot]"));
        let home = Home::open(tmp.path().join("home")).unwrap();
        let store = std::sync::Arc::new(Store::open(&home).unwrap());
        let repos = Repos::new(store.clone());
        // The buffer: one more line in `one`, not saved.
        let text = "pub struct Point {\n    x: i32,\n    y: i32,\n}\n\nfn one() -> i32 {\n    let a = 1;\n    let b = a;\n    b\n}\n// generated\n";
        let an = compute(
            &repos,
            &store,
            &EarningsCache::default(),
            &file,
            text,
            (3, 1),
            &mut |_, _| {},
        )
        .unwrap_or_else(|_| panic!("attribution failed"));
        (tmp, an)
    }

    #[test]
    fn percentages_add_up_to_a_hundred() {
        assert_eq!(percents(&[1.0, 1.0, 1.0]), vec![34, 33, 33]);
        assert_eq!(percents(&[5.0, 3.0]), vec![63, 37]);
        assert_eq!(percents(&[2.0, 1.0, 0.0]), vec![67, 33, 0]);
        assert_eq!(percents(&[]), Vec::<u32>::new());
        assert_eq!(percents(&[0.0]), vec![0]);
    }

    #[test]
    fn money_reads_as_people_write_it() {
        assert_eq!(money_text("USD", 41210), "$412.10");
        assert_eq!(money_text("EUR", 5), "€0.05");
        assert_eq!(money_text("JPY", 1200), "1200 JPY");
        assert_eq!(money_text("CHF", 100), "1.00 CHF");
    }

    #[test]
    fn lens_titles_hover_and_detail() {
        let (_tmp, an) = analysis();
        let titles: Vec<String> = std::iter::once(file_lens_title(&an))
            .chain((0..an.att.symbols.len()).map(|i| {
                format!(
                    "{}: {}",
                    an.att.symbols[i].symbol.name_line,
                    symbol_lens_title(&an, i)
                )
            }))
            .collect();
        // The bot's line belongs to nobody; Bob's lines are shared with Carol.
        expect![[r#"
            [
                "File: Alice 60% · Dee Local 20% · Bob 10% · +1 more",
                "0: Alice 75% · Bob 13% · Carol 12%",
                "5: Alice 40% · Dee Local 40% · Bob 10% · +1 more",
            ]
        "#]]
        .assert_debug_eq(&titles);
        let hover = hover(&an, 2).unwrap();
        let hover = hover.replace(&an.att.lines[2].commit.to_string()[..8], "<id>");
        expect![[r#"
            **Bob** · `<id>` · 2023-11-14

            y, and a local

            ---
            struct `Point`: Alice 75% · Bob 13% · Carol 12%
        "#]]
        .assert_eq(&hover);
        let (json, text) = detail(&an, 5, false);
        assert_eq!(json["symbol"]["name"], "one");
        assert_eq!(json["uncommitted"], 2);
        assert_eq!(json["version"], 3);
        let text = text.replace(&an.att.lines[6].commit.to_string()[..8], "<bob>");
        let text = text.replace(&an.att.lines[5].commit.to_string()[..8], "<alice>");
        expect![[r#"
            one: 5 lines
            Alice <alice@example.com>: 40% (2 lines)
            Dee Local <dee@example.com>: 40% (2 lines)
            Bob <bob@example.com>: 10% (1 line)
            Carol <carol@example.com>: 10% (0 lines)
            commits: uncommitted (2), <alice> (2), <bob> (1)"#]]
        .assert_eq(&text);
    }
}
