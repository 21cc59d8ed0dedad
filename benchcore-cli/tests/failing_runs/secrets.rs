//! No secret leaves: a failing run with an API key and a store password full of URL-special
//! characters, then every command that reads the run back; their output, every file they
//! wrote and every row of the store are searched for the secrets.

use super::{refusing_base_url, text, Sandbox};
use std::process::Command;

const API_KEY: &str = "sk-SECRET-abc123";
/// Pieces of the key and of the store password (`P@ss:w0rd`, percent-encoded in the URL);
/// none may show anywhere.
const SECRETS: [&str; 6] = ["sk-SECRET", "abc123", "P%40ss", "P@ss", "w0rd", "SECRET"];

/// A PostgreSQL schema for one test, dropped at the end. The server trusts loopback, so any
/// password logs in: the store URL can carry one with URL-special characters.
struct Schema {
    base: String,
    name: String,
}

impl Schema {
    fn new() -> Self {
        let base = std::env::var("BENCHCORE_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        Self {
            base,
            name: format!("secrets_{}_{nanos}", std::process::id()),
        }
    }

    /// The store URL with the password `P@ss:w0rd` put into the user info.
    fn url_with_password(&self) -> String {
        let url = self
            .base
            .replacen("://postgres@", "://postgres:P%40ss:w0rd@", 1);
        assert!(
            url.contains("P%40ss"),
            "BENCHCORE_TEST_POSTGRES must log in as postgres"
        );
        format!("{url}?schema={}", self.name)
    }

    fn psql(&self, sql: &str) -> String {
        let out = Command::new("psql")
            .args([self.base.as_str(), "-Atqc", sql])
            .output()
            .unwrap();
        assert!(out.status.success(), "psql: {}", text(&out.stderr));
        text(&out.stdout)
    }

    /// Every row of every table of the schema, as text.
    fn dump(&self) -> String {
        let tables = self.psql(&format!(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = '{}'",
            self.name
        ));
        tables
            .lines()
            .map(|table| self.psql(&format!("SELECT t::text FROM {}.{table} t", self.name)))
            .collect()
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                self.base.as_str(),
                "-qc",
                &format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name),
            ])
            .output();
    }
}

/// Every file under `dir`, as text.
fn files_under(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            let content = text(&std::fs::read(&path).unwrap());
            found.push((path.display().to_string(), content));
        }
    }
    found
}

fn assert_no_secret(what: &str, shown: &str) {
    for secret in SECRETS {
        assert!(!shown.contains(secret), "{what} shows {secret:?}:\n{shown}");
    }
}

#[test]
fn no_secret_shows_in_any_output_file_or_stored_row() {
    let schema = Schema::new();
    let sandbox = Sandbox::with_store(schema.url_with_password());
    let suite = sandbox.echo_suite(2);
    let agent = sandbox.write(
        "agent.json",
        &serde_json::json!({
            "kind": "openai_compatible",
            "name": "leaky",
            "model": "m",
            "base_url": refusing_base_url(),
            "api_key_env": "BENCHCORE_TEST_AGENT_KEY",
            "headers": { "X-Api-Key": API_KEY },
        })
        .to_string(),
    );
    let out = sandbox
        .command(&["run", &suite, "-a", &agent, "--max-retries", "0"])
        .env("BENCHCORE_TEST_AGENT_KEY", API_KEY)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let mut shown = vec![("run".to_owned(), out)];

    let commands: [&[&str]; 10] = [
        &["runs"],
        &["runs", "--json"],
        &["show", "latest", "--attempts"],
        &["show", "latest", "--attempts", "--json"],
        &["export", "latest"],
        &["export", "latest", "--format", "csv"],
        &["report", "latest", "--out", "report.html"],
        &["store", "status", "--json"],
        &["resume", "latest", "--retry-errors", "-q"],
        &["resume", "no-such-run"],
    ];
    for args in commands {
        let out = sandbox
            .command(args)
            .env("BENCHCORE_TEST_AGENT_KEY", API_KEY)
            .output()
            .unwrap();
        shown.push((args.join(" "), out));
    }
    for (what, out) in &shown {
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert_no_secret(what, &all);
    }
    // The run's rows did reach the outputs searched above.
    assert!(text(&shown[2].1.stdout).contains("leaky"));
    assert!(sandbox.path().join("report.html").exists());

    for (path, content) in files_under(sandbox.path()) {
        if !path.ends_with("agent.json") {
            assert_no_secret(&path, &content);
        }
    }
    let stored = schema.dump();
    assert!(stored.contains("leaky"), "the dump holds the run");
    assert_no_secret("the stored rows", &stored);
}

/// A password in an agent's URL would be stored with the run: the agent is refused, and the
/// error does not show the password.
#[test]
fn an_agent_url_with_a_password_is_refused_without_showing_it() {
    let sandbox = Sandbox::new();
    let suite = sandbox.echo_suite(1);
    let base = refusing_base_url().replacen("://", &format!("://user:{API_KEY}@"), 1);
    let out = sandbox.run(&["run", &suite, "-a", &format!("openai_compatible:m@{base}")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("must not hold a password"), "{err}");
    assert_no_secret("the refusal", &format!("{}{err}", text(&out.stdout)));
}
