//! `benchcore agents save|list|delete`, `--agent saved:NAME` in `run` and `resume`, and
//! `benchcore store status`, end to end against the loopback OpenAI server, on SQLite and on
//! PostgreSQL.

use benchcore::{RunFilter, Workspace};
use benchcore_tests::servers::openai::{OpenAiServer, ServerConfig};
use std::process::{Command, Output, Stdio};

const KEY: &str = "cli-test-key-cli-test-key-cli-32";
const OTHER_KEY: &str = "000102030405060708090a0b0c0d0e0f";
const API_KEY: &str = "sk-right-key-987";

struct Sandbox {
    dir: tempfile::TempDir,
    store: String,
}

impl Sandbox {
    fn new(store: Option<String>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store =
            store.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("runs.db").display()));
        Self { dir, store }
    }

    /// The command, with `key` as BENCHCORE_ENCRYPTION_KEY (none when `None`).
    fn run(&self, key: Option<&str>, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_benchcore"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("BENCHCORE_STORE", &self.store)
            .env_remove("BENCHCORE_WORKSPACE")
            .env_remove("BENCHCORE_ENCRYPTION_KEY")
            .env_remove("BENCHCORE_ENCRYPTION_KEY_PREVIOUS")
            .env_remove("BENCHCORE_ENCRYPTION_KEY_ROTATE_ON_START")
            .stdin(Stdio::null());
        if let Some(key) = key {
            cmd.env("BENCHCORE_ENCRYPTION_KEY", key);
        }
        cmd.output().unwrap()
    }

    fn write(&self, name: &str, content: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path.display().to_string()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn echo_suite(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!("{{\"id\": \"q{i:04}\", \"input\": \"echo {i}\", \"target\": \"echo {i}\"}}\n")
        })
        .collect()
}

fn agent_file(server: &OpenAiServer, api_key: &str) -> String {
    format!(
        "kind = \"openai_compatible\"\nname = \"vaulted\"\nmodel = \"m\"\nbase_url = \"{}\"\n\
         api_key = \"{api_key}\"\n[headers]\nX-Title = \"bench\"\n",
        server.base_url()
    )
}

fn assert_ok(out: &Output) {
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

fn assert_no_secret(out: &Output) {
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains(API_KEY) && !all.contains(KEY), "{all}");
}

