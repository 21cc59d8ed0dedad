//! The `benchcore` command as a library: parse [`Cli`], then [`run`] it.
//!
//! Exit codes: `0` every attempt has a verdict and every gate holds; `1` a gate failed
//! (`--min-pass-rate`, `--max-error-rate`, a kind's own checks); `2` a usage or runtime error;
//! `3` the run is incomplete: some attempts ended as errors, were skipped or never ran
//! (`benchcore resume RUN --retry-errors` retries them); `130` the run was cancelled with
//! Ctrl-C (it is resumable).

mod args;
mod args_admin;
mod batch_args;
mod commands;
mod dataset_args;
mod kinds;
mod output;
mod plan;
mod progress;
mod report;
mod run_ref;
mod server;
mod trace_args;
mod viewer;
mod voice_table;

pub use args::Cli;

use std::process::ExitCode;

/// Every attempt has a verdict (passed, failed or invalid) and every gate holds.
pub const EXIT_OK: u8 = 0;
/// A gate (`--min-pass-rate`, `--max-error-rate`) failed.
pub const EXIT_GATE: u8 = 1;
/// A usage or runtime error.
pub const EXIT_ERROR: u8 = 2;
/// The run finished incomplete: some attempts have no verdict (errors, skipped, not run).
/// A failed gate wins over it: `1` is for "the results are bad", `3` for "retry the rest".
pub const EXIT_INCOMPLETE: u8 = 3;
/// Cancelled with Ctrl-C; the run is resumable.
pub const EXIT_CANCELLED: u8 = 130;

/// Runs one command.
///
/// # Errors
/// Any failure, with its cause chain; the caller prints it with `{:#}` and exits 2.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let guard = cli.trace.install()?;
    let result = commands::dispatch(cli).await;
    // The export's last spans are sent off the runtime's threads, which it needs to send.
    let _ = tokio::task::spawn_blocking(move || drop(guard)).await;
    result
}

/// Loads `.env` from the current folder (or a parent) into the environment. Variables the shell
/// already set win: a `.env` value never overrides them. Call it before parsing [`Cli`], whose
/// options fall back to environment variables.
pub fn load_dotenv() {
    let _ = dotenvy::dotenv();
}

/// Whether the error is a closed stdout (`benchcore runs | head`): exit quietly.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
