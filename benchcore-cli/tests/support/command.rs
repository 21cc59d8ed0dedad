//! The `benchcore` binary run in a folder of its own, with its own SQLite store there and
//! nothing from the caller's environment that would change what it does.

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `benchcore ARGS` in `dir` with the store `dir/runs.db`.
pub fn benchcore(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_benchcore"))
        .args(args)
        .current_dir(dir)
        .env(
            "BENCHCORE_STORE",
            format!("sqlite://{}", dir.join("runs.db").display()),
        )
        .env_remove("BENCHCORE_WORKSPACE")
        .env_remove("RUST_LOG")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Runs the question set `suite` (written to `dir/s.jsonl`) against the OpenAI-compatible
/// server at `base_url`, one attempt at a time, with `extra` arguments.
pub fn run_against(dir: &Path, suite: &str, base_url: &str, extra: &[&str]) -> Output {
    let path = dir.join("s.jsonl");
    std::fs::write(&path, suite).unwrap();
    let agent = format!("openai_compatible:m@{base_url}");
    let path = path.display().to_string();
    let mut args = vec!["run", path.as_str(), "-a", agent.as_str(), "-j", "1", "-q"];
    args.extend_from_slice(extra);
    benchcore(dir, &args)
}
