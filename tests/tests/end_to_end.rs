//! Suite → engine → OpenAI-compatible agent over loopback HTTP → SQLite store, end to end.

use benchcore::{
    AgentLimits, AttemptQuery, Case, Engine, Outcome, QuestionSet, RetryPolicy, Run, RunStatus,
    RunStore, Workspace,
};
use benchcore_providers::{build_agent, AgentConfig};
use benchcore_tests::servers::openai::{OpenAiServer, ServerConfig};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

fn suite(n: usize) -> QuestionSet {
    let cases = (0..n)
        .map(|i| {
            Case::new(format!("q{i:05}"), format!("answer {i}")).with_target(format!("answer {i}"))
        })
        .collect();
    QuestionSet::from_cases("echo", cases).unwrap()
}

async fn sqlite_store(dir: &tempfile::TempDir) -> Arc<dyn RunStore> {
    let url = format!("sqlite://{}", dir.path().join("e2e.db").display());
    benchcore_store::connect(&url).await.unwrap().store()
}

fn agent_for(server: &OpenAiServer) -> (Arc<dyn benchcore::Agent>, serde_json::Value) {
    let spec = format!("openai_compatible:mock-model@{}", server.base_url());
    let config = AgentConfig::parse_spec(&spec).unwrap();
    (build_agent(&config).unwrap(), config.to_stored())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_completes_with_every_attempt_correct() {
    let server = OpenAiServer::start(ServerConfig {
        latency: Duration::from_millis(2),
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(&dir).await;
    let (agent, config) = agent_for(&server);
    let report = Engine::new(store.clone())
        .run(
            Run::new(suite(300))
                .agent_with(agent, config, AgentLimits::default())
                .samples(2)
                .concurrency(32),
        )
        .await
        .unwrap();
    assert_eq!(report.status, RunStatus::Finished);
    let s = &report.summary.agents[0];
    assert_eq!((s.n, s.passed, s.errors), (600, 600, 0));
    assert!(s.input_tokens > 0 && s.output_tokens > 0, "usage is read");
    assert!(s.latency_p50_ms.is_some());
    assert_eq!(server.stats().requests, 600);
    let attempts = store
        .attempts(
            &Workspace::default(),
            &report.run_id,
            &AttemptQuery::default(),
        )
        .await
        .unwrap();
    assert_eq!(attempts.len(), 600);
    assert_eq!(attempts[0].model.as_deref(), Some("mock-model"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_under_faults_completes_with_nothing_lost_or_duplicated() {
    let server = OpenAiServer::start(ServerConfig {
        latency: Duration::from_millis(2),
        rate_429: 0.10,
        rate_500: 0.05,
        rate_hang: 0.01,
        retry_after_secs: 0,
        seed: 7,
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(&dir).await;
    let (agent, config) = agent_for(&server);
    let n = 1000;
    let report = Engine::new(store.clone())
        .run(
            Run::new(suite(n))
                .agent_with(agent, config, AgentLimits::default())
                .concurrency(32)
                .timeout(Duration::from_millis(400))
                .retry(
                    RetryPolicy::default()
                        .with_max_retries(10)
                        .with_backoff(Duration::from_millis(5), Duration::from_millis(50)),
                ),
        )
        .await
        .unwrap();
    let stats = server.stats();
    assert!(
        stats.rate_limited > 0 && stats.server_errors > 0 && stats.hangs > 0,
        "{stats:?}"
    );
    let s = &report.summary.agents[0];
    assert_eq!((s.n, s.passed, s.errors), (n as u64, n as u64, 0), "{s:?}");
    assert!(s.retries >= stats.rate_limited + stats.server_errors);
    let outcomes = store
        .attempt_outcomes(&Workspace::default(), &report.run_id)
        .await
        .unwrap();
    let keys: HashSet<_> = outcomes.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(outcomes.len(), n);
    assert_eq!(keys.len(), n);
    assert!(outcomes.iter().all(|(_, o)| *o == Outcome::Passed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_is_an_auth_error_and_the_agent_is_stopped() {
    let server = OpenAiServer::start(ServerConfig {
        require_api_key: Some("right-key".into()),
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(&dir).await;
    let (agent, config) = agent_for(&server);
    let report = Engine::new(store)
        .run(
            Run::new(suite(50))
                .agent_with(agent, config, AgentLimits::default())
                .concurrency(1),
        )
        .await
        .unwrap();
    let s = &report.summary.agents[0];
    assert_eq!((s.errors, s.retries), (50, 0));
    assert_eq!(server.stats().requests, 3, "not hammered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stored_spec_rebuilds_the_agent_for_resume() {
    let server = OpenAiServer::start(ServerConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(&dir).await;
    let (agent, config) = agent_for(&server);
    let report = Engine::new(store.clone())
        .run(Run::new(suite(5)).agent_with(agent, config, AgentLimits::default()))
        .await
        .unwrap();
    let stored = store
        .get_run(&Workspace::default(), &report.run_id)
        .await
        .unwrap()
        .unwrap();
    let rebuilt: AgentConfig =
        serde_json::from_value(stored.spec.agents[0].config.clone()).unwrap();
    assert_eq!(rebuilt.name(), report.summary.agents[0].agent);
    build_agent(&rebuilt).unwrap();
}
