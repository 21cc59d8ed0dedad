//! The LLM judge end to end: suite → engine → gold agent → judge agent over loopback HTTP →
//! SQLite store.

use benchcore::agent::reference::Gold;
use benchcore::evaluator::EvaluatorConfig;
use benchcore::{
    AttemptQuery, AttemptRecord, Case, Engine, EvalContext, Outcome, QuestionSet, Run, RunStore,
    Transcript, Workspace,
};
use benchcore_providers::judge::JudgeConfig;
use benchcore_providers::{build_evaluator, AgentConfig};
use benchcore_tests::servers::{OpenAiServer, Scripted, ServerConfig};
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn judge_server() -> OpenAiServer {
    OpenAiServer::start(ServerConfig::default().recording())
        .await
        .unwrap()
}

fn judge_config(server: &OpenAiServer) -> JudgeConfig {
    let agent = AgentConfig::parse_spec(&format!(
        "openai_compatible:judge-model@{}",
        server.base_url()
    ))
    .unwrap();
    JudgeConfig::new(agent).with_retries(2, Duration::from_millis(10))
}

fn capitals() -> QuestionSet {
    QuestionSet::from_cases(
        "capitals",
        vec![Case::new("fr", "Capital of France?").with_target("Paris")],
    )
    .unwrap()
}

/// A judged run's one attempt, its store and its id.
struct Judged {
    attempt: AttemptRecord,
    store: Arc<dyn RunStore>,
    run_id: String,
    _dir: tempfile::TempDir,
}

