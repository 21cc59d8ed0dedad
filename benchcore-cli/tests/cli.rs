//! The `benchcore` binary end to end: temp folders, a real SQLite file, loopback servers.

mod support;

use benchcore::{RunFilter, RunStatus, Workspace};
use benchcore_tests::servers::openai::{OpenAiServer, ServerConfig};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::command::text;
use support::sandbox::{echo_suite, Sandbox};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/questions")
}

#[test]
fn gold_and_null_on_the_bundled_suite() {
    let sandbox = Sandbox::new();
    let suite = examples().join("arithmetic.jsonl");
    let out = sandbox.run(&[
        "run",
        suite.to_str().unwrap(),
        "--agent",
        "gold",
        "--agent",
        "null",
        "--eval",
        "numeric",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let gold = stdout.lines().find(|l| l.starts_with("gold")).unwrap();
    let null = stdout.lines().find(|l| l.starts_with("null")).unwrap();
    assert!(gold.contains("100.0%"), "{stdout}");
    assert!(null.contains("0.0%"), "{stdout}");

    // The CSV suite, as JSON output.
    let out = sandbox.run(&[
        "run",
        examples().join("capitals.csv").to_str().unwrap(),
        "--agent",
        "gold",
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["status"], "finished");
    assert_eq!(json["summary"]["agents"][0]["passed"], 10);

    // Both runs are listed, newest first, and can be shown.
    let out = sandbox.run(&["runs", "--json"]);
    assert!(out.status.success());
    let runs: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["spec"]["suite"]["name"], "capitals");
    let out = sandbox.run(&["runs", "--suite", "arithmetic"]);
    assert_eq!(text(&out.stdout).lines().count(), 2, "header and one run");
    let id = runs[1]["id"].as_str().unwrap();
    let out = sandbox.run(&["show", id, "--attempts"]);
    assert!(out.status.success());
    let shown = text(&out.stdout);
    assert!(
        shown.contains("arith-01") && shown.contains("recorded 40/40"),
        "{shown}"
    );
    let out = sandbox.run(&["show", "latest", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["run"]["spec"]["suite"]["name"], "capitals");
}

#[test]
fn gates_set_the_exit_code() {
    let sandbox = Sandbox::new();
    let suite = examples().join("arithmetic.jsonl");
    let suite = suite.to_str().unwrap();
    let out = sandbox.run(&[
        "run",
        suite,
        "-a",
        "gold",
        "-a",
        "null",
        "--min-pass-rate",
        "0.9",
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--min-pass-rate"));
    let out = sandbox.run(&["run", suite, "-a", "gold", "--min-pass-rate", "0.9", "-q"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_rate_gate_catches_a_bad_key() {
    let server = OpenAiServer::start(ServerConfig {
        require_api_key: Some("right".into()),
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let sandbox = Sandbox::new();
    let suite = sandbox.write("s.jsonl", &echo_suite(10));
    let agent = format!("openai_compatible:m@{}", server.base_url());
    let out = sandbox.run(&["run", &suite, "-a", &agent, "--max-error-rate", "0.1", "-q"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--max-error-rate"));
}

#[tokio::test]
async fn bad_input_is_one_clear_line_and_exit_2() {
    let sandbox = Sandbox::new();
    // The store exists already, so the only line is the error.
    sandbox.store().await;
    let suite = sandbox.write(
        "bad.jsonl",
        "{\"id\": \"a\", \"input\": \"x\"}\n{\"id\": \"b\"\n",
    );
    let out = sandbox.run(&["run", &suite, "-a", "gold"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("bad.jsonl:2:"), "{err}");

    let good = sandbox.write("good.jsonl", &echo_suite(2));
    let out = sandbox.run(&["run", &good, "-a", "nosuch:model"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("nosuch"),
        "{}",
        text(&out.stderr)
    );

    let out = sandbox.run(&["run", &good, "-a", "gold", "--eval", "regex:("]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("regex"), "{}", text(&out.stderr));

    let out = sandbox.run(&["resume", "no-such-run"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no run"),
        "{}",
        text(&out.stderr)
    );
}

/// Starts a run in the background and returns once it has recorded at least `at_least`.
/// The caller owns the child from then on (it kills or interrupts it and waits).
#[allow(clippy::zombie_processes)]
async fn start_and_wait_for(
    sandbox: &Sandbox,
    args: &[&str],
    at_least: usize,
) -> (std::process::Child, String) {
    let mut child = sandbox
        .command(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the run never got going");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        let Ok(store) = benchcore_store::connect(&sandbox.store_url())
            .await
            .map(|s| s.store())
        else {
            continue;
        };
        let ws = Workspace::default();
        let Some(run) = store
            .list_runs(&ws, &RunFilter::default())
            .await
            .unwrap()
            .into_iter()
            .next()
        else {
            continue;
        };
        if store.attempt_outcomes(&ws, &run.id).await.unwrap().len() >= at_least {
            return (child, run.id);
        }
    }
}

/// How many requests the server received per case id.
fn requests_per_case(server: &OpenAiServer) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for body in server.requests() {
        let text = body["messages"][0]["content"].as_str().unwrap().to_owned();
        let id = format!(
            "q{:04}",
            text.trim_start_matches("echo ").parse::<usize>().unwrap()
        );
        *counts.entry(id).or_default() += 1;
    }
    counts
}

async fn check_resume_finishes_each_attempt_once(
    sandbox: &Sandbox,
    server: &OpenAiServer,
    run_id: &str,
    n: usize,
) {
    let store = sandbox.store().await;
    let ws = Workspace::default();
    let before: Vec<String> = store
        .attempt_outcomes(&ws, run_id)
        .await
        .unwrap()
        .into_iter()
        .map(|(k, _)| k.case_id)
        .collect();
    assert!(before.len() < n, "the run was stopped before the end");

    let out = sandbox.run(&["resume", run_id, "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let run = store.get_run(&ws, run_id).await.unwrap().unwrap();
    assert_eq!(run.status, RunStatus::Finished);
    let summary = store.summarize(&ws, run_id).await.unwrap();
    assert_eq!(
        (summary.agents[0].n, summary.agents[0].passed),
        (n as u64, n as u64)
    );
    let counts = requests_per_case(server);
    for id in &before {
        assert_eq!(
            counts[id], 1,
            "{id} was recorded before the stop, yet sent again"
        );
    }
    assert_eq!(counts.len(), n);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_half_way_resumes_with_one_record_per_attempt() {
    let server = OpenAiServer::start(ServerConfig {
        latency: Duration::from_millis(20),
        record_requests: true,
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let sandbox = Sandbox::new();
    let n = 300;
    let suite = sandbox.write("echo.jsonl", &echo_suite(n));
    let agent = format!("openai_compatible:m@{}", server.base_url());
    let (mut child, run_id) = start_and_wait_for(
        &sandbox,
        &["run", &suite, "-a", &agent, "-j", "8", "-q"],
        n / 3,
    )
    .await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let store = sandbox.store().await;
    let run = store
        .get_run(&Workspace::default(), &run_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        run.status,
        RunStatus::Running,
        "a killed run is left as it was"
    );
    check_resume_finishes_each_attempt_once(&sandbox, &server, &run_id, n).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_cancels_cleanly_and_resume_finishes() {
    let server = OpenAiServer::start(ServerConfig {
        latency: Duration::from_millis(20),
        record_requests: true,
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let sandbox = Sandbox::new();
    let n = 300;
    let suite = sandbox.write("echo.jsonl", &echo_suite(n));
    let agent = format!("openai_compatible:m@{}", server.base_url());
    let (child, run_id) = start_and_wait_for(
        &sandbox,
        &["run", &suite, "-a", &agent, "-j", "8", "-q"],
        n / 3,
    )
    .await;
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    let store = sandbox.store().await;
    let run = store
        .get_run(&Workspace::default(), &run_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(run.status, RunStatus::Cancelled);
    check_resume_finishes_each_attempt_once(&sandbox, &server, &run_id, n).await;
}

#[test]
fn schema_prints_json_schema() {
    let sandbox = Sandbox::new();
    for kind in ["agent", "judge", "evaluator", "case", "run"] {
        let out = sandbox.run(&["schema", kind]);
        assert!(out.status.success(), "{kind}: {}", text(&out.stderr));
        let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(schema.is_object(), "{kind}");
    }
}

#[test]
fn dotenv_feeds_the_environment_but_the_shell_wins() {
    let sandbox = Sandbox::new();
    sandbox.write(".env", "BENCHCORE_WORKSPACE=from-dotenv\n");
    let suite = examples().join("arithmetic.jsonl");
    let suite = suite.to_str().unwrap();
    let out = sandbox.run(&["run", suite, "-a", "gold", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = sandbox
        .command(&["run", suite, "-a", "gold", "-q"])
        .env("BENCHCORE_WORKSPACE", "from-shell")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    for workspace in ["from-dotenv", "from-shell"] {
        let out = sandbox.run(&["runs", "--json", "--workspace", workspace]);
        assert_eq!(text(&out.stdout).lines().count(), 1, "{workspace}");
    }
    let out = sandbox.run(&["runs", "--json", "--workspace", "default"]);
    assert_eq!(text(&out.stdout).lines().count(), 0);
}

#[test]
fn a_postgres_url_is_a_store_too() {
    let base = std::env::var("BENCHCORE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let schema = format!("cli_{}_{}", std::process::id(), fastrand_suffix());
    let url = format!("{base}?schema={schema}");
    let sandbox = Sandbox::new();
    let suite = examples().join("arithmetic.jsonl");
    let out = sandbox
        .command(&["run", suite.to_str().unwrap(), "-a", "gold", "-q"])
        .env("BENCHCORE_STORE", &url)
        .output()
        .unwrap();
    let listed = sandbox
        .command(&["runs", "--json"])
        .env("BENCHCORE_STORE", &url)
        .output()
        .unwrap();
    // Drop the schema whatever happened above.
    let _ = Command::new("psql")
        .args([
            base.as_str(),
            "-qc",
            &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
        ])
        .output();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&listed.stdout).lines().count(),
        1,
        "{}",
        text(&listed.stderr)
    );
}

fn fastrand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()))
}

/// A store the command creates is announced once; a mistyped folder is an error naming it,
/// and nothing is created.
#[test]
fn a_new_store_is_announced_and_a_missing_folder_refused() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["runs"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let announced = format!("created a new store at {}\n", sandbox.store_url());
    let err = text(&out.stderr);
    assert!(err.starts_with(&announced), "{err}");
    assert_eq!(err.matches("created a new store").count(), 1, "{err}");
    let out = sandbox.run(&["runs"]);
    let err = text(&out.stderr);
    assert!(!err.contains("created"), "announced twice: {err}");

    let typo = sandbox.dir.path().join("rnus").join("runs.db");
    let url = format!("sqlite://{}", typo.display());
    let out = sandbox.run(&["--store", &url, "runs"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("rnus") && err.contains("does not exist"),
        "{err}"
    );
    assert!(!typo.parent().unwrap().exists(), "the folder was created");
}

/// No error of the store shows its password, whatever characters it holds, and whether the
/// server refuses the login, cannot be reached, or the URL has a setting it does not know.
#[test]
fn store_passwords_never_show() {
    let sandbox = Sandbox::new();
    for password in ["S3cretPW99", "p@ss:w/rd%21", "p%40ss%3Aw%2Frd%2521"] {
        for url in [
            format!("postgres://user:{password}@127.0.0.1/nope"),
            format!("postgres://user:{password}@127.0.0.1:1/nope"),
            format!("postgres://user:{password}@127.0.0.1/nope?bogus=1"),
        ] {
            for command in [
                &["runs"][..],
                &["store", "status"],
                &["worker", "--until-idle"],
            ] {
                let mut args = vec!["--store", url.as_str()];
                args.extend(command);
                let out = sandbox.run(&args);
                assert_eq!(out.status.code(), Some(2), "{url} {command:?}");
                let shown = format!("{}{}", text(&out.stdout), text(&out.stderr));
                for secret in ["S3cret", "p@ss", "w/rd", "%40ss"] {
                    assert!(!shown.contains(secret), "{url} {command:?}: {shown}");
                }
                assert!(shown.contains("user"), "{shown}");
            }
        }
    }
}
