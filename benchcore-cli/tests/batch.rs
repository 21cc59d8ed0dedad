//! `benchcore run --batch` end to end: the binary against the loopback OpenAI batch server
//! and a real SQLite file or PostgreSQL schema, killed while its batches are pending, then
//! resumed.

mod support;

use benchcore::{RunFilter, RunStatus, Workspace};
use benchcore_tests::servers::{BatchBehaviour, OpenAiBatchServer};
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::command::text;
use support::sandbox::{echo_suite, Sandbox};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_run_killed_while_pending_is_resumed_without_sending_again_sqlite() {
    killed_while_pending_then_resumed(Sandbox::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_run_killed_while_pending_is_resumed_without_sending_again_postgres() {
    let schema = support::PgSchema::new("batch_kill");
    killed_while_pending_then_resumed(Sandbox::with_store(&schema.url)).await;
}

async fn killed_while_pending_then_resumed(sandbox: Sandbox) {
    let server = OpenAiBatchServer::start(BatchBehaviour::default())
        .await
        .unwrap();
    // Batches take their time: the run is killed while they are pending.
    server.hold_batches(true);
    let n = 10;
    let suite = sandbox.write("echo.jsonl", &echo_suite(n));
    let agent = format!("openai_compatible:gpt-4o-mini@{}", server.base_url());
    let args = [
        "run",
        &suite,
        "-a",
        &agent,
        "--batch",
        "--batch-poll",
        "0.02",
        "--batch-size",
        "4",
        "-q",
    ];
    let mut child = sandbox
        .command(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Batches are polled only once every one of them is created and stored.
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.stats().polls < 2 {
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the batches were never polled: {:?}", server.stats());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = server.stats();
    assert_eq!((before.uploads, before.creates), (3, 3), "{before:?}");

    let store = sandbox.store().await;
    let ws = Workspace::default();
    let run = store
        .list_runs(&ws, &RunFilter::default())
        .await
        .unwrap()
        .remove(0);
    assert!(store
        .attempt_outcomes(&ws, &run.id)
        .await
        .unwrap()
        .is_empty());
    let stored = run.spec.tags["batches"].as_array().unwrap().clone();
    assert_eq!(stored.len(), 3, "{}", run.spec.tags);
    assert!(stored.iter().all(|b| b["done"] == false));
    let held: usize = stored
        .iter()
        .map(|b| b["attempts"].as_array().unwrap().len())
        .sum();
    assert_eq!(held, n);

    server.hold_batches(false);
    let out = sandbox.run(&["resume", &run.id, "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let after = server.stats();
    assert_eq!(
        (after.uploads, after.creates, after.items, after.single),
        (3, 3, 10, 0),
        "resume waited for the stored batches and sent nothing again: {after:?}"
    );
    let run = store.get_run(&ws, &run.id).await.unwrap().unwrap();
    assert_eq!(run.status, RunStatus::Finished);
    let summary = store.summarize(&ws, &run.id).await.unwrap();
    assert_eq!(
        (summary.agents[0].n, summary.agents[0].passed),
        (n as u64, n as u64)
    );
    assert!(run.spec.tags["batches"]
        .as_array()
        .unwrap()
        .iter()
        .all(|b| b["done"] == true));
}

#[test]
fn batch_mode_refuses_an_agent_without_a_batch_api_before_sending() {
    let sandbox = Sandbox::new();
    let suite = sandbox.write("echo.jsonl", &echo_suite(2));
    let out = sandbox.run(&["run", &suite, "-a", "gold", "--batch", "-q"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("agent `gold` has no batch API"), "{stderr}");

    let out = sandbox.run(&["run", &suite, "-a", "gold", "--batch-poll", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--batch"),
        "{}",
        text(&out.stderr)
    );
}
