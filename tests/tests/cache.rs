//! The response cache end to end: suite → engine → `Cached` OpenAI-compatible agent over
//! loopback HTTP → SQLite store and its cache.

use benchcore::{
    Agent, AgentLimits, AttemptQuery, AttemptRecord, Cached, Case, Engine, Outcome, QuestionSet,
    ResponseCache, Run, RunReport, RunStore, Sampling, Workspace,
};
use benchcore_providers::pricing::{ModelPrice, Pricing};
use benchcore_providers::{build_agent_with, AgentConfig};
use benchcore_store::SqliteStore;
use benchcore_tests::servers::{OpenAiServer, Scripted, ServerConfig};
use std::path::Path;
use std::sync::Arc;

fn suite(n: usize) -> QuestionSet {
    let cases = (0..n)
        .map(|i| {
            Case::new(format!("q{i:03}"), format!("echo {i}")).with_target(format!("echo {i}"))
        })
        .collect();
    QuestionSet::from_cases("echo", cases).unwrap()
}

fn config(server: &OpenAiServer) -> AgentConfig {
    AgentConfig::parse_spec(&format!(
        "openai_compatible:mock-model@{}",
        server.base_url()
    ))
    .unwrap()
}

/// The agent as `benchcore run --cache` builds it: priced (mock-model at $1/$2 per million
/// tokens), behind the cache, identified by its stored config.
fn cached_agent(config: &AgentConfig, cache: Arc<dyn ResponseCache>) -> Arc<dyn Agent> {
    let pricing = Pricing::empty().with_price("mock-model", ModelPrice::new(1.0, 2.0));
    let agent = build_agent_with(config, Arc::new(pricing)).unwrap();
    Arc::new(Cached::new(agent, cache).with_identity(config.to_stored()))
}

async fn run(
    store: &Arc<dyn RunStore>,
    agent: Arc<dyn Agent>,
    config: &AgentConfig,
    cases: usize,
    samples: u32,
    sampling: Sampling,
) -> (RunReport, Vec<AttemptRecord>) {
    let run = Run::new(suite(cases))
        .agent_with(agent, config.to_stored(), AgentLimits::default())
        .samples(samples)
        .sampling(sampling)
        .concurrency(8);
    let report = Engine::new(Arc::clone(store)).run(run).await.unwrap();
    let attempts = store
        .attempts(
            &Workspace::default(),
            &report.run_id,
            &AttemptQuery::default(),
        )
        .await
        .unwrap();
    (report, attempts)
}

async fn open(path: &Path) -> (Arc<dyn RunStore>, Arc<dyn ResponseCache>) {
    let store = SqliteStore::open(path).await.unwrap();
    let cache = store.response_cache(&Workspace::default());
    (Arc::new(store), cache)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_identical_run_is_served_fully_from_the_cache() {
    let server = OpenAiServer::start(ServerConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (store, cache) = open(&dir.path().join("cache.db")).await;
    let config = config(&server);

    let (first, first_attempts) = run(
        &store,
        cached_agent(&config, Arc::clone(&cache)),
        &config,
        25,
        2,
        Sampling::default(),
    )
    .await;
    assert_eq!(server.stats().requests, 50);
    assert_eq!(first.summary.agents[0].passed, 50);
    assert!(first_attempts.iter().all(|a| !a.cached));
    assert!(
        first.summary.agents[0].cost_usd > 0.0,
        "the first run is priced"
    );

    // A new agent, as a new `benchcore run --cache` process would build it.
    let (second, second_attempts) = run(
        &store,
        cached_agent(&config, Arc::clone(&cache)),
        &config,
        25,
        2,
        Sampling::default(),
    )
    .await;
    assert_eq!(server.stats().requests, 50, "the cache missed");
    assert_eq!(second.summary.agents[0].passed, 50);
    assert_eq!(second.summary.agents[0].cost_usd, 0.0);
    for (old, new) in first_attempts.iter().zip(&second_attempts) {
        assert_eq!(old.key, new.key);
        assert_eq!(new.reply(), old.reply());
        assert!(new.cached, "{} is not marked cached", new.key);
        assert_eq!(new.cost_usd, Some(0.0));
        assert_eq!(new.usage, old.usage);
        assert_eq!(new.model, old.model);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_survives_reopening_the_store() {
    let server = OpenAiServer::start(ServerConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reopen.db");
    let config = config(&server);
    {
        let (store, cache) = open(&path).await;
        run(
            &store,
            cached_agent(&config, cache),
            &config,
            5,
            1,
            Sampling::default(),
        )
        .await;
    }
    assert_eq!(server.stats().requests, 5);
    let url = format!("sqlite://{}", path.display());
    let handle = benchcore_store::connect(&url).await.unwrap();
    let (store, cache) = (
        handle.store(),
        handle.response_cache(&Workspace::default()).unwrap(),
    );
    let (_, attempts) = run(
        &store,
        cached_agent(&config, cache),
        &config,
        5,
        1,
        Sampling::default(),
    )
    .await;
    assert_eq!(server.stats().requests, 5);
    assert!(attempts.iter().all(|a| a.cached));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_samples_sampling_or_models_miss() {
    let server = OpenAiServer::start(ServerConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (store, cache) = open(&dir.path().join("miss.db")).await;
    let config = config(&server);
    let agent = || cached_agent(&config, Arc::clone(&cache));
    run(&store, agent(), &config, 4, 1, Sampling::default()).await;
    assert_eq!(server.stats().requests, 4);

    // Sample 0 of each case is cached; sample 1 is new.
    let (_, attempts) = run(&store, agent(), &config, 4, 2, Sampling::default()).await;
    assert_eq!(server.stats().requests, 8);
    assert!(attempts.iter().all(|a| a.cached == (a.key.sample == 0)));

    // Another temperature is another request.
    let hot = Sampling::default().with_temperature(0.7);
    run(&store, agent(), &config, 4, 1, hot).await;
    assert_eq!(server.stats().requests, 12);

    // Another model under the same name is another agent.
    let other = AgentConfig::parse_spec(&format!(
        "openai_compatible:other-model@{}",
        server.base_url()
    ))
    .unwrap();
    run(
        &store,
        cached_agent(&other, Arc::clone(&cache)),
        &other,
        4,
        1,
        Sampling::default(),
    )
    .await;
    assert_eq!(server.stats().requests, 16);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_never_cached() {
    let server = OpenAiServer::start(ServerConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (store, cache) = open(&dir.path().join("fail.db")).await;
    let config = config(&server);
    server.push_script(vec![Scripted::Unauthorized]);
    let (_, attempts) = run(
        &store,
        cached_agent(&config, Arc::clone(&cache)),
        &config,
        1,
        1,
        Sampling::default(),
    )
    .await;
    assert_eq!(attempts[0].outcome, Outcome::Error);
    let (_, attempts) = run(
        &store,
        cached_agent(&config, Arc::clone(&cache)),
        &config,
        1,
        1,
        Sampling::default(),
    )
    .await;
    assert_eq!(attempts[0].outcome, Outcome::Passed);
    assert!(!attempts[0].cached);
    assert_eq!(server.stats().requests, 2);
}
