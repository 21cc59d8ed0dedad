//! Batch mode through the public API: a question set's attempts go to the loopback OpenAI
//! and Anthropic batch servers, are recorded as ordinary attempts at the batch price, split
//! within the batch limit, and survive unanswered items and hostile results files.

use benchcore::agent::reference::Gold;
use benchcore::engine::BatchOptions;
use benchcore::store::AttemptQuery;
use benchcore::{
    Agent, AgentLimits, AttemptRecord, Case, Engine, MemoryStore, Outcome, QuestionSet,
    ResumeOptions, Run, RunEvent, RunReport, RunStatus, RunStore, Usage, Workspace,
};
use benchcore_providers::pricing::BATCH_RATE;
use benchcore_providers::{build_agent_with, AgentConfig, Pricing};
use benchcore_tests::servers::{AnthropicBatchServer, BatchBehaviour, OpenAiBatchServer};
use futures::StreamExt;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const OPENAI_MODEL: &str = "gpt-4o-mini";
const ANTHROPIC_MODEL: &str = "claude-haiku-4-5";

fn openai_agent(server: &OpenAiBatchServer) -> (Arc<dyn Agent>, serde_json::Value) {
    agent(
        json!({"kind": "openai_compatible", "model": OPENAI_MODEL, "base_url": server.base_url()}),
    )
}

fn anthropic_agent(server: &AnthropicBatchServer) -> (Arc<dyn Agent>, serde_json::Value) {
    agent(
        json!({"kind": "anthropic", "model": ANTHROPIC_MODEL, "base_url": server.base_url(),
                 "api_key": "sk-ant-test"}),
    )
}

fn agent(config: serde_json::Value) -> (Arc<dyn Agent>, serde_json::Value) {
    let config = AgentConfig::from_json(&json!([config]).to_string())
        .unwrap()
        .remove(0);
    let agent = build_agent_with(&config, Arc::new(Pricing::builtin())).unwrap();
    (agent, config.to_stored())
}

/// Cases whose answer is their question (the servers echo).
fn suite(questions: &[&str]) -> QuestionSet {
    let cases = questions
        .iter()
        .enumerate()
        .map(|(i, q)| Case::new(format!("q{i}"), *q).with_target(*q))
        .collect();
    QuestionSet::from_cases("echo", cases).unwrap()
}

fn numbered(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("echo number {i}")).collect()
}

fn fast() -> BatchOptions {
    BatchOptions::default().poll(Duration::from_millis(5))
}

/// Runs `run` to its end; returns its report, records and batch notes.
async fn run(store: Arc<dyn RunStore>, run: Run) -> (RunReport, Vec<AttemptRecord>, Vec<String>) {
    let engine = Engine::new(Arc::clone(&store));
    let mut handle = engine.start(run).await.unwrap();
    let events = handle.events();
    let notes = tokio::spawn(async move {
        events
            .filter_map(|e| async move {
                match e {
                    RunEvent::Batch { batch, note, .. } => Some(format!("{batch}: {note}")),
                    _ => None,
                }
            })
            .collect::<Vec<_>>()
            .await
    });
    let report = tokio::time::timeout(Duration::from_secs(60), handle.wait())
        .await
        .expect("the batch run ends")
        .unwrap();
    let records = store
        .attempts(&Workspace::default(), &report.run_id, &AttemptQuery::all())
        .await
        .unwrap();
    (report, records, notes.await.unwrap())
}

fn batch_cost(model: &str, usage: &Usage) -> f64 {
    Pricing::builtin().cost(model, usage).unwrap() * BATCH_RATE
}

fn check_all_passed_at_batch_price(records: &[AttemptRecord], n: usize, model: &str) {
    assert_eq!(records.len(), n);
    for record in records {
        assert_eq!(record.outcome, Outcome::Passed, "{record:?}");
        assert!(record.transcript.batch.is_some(), "{:?}", record.key);
        assert!(record.usage.input_tokens > 0);
        let cost = record.cost_usd.expect("a priced model");
        let expected = batch_cost(model, &record.usage);
        assert!((cost - expected).abs() < 1e-12, "{cost} != {expected}");
        let list = Pricing::builtin().cost(model, &record.usage).unwrap();
        assert!((cost * 2.0 - list).abs() < 1e-12, "half the list price");
    }
}

