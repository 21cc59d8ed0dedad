//! The replay agent end to end: a recorded run replayed from its attempt records, simple
//! reply files, and their errors.

use benchcore::{
    AgentLimits, AttemptQuery, AttemptRecord, Case, Engine, Outcome, QuestionSet, Run, RunStore,
    Usage, Workspace,
};
use benchcore_providers::{build_agent, AgentConfig, ReplayConfig};
use benchcore_tests::servers::{OpenAiServer, ServerConfig};
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

async fn attempts(store: &Arc<dyn RunStore>, run_id: &str) -> Vec<AttemptRecord> {
    store
        .attempts(&Workspace::default(), run_id, &AttemptQuery::default())
        .await
        .unwrap()
}

/// Runs `agent` (built from `config`) over `suite` and returns its attempts.
async fn run_with(
    store: &Arc<dyn RunStore>,
    suite: QuestionSet,
    config: &AgentConfig,
    samples: u32,
) -> Vec<AttemptRecord> {
    let run = Run::new(suite)
        .agent_with(
            build_agent(config).unwrap(),
            config.to_stored(),
            AgentLimits::default(),
        )
        .samples(samples)
        .evaluator_config("exact".parse().unwrap())
        .unwrap();
    let report = Engine::new(Arc::clone(store)).run(run).await.unwrap();
    attempts(store, &report.run_id).await
}

fn write_lines(path: &Path, records: &[AttemptRecord]) {
    let lines: Vec<String> = records
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_run_replays_without_a_request_at_no_cost() {
    let server = OpenAiServer::start(ServerConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store =
        benchcore_store::connect(&format!("sqlite://{}", dir.path().join("r.db").display()))
            .await
            .unwrap()
            .store();
    let live = AgentConfig::parse_spec(&format!(
        "openai_compatible:mock-model@{}",
        server.base_url()
    ))
    .unwrap();
    let recorded = run_with(&store, suite(20), &live, 2).await;
    assert_eq!(recorded.len(), 40);
    assert_eq!(server.stats().requests, 40);

    // `benchcore show RUN --attempts --json | jq -c '.attempts[]'`
    let file = dir.path().join("attempts.jsonl");
    write_lines(&file, &recorded);
    let replay = AgentConfig::parse_spec(&format!("replay:{}", file.display())).unwrap();
    let replayed = run_with(&store, suite(20), &replay, 2).await;
    assert_eq!(server.stats().requests, 40, "the replay called the server");
    assert_eq!(replayed.len(), 40);
    for (old, new) in recorded.iter().zip(&replayed) {
        assert_eq!(
            (&old.key.case_id, old.key.sample),
            (&new.key.case_id, new.key.sample)
        );
        assert_eq!(new.key.agent, "replay");
        assert_eq!(new.reply(), old.reply());
        assert_eq!(new.outcome, Outcome::Passed);
        assert_eq!(new.cost_usd, Some(0.0));
        assert_eq!(new.usage, old.usage);
        assert!(new.usage.total() > 0);
        assert_eq!(new.model.as_deref(), Some("mock-model"));
    }

    // The whole `show --json` document reads too.
    let show = serde_json::json!({"run": {}, "summary": {}, "attempts": recorded});
    let file = dir.path().join("show.json");
    std::fs::write(&file, serde_json::to_string_pretty(&show).unwrap()).unwrap();
    let replay = AgentConfig::Replay(ReplayConfig::from_file(&file).with_name("from-show"));
    let replayed = run_with(&store, suite(20), &replay, 1).await;
    assert!(replayed.iter().all(|a| a.outcome == Outcome::Passed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_missing_from_the_file_is_a_bad_request_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        benchcore_store::connect(&format!("sqlite://{}", dir.path().join("r.db").display()))
            .await
            .unwrap()
            .store();
    let file = dir.path().join("replies.jsonl");
    std::fs::write(
        &file,
        "{\"case_id\": \"q000\", \"reply\": \"echo 0\", \"usage\": {\"input_tokens\": 5, \"output_tokens\": 2}}\n\
         {\"case_id\": \"q001\", \"sample\": 0, \"reply\": \"wrong\"}\n",
    )
    .unwrap();
    let replay = AgentConfig::Replay(ReplayConfig::from_file(&file));
    let attempts = run_with(&store, suite(3), &replay, 1).await;
    let by_case = |id: &str| attempts.iter().find(|a| a.key.case_id == id).unwrap();
    assert_eq!(by_case("q000").outcome, Outcome::Passed);
    assert_eq!(by_case("q000").usage, Usage::new(5, 2));
    assert_eq!(by_case("q001").outcome, Outcome::Failed);
    let missing = by_case("q002");
    assert_eq!(missing.outcome, Outcome::Error);
    let failure = missing.failure.as_ref().unwrap();
    assert_eq!(failure.kind, "bad_request");
    assert!(
        failure.message.contains("case `q002`"),
        "{}",
        failure.message
    );
    assert_eq!(missing.retries, 0, "a bad request is not retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_of_several_agents_replays_the_one_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn RunStore> = Arc::new(benchcore::MemoryStore::new());
    let file = dir.path().join("two.jsonl");
    std::fs::write(
        &file,
        "{\"case_id\": \"q000\", \"agent\": \"good\", \"reply\": \"echo 0\"}\n\
         {\"case_id\": \"q000\", \"agent\": \"bad\", \"reply\": \"nope\"}\n",
    )
    .unwrap();
    let err = build_agent(&AgentConfig::Replay(ReplayConfig::from_file(&file)))
        .err()
        .unwrap();
    assert!(err.to_string().contains("set `agent`"), "{err}");
    for (agent, outcome) in [("good", Outcome::Passed), ("bad", Outcome::Failed)] {
        let config = AgentConfig::Replay(
            ReplayConfig::from_file(&file)
                .with_agent(agent)
                .with_name(agent),
        );
        let attempts = run_with(&store, suite(1), &config, 1).await;
        assert_eq!(attempts[0].outcome, outcome, "{agent}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixed_text_answers_everything() {
    let store: Arc<dyn RunStore> = Arc::new(benchcore::MemoryStore::new());
    let config: AgentConfig =
        serde_json::from_str(r#"{"kind": "replay", "name": "constant", "text": "echo 1"}"#)
            .unwrap();
    let attempts = run_with(&store, suite(3), &config, 1).await;
    let passed: Vec<&str> = attempts
        .iter()
        .filter(|a| a.outcome == Outcome::Passed)
        .map(|a| a.key.case_id.as_str())
        .collect();
    assert_eq!(passed, ["q001"]);
    assert!(attempts.iter().all(|a| a.cost_usd == Some(0.0)));
}

#[test]
fn a_malformed_file_is_refused_when_the_agent_is_built() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.jsonl");
    std::fs::write(
        &file,
        "{\"case_id\": \"q000\", \"reply\": \"a\"}\n{\"case_id\": \"q001\", \"reply\": }\n",
    )
    .unwrap();
    let err = build_agent(&AgentConfig::Replay(ReplayConfig::from_file(&file)))
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("bad.jsonl:2: not a JSON line"),
        "{err}"
    );
}
