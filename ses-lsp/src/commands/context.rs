//! `ses context capture|switch|list|show|delete|recover`.

use std::process::ExitCode;

use serde_json::{Value, json};
use ses_core::home::Home;

use super::{call, outln, print_json, repo_path, str_field};
use crate::cli::ContextCommand;

fn items(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or_default()
}

/// `2 staged, 1 unstaged, 4 untracked` (or `clean`).
fn counts(c: &Value) -> String {
    let parts: Vec<String> = ["staged", "unstaged", "untracked"]
        .iter()
        .filter_map(|k| {
            let n = c[*k].as_u64().unwrap_or(0);
            (n > 0).then(|| format!("{n} {k}"))
        })
        .collect();
    if parts.is_empty() {
        "clean".to_owned()
    } else {
        parts.join(", ")
    }
}

fn age(created_ms: &Value) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let secs = now.saturating_sub(created_ms.as_u64().unwrap_or(0)) / 1000;
    match secs {
        0..60 => format!("{secs}s ago"),
        60..3600 => format!("{}m ago", secs / 60),
        3600..86400 => format!("{}h ago", secs / 3600),
        _ => format!("{}d ago", secs / 86400),
    }
}

fn print_notes(out: &Value) {
    for n in items(&out["notes"]) {
        outln!("note: {}", n.as_str().unwrap_or("?"));
    }
    for u in items(&out["untouched"]) {
        outln!(
            "left untouched: {} ({})",
            str_field(u, "path"),
            str_field(u, "why")
        );
    }
}