#[tokio::test]
async fn an_openai_batch_run_records_every_attempt_at_the_batch_price_in_chunks() {
    let server = OpenAiBatchServer::start(BatchBehaviour::default())
        .await
        .unwrap();
    let (agent, config) = openai_agent(&server);
    let questions = numbered(7);
    let questions: Vec<&str> = questions.iter().map(String::as_str).collect();
    let run_spec = Run::new(suite(&questions))
        .agent_with(agent, config, AgentLimits::default())
        .batch(fast().max_requests(3));
    let (report, records, _) = run(Arc::new(MemoryStore::new()), run_spec).await;
    assert_eq!(report.status, RunStatus::Finished);
    assert_eq!(report.summary.agents[0].accuracy, Some(1.0));
    check_all_passed_at_batch_price(&records, 7, OPENAI_MODEL);
    let stats = server.stats();
    assert_eq!(
        (stats.uploads, stats.creates, stats.items),
        (3, 3, 7),
        "{stats:?}"
    );
    assert_eq!(stats.single, 0, "nothing went one by one");
    let batches: std::collections::HashSet<_> =
        records.iter().map(|r| r.transcript.batch.clone()).collect();
    assert_eq!(batches.len(), 3);
}

#[tokio::test]
async fn an_anthropic_batch_run_records_every_attempt_at_the_batch_price_in_chunks() {
    let server = AnthropicBatchServer::start(BatchBehaviour {
        polls_per_state: 2,
        ..BatchBehaviour::default()
    })
    .await
    .unwrap();
    let (agent, config) = anthropic_agent(&server);
    let questions = numbered(5);
    let questions: Vec<&str> = questions.iter().map(String::as_str).collect();
    let run_spec = Run::new(suite(&questions))
        .agent_with(agent, config, AgentLimits::default())
        .samples(2)
        .batch(fast().max_requests(4));
    let store: Arc<dyn RunStore> = Arc::new(MemoryStore::new());
    let (report, records, _) = run(Arc::clone(&store), run_spec).await;
    assert_eq!(report.status, RunStatus::Finished);
    check_all_passed_at_batch_price(&records, 10, ANTHROPIC_MODEL);
    let stats = server.stats();
    assert_eq!(
        (stats.creates, stats.items, stats.single),
        (3, 10, 0),
        "{stats:?}"
    );
    // Every stored batch is marked done once its results are recorded.
    let tags = store
        .get_run(&Workspace::default(), &report.run_id)
        .await
        .unwrap()
        .unwrap()
        .spec
        .tags;
    let stored = tags["batches"].as_array().unwrap();
    assert_eq!(stored.len(), 3);
    assert!(stored.iter().all(|b| b["done"] == true), "{tags}");
}

/// Expired and failed items are errors with the provider's reason; the rest pass.
async fn unanswered_items_are_errors(openai: bool) {
    let questions = ["fine one", "please EXPIRE", "please FAIL", "fine two"];
    let openai_server;
    let anthropic_server;
    let (agent, config) = if openai {
        openai_server = OpenAiBatchServer::start(BatchBehaviour::default())
            .await
            .unwrap();
        openai_agent(&openai_server)
    } else {
        anthropic_server = AnthropicBatchServer::start(BatchBehaviour::default())
            .await
            .unwrap();
        anthropic_agent(&anthropic_server)
    };
    let run_spec = Run::new(suite(&questions))
        .agent_with(agent, config, AgentLimits::default())
        .batch(fast());
    let (report, records, _) = run(Arc::new(MemoryStore::new()), run_spec).await;
    assert_eq!(report.status, RunStatus::Finished);
    let by_case = |id: &str| records.iter().find(|r| r.key.case_id == id).unwrap();
    assert_eq!(by_case("q0").outcome, Outcome::Passed);
    assert_eq!(by_case("q3").outcome, Outcome::Passed);
    let expired = by_case("q1");
    assert_eq!(expired.outcome, Outcome::Error);
    let failure = expired.failure.as_ref().unwrap();
    assert_eq!(failure.kind, "unanswered");
    assert!(failure.message.contains("expire"), "{}", failure.message);
    let failed = by_case("q2");
    assert_eq!(failed.outcome, Outcome::Error);
    let failure = failed.failure.as_ref().unwrap();
    assert_eq!(failure.kind, "bad_request", "{failure:?}");
    assert!(failure.message.contains("invalid"), "{}", failure.message);
}

