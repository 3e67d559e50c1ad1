//! `ses revenue record|list|split`.

use std::process::ExitCode;

use serde_json::{Value, json};
use ses_core::home::Home;
use ses_core::shapley::{currency_minor_digits, format_amount};

use super::{call, outln, print_json, repo_path, str_field};
use crate::cli::RevenueCommand;

fn money(minor: &Value, currency: &str) -> String {
    let digits = currency_minor_digits(currency).unwrap_or(2);
    format!(
        "{} {currency}",
        format_amount(minor.as_i64().unwrap_or(0), digits)
    )
}

pub fn run(home: &Home, cmd: RevenueCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        RevenueCommand::Record {
            repo,
            target,
            amount,
            currency,
            memo,
            json,
        } => {
            let out = call(
                home,
                "revenue.record",
                json!({"repo": repo_path(repo)?, "target": target, "amount": amount,
                       "currency": currency, "memo": memo}),
            )?;
            if json {
                print_json(&out);
            } else {
                outln!("{}", str_field(&out, "id"));
            }
        }
        RevenueCommand::List { repo, json } => {
            let out = call(home, "revenue.list", json!({"repo": repo_path(repo)?}))?;
            if json {
                print_json(&out);
            } else {
                for r in out["records"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                {
                    outln!(
                        "{}  {:>14}  {}{}",
                        str_field(r, "id"),
                        money(&r["amount_minor"], str_field(r, "currency")),
                        str_field(r, "target"),
                        r["memo"]
                            .as_str()
                            .map(|m| format!("  ({m})"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        RevenueCommand::Split {
            repo,
            currency,
            json,
        } => {
            let out = call(
                home,
                "revenue.split",
                json!({"repo": repo_path(repo)?, "currency": currency}),
            )?;
            if json {
                print_json(&out);
                return Ok(ExitCode::SUCCESS);
            }
            let cur = str_field(&out, "currency").to_owned();
            outln!(
                "{} in {} records, at {}",
                money(&out["total_minor"], &cur),
                out["records"].as_array().map_or(0, Vec::len),
                str_field(&out, "rev")
            );
            for c in out["contributors"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                outln!(
                    "{:<24}  {:<32}  {:>16}  {:>6.2}%",
                    str_field(c, "name"),
                    str_field(c, "email"),
                    money(&c["amount_minor"], &cur),
                    c["share"].as_f64().unwrap_or(0.0) * 100.0
                );
            }
            outln!("receipt {}", str_field(&out, "receipt"));
        }
    }
    Ok(ExitCode::SUCCESS)
}
