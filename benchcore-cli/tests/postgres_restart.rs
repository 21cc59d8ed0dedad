//! The PostgreSQL server restarts in the middle of a run: the run either rides through it or
//! stops resumable with an error naming the store (its password hidden); after `resume`,
//! every case has exactly one record, none lost and none doubled.
//!
//! The test restarts the machine's own cluster with `pg_ctlcluster` (root only), so it lives
//! in a test binary of its own: cargo runs test binaries one after another, and no other
//! test's connection is cut.

use benchcore_tests::require_tool;
use benchcore_tests::servers::{OpenAiServer, ServerConfig};
use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::Duration;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The cluster's version folder (`/etc/postgresql/15`): what `pg_ctlcluster` is given.
fn cluster_version() -> Option<String> {
    let mut versions: Vec<String> = std::fs::read_dir("/etc/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    versions.sort();
    versions.pop()
}

fn restart_postgres(version: &str) {
    let out = Command::new("pg_ctlcluster")
        .args(["--skip-systemctl-redirect", version, "main", "restart"])
        .output()
        .expect("pg_ctlcluster runs");
    assert!(
        out.status.success(),
        "restart failed: {}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_restart_mid_run_loses_and_doubles_nothing() {
    if !require_tool("pg_ctlcluster", "postgresql-common") {
        return;
    }
    let Some(version) = cluster_version() else {
        panic!("pg_ctlcluster is here but /etc/postgresql holds no cluster");
    };
    let base = std::env::var("BENCHCORE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let store = format!("{base}?schema=restart_{}_{nanos}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let cases = 400;
    let lines: String = (0..cases)
        .map(|i| {
            format!("{{\"id\": \"q{i:03}\", \"input\": \"echo {i}\", \"target\": \"echo {i}\"}}\n")
        })
        .collect();
    let suite = dir.path().join("echo.jsonl");
    std::fs::write(&suite, lines).unwrap();
    // 400 answers at 40 ms, 8 at a time: about 2 s of run around the restart.
    let server = OpenAiServer::start(ServerConfig {
        latency: Duration::from_millis(40),
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let agent = format!("openai_compatible:m@{}", server.base_url());
    let benchcore = |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_benchcore"));
        cmd.args(args)
            .current_dir(dir.path())
            .env("BENCHCORE_STORE", &store)
            .env_remove("BENCHCORE_WORKSPACE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    };
    let suite_arg = suite.display().to_string();
    let mut run = benchcore(&["run", &suite_arg, "-a", &agent, "-j", "8", "-q"])
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        run.try_wait().unwrap().is_none(),
        "the run must still be going when the server restarts"
    );
    let version_for_restart = version.clone();
    tokio::task::spawn_blocking(move || restart_postgres(&version_for_restart))
        .await
        .unwrap();
    let first = tokio::task::spawn_blocking(move || run.wait_with_output().unwrap())
        .await
        .unwrap();
    let err = text(&first.stderr);
    match first.status.code() {
        // Rode through the restart.
        Some(0) => {}
        // Stopped, saying where results could not go; the password would be `***`.
        Some(2) => assert!(err.contains("127.0.0.1"), "{err}"),
        other => panic!("the run ended with {other:?}: {err}"),
    }
    // Resume until the run is complete (one resume normally; the store is back).
    let mut resumed = 0;
    loop {
        let out = benchcore(&["resume", "latest", "-q"]).output().unwrap();
        resumed += 1;
        if out.status.success() {
            break;
        }
        assert!(resumed < 5, "resume keeps failing: {}", text(&out.stderr));
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let out = benchcore(&["export", "latest", "--format", "jsonl"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut seen: HashMap<String, usize> = HashMap::new();
    for line in text(&out.stdout).lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        *seen
            .entry(record["case_id"].as_str().unwrap().to_owned())
            .or_default() += 1;
        assert_eq!(record["outcome"], "passed", "{record}");
    }
    assert_eq!(seen.len(), cases, "every case recorded");
    assert!(seen.values().all(|&n| n == 1), "no case recorded twice");
    let _ = Command::new("psql")
        .args([
            &base,
            "-c",
            &format!(
                "DROP SCHEMA IF EXISTS {} CASCADE",
                store.rsplit('=').next().unwrap_or("")
            ),
        ])
        .output();
}
