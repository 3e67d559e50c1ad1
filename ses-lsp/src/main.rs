//! `ses`: the command line, the daemon and the language server bridge, in one binary.
//!
//! Exit codes: 0 success, 1 error (one `error: …` line on stderr), 2 bad usage (clap).

mod cli;
mod client;
mod commands;
mod daemon;
mod lsp;
mod rpc;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use serde_json::json;
use ses_core::home::Home;

use crate::cli::{Cli, Command, DaemonCommand};
use crate::commands::{outln, print_json, str_field};

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
                outln!("did      {}", str_field(&id, "did"));
                outln!("peer id  {}", str_field(&id, "peer_id"));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Daemon(args) => {
            let home = open_home(cli.home)?;
            match args.command {
                None => commands::daemon::run(home, args.idle_timeout),
                Some(DaemonCommand::Status { json }) => commands::daemon::status(&home, json),
                Some(DaemonCommand::Stop) => commands::daemon::stop(&home),
            }
        }
        Command::Attribute { repo, rev, json } => {
            commands::attribution::attribute(&open_home(cli.home)?, repo, rev, json)
        }
        Command::Graph { repo, rev, json } => {
            commands::attribution::graph(&open_home(cli.home)?, repo, rev, json)
        }
        Command::Blame { file, rev, json } => {
            commands::attribution::blame(&open_home(cli.home)?, &file, rev, json)
        }
        Command::Shapley {
            game,
            seed,
            samples,
            target_error,
            explain,
            json,
        } => commands::shapley::run(
            &open_home(cli.home)?,
            &game,
            seed,
            samples,
            target_error,
            explain,
            json,
        ),
        Command::Context(cmd) => commands::context::run(&open_home(cli.home)?, cmd),
        Command::Revenue(cmd) => commands::revenue::run(&open_home(cli.home)?, cmd),
        Command::Store(cmd) => commands::store::run(&open_home(cli.home)?, cmd),
        Command::HelixConfig { languages } => commands::helix::run(languages),
        Command::Lsp { stdio: _ } => commands::lsp::bridge(&open_home(cli.home)?),
    }
}
