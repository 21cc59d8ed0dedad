//! [`Sandbox`]: a temporary folder to run the `benchcore` binary in, with its store (a SQLite
//! file there, or a given URL) and nothing from the caller's environment that would change
//! what it does.

use benchcore::RunStore;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

/// A folder of its own and the store the binary uses there.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    /// The store's URL: a SQLite file in `dir` unless given.
    store: Option<String>,
}

impl Sandbox {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            store: None,
        }
    }

    /// A sandbox whose binary uses the store at `url`.
    pub fn with_store(url: &str) -> Self {
        Self {
            store: Some(url.to_owned()),
            ..Self::new()
        }
    }

    pub fn store_url(&self) -> String {
        self.store
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.dir.path().join("runs.db").display()))
    }

    /// `benchcore ARGS` in the folder, not started yet.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_benchcore"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("BENCHCORE_STORE", self.store_url())
            .env_remove("BENCHCORE_WORKSPACE")
            .env_remove("BENCHCORE_PRICING")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `benchcore ARGS` to the end.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Writes `content` to `name` in the folder; returns its path.
    pub fn write(&self, name: &str, content: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path.display().to_string()
    }

    /// The store, opened as the binary opens it.
    pub async fn store(&self) -> Arc<dyn RunStore> {
        benchcore_store::connect(&self.store_url())
            .await
            .unwrap()
            .store()
    }
}

/// A question set of `n` cases whose target is their input (the loopback servers echo it).
pub fn echo_suite(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!("{{\"id\": \"q{i:04}\", \"input\": \"echo {i}\", \"target\": \"echo {i}\"}}\n")
        })
        .collect()
}
