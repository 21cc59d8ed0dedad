//! Runs that fail, end to end through the `benchcore` binary: their exit codes tell the
//! truth, no secret of an agent or a store leaves in any output, and a store or artifacts
//! folder that cannot be written stops the run with an error naming it.

mod exit_codes;
mod secrets;
mod store_faults;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A temp folder holding the store (unless a test passes its own) and every file written.
struct Sandbox {
    dir: tempfile::TempDir,
    store: Option<String>,
}

impl Sandbox {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            store: None,
        }
    }

    fn with_store(store: String) -> Self {
        Self {
            store: Some(store),
            ..Self::new()
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn store_url(&self) -> String {
        self.store
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.dir.path().join("runs.db").display()))
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_benchcore"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("BENCHCORE_STORE", self.store_url())
            .env_remove("BENCHCORE_WORKSPACE")
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn write(&self, name: &str, content: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path.display().to_string()
    }

    /// A question set of `n` echo questions.
    fn echo_suite(&self, n: usize) -> String {
        let lines: String = (0..n)
            .map(|i| {
                format!("{{\"id\": \"q{i}\", \"input\": \"echo {i}\", \"target\": \"echo {i}\"}}\n")
            })
            .collect();
        self.write("echo.jsonl", &lines)
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// An http base URL on loopback where nothing listens: every connection is refused.
fn refusing_base_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/v1")
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/questions")
}