/// Runs the capitals suite with the gold agent, judged by `judge`.
async fn judged(judge: &JudgeConfig) -> Judged {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("judge.db").display());
    let store = benchcore_store::connect(&url).await.unwrap().store();
    let run = Run::new(capitals()).agent(Gold).evaluator_with(
        Arc::new(judge.build().unwrap()),
        judge.to_evaluator_config(),
    );
    let report = Engine::new(Arc::clone(&store)).run(run).await.unwrap();
    let mut attempts = store
        .attempts(
            &Workspace::default(),
            &report.run_id,
            &AttemptQuery::default(),
        )
        .await
        .unwrap();
    assert_eq!(attempts.len(), 1);
    Judged {
        attempt: attempts.remove(0),
        store,
        run_id: report.run_id,
        _dir: dir,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scripted_score_is_read_recorded_and_explained() {
    let server = judge_server().await;
    server.push_script(vec![Scripted::reply("Score: 8/10 — good")]);
    let attempt = judged(&judge_config(&server)).await.attempt;
    assert_eq!(attempt.outcome, Outcome::Passed);
    assert_eq!(attempt.score, Some(0.8));
    let evaluation = &attempt.evaluations[0];
    assert_eq!(evaluation.evaluator, "judge");
    assert_eq!(evaluation.passed, Some(true));
    assert_eq!(evaluation.label.as_deref(), Some("8/10"));
    assert_eq!(evaluation.rationale.as_deref(), Some("good"));
    assert_eq!(evaluation.details["judge_reply"], "Score: 8/10 — good");
    assert_eq!(evaluation.details["judge_model"], "judge-model");
    assert_eq!(evaluation.details["retries"], 0);

    // The judge saw the question, the reference answer and the reply.
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["model"], "judge-model");
    let prompt = requests[0]["messages"][1]["content"].as_str().unwrap();
    for part in [
        "<task>\nCapital of France?\n</task>",
        "<reference>\nParis\n</reference>",
        "<response>\nParis\n</response>",
    ] {
        assert!(prompt.contains(part), "{part:?} not in {prompt}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_low_score_fails_the_attempt_at_the_threshold() {
    let server = judge_server().await;
    server.push_script(vec![Scripted::reply(
        "```json\n{\"score\": 6, \"rationale\": \"Right city, no explanation.\"}\n```",
    )]);
    let judge = judge_config(&server).with_pass_threshold(0.7);
    let attempt = judged(&judge).await.attempt;
    assert_eq!(attempt.outcome, Outcome::Failed);
    assert_eq!(attempt.score, Some(0.6));
    assert_eq!(
        attempt.evaluations[0].rationale.as_deref(),
        Some("Right city, no explanation.")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unparseable_reply_makes_the_attempt_invalid_with_the_error_recorded() {
    let server = judge_server().await;
    server.push_script(vec![Scripted::reply("I would rather not grade this one.")]);
    let Judged {
        attempt,
        store,
        run_id,
        _dir,
    } = judged(&judge_config(&server)).await;
    assert_eq!(attempt.outcome, Outcome::Invalid);
    assert_eq!(attempt.score, None);
    let evaluation = &attempt.evaluations[0];
    assert_eq!((evaluation.score, evaluation.passed), (None, None));
    let error = evaluation.error.as_deref().unwrap();
    assert!(error.contains("no score could be read"), "{error}");
    assert!(
        error.contains("I would rather not grade this one."),
        "{error}"
    );
    let summary = store
        .summarize(&Workspace::default(), &run_id)
        .await
        .unwrap();
    assert_eq!(summary.agents[0].invalid, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_judge_that_500s_then_answers_is_retried_by_the_evaluator() {
    let server = judge_server().await;
    server.push_script(vec![
        Scripted::ServerError,
        Scripted::reply(r#"{"score": 9, "rationale": "fine"}"#),
    ]);
    let attempt = judged(&judge_config(&server)).await.attempt;
    assert_eq!(attempt.outcome, Outcome::Passed);
    assert_eq!(attempt.score, Some(0.9));
    assert_eq!(attempt.evaluations[0].details["retries"], 1);
    // The engine's own retry count is for the agent under test, which never failed.
    assert_eq!(attempt.retries, 0);
    let stats = server.stats();
    assert_eq!((stats.requests, stats.server_errors), (2, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_judge_that_keeps_failing_leaves_the_attempt_invalid() {
    let server = judge_server().await;
    server.push_script(vec![Scripted::ServerError; 3]);
    let attempt = judged(&judge_config(&server)).await.attempt;
    assert_eq!(attempt.outcome, Outcome::Invalid);
    let error = attempt.evaluations[0].error.as_deref().unwrap();
    assert!(error.contains("after 2 retries"), "{error}");
    assert!(error.contains("HTTP 500"), "{error}");
    assert_eq!(server.stats().requests, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_judge_waits_as_retry_after_asks() {
    let server = judge_server().await;
    server.push_script(vec![
        Scripted::RateLimited {
            retry_after_secs: Some(1),
        },
        Scripted::reply("7/10"),
    ]);
    let started = Instant::now();
    let attempt = judged(&judge_config(&server)).await.attempt;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(attempt.score, Some(0.7));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stored_spec_rebuilds_the_judge() {
    let server = judge_server().await;
    server.push_script(vec![
        Scripted::reply("Score: 10/10"),
        Scripted::reply("PASS"),
    ]);
    let judge = judge_config(&server)
        .with_name("strict")
        .with_rubric("Spelling counts.");
    let Judged {
        store,
        run_id,
        _dir,
        ..
    } = judged(&judge).await;
    let stored = store
        .get_run(&Workspace::default(), &run_id)
        .await
        .unwrap()
        .unwrap();
    let config = &stored.spec.evaluators[0];
    let EvaluatorConfig::Judge { config: value } = config else {
        panic!("{config:?}")
    };
    assert_eq!(value["name"], "strict");
    assert_eq!(value["agent"]["kind"], "openai_compatible");
    // Built-in evaluators refuse it; the providers' registry builds it.
    assert!(config.build().is_err());
    let rebuilt = build_evaluator(config).unwrap();
    assert_eq!(rebuilt.name(), "strict");
    let case = Case::new("fr", "Capital of France?").with_target("Paris");
    let transcript = Transcript::default();
    let evaluation = rebuilt
        .evaluate(&EvalContext::new(&case, "Paris", &transcript))
        .await
        .unwrap();
    assert_eq!(evaluation.score, Some(1.0));
    let prompt = server.requests()[1]["messages"][1]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(prompt.contains("Spelling counts."), "{prompt}");
}
