//! The daemon's `revenue.*` methods: record, list and split revenue with the daemon's key,
//! store and attribution indexes.

use std::path::PathBuf;

use serde::Deserialize;
use serde_json::{Value, json};
use ses_core::revenue::{self, RevenueError, Target};

use super::Shared;
use super::attribution::attribution_error;
use crate::rpc::parse_params as parse;
use crate::rpc::{self, RpcError};

fn revenue_error(e: RevenueError) -> RpcError {
    match e {
        RevenueError::Attribution(a) => attribution_error(a),
        RevenueError::Amount(_) | RevenueError::UnknownTarget { .. } => {
            RpcError::new(rpc::INVALID_PARAMS, e.to_string())
        }
        RevenueError::NoRecords { .. } | RevenueError::NoRecordsInCurrency { .. } => {
            RpcError::new(rpc::NOT_FOUND, e.to_string())
        }
        _ => RpcError::new(rpc::OPERATION_FAILED, e.to_string()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordParams {
    repo: PathBuf,
    target: String,
    amount: String,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    memo: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SplitParams {
    repo: PathBuf,
    #[serde(default)]
    currency: Option<String>,
}

/// The `revenue.*` methods; `None` when `method` is not one of them.
pub async fn dispatch(
    shared: &std::sync::Arc<Shared>,
    method: &str,
    params: Value,
) -> Option<Result<Value, RpcError>> {
    let shared = shared.clone();
    let work: Box<dyn FnOnce() -> Result<Value, RpcError> + Send> = match method {
        "revenue.record" => Box::new(move || record(&shared, params)),
        "revenue.list" => Box::new(move || list(&shared, params)),
        "revenue.split" => Box::new(move || split(&shared, params)),
        _ => return None,
    };
    Some(tokio::task::spawn_blocking(work).await.unwrap_or_else(|e| {
        Err(RpcError::new(
            rpc::INTERNAL_ERROR,
            format!("internal error: revenue failed: {e} (see the daemon log)"),
        ))
    }))
}

fn record(shared: &Shared, params: Value) -> Result<Value, RpcError> {
    let p: RecordParams = parse(params)?;
    let (top, repo) = shared.repos.get(&p.repo)?;
    let mut repo = repo.lock().unwrap_or_else(|e| e.into_inner());
    let id = revenue::record(
        &shared.store,
        &shared.identity,
        &mut repo,
        &Target::parse(&p.target),
        &p.amount,
        p.currency.as_deref().unwrap_or("USD"),
        p.memo,
    )
    .map_err(revenue_error)?;
    let rec = revenue::load_record(&shared.store, &id).map_err(revenue_error)?;
    // Lenses show what code has earned: every editor on this repository refreshes.
    shared.watchers.changed(&top);
    Ok(json!({"id": id.to_string(), "record": revenue::describe(&rec)}))
}

fn list(shared: &Shared, params: Value) -> Result<Value, RpcError> {
    let p: SplitParams = parse(params)?;
    let (_, repo) = shared.repos.get(&p.repo)?;
    let repo = repo.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = Vec::new();
    for id in revenue::record_ids(&shared.store, &repo).map_err(revenue_error)? {
        let rec = revenue::load_record(&shared.store, &id).map_err(revenue_error)?;
        let mut v = revenue::describe(&rec);
        v["id"] = json!(id.to_string());
        out.push(v);
    }
    Ok(json!({"records": out}))
}

fn split(shared: &Shared, params: Value) -> Result<Value, RpcError> {
    let p: SplitParams = parse(params)?;
    let (top, repo) = shared.repos.get(&p.repo)?;
    let mut repo = repo.lock().unwrap_or_else(|e| e.into_inner());
    let s =
        revenue::split(&shared.store, &mut repo, p.currency.as_deref()).map_err(revenue_error)?;
    shared.repos.save(&top, &mut repo);
    let total = s.total_minor;
    Ok(json!({
        "currency": s.currency,
        "total_minor": total,
        "rev": s.rev.to_string(),
        "contributors": s.contributors.iter().map(|c| json!({
            "name": c.name,
            "email": c.email,
            "amount_minor": c.amount_minor,
            "share": if total == 0 { 0.0 } else { c.amount_minor as f64 / total as f64 },
        })).collect::<Vec<_>>(),
        "records": s.records.iter().map(|i| i.to_string()).collect::<Vec<_>>(),
        "receipt": s.receipt.to_string(),
    }))
}
