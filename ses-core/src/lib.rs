//! The SES core: everything SES knows, as a library, with no knowledge of LSP, JSON-RPC or
//! the command line. Front ends (`ses-lsp`: the CLI, the daemon, the language server)
//! translate what this crate returns into their own vocabulary.
//!
//! # Map
//!
//! | module | capability |
//! | --- | --- |
//! | [`attribution`] | line ownership from git history, with `git blame` parity |
//! | [`context`] | working contexts: uncommitted work, HEAD and editor state saved under `refs/ses/`, switched without losing a byte |
//! | [`deps`] | what code depends on: packages declared in manifests, in-repository imports between files |
//! | [`graph`] | the contribution graph: people, commits, files, symbols, dependencies (petgraph) |
//! | [`home`] | the per-user home directory: its layout, creation and validation |
//! | [`identity`] | the user's ed25519 key, its `did:key` and libp2p peer id |
//! | [`instance`] | the single-daemon lock: at most one daemon per home, ever |
//! | [`revenue`] | signed revenue records against files and symbols, and their exact split to authors |
//! | [`shapley`] | Shapley values (closed form, exact, sampled) of contribution games, and splitting money by them in integers |
//! | [`store`] | content-addressed blobs (CIDv1, BLAKE3) in redb and files, verified reads |
//! | [`symbols`] | functions, methods and types in source text (tree-sitter): the lines each spans, for code lenses |
//!
//! # Example: the core without a daemon
//!
//! ```
//! use ses_core::{home::Home, identity::Identity};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let home = Home::open(dir.path().join("ses")).unwrap();
//! let id = Identity::load_or_create(&home).unwrap();
//! assert!(id.did().starts_with("did:key:z6Mk"));
//! // The same key opens the same identity again.
//! assert_eq!(Identity::load_or_create(&home).unwrap().did(), id.did());
//! ```

pub mod attribution;
pub mod context;
pub mod deps;
pub mod graph;
pub mod home;
pub mod identity;
pub mod instance;
pub mod revenue;
pub mod shapley;
pub mod store;
pub mod symbols;
#[cfg(test)]
pub(crate) mod testutil;
