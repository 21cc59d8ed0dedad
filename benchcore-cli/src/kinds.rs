//! The kinds of benchmark this process runs, configured once from the command line: code
//! tasks get the sandbox of `--sandbox`, `--install-deps`, and the SQLite store file hidden
//! from their test commands.

use crate::args::{Cli, Command};
use anyhow::Context;
use benchcore::code_task::{CodeTaskKind, CodeTaskSettings, Isolation, Sandbox};
use benchcore::kind::SuiteKinds;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

static SETTINGS: OnceLock<CodeTaskSettings> = OnceLock::new();

/// Records the code-task options of the command line; the dispatcher calls it first.
///
/// # Errors
/// `--sandbox` names no mode.
pub(crate) fn configure(cli: &Cli) -> anyhow::Result<()> {
    let isolation = match cli.sandbox.as_deref() {
        None | Some("") => Isolation::default(),
        Some(mode) => mode
            .parse()
            .map_err(|e: String| anyhow::anyhow!("--sandbox: {e}"))?,
    };
    let mut settings = CodeTaskSettings::default();
    settings.isolation = isolation;
    settings.install_deps = cli.install_deps;
    settings.hidden = sqlite_file(&cli.store).into_iter().collect();
    settings.dry_run = matches!(&cli.command, Command::Run(args) if args.dry_run);
    let _ = SETTINGS.set(settings);
    Ok(())
}

/// The code-task settings (defaults when the dispatcher did not set them).
pub(crate) fn settings() -> CodeTaskSettings {
    SETTINGS.get().cloned().unwrap_or_default()
}

/// The built-in kinds, code tasks configured by the command line.
pub(crate) fn kinds() -> SuiteKinds {
    SuiteKinds::builtin().register(Arc::new(CodeTaskKind::new(settings())))
}

/// The file of a SQLite store URL (`sqlite://FILE`, or a plain path).
pub(crate) fn sqlite_file(url: &str) -> Option<PathBuf> {
    let file = match url.split_once("://") {
        Some(("sqlite", rest)) => rest.split('?').next().unwrap_or(rest),
        Some(_) => return None,
        None => url,
    };
    (!file.is_empty() && file != ":memory:").then(|| PathBuf::from(file))
}

/// The sandbox the settings ask for, with the store hidden from test commands.
///
/// # Errors
/// The kernel refuses what the mode needs.
pub(crate) fn sandbox(settings: &CodeTaskSettings) -> anyhow::Result<Sandbox> {
    let mut sandbox = Sandbox::new(settings.isolation).context(
        "code tasks need a sandbox (`--sandbox none` runs test commands without isolation)",
    )?;
    for path in &settings.hidden {
        sandbox = sandbox.hide(path);
    }
    Ok(sandbox)
}
