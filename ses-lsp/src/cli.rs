//! The command line, as clap sees it. Help texts here are the user's manual.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "ses",
    version,
    about = "SES: who wrote the code that is there now, what it earned, and your working contexts",
    long_about = None,
    propagate_version = true,
)]
pub struct Cli {
    /// The SES home, where all state lives [default: $XDG_DATA_HOME/ses or ~/.local/share/ses]
    #[arg(long, global = true, env = "SES_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print this user's identity: the did:key and the libp2p peer id of one ed25519 key
    Id {
        /// Print JSON: {"did", "peer_id"}
        #[arg(long)]
        json: bool,
    },
    /// Run the per-user daemon in the foreground, or manage the running one
    ///
    /// Other commands start the daemon on demand, so running it by hand is only needed to
    /// watch its log or to choose its idle timeout.
    Daemon(DaemonArgs),
    /// Serve the Language Server Protocol on stdin/stdout (the command editors run)
    Lsp {
        /// Accepted for clients that pass it; stdio is the transport
        #[arg(long)]
        stdio: bool,
    },
    /// Print a shell completion script
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DaemonArgs {
    /// Exit after this long without clients ("0" never exits)
    #[arg(
        long,
        env = "SES_DAEMON_IDLE_TIMEOUT",
        default_value = "10m",
        value_name = "DURATION"
    )]
    pub idle_timeout: humantime::Duration,

    #[command(subcommand)]
    pub command: Option<DaemonCommand>,
}

#[derive(Debug, Subcommand)]
pub enum DaemonCommand {
    /// Show whether the daemon runs, its pid, socket and uptime (exit 1 when not running)
    Status {
        /// Print JSON: {"running", "pid", "socket", "uptime_s", ...}
        #[arg(long)]
        json: bool,
    },
    /// Stop the running daemon and wait until it has exited
    Stop,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }
}
