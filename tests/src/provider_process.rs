//! A loopback provider in a process of its own, for benchmarks: the measured process then
//! pays nothing for serving.

use anyhow::Context;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A child process serving the loopback OpenAI server, killed when dropped. The program must
/// print `listening BASE_URL` as its first line (`bench-engine --serve LATENCY_MS` does).
#[derive(Debug)]
pub struct ProviderProcess {
    child: Child,
    /// The server's base URL (`http://127.0.0.1:PORT/v1`).
    pub base_url: String,
}

impl ProviderProcess {
    /// Starts `program --serve LATENCY_MS` and waits for its address.
    ///
    /// # Errors
    /// The program does not start or does not say where it listens.
    pub fn start(program: &Path, latency_ms: u64) -> anyhow::Result<Self> {
        let mut child = Command::new(program)
            .args(["--serve", &latency_ms.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .context("starting the loopback provider")?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("no stdout")?).read_line(&mut line)?;
        let base_url = line
            .trim()
            .strip_prefix("listening ")
            .with_context(|| format!("unexpected first line from the provider: {line:?}"))?
            .to_owned();
        Ok(Self { child, base_url })
    }
}

impl Drop for ProviderProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
