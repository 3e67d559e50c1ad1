//! What each CLI command does on the client side: call the daemon, print the answer.

pub mod daemon;
pub mod lsp;
pub mod store;

use serde_json::Value;

/// Prints JSON for `--json`; keys come out sorted (serde_json without preserve_order).
pub fn print_json(value: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("invariant: a Value always serialises")
    );
}

pub fn str_field<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("?")
}
