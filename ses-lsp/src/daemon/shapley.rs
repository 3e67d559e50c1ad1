//! The daemon's `shapley.solve` method: a game file's Shapley values (the language server
//! asks the same question the CLI does).

use std::path::PathBuf;

use serde::Deserialize;
use serde_json::{Value, json};
use ses_core::shapley::{self, SamplingOptions, ShapleyError, SolveOptions};

use crate::rpc::{self, RpcError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SolveParams {
    /// An absolute path to GAME.json: a table game for 20 players is tens of megabytes,
    /// more than one message may carry, so the daemon reads it (it runs as the same user).
    path: PathBuf,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    samples: Option<usize>,
    #[serde(default)]
    target_error: Option<f64>,
    #[serde(default)]
    explain: bool,
}

/// The seed when none is given: results are reproducible by default.
const DEFAULT_SEED: u64 = 1;
/// Pairs drawn when only a target error is given.
const DEFAULT_MAX_PAIRS: usize = 100_000;

fn shapley_error(e: ShapleyError) -> RpcError {
    RpcError::new(rpc::INVALID_PARAMS, e.to_string())
}

pub async fn solve(params: Value) -> Result<Value, RpcError> {
    let p: SolveParams = serde_json::from_value(params)
        .map_err(|e| RpcError::new(rpc::INVALID_PARAMS, format!("invalid params: {e}")))?;
    tokio::task::spawn_blocking(move || solve_blocking(p))
        .await
        .unwrap_or_else(|e| {
            Err(RpcError::new(
                rpc::INTERNAL_ERROR,
                format!("internal error: shapley failed: {e} (see the daemon log)"),
            ))
        })
}

fn solve_blocking(p: SolveParams) -> Result<Value, RpcError> {
    let text = std::fs::read_to_string(&p.path).map_err(|e| {
        RpcError::new(
            rpc::OPERATION_FAILED,
            format!("cannot read {}: {e}", p.path.display()),
        )
    })?;
    let game = shapley::parse_game(&text)
        .map_err(|e| RpcError::new(rpc::INVALID_PARAMS, format!("{}: {e}", p.path.display())))?;
    // Sampling is asked for by giving a budget or a target error.
    let sampling = p.samples.is_some() || p.target_error.is_some();
    let opts = SolveOptions {
        force_sampling: sampling,
        allow_sampling: sampling,
        sampling: SamplingOptions {
            seed: p.seed.unwrap_or(DEFAULT_SEED),
            max_samples: p.samples.unwrap_or(DEFAULT_MAX_PAIRS),
            target_error: p.target_error,
        },
    };
    let result = shapley::solve(&game, &opts).map_err(shapley_error)?;
    // Objects keyed by player: serde_json's maps are sorted, so output is deterministic.
    let values: serde_json::Map<String, Value> = result
        .values
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let mut out = json!({"method": result.method.as_str(), "values": values});
    if let Some(stderr) = &result.stderr {
        let stderr: serde_json::Map<String, Value> =
            stderr.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        out["stderr"] = Value::Object(stderr);
        out["samples"] = json!(result.samples);
    }
    if p.explain {
        out["explain"] = json!(shapley::explain(&game));
    }
    Ok(out)
}
