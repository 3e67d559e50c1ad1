//! `ses daemon`, `ses daemon status`, `ses daemon stop`.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};
use ses_core::home::Home;
use ses_core::instance;

use super::{outln, print_json, str_field};
use crate::client::DaemonClient;
use crate::daemon as server;

pub fn run(home: Home, idle_timeout: humantime::Duration) -> anyhow::Result<ExitCode> {
    init_daemon_logging();
    let idle: Duration = idle_timeout.into();
    let config = server::DaemonConfig {
        idle_timeout: (!idle.is_zero()).then_some(idle),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ses-daemon")
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(server::run(home, config))?;
    Ok(ExitCode::SUCCESS)
}

fn init_daemon_logging() {
    let level = std::env::var("SES_LOG")
        .ok()
        .and_then(|l| l.parse::<tracing::Level>().ok())
        .unwrap_or(tracing::Level::INFO);
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false)
        .init();
}

pub fn status(home: &Home, json: bool) -> anyhow::Result<ExitCode> {
    let Some(mut client) = DaemonClient::connect(home)? else {
        if json {
            print_json(&json!({"running": false, "socket": home.socket_path()}));
        }
        eprintln!(
            "error: no daemon is running for {}; any command that needs one starts it, or run `ses daemon`",
            home.root().display()
        );
        return Ok(ExitCode::FAILURE);
    };
    let mut status = client.call("daemon.status", json!({}))?;
    if let Some(obj) = status.as_object_mut() {
        obj.insert("running".into(), Value::Bool(true));
    }
    if json {
        print_json(&status);
    } else {
        let idle = status["idle_timeout_s"]
            .as_u64()
            .map(|s| humantime::format_duration(Duration::from_secs(s)).to_string())
            .unwrap_or_else(|| "never".into());
        outln!("running  pid {}", status["pid"]);
        outln!("socket   {}", str_field(&status, "socket"));
        outln!("home     {}", str_field(&status, "home"));
        outln!(
            "uptime   {}",
            humantime::format_duration(Duration::from_secs(
                status["uptime_s"].as_u64().unwrap_or(0)
            ))
        );
        outln!("clients  {}", status["clients"]);
        outln!("idle     exits after {idle} without clients");
        outln!("version  {}", str_field(&status, "version"));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn stop(home: &Home) -> anyhow::Result<ExitCode> {
    let Some(mut client) = DaemonClient::connect(home)? else {
        outln!("no daemon is running for {}", home.root().display());
        return Ok(ExitCode::SUCCESS);
    };
    let reply = client.call("daemon.stop", json!({}))?;
    let pid = reply["pid"].as_u64().unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(10);
    // The lock goes first, then the process: wait for both, so that "stopped" is true.
    while instance::running_daemon(home)?.is_some() || process_alive(pid) {
        if Instant::now() > deadline {
            anyhow::bail!("the daemon (pid {pid}) did not stop within 10 s; `kill {pid}` stops it");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    outln!("stopped the daemon (pid {pid})");
    Ok(ExitCode::SUCCESS)
}

/// Whether `pid` is a live process (a zombie counts as dead: it has exited).
fn process_alive(pid: u64) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state is the first field after the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}