async fn saved_agents_end_to_end(sandbox: Sandbox) {
    let server = OpenAiServer::start(ServerConfig {
        require_api_key: Some(API_KEY.into()),
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let suite = sandbox.write("s.jsonl", &echo_suite(4));
    let good = sandbox.write("good.toml", &agent_file(&server, API_KEY));
    let bad = sandbox.write("bad.toml", &agent_file(&server, "sk-wrong"));

    // Without a key, saving a secret is a clear error.
    let out = sandbox.run(None, &["agents", "save", "gpt", &good]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no encryption key is loaded: set BENCHCORE_ENCRYPTION_KEY"),
        "{}",
        text(&out.stderr)
    );
    assert_no_secret(&out);

    // Saved with the wrong API key first: the run's attempts fail on auth.
    assert_ok(&sandbox.run(Some(KEY), &["agents", "save", "gpt", &bad]));
    let out = sandbox.run(Some(KEY), &["agents", "list"]);
    assert_ok(&out);
    assert!(text(&out.stdout).contains("gpt") && text(&out.stdout).contains("encrypted"));
    let out = sandbox.run(
        Some(KEY),
        &[
            "run",
            &suite,
            "--agent",
            "saved:gpt",
            "--max-retries",
            "0",
            "--json",
        ],
    );
    // Every attempt ended as an error: the run is incomplete, exit 3.
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert_no_secret(&out);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let run_id = report["run_id"].as_str().unwrap().to_owned();
    assert_eq!(report["summary"]["agents"][0]["errors"], 4, "{report}");

    // Fixed under the same name; resume rebuilds the agent by name, with the new key.
    assert_ok(&sandbox.run(Some(KEY), &["agents", "save", "gpt", &good]));
    let out = sandbox.run(Some(KEY), &["resume", &run_id, "--retry-errors", "--json"]);
    assert_ok(&out);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["summary"]["agents"][0]["passed"], 4, "{report}");

    // A fresh run passes too, and the server saw the key.
    let out = sandbox.run(
        Some(KEY),
        &[
            "run",
            &suite,
            "-a",
            "saved:gpt",
            "--min-pass-rate",
            "1",
            "-q",
        ],
    );
    assert_ok(&out);
    assert!(server.stats().requests >= 12);

    // The stored specs hold the reference, never the secret.
    let store = benchcore_store::connect(&sandbox.store)
        .await
        .unwrap()
        .store();
    let runs = store
        .list_runs(&Workspace::default(), &RunFilter::default())
        .await
        .unwrap();
    assert_eq!(runs.len(), 2);
    for run in &runs {
        let spec = serde_json::to_string(&run.spec).unwrap();
        assert!(
            !spec.contains(API_KEY) && !spec.contains("sk-wrong"),
            "{spec}"
        );
        assert_eq!(
            run.spec.agents[0].config,
            serde_json::json!({"kind": "saved", "name": "gpt"})
        );
        assert_eq!(run.spec.agents[0].name, "vaulted");
    }

    // Status: key loaded and matching; with another key, nothing decrypts.
    let out = sandbox.run(Some(KEY), &["store", "status", "--json"]);
    assert_ok(&out);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["key_loaded"], true);
    assert_eq!(status["key_format"], "raw");
    assert_eq!(status["key_bits"], 256);
    assert_eq!(status["fingerprint_matches"], true);
    assert_eq!(status["sentinel_decrypts"], true);
    assert_eq!(status["undecryptable_secrets"], 0);
    let out = sandbox.run(Some(OTHER_KEY), &["store", "status"]);
    assert_ok(&out);
    let shown = text(&out.stdout);
    assert!(shown.contains("hex, AES-128"), "{shown}");
    assert!(shown.contains("fingerprint matches:   NO"), "{shown}");
    assert!(shown.contains("failing to decrypt:    1"), "{shown}");

    // The wrong key is a clear error naming the key id the secret needs.
    let key_id = status["key_id"].as_str().unwrap().to_owned();
    let out = sandbox.run(Some(OTHER_KEY), &["run", &suite, "-a", "saved:gpt", "-q"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains(&key_id), "{}", text(&out.stderr));
    assert_no_secret(&out);

    // Workspaces apart; delete.
    let out = sandbox.run(
        Some(KEY),
        &["--workspace", "other", "agents", "list", "--json"],
    );
    assert_ok(&out);
    assert_eq!(text(&out.stdout).trim(), "");
    let out = sandbox.run(
        Some(KEY),
        &["--workspace", "other", "run", &suite, "-a", "saved:gpt"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no saved agent `gpt`"));
    assert_ok(&sandbox.run(Some(KEY), &["agents", "delete", "gpt"]));
    assert_eq!(
        sandbox
            .run(Some(KEY), &["agents", "delete", "gpt"])
            .status
            .code(),
        Some(2)
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_agents_on_sqlite() {
    saved_agents_end_to_end(Sandbox::new(None)).await;
}

/// Drops the test's schema whatever happens in the test.
struct DropSchema {
    base: String,
    schema: String,
}

impl Drop for DropSchema {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                self.base.as_str(),
                "-qc",
                &format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema),
            ])
            .output();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_agents_on_postgres() {
    let base = std::env::var("BENCHCORE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let schema = format!("cli_agents_{}_{nanos}", std::process::id());
    let url = format!("{base}?schema={schema}");
    let _guard = DropSchema { base, schema };
    saved_agents_end_to_end(Sandbox::new(Some(url))).await;
}
