//! The sandbox's own failures.

use std::path::PathBuf;

/// The sandbox itself broke, or cannot be built here: the command's result (if any) says
/// nothing of the code under test.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// The kernel lacks something the mode needs; the message names it and how to get it.
    #[error("the `{mode}` sandbox cannot run here: {missing}")]
    Unsupported {
        /// The mode asked for.
        mode: &'static str,
        /// What is missing, and how to get it.
        missing: String,
    },
    /// The program is not installed (not on `PATH`).
    #[error("cannot start `{0}`: not found on PATH")]
    NotFound(String),
    /// The folder could not be prepared.
    #[error("cannot prepare the sandbox folder {path}: {source}")]
    Setup {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A folder the command may read holds a path that must stay hidden from it.
    #[error(
        "{granted} would be readable in the sandbox and holds {hidden}, which must stay hidden; \
         move one of them"
    )]
    Exposed {
        /// The folder the sandbox grants.
        granted: PathBuf,
        /// The path it would expose.
        hidden: PathBuf,
    },
    /// The control group could not be made or joined, or a limit could not be set.
    #[error("the sandbox could not set its limits: {0}")]
    Limits(String),
    /// A step between fork and exec failed.
    #[error("cannot start the sandbox: {step}: {source}")]
    Launch {
        /// The step (`mount /proc`, `landlock restrict_self` …).
        step: &'static str,
        /// Why.
        source: std::io::Error,
    },
    /// The process could not be started.
    #[error("cannot start the sandbox: {0}")]
    Spawn(std::io::Error),
}
