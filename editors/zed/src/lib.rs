//! The SES extension for Zed: starts `ses lsp` as a language server for common languages.
//!
//! The binary is `lsp.ses.binary.path` from the settings when set, else `ses` found on the
//! worktree's `PATH` (Zed's view of the login shell's environment). Arguments default to
//! `lsp`; `lsp.ses.binary.arguments` replaces them and `lsp.ses.binary.env` adds to the
//! shell environment (so `SES_HOME` can be set there).
//!
//! Invariant: a missing binary is an error that names both ways to fix it; the extension
//! never downloads anything.

use std::collections::BTreeMap;

use zed_extension_api::{self as zed, LanguageServerId, Result, settings::LspSettings};

/// The server's name in `extension.toml` and in the user's `lsp` settings.
const SERVER: &str = "ses";

struct SesExtension;

/// What `language_server_command` resolves, apart from Zed's types so it can be tested
/// natively.
#[derive(Debug, PartialEq, Eq)]
struct Launch {
    command: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

/// The user's `lsp.ses.binary` settings, as far as they concern the launch.
#[derive(Debug, Default)]
struct BinarySettings {
    path: Option<String>,
    arguments: Option<Vec<String>>,
    env: Option<BTreeMap<String, String>>,
}

fn resolve(
    settings: BinarySettings,
    on_path: Option<String>,
    shell_env: Vec<(String, String)>,
) -> Result<Launch> {
    let command = settings
        .path
        .filter(|p| !p.trim().is_empty())
        .or(on_path)
        .ok_or_else(|| {
            "SES: `ses` was not found on PATH. Install it (cargo install --path ses-lsp in the \
             SES repository) or set its path in Zed's settings: \
             {\"lsp\": {\"ses\": {\"binary\": {\"path\": \"/path/to/ses\"}}}}"
                .to_string()
        })?;
    let args = settings.arguments.unwrap_or_else(|| vec!["lsp".into()]);
    // The shell's variables, with the settings' values replacing same-named ones; sorted so
    // the same inputs give the same command.
    let mut env: BTreeMap<String, String> = shell_env.into_iter().collect();
    env.extend(settings.env.unwrap_or_default());
    Ok(Launch {
        command,
        args,
        env: env.into_iter().collect(),
    })
}

impl zed::Extension for SesExtension {
    fn new() -> Self {
        SesExtension
    }

    fn language_server_command(
        &mut self,
        language_server_id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<zed::Command> {
        if language_server_id.as_ref() != SERVER {
            return Err(format!(
                "SES: unknown language server {language_server_id} (this extension provides {SERVER})"
            ));
        }
        // Settings that fail to load (none written) mean defaults.
        let binary = LspSettings::for_worktree(SERVER, worktree)
            .ok()
            .and_then(|s| s.binary)
            .map(|b| BinarySettings {
                path: b.path,
                arguments: b.arguments,
                env: b.env.map(|e| e.into_iter().collect()),
            })
            .unwrap_or_default();
        let launch = resolve(binary, worktree.which(SERVER), worktree.shell_env())?;
        Ok(zed::Command {
            command: launch.command,
            args: launch.args,
            env: launch.env,
        })
    }

    fn language_server_initialization_options(
        &mut self,
        _language_server_id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<Option<zed::serde_json::Value>> {
        Ok(LspSettings::for_worktree(SERVER, worktree)
            .ok()
            .and_then(|s| s.initialization_options))
    }

    fn language_server_workspace_configuration(
        &mut self,
        _language_server_id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<Option<zed::serde_json::Value>> {
        Ok(LspSettings::for_worktree(SERVER, worktree)
            .ok()
            .and_then(|s| s.settings))
    }
}

zed::register_extension!(SesExtension);

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn ses_on_path_runs_ses_lsp_with_the_shell_environment() {
        let launch = resolve(
            BinarySettings::default(),
            Some("/usr/local/bin/ses".into()),
            env(&[("PATH", "/usr/bin"), ("HOME", "/home/a")]),
        )
        .unwrap();
        assert_eq!(
            launch,
            Launch {
                command: "/usr/local/bin/ses".into(),
                args: vec!["lsp".into()],
                env: env(&[("HOME", "/home/a"), ("PATH", "/usr/bin")]),
            }
        );
    }

    #[test]
    fn the_settings_path_wins_and_settings_env_overrides() {
        let settings = BinarySettings {
            path: Some("/opt/ses/bin/ses".into()),
            arguments: Some(vec!["lsp".into(), "--stdio".into()]),
            env: Some(BTreeMap::from([("SES_HOME".into(), "/tmp/h".into())])),
        };
        let launch = resolve(
            settings,
            Some("/usr/bin/ses".into()),
            env(&[("SES_HOME", "/old")]),
        )
        .unwrap();
        assert_eq!(launch.command, "/opt/ses/bin/ses");
        assert_eq!(launch.args, ["lsp", "--stdio"]);
        assert_eq!(launch.env, env(&[("SES_HOME", "/tmp/h")]));
    }

    #[test]
    fn missing_binary_says_how_to_fix_it() {
        let blank = BinarySettings {
            path: Some("  ".into()),
            ..BinarySettings::default()
        };
        let err = resolve(blank, None, vec![]).unwrap_err();
        assert!(err.contains("not found on PATH"), "{err}");
        assert!(err.contains("\"binary\": {\"path\""), "{err}");
    }
}
