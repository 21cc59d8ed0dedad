//! A command to run in the sandbox.

use crate::Limits;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A command to run in the sandbox.
///
/// ```
/// use benchcore_sandbox::SandboxCommand;
/// let cmd = SandboxCommand::new(vec!["python3".into(), "-V".into()], "/tmp/attempt")
///     .cwd("/tmp/attempt/workspace")
///     .env("TASK_SETTING", "1")
///     .read_only("/var/cache/deps/task");
/// assert_eq!(cmd.argv[0], "python3");
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SandboxCommand {
    /// Program and arguments (no shell).
    pub argv: Vec<String>,
    /// The command's folder: with [`Isolation::Namespaces`](crate::Isolation::Namespaces), the
    /// only place it may write (besides its private `/tmp` and `/dev/shm`); measured against
    /// the disk limit. `HOME` and `TMPDIR` are made inside it.
    pub root: PathBuf,
    /// Where the command runs: `root` or a folder inside it.
    pub cwd: PathBuf,
    /// The environment, on top of a scrubbed base (see [`base_env`](crate::base_env)).
    pub env: BTreeMap<String, String>,
    /// The limits.
    pub limits: Limits,
    /// More folders the command may read (a dependency cache), besides system and toolchain
    /// folders.
    pub read_only: Vec<PathBuf>,
    /// Paths that must stay hidden from the command (a catalog, a store): running fails with
    /// [`SandboxError::Exposed`](crate::SandboxError::Exposed) when a readable folder holds one.
    pub hidden: Vec<PathBuf>,
    /// Keeps the machine's network (a dependency install); everything else stays isolated.
    pub network: bool,
}

impl SandboxCommand {
    /// A command run in `root` with default limits.
    pub fn new(argv: Vec<String>, root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        Self {
            argv,
            cwd: root.clone(),
            root,
            env: BTreeMap::new(),
            limits: Limits::default(),
            read_only: Vec::new(),
            hidden: Vec::new(),
            network: false,
        }
    }

    /// Runs in `cwd` instead.
    pub fn cwd(mut self, cwd: impl Into<PathBuf>) -> Self {
        self.cwd = cwd.into();
        self
    }

    /// Sets the limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Adds an environment variable.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }

    /// Lets the command read this folder too.
    pub fn read_only(mut self, path: impl Into<PathBuf>) -> Self {
        self.read_only.push(path.into());
        self
    }

    /// Keeps this path hidden from the command.
    pub fn hide(mut self, path: impl Into<PathBuf>) -> Self {
        self.hidden.push(path.into());
        self
    }

    /// Keeps (`true`) or removes (`false`, the default) the network.
    pub fn network(mut self, network: bool) -> Self {
        self.network = network;
        self
    }
}
