//! Runs that fail loudly and safely, over loopback HTTP: the circuit breaker stops an agent
//! nothing answers for and leaves its attempts for `resume`; 429s, random or from a real
//! limit, are retried until every attempt gets through.

use benchcore::{
    AgentLimits, Case, Engine, Outcome, QuestionSet, ResumeOptions, RetryPolicy, Run, RunEvent,
    RunStatus, RunStore, Workspace,
};
use benchcore_providers::{build_agent, AgentConfig};
use benchcore_tests::servers::openai::{OpenAiServer, ServerConfig};
use benchcore_tests::servers::{GatewayLimit, GatewayServer};
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;

fn suite(n: usize) -> QuestionSet {
    let cases = (0..n)
        .map(|i| {
            Case::new(format!("q{i:04}"), format!("echo {i}")).with_target(format!("echo {i}"))
        })
        .collect();
    QuestionSet::from_cases("echo", cases).unwrap()
}

/// An OpenAI-compatible agent named `model`, at `base_url`.
fn agent(model: &str, base_url: &str) -> (Arc<dyn benchcore::Agent>, serde_json::Value) {
    let config = AgentConfig::parse_spec(&format!("openai_compatible:{model}@{base_url}")).unwrap();
    (build_agent(&config).unwrap(), config.to_stored())
}

