//! `ses attribute` and `ses blame`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};
use ses_core::home::Home;

use super::{outln, print_json, str_field};
use crate::client::DaemonClient;

/// Calls a whole-repository method, drawing its progress notifications as a bar.
fn call_with_progress(
    home: &Home,
    method: &str,
    repo: Option<PathBuf>,
    rev: Option<String>,
) -> anyhow::Result<Value> {
    let repo = std::path::absolute(repo.unwrap_or_else(|| PathBuf::from(".")))
        .context("cannot resolve the repository path")?;
    let mut client = DaemonClient::connect_or_start(home)?;
    // Drawn only when stderr is a terminal (indicatif hides it otherwise).
    let mut bar: Option<ProgressBar> = None;
    let result = client.call_with_notes(method, json!({"repo": repo, "rev": rev}), &mut |note| {
        let (Some(done), Some(total)) = (
            note["params"]["done"].as_u64(),
            note["params"]["total"].as_u64(),
        ) else {
            return;
        };
        let bar = bar.get_or_insert_with(|| {
            let b = ProgressBar::new(total);
            b.set_style(
                ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} commits ({eta})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b.set_message("indexing history");
            b
        });
        bar.set_length(total);
        bar.set_position(done);
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    result.map_err(|e| anyhow!(e))
}

pub fn attribute(
    home: &Home,
    repo: Option<PathBuf>,
    rev: Option<String>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let att = call_with_progress(home, "attribution.attribute", repo, rev)?;
    if json {
        let mut out = att.clone();
        if let Some(o) = out.as_object_mut() {
            o.remove("rev_name");
        }
        print_json(&out);
        return Ok(ExitCode::SUCCESS);
    }
    print_table(&att);
    Ok(ExitCode::SUCCESS)
}

fn print_table(att: &Value) {
    let rev = str_field(att, "rev");
    outln!(
        "{}  at {} ({})",
        str_field(att, "repo"),
        rev.get(..10).unwrap_or(rev),
        str_field(att, "rev_name")
    );
    let authors = att["authors"].as_array().cloned().unwrap_or_default();
    let name_w = authors
        .iter()
        .map(|a| str_field(a, "name").chars().count())
        .max()
        .unwrap_or(6)
        .clamp(6, 32);
    let email_w = authors
        .iter()
        .map(|a| str_field(a, "email").chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 64);
    outln!(
        "{:<name_w$}  {:<email_w$}  {:>9}  {:>6}  {:>5}",
        "AUTHOR",
        "EMAIL",
        "LINES",
        "SHARE",
        "FILES"
    );
    for a in &authors {
        let name: String = str_field(a, "name").chars().take(name_w).collect();
        let email: String = str_field(a, "email").chars().take(email_w).collect();
        outln!(
            "{:<name_w$}  {:<email_w$}  {:>9}  {:>5.1}%  {:>5}",
            name,
            email,
            a["lines"].as_u64().unwrap_or(0),
            a["share"].as_f64().unwrap_or(0.0) * 100.0,
            a["files"].as_u64().unwrap_or(0),
        );
    }
    let files = att["files"].as_array().map_or(0, Vec::len);
    outln!("{} lines in {files} files", att["total_lines"]);
    let ex_files = att["excluded"]["files"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let ex_people = att["excluded"]["people"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if !ex_files.is_empty() || !ex_people.is_empty() {
        let sum = |v: &[Value]| v.iter().filter_map(|x| x["lines"].as_u64()).sum::<u64>();
        outln!(
            "excluded: {} vendored/generated files ({} lines), {} bots ({} lines)",
            ex_files.len(),
            sum(&ex_files),
            ex_people.len(),
            sum(&ex_people)
        );
    }
}

pub fn blame(
    home: &Home,
    file: &Path,
    rev: Option<String>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let path =
        std::path::absolute(file).with_context(|| format!("cannot resolve {}", file.display()))?;
    let mut client = DaemonClient::connect_or_start(home)?;
    let result = client
        .call("attribution.blame", json!({"path": path, "rev": rev}))
        .map_err(|e| anyhow!(e))?;
    let lines = result["lines"].as_array().cloned().unwrap_or_default();
    if json {
        print_json(&Value::Array(lines));
        return Ok(ExitCode::SUCCESS);
    }
    let text = result["text"].as_array().cloned().unwrap_or_default();
    let width = lines.len().to_string().len();
    let name_w = lines
        .iter()
        .map(|l| str_field(l, "name").chars().count())
        .max()
        .unwrap_or(0)
        .min(24);
    for (l, t) in lines.iter().zip(text.iter()) {
        let commit = str_field(l, "commit");
        let name: String = str_field(l, "name").chars().take(name_w).collect();
        outln!(
            "{} {:<name_w$} {:>width$}) {}",
            commit.get(..8).unwrap_or(commit),
            name,
            l["line"],
            t.as_str().unwrap_or("")
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn graph(
    home: &Home,
    repo: Option<PathBuf>,
    rev: Option<String>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let g = call_with_progress(home, "attribution.graph", repo, rev)?;
    if json {
        print_json(&g);
        return Ok(ExitCode::SUCCESS);
    }
    let mut kinds: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for n in g["nodes"].as_array().map(Vec::as_slice).unwrap_or_default() {
        *kinds.entry(n["kind"].as_str().unwrap_or("?")).or_default() += 1;
    }
    let mut edge_kinds: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for e in g["edges"].as_array().map(Vec::as_slice).unwrap_or_default() {
        *edge_kinds
            .entry(e["kind"].as_str().unwrap_or("?"))
            .or_default() += 1;
    }
    outln!("{}  at {}", str_field(&g, "repo"), str_field(&g, "rev"));
    for (k, n) in kinds {
        outln!("{n:>8} {k} nodes");
    }
    for (k, n) in edge_kinds {
        outln!("{n:>8} {k} edges");
    }
    outln!("(--json prints the whole graph)");
    Ok(ExitCode::SUCCESS)
}