#[tokio::test]
async fn expired_and_failed_openai_items_are_errors_with_the_reason() {
    unanswered_items_are_errors(true).await;
}

#[tokio::test]
async fn expired_and_failed_anthropic_items_are_errors_with_the_reason() {
    unanswered_items_are_errors(false).await;
}

#[tokio::test]
async fn with_fallback_unanswered_items_are_answered_by_ordinary_requests() {
    let server = OpenAiBatchServer::start(BatchBehaviour::default())
        .await
        .unwrap();
    let (agent, config) = openai_agent(&server);
    let questions = ["fine one", "please EXPIRE", "please FAIL"];
    let run_spec = Run::new(suite(&questions))
        .agent_with(agent, config, AgentLimits::default())
        .batch(fast().fallback(true));
    let (report, records, _) = run(Arc::new(MemoryStore::new()), run_spec).await;
    assert_eq!(report.status, RunStatus::Finished);
    assert!(
        records.iter().all(|r| r.outcome == Outcome::Passed),
        "{records:?}"
    );
    assert_eq!(
        server.stats().single,
        2,
        "the two unanswered items went one by one"
    );
    let by_case = |id: &str| records.iter().find(|r| r.key.case_id == id).unwrap();
    assert!(by_case("q0").transcript.batch.is_some());
    assert!(
        by_case("q1").transcript.batch.is_none(),
        "answered normally"
    );
    let list = Pricing::builtin()
        .cost(OPENAI_MODEL, &by_case("q1").usage)
        .unwrap();
    assert!(
        (by_case("q1").cost_usd.unwrap() - list).abs() < 1e-12,
        "list price"
    );
}

#[tokio::test]
async fn a_whole_batch_that_expires_leaves_errors_or_falls_back() {
    let server = AnthropicBatchServer::start(BatchBehaviour {
        expire_batch: true,
        ..BatchBehaviour::default()
    })
    .await
    .unwrap();
    let (agent, config) = anthropic_agent(&server);
    let questions = ["one", "two"];
    let run_spec = Run::new(suite(&questions))
        .agent_with(Arc::clone(&agent), config.clone(), AgentLimits::default())
        .batch(fast());
    let (_, records, _) = run(Arc::new(MemoryStore::new()), run_spec).await;
    assert!(records.iter().all(|r| r.outcome == Outcome::Error));
    assert!(records
        .iter()
        .all(|r| r.failure.as_ref().unwrap().message.contains("expired")));

    let run_spec = Run::new(suite(&questions))
        .agent_with(agent, config, AgentLimits::default())
        .batch(fast().fallback(true));
    let (_, records, _) = run(Arc::new(MemoryStore::new()), run_spec).await;
    assert!(records.iter().all(|r| r.outcome == Outcome::Passed));
    assert_eq!(server.stats().single, 2);
}

/// A results file with a line for an unknown id, a second line for one request and a line
/// that is not JSON: each is reported, the request with two lines is an error, the rest pass.
async fn hostile_results_are_reported_and_the_run_goes_on(openai: bool) {
    let hostile = BatchBehaviour {
        hostile_results: true,
        ..BatchBehaviour::default()
    };
    let openai_server;
    let anthropic_server;
    let (agent, config) = if openai {
        openai_server = OpenAiBatchServer::start(hostile).await.unwrap();
        openai_agent(&openai_server)
    } else {
        anthropic_server = AnthropicBatchServer::start(hostile).await.unwrap();
        anthropic_agent(&anthropic_server)
    };
    let questions = numbered(4);
    let questions: Vec<&str> = questions.iter().map(String::as_str).collect();
    let run_spec = Run::new(suite(&questions))
        .agent_with(agent, config, AgentLimits::default())
        .batch(fast());
    let (report, records, notes) = run(Arc::new(MemoryStore::new()), run_spec).await;
    assert_eq!(report.status, RunStatus::Finished);
    assert_eq!(records.len(), 4);
    let errors: Vec<_> = records
        .iter()
        .filter(|r| r.outcome == Outcome::Error)
        .collect();
    assert_eq!(errors.len(), 1, "{records:?}");
    let message = &errors[0].failure.as_ref().unwrap().message;
    assert!(message.contains("2 results"), "{message}");
    assert_eq!(
        records
            .iter()
            .filter(|r| r.outcome == Outcome::Passed)
            .count(),
        3
    );
    let notes = notes.join("\n");
    assert!(
        notes.contains("\"no-such-request\", which the batch does not hold"),
        "{notes}"
    );
    assert!(notes.contains("unreadable result"), "{notes}");
    assert!(notes.contains("2 results for custom_id"), "{notes}");
}

