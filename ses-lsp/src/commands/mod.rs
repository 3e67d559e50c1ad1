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

use serde_json::Value;

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
