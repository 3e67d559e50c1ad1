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
    /// Who wrote the code that is there now: lines and shares by person, as `git blame` counts
    ///
    /// Builds the repository's line-ownership index on first use (a progress bar shows on a
    /// terminal); later calls reuse it and walk only new commits. Lines of `[bot]` accounts
    /// and of linguist-vendored/-generated files are left out and reported.
    Attribute {
        /// A path inside the repository [default: the current directory]
        repo: Option<PathBuf>,
        /// The revision to attribute [default: HEAD]
        #[arg(long, value_name = "REV")]
        rev: Option<String>,
        /// Print JSON: {"repo", "rev", "total_lines", "authors", "files", "excluded"}
        #[arg(long)]
        json: bool,
    },
    /// The commit and author of every line of a file, like `git blame`
    ///
    /// Without --rev, the file as it is on disk: lines that differ from HEAD are
    /// uncommitted (commit 0000…) and credited to you (git config user.name/email).
    Blame {
        file: PathBuf,
        /// Blame the file as it is at this revision instead
        #[arg(long, value_name = "REV")]
        rev: Option<String>,
        /// Print JSON: [{"line", "commit", "name", "email"}]
        #[arg(long)]
        json: bool,
    },
    /// The contribution graph: people, commits, files, symbols and what depends on what
    Graph {
        /// A path inside the repository [default: the current directory]
        repo: Option<PathBuf>,
        /// The revision [default: HEAD]
        #[arg(long, value_name = "REV")]
        rev: Option<String>,
        /// Print JSON: {"repo", "rev", "nodes": [{"id", "kind", "label", …}], "edges": [{"from", "to", "kind", "weight"}]}
        #[arg(long)]
        json: bool,
    },
    /// Shapley values of a game: closed form for unanimity games, exact for tables,
    /// sampled (with standard errors) when asked
    ///
    /// GAME.json is {"players": [...], "unanimity": [{"members": [...], "value": V}],
    /// "weights": {...}} or {"players": [...], "table": {"": 0, "a": 1, "a,b": 3, ...}}.
    Shapley {
        game: PathBuf,
        /// Seed of the permutation sampler (the same seed gives the same estimates)
        #[arg(long, value_name = "S")]
        seed: Option<u64>,
        /// Sample at most N antithetic pairs instead of computing exactly
        #[arg(long, value_name = "N")]
        samples: Option<usize>,
        /// Sample until every standard error is at most E (in the game's units)
        #[arg(long, value_name = "E")]
        target_error: Option<f64>,
        /// Explain the players, the characteristic function, the weights and the axioms
        #[arg(long)]
        explain: bool,
        /// Print JSON: {"method", "values", "stderr"?}
        #[arg(long)]
        json: bool,
    },
    /// Revenue: record what code earned, and split it to the people who wrote it
    #[command(subcommand)]
    Revenue(RevenueCommand),
    /// Working contexts: save everything about where you are in a repository (branch,
    /// every uncommitted change, open editors) under a name, and switch to another
    ///
    /// Work is saved as git objects under refs/ses/contexts/ and read back before anything
    /// is changed; a switch a crash interrupted is listed and undone by `recover`.
    #[command(subcommand)]
    Context(ContextCommand),
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
    /// The content store: blobs named by their content id (CIDv1, BLAKE3)
    #[command(subcommand)]
    Store(StoreCommand),
    /// Serve the Language Server Protocol on stdin/stdout (the command editors run)
    Lsp {
        /// Accepted for clients that pass it; stdio is the transport
        #[arg(long)]
        stdio: bool,
    },
    /// Print a Helix languages.toml that adds `ses` to languages, keeping Helix's own servers
    ///
    /// A `[[language]]`'s `language-servers` list replaces Helix's defaults, so each entry
    /// lists the language's default servers (from the Helix release named in the output)
    /// followed by `ses`. See editors/helix/README.md.
    HelixConfig {
        /// Only these languages, by Helix name (e.g. rust,python,typescript) [default: all]
        #[arg(long, value_delimiter = ',', value_name = "LANG,...")]
        languages: Option<Vec<String>>,
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

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Store a file (or standard input, with -) and print its id; pinned unless --no-pin
    Put {
        /// The file to store, or - for standard input
        path: PathBuf,
        /// Do not pin: gc may remove the blob once its grace period has passed
        #[arg(long)]
        no_pin: bool,
        /// Print JSON: {"cid", "size", "pinned"}
        #[arg(long)]
        json: bool,
    },
    /// Write a blob's bytes, verified, to standard output or a file
    Get {
        /// The blob's id (bafkr4…)
        id: String,
        /// Write to this file instead of standard output (replaced only when complete)
        #[arg(short, long, value_name = "PATH")]
        output: Option<PathBuf>,
        /// Only these bytes: START..END (END exclusive) or START.. (to the end)
        #[arg(long, value_name = "START..END", value_parser = parse_range)]
        range: Option<(u64, Option<u64>)>,
    },
    /// Show a blob's size and whether it is pinned
    Stat {
        id: String,
        /// Print JSON: {"cid", "size", "pinned"}
        #[arg(long)]
        json: bool,
    },
    /// List every blob, sorted by id
    Ls {
        /// Print JSON: [{"cid", "size", "pinned"}, …]
        #[arg(long)]
        json: bool,
    },
    /// Pin a blob: gc keeps it and everything it links to
    Pin { id: String },
    /// Remove a blob's pin
    Unpin { id: String },
    /// Check every blob against its id; list the damaged ones and exit 1 if there is any
    Verify {
        /// Print JSON: {"checked", "corrupt": [{"cid", "detail"}]}
        #[arg(long)]
        json: bool,
    },
    /// Remove blobs that no pin reaches and that are older than the grace period
    Gc {
        /// Spare blobs stored less than this long ago ("0s" collects everything unpinned)
        #[arg(long, default_value = "15m", value_name = "DURATION")]
        grace: humantime::Duration,
        /// Print JSON: {"removed": […], "freed_bytes", "kept"}
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ContextCommand {
    /// Save the current state (branch, staged, unstaged and untracked files) as a new
    /// version of NAME, which becomes the current context
    Capture {
        name: String,
        /// A path inside the repository [default: the current directory]
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,
        /// Print JSON: {"name", "version", "commit", "ref", "head", "counts", …}
        #[arg(long)]
        json: bool,
    },
    /// Save the current context, then restore NAME: its branch and uncommitted work exactly
    ///
    /// Refused during a merge, rebase, cherry-pick, revert or bisect, and when a file that is
    /// not saved (an ignored one) is in the way; nothing is changed then.
    Switch {
        name: String,
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,
        /// Print JSON: {"name", "previous", "noop", "saved", "restored", "head", "files",
        /// "notes", "untouched", "editor", "elapsed_ms"}
        #[arg(long)]
        json: bool,
    },
    /// List the repository's contexts; the current one is marked with *
    List {
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,
        /// Print JSON: {"repo", "current", "head", "contexts": [...], "pending": [...]}
        #[arg(long)]
        json: bool,
    },
    /// A context's versions, files, most interesting files and editor state
    Show {
        name: String,
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,
        /// Print JSON: {"name", "current", "versions", "files", "interest", "editor"}
        #[arg(long)]
        json: bool,
    },
    /// Forget every saved version of a context (the working tree is not touched)
    Delete {
        name: String,
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,
        /// Print JSON: {"name", "deleted"}
        #[arg(long)]
        json: bool,
    },
    /// List switches a crash interrupted, or put back the work one of them saved
    Recover {
        /// Restore the state from before the interrupted switch ID (what is in the working
        /// tree now is saved first)
        #[arg(long, value_name = "ID")]
        restore: Option<String>,
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,
        /// Print JSON: {"pending": [...]} or, with --restore, {"restored", "name", "kept", …}
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RevenueCommand {
    /// Record revenue earned by a file or a symbol (signed with your key, append-only)
    Record {
        /// The repository [default: the current directory]
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,
        /// What earned it: PATH (relative to the repository's top) or PATH::SYMBOL
        #[arg(long, value_name = "PATH[::SYMBOL]")]
        target: String,
        /// The amount, e.g. 12.34 (no more decimals than the currency has)
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        /// ISO 4217 code
        #[arg(long, default_value = "USD")]
        currency: String,
        /// A note kept with the record
        #[arg(long)]
        memo: Option<String>,
        /// Print JSON: {"id", "record"}
        #[arg(long)]
        json: bool,
    },
    /// List the repository's revenue records, oldest first
    List {
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,
        /// Print JSON: {"records": [...]}
        #[arg(long)]
        json: bool,
    },
    /// Every contributor's total over all records, split exactly to the unit, with a receipt
    Split {
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,
        /// Split the records in this currency (needed when there are several)
        #[arg(long)]
        currency: Option<String>,
        /// Print JSON: {"currency", "total_minor", "contributors", "records", "receipt"}
        #[arg(long)]
        json: bool,
    },
}

/// Parses START..END or START.. into (start, end).
fn parse_range(s: &str) -> Result<(u64, Option<u64>), String> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| format!("{s:?} is not START..END (END exclusive) or START.."))?;
    let start = a
        .parse::<u64>()
        .map_err(|e| format!("start {a:?} is not a byte offset: {e}"))?;
    let end = if b.is_empty() {
        None
    } else {
        Some(
            b.parse::<u64>()
                .map_err(|e| format!("end {b:?} is not a byte offset: {e}"))?,
        )
    };
    if let Some(end) = end
        && end < start
    {
        return Err(format!("end {end} is before start {start}"));
    }
    Ok((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn ranges_parse() {
        assert_eq!(parse_range("0..10"), Ok((0, Some(10))));
        assert_eq!(parse_range("5.."), Ok((5, None)));
        assert_eq!(parse_range("7..7"), Ok((7, Some(7))));
        assert!(parse_range("10..5").is_err());
        assert!(parse_range("x..5").is_err());
        assert!(parse_range("5").is_err());
    }
}