/// A loopback port nothing listens on (until a server is started on it).
fn refusing_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn quick_retries() -> RetryPolicy {
    RetryPolicy::default().with_backoff(Duration::from_millis(5), Duration::from_millis(20))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_breaker_stops_a_refusing_agent_and_resume_runs_exactly_its_attempts() {
    const CASES: usize = 40;
    let healthy = OpenAiServer::start(ServerConfig::default()).await.unwrap();
    let port = refusing_port();
    let refusing_url = format!("http://127.0.0.1:{port}/v1");
    let store: Arc<dyn RunStore> = Arc::new(benchcore::MemoryStore::new());
    let engine = Engine::new(Arc::clone(&store));
    let run = || {
        let (good, good_config) = agent("healthy", &healthy.base_url());
        let (bad, bad_config) = agent("refusing", &refusing_url);
        Run::new(suite(CASES))
            .agent_with(good, good_config, AgentLimits::default())
            .agent_with(bad, bad_config, AgentLimits::default())
            .concurrency(4)
            .retry(quick_retries().with_breaker(5))
    };

    let mut handle = engine.start(run()).await.unwrap();
    let mut events = handle.events();
    let report = handle.wait().await.unwrap();
    let stops: Vec<(String, String)> = events
        .by_ref()
        .filter_map(|event| async move {
            match event {
                RunEvent::AgentStopped { agent, reason } => Some((agent, reason)),
                _ => None,
            }
        })
        .collect()
        .await;

    // One stop, said once, naming the agent, the count and the cause.
    assert_eq!(stops.len(), 1, "{stops:?}");
    assert_eq!(report.stopped_agents.len(), 1, "{report:?}");
    let stopped = &report.stopped_agents[0];
    assert_eq!(stopped.agent, "refusing");
    assert_eq!(stops[0], (stopped.agent.clone(), stopped.reason.clone()));
    assert!(
        stopped.reason.starts_with(
            "agent refusing stopped: 5 connection failures in a row: could not connect"
        ),
        "{}",
        stopped.reason
    );
    // The healthy agent finished; the refusing one's attempts are pending, not errors.
    assert_eq!(report.status, RunStatus::Failed, "resumable, not finished");
    assert_eq!(report.pending, CASES as u64);
    let outcomes = store
        .attempt_outcomes(&Workspace::default(), &report.run_id)
        .await
        .unwrap();
    assert_eq!(outcomes.len(), CASES);
    assert!(outcomes
        .iter()
        .all(|(key, outcome)| key.agent == "healthy" && *outcome == Outcome::Passed));
    let served_before = healthy.stats().requests;

    // The agent comes back; a plain resume runs exactly its attempts, each once.
    let back = OpenAiServer::start(ServerConfig {
        port,
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let resumed = engine
        .resume(&report.run_id, run(), ResumeOptions::default())
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_eq!(resumed.status, RunStatus::Finished);
    assert_eq!((resumed.pending, resumed.stopped_agents.len()), (0, 0));
    assert_eq!(back.stats().requests, CASES as u64);
    assert_eq!(healthy.stats().requests, served_before, "nothing rerun");
    let outcomes = store
        .attempt_outcomes(&Workspace::default(), &report.run_id)
        .await
        .unwrap();
    assert_eq!(outcomes.len(), 2 * CASES, "each attempt recorded once");
    assert!(outcomes.iter().all(|(_, o)| *o == Outcome::Passed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_breaker_can_be_turned_off() {
    let (bad, bad_config) = agent(
        "refusing",
        &format!("http://127.0.0.1:{}/v1", refusing_port()),
    );
    let report = Engine::new(Arc::new(benchcore::MemoryStore::new()))
        .run(
            Run::new(suite(6))
                .agent_with(bad, bad_config, AgentLimits::default())
                .concurrency(2)
                .retry(quick_retries().with_max_retries(1).with_breaker(0)),
        )
        .await
        .unwrap();
    assert!(report.stopped_agents.is_empty());
    assert_eq!(report.pending, 0);
    assert_eq!(report.status, RunStatus::Finished);
    assert_eq!(report.summary.agents[0].errors, 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_429s_are_retried_until_every_attempt_passes() {
    let server = OpenAiServer::start(ServerConfig {
        rate_429: 0.3,
        retry_after_secs: 1,
        seed: 7,
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let (agent, config) = agent("gateway", &server.base_url());
    let report = Engine::new(Arc::new(benchcore::MemoryStore::new()))
        .run(
            Run::new(suite(120))
                .agent_with(agent, config, AgentLimits::default())
                .concurrency(16)
                .retry(RetryPolicy::default().with_max_retries(20)),
        )
        .await
        .unwrap();
    let s = &report.summary.agents[0];
    assert_eq!((s.passed, s.errors), (120, 0));
    let stats = server.stats();
    assert!(stats.rate_limited > 0, "the server did refuse some");
    assert_eq!(s.retries, stats.rate_limited, "each refusal retried once");
    assert!(report.stopped_agents.is_empty());
}

/// Runs `cases` echo cases at `concurrency` against a gateway enforcing `limit`; returns the
/// agent's summary and what the gateway accepted and refused.
async fn run_behind(
    limit: GatewayLimit,
    name: &str,
    cases: usize,
    concurrency: usize,
    max_retries: u32,
) -> (
    benchcore::AgentSummary,
    benchcore_tests::servers::GatewayStats,
) {
    let gateway = GatewayServer::start(limit).await.unwrap();
    let (agent, config) = agent(name, &gateway.base_url());
    let report = Engine::new(Arc::new(benchcore::MemoryStore::new()))
        .run(
            Run::new(suite(cases))
                .agent_with(agent, config, AgentLimits::default())
                .concurrency(concurrency)
                .retry(RetryPolicy::default().with_max_retries(max_retries)),
        )
        .await
        .unwrap();
    (report.summary.agents[0].clone(), gateway.stats())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_limit_is_respected_until_every_attempt_passes() {
    let limit = GatewayLimit {
        per_minute: 1200,
        concurrent: 4,
        latency: Duration::from_millis(20),
    };
    let (s, stats) = run_behind(limit, "limited", 80, 16, 50).await;
    assert_eq!((s.passed, s.errors), (80, 0));
    assert_eq!(stats.accepted_at.len(), 80);
    assert_eq!(s.retries as usize, stats.refused_at.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_on_requests_in_flight_is_held() {
    // 4 at once and no rate to speak of: sending 32 at once, seven in eight are refused
    // until the engine learns to keep 4 in flight.
    let limit = GatewayLimit {
        per_minute: 60_000,
        concurrent: 4,
        latency: Duration::from_millis(50),
    };
    let (s, stats) = run_behind(limit, "four-at-once", 600, 32, 100).await;
    assert_eq!((s.passed, s.errors), (600, 0));
    let end = stats.accepted_at.iter().copied().fold(0.0, f64::max);
    let last_third = |at: &[f64]| at.iter().filter(|&&t| t >= end * 2.0 / 3.0).count();
    let (accepted, refused) = (
        last_third(&stats.accepted_at),
        last_third(&stats.refused_at),
    );
    // Sending 32 at once against 4 would have seven in eight refused.
    assert!(
        refused * 10 <= accepted,
        "once learned, the limit is held: {refused} refused and {accepted} accepted in the \
         last third of the run ({} refused in all)",
        stats.refused_at.len()
    );
}
