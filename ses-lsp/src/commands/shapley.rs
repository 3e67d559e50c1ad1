//! `ses shapley GAME.json`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use serde_json::{Value, json};
use ses_core::home::Home;

use super::{outln, print_json, str_field};
use crate::client::DaemonClient;

pub fn run(
    home: &Home,
    game: &Path,
    seed: Option<u64>,
    samples: Option<usize>,
    target_error: Option<f64>,
    explain: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let path =
        std::path::absolute(game).with_context(|| format!("cannot resolve {}", game.display()))?;
    let mut client = DaemonClient::connect_or_start(home)?;
    let params = json!({
        "path": path,
        "seed": seed,
        "samples": samples,
        "target_error": target_error,
        "explain": explain,
    });
    let result = client
        .call("shapley.solve", params)
        .map_err(|e| anyhow!(e))?;
    if json {
        print_json(&result);
        return Ok(ExitCode::SUCCESS);
    }
    if explain {
        outln!("{}", str_field(&result, "explain").trim_end());
        outln!("");
    }
    let values = result["values"].as_object().cloned().unwrap_or_default();
    let stderr = result["stderr"].as_object().cloned();
    outln!("method: {}", str_field(&result, "method"));
    let width = values
        .keys()
        .map(|k| k.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    for (name, v) in &values {
        let v = v.as_f64().unwrap_or(f64::NAN);
        match stderr
            .as_ref()
            .and_then(|s| s.get(name))
            .and_then(Value::as_f64)
        {
            Some(e) => outln!("{name:<width$}  {v:>14.6}  ± {e:.6}"),
            None => outln!("{name:<width$}  {v:>14.6}"),
        }
    }
    Ok(ExitCode::SUCCESS)
}
