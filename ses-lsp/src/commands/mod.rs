//! What each CLI command does on the client side: call the daemon, print the answer.

pub mod attribution;
pub mod context;
pub mod daemon;
pub mod helix;
pub mod lsp;
pub mod revenue;
pub mod shapley;
pub mod store;

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, anyhow};
use serde_json::Value;
use ses_core::home::Home;

use crate::client::DaemonClient;

/// One request to the daemon (started if need be); its error as the command's.
pub fn call(home: &Home, method: &str, params: Value) -> anyhow::Result<Value> {
    let mut client = DaemonClient::connect_or_start(home)?;
    client.call(method, params).map_err(|e| anyhow!(e))
}

/// `--repo`, or the current directory, made absolute (the daemon runs elsewhere).
pub fn repo_path(repo: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    std::path::absolute(repo.unwrap_or_else(|| PathBuf::from(".")))
        .context("cannot resolve the repository path")
}

/// `println!` for command output: a reader that closed the pipe (`| head`) ends the
/// command quietly instead of a panic; any other write error is an error.
macro_rules! outln {
    ($($arg:tt)*) => { $crate::commands::write_line(format_args!($($arg)*)) };
}
pub(crate) use outln;

pub fn write_line(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.write_all(b"\n")) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write the output: {e}");
        std::process::exit(1);
    }
}

/// Prints JSON for `--json`; keys come out sorted (serde_json without preserve_order).
pub fn print_json(value: &Value) {
    outln!(
        "{}",
        serde_json::to_string_pretty(value).expect("invariant: a Value always serialises")
    );
}

pub fn str_field<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("?")
}