pub fn run(home: &Home, cmd: ContextCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ContextCommand::Capture { name, repo, json } => {
            let out = call(
                home,
                "context.capture",
                json!({"repo": repo_path(repo)?, "name": name}),
            )?;
            if json {
                print_json(&out);
            } else {
                outln!(
                    "saved {:?} version {} ({}: {}) in {} ms",
                    str_field(&out, "name"),
                    out["version"],
                    str_field(&out["head"], "describe"),
                    counts(&out["counts"]),
                    out["elapsed_ms"]
                );
                print_notes(&out);
            }
        }
        ContextCommand::Switch { name, repo, json } => {
            let out = call(
                home,
                "context.switch",
                json!({"repo": repo_path(repo)?, "name": name}),
            )?;
            if json {
                print_json(&out);
            } else if out["noop"] == json!(true) {
                outln!(
                    "{:?} is already the current context",
                    str_field(&out, "name")
                );
            } else {
                let saved = if out["saved"]["unchanged"] == json!(true) {
                    "unchanged since version"
                } else {
                    "saved as version"
                };
                outln!(
                    "switched to {:?} ({}: {}); {} {} changed; {:?} {saved} {} in {} ms",
                    str_field(&out, "name"),
                    str_field(&out["head"], "describe"),
                    counts(&out["restored"]["counts"]),
                    out["files"],
                    plural(&out["files"], "file"),
                    str_field(&out, "previous"),
                    out["saved"]["version"],
                    out["elapsed_ms"]
                );
                print_notes(&out);
            }
        }
        ContextCommand::List { repo, json } => {
            let out = call(home, "context.list", json!({"repo": repo_path(repo)?}))?;
            if json {
                print_json(&out);
                return Ok(ExitCode::SUCCESS);
            }
            if items(&out["contexts"]).is_empty() {
                outln!(
                    "no contexts yet; the current one is {:?} ({}): `ses context capture NAME` saves it",
                    str_field(&out, "current"),
                    str_field(&out["head"], "describe")
                );
            }
            for c in items(&out["contexts"]) {
                let l = &c["latest"];
                outln!(
                    "{} {:<24} {:>3} {:<8} {:<32} {:<36} {}",
                    if c["current"] == json!(true) {
                        "*"
                    } else {
                        " "
                    },
                    str_field(c, "name"),
                    c["versions"],
                    plural(&c["versions"], "version"),
                    str_field(&l["head"], "describe"),
                    counts(&l["counts"]),
                    age(&l["created_ms"])
                );
            }
            let pending = items(&out["pending"]);
            if !pending.is_empty() {
                outln!(
                    "{} interrupted switch(es) left saved work: see `ses context recover`",
                    pending.len()
                );
            }
        }
        ContextCommand::Show { name, repo, json } => {
            let out = call(
                home,
                "context.show",
                json!({"repo": repo_path(repo)?, "name": name}),
            )?;
            if json {
                print_json(&out);
                return Ok(ExitCode::SUCCESS);
            }
            let versions = items(&out["versions"]);
            outln!(
                "{}{}",
                str_field(&out, "name"),
                if out["current"] == json!(true) {
                    " (current)"
                } else {
                    ""
                }
            );
            if let Some(latest) = versions.first() {
                outln!(
                    "  {}: {}",
                    str_field(&latest["head"], "describe"),
                    counts(&latest["counts"])
                );
            }
            outln!("versions:");
            for v in versions {
                outln!(
                    "  {:>4}  {:<10} {:<8} {}",
                    v["version"],
                    age(&v["created_ms"]),
                    str_field(v, "reason"),
                    str_field(v, "commit")
                );
            }
            let files = items(&out["files"]);
            if !files.is_empty() {
                outln!("files:");
            }
            for f in files {
                outln!(
                    "  {:<10} {:<10} {}",
                    f["staged"].as_str().unwrap_or("-"),
                    f["worktree"].as_str().unwrap_or("-"),
                    str_field(f, "path")
                );
            }
            let interest = items(&out["interest"]);
            if !interest.is_empty() {
                outln!("most interesting:");
            }
            for i in interest.iter().take(10) {
                outln!(
                    "  {:>7.3}  {}",
                    i["score"].as_f64().unwrap_or(0.0),
                    str_field(i, "path")
                );
            }
            let docs = items(&out["editor"]["documents"]);
            if !docs.is_empty() {
                outln!("open documents (reopened in this order):");
            }
            for d in docs {
                outln!("  {}", str_field(d, "uri"));
            }
        }
        ContextCommand::Delete { name, repo, json } => {
            let out = call(
                home,
                "context.delete",
                json!({"repo": repo_path(repo)?, "name": name}),
            )?;
            if json {
                print_json(&out);
            } else {
                outln!(
                    "deleted {:?} ({} {})",
                    str_field(&out, "name"),
                    out["deleted"],
                    plural(&out["deleted"], "version")
                );
            }
        }
        ContextCommand::Recover {
            restore,
            repo,
            json,
        } => {
            let out = call(
                home,
                "context.recover",
                json!({"repo": repo_path(repo)?, "restore": restore}),
            )?;
            if json {
                print_json(&out);
            } else if restore.is_some() {
                outln!(
                    "restored {:?} as it was before switch {} ({} {} changed); what the working \
                     tree held is kept as {:?} version {}",
                    str_field(&out, "name"),
                    str_field(&out, "restored"),
                    out["files"],
                    plural(&out["files"], "file"),
                    str_field(&out["kept"], "name"),
                    out["kept"]["version"]
                );
                print_notes(&out);
            } else if items(&out["pending"]).is_empty() {
                outln!("nothing to recover: no switch was interrupted");
            } else {
                for p in items(&out["pending"]) {
                    outln!(
                        "{}  {:?} → {:?}  {}  (work saved as {:?} version {})",
                        str_field(p, "id"),
                        str_field(p, "from"),
                        str_field(p, "to"),
                        age(&p["started_ms"]),
                        str_field(p, "from"),
                        p["saved_version"]
                    );
                }
                outln!("`ses context recover --restore ID` puts that work back");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `word` or `words` (`version`, `file`), for a count.
fn plural(n: &Value, word: &str) -> String {
    if n.as_u64() == Some(1) {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}
