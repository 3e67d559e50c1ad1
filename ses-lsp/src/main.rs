//! `ses`: the command line, the daemon and the language server bridge, in one binary.
//!
//! Exit codes: 0 success, 1 error (one `error: …` line on stderr), 2 bad usage (clap).

mod cli;
mod client;
mod daemon;
mod lsp;
mod rpc;

use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{CommandFactory, Parser};
use serde_json::{Value, json};
use ses_core::home::Home;
use ses_core::instance;

use crate::cli::{Cli, Command, DaemonCommand};
use crate::client::DaemonClient;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            // `{:#}` puts the whole cause chain on one line.
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn open_home(cli_home: Option<std::path::PathBuf>) -> anyhow::Result<Home> {
    let root = match cli_home {
        Some(root) => root,
        None => Home::default_root()?,
    };
    Ok(Home::open(root)?)
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "ses", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Id { json } => {
            let home = open_home(cli.home)?;
            let id = client::call_once(&home, "identity.get", json!({}))?;
            if json {
                print_json(&id);
            } else {
                println!("did      {}", str_field(&id, "did"));
                println!("peer id  {}", str_field(&id, "peer_id"));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Daemon(args) => {
            let home = open_home(cli.home)?;
            match args.command {
                None => run_daemon(home, args.idle_timeout),
                Some(DaemonCommand::Status { json }) => daemon_status(&home, json),
                Some(DaemonCommand::Stop) => daemon_stop(&home),
            }
        }
        Command::Lsp { stdio: _ } => {
            let home = open_home(cli.home)?;
            lsp_bridge(&home)
        }
    }
}

fn print_json(value: &Value) {
    // serde_json's map is a BTreeMap here (no preserve_order), so keys print sorted.
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("invariant: a Value always serialises")
    );
}

fn str_field<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("?")
}

fn run_daemon(home: Home, idle_timeout: humantime::Duration) -> anyhow::Result<ExitCode> {
    init_daemon_logging();
    let idle: Duration = idle_timeout.into();
    let config = daemon::DaemonConfig {
        idle_timeout: (!idle.is_zero()).then_some(idle),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ses-daemon")
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(daemon::run(home, config))?;
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

fn daemon_status(home: &Home, json: bool) -> anyhow::Result<ExitCode> {
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
        println!("running  pid {}", status["pid"]);
        println!("socket   {}", str_field(&status, "socket"));
        println!("home     {}", str_field(&status, "home"));
        println!(
            "uptime   {}",
            humantime::format_duration(Duration::from_secs(
                status["uptime_s"].as_u64().unwrap_or(0)
            ))
        );
        println!("clients  {}", status["clients"]);
        println!("idle     exits after {idle} without clients");
        println!("version  {}", str_field(&status, "version"));
    }
    Ok(ExitCode::SUCCESS)
}

fn daemon_stop(home: &Home) -> anyhow::Result<ExitCode> {
    let Some(mut client) = DaemonClient::connect(home)? else {
        println!("no daemon is running for {}", home.root().display());
        return Ok(ExitCode::SUCCESS);
    };
    let reply = client.call("daemon.stop", json!({}))?;
    let pid = reply["pid"].as_u64().unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(10);
    while instance::running_daemon(home)?.is_some() {
        if Instant::now() > deadline {
            anyhow::bail!("the daemon (pid {pid}) did not stop within 10 s; `kill {pid}` stops it");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    println!("stopped the daemon (pid {pid})");
    Ok(ExitCode::SUCCESS)
}

/// `ses lsp`: joins stdio to an LSP session inside the daemon, byte for byte.
fn lsp_bridge(home: &Home) -> anyhow::Result<ExitCode> {
    let mut client = DaemonClient::connect_or_start(home)?;
    client.call("lsp.open", json!({}))?;
    let (mut from_daemon, mut to_daemon) = client.into_parts();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut to_daemon);
        // The editor closed our stdin: let the session see end of input.
        let _ = to_daemon.shutdown(std::net::Shutdown::Write);
    });
    let mut stdout = std::io::stdout().lock();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from_daemon.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).context("lost the connection to the daemon"),
        };
        // LSP bodies do not end in a newline, so a line-buffered stdout would hold them.
        if stdout
            .write_all(&buf[..n])
            .and_then(|()| stdout.flush())
            .is_err()
        {
            // The editor is gone; nothing is left to serve.
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}