#[tokio::test]
async fn hostile_openai_results_are_reported_and_the_run_goes_on() {
    hostile_results_are_reported_and_the_run_goes_on(true).await;
}

#[tokio::test]
async fn hostile_anthropic_results_are_reported_and_the_run_goes_on() {
    hostile_results_are_reported_and_the_run_goes_on(false).await;
}

#[tokio::test]
async fn an_agent_without_a_batch_api_is_refused_before_anything_is_sent() {
    let server = OpenAiBatchServer::start(BatchBehaviour::default())
        .await
        .unwrap();
    let (agent, config) = openai_agent(&server);
    let store: Arc<dyn RunStore> = Arc::new(MemoryStore::new());
    let engine = Engine::new(Arc::clone(&store));
    let run_spec = Run::new(suite(&["a"]))
        .agent_with(agent, config, AgentLimits::default())
        .agent(Gold)
        .batch(fast());
    let err = engine.start(run_spec).await.unwrap_err().to_string();
    assert!(err.contains("agent `gold` has no batch API"), "{err}");
    assert_eq!(server.stats(), Default::default(), "nothing was sent");
    let runs = store
        .list_runs(&Workspace::default(), &Default::default())
        .await
        .unwrap();
    assert!(runs.is_empty(), "no run was stored");
}

#[tokio::test]
async fn an_openai_batch_that_fails_validation_leaves_errors_with_its_reasons() {
    let server = OpenAiBatchServer::start(BatchBehaviour {
        fail_batch: true,
        ..BatchBehaviour::default()
    })
    .await
    .unwrap();
    let (agent, config) = openai_agent(&server);
    let run_spec = Run::new(suite(&["one", "two"]))
        .agent_with(agent, config, AgentLimits::default())
        .batch(fast());
    let (report, records, notes) = run(Arc::new(MemoryStore::new()), run_spec).await;
    assert_eq!(report.status, RunStatus::Finished);
    assert_eq!(records.len(), 2);
    for record in &records {
        assert_eq!(record.outcome, Outcome::Error);
        let failure = record.failure.as_ref().unwrap();
        assert_eq!(failure.kind, "unanswered");
        assert!(
            failure.message.contains("token_limit_exceeded"),
            "{}",
            failure.message
        );
    }
    assert!(notes.join("\n").contains("the batch failed"), "{notes:?}");
    assert_eq!(server.stats().downloads, 0, "a failed batch has no files");
}

#[tokio::test]
async fn a_cancelled_anthropic_batch_run_is_resumed_from_its_stored_batch() {
    let server = AnthropicBatchServer::start(BatchBehaviour::default())
        .await
        .unwrap();
    server.hold_batches(true);
    let (agent, config) = anthropic_agent(&server);
    let questions = numbered(3);
    let questions: Vec<&str> = questions.iter().map(String::as_str).collect();
    let make_run = || {
        Run::new(suite(&questions))
            .agent_with(Arc::clone(&agent), config.clone(), AgentLimits::default())
            .batch(fast())
    };
    let store: Arc<dyn RunStore> = Arc::new(MemoryStore::new());
    let engine = Engine::new(Arc::clone(&store));
    let handle = engine.start(make_run()).await.unwrap();
    let run_id = handle.run_id().to_owned();
    // Polled only once the batch is created and stored.
    while server.stats().polls == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    handle.cancel();
    let report = handle.wait().await.unwrap();
    assert_eq!(report.status, RunStatus::Cancelled);
    assert_eq!(report.pending, 3);

    server.hold_batches(false);
    let resumed = engine
        .resume(&run_id, make_run(), ResumeOptions::default())
        .await
        .unwrap();
    let report = tokio::time::timeout(Duration::from_secs(60), resumed.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.status, RunStatus::Finished);
    assert_eq!(report.summary.agents[0].accuracy, Some(1.0));
    let stats = server.stats();
    assert_eq!(
        (stats.creates, stats.items, stats.single),
        (1, 3, 0),
        "{stats:?}"
    );
}
