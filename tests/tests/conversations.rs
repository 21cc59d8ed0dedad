//! Conversation benchmarks end to end: scenario folder → engine → an interviewer and a
//! simulated user, each an OpenAI-compatible agent over loopback HTTP → SQLite store; then
//! quality metrics from a loopback judge.

use benchcore::conversation::{Conversation, ConversationSuite};
use benchcore::{
    AttemptQuery, AttemptRecord, Ending, Engine, Outcome, RetryPolicy, Run, RunReport, RunStatus,
    RunStore, Speaker, Status, Workspace,
};
use benchcore_providers::quality::{compute_metrics, Criterion, MetricsOptions, QualityConfig};
use benchcore_providers::{build_agent, AgentConfig};
use benchcore_tests::servers::{OpenAiServer, Scripted, ServerConfig};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const INTERVIEWER_PROMPT: &str = "You interview people about their mornings.\n";
const USER_PROMPT: &str = "You are an early riser.\n";

/// A scenario folder: `scenarios` (file name, TOML before the sides), both prompts, and
/// each side on its server. The scenario text goes first, so it sets top-level keys.
fn write_suite(
    dir: &Path,
    scenarios: &[(&str, &str)],
    interviewer: &OpenAiServer,
    user: &OpenAiServer,
) {
    std::fs::create_dir_all(dir.join("prompts")).unwrap();
    std::fs::write(dir.join("prompts/asker.txt"), INTERVIEWER_PROMPT).unwrap();
    std::fs::write(dir.join("prompts/riser.txt"), USER_PROMPT).unwrap();
    for (name, head) in scenarios {
        std::fs::write(
            dir.join(name),
            format!(
                "{head}\n[interviewer]\nprompt = \"asker\"\n\
                 agent = {{ kind = \"openai_compatible\", model = \"interviewer-model\", base_url = \"{}\" }}\n\
                 [simulated_user]\nprompt = \"riser\"\n\
                 agent = {{ kind = \"openai_compatible\", model = \"user-model\", base_url = \"{}\" }}\n",
                interviewer.base_url(),
                user.base_url()
            ),
        )
        .unwrap();
    }
}

/// The conversation run of a suite folder, each side built from its scenario's config.
fn conversation_run(dir: &Path) -> Run {
    let suite = ConversationSuite::open(dir).unwrap();
    let interviewer = suite.scenarios()[0]
        .scenario
        .interviewer
        .agent
        .clone()
        .unwrap();
    let interviewer: AgentConfig = serde_json::from_value(interviewer).unwrap();
    let conversation = Conversation::new(suite, |scenario| {
        let config = scenario.scenario.simulated_user.agent.clone().unwrap();
        build_agent(&serde_json::from_value::<AgentConfig>(config).unwrap())
    })
    .unwrap();
    conversation
        .into_run()
        .agent_with(
            build_agent(&interviewer).unwrap(),
            interviewer.to_stored(),
            Default::default(),
        )
        .retry(
            RetryPolicy::default()
                .with_max_retries(3)
                .with_backoff(Duration::from_millis(5), Duration::from_millis(20)),
        )
        .concurrency(2)
}

async fn servers() -> (OpenAiServer, OpenAiServer) {
    let config = ServerConfig::default().recording();
    (
        OpenAiServer::start(config.clone()).await.unwrap(),
        OpenAiServer::start(config).await.unwrap(),
    )
}

async fn sqlite(dir: &Path) -> Arc<dyn RunStore> {
    benchcore_store::connect(&format!("sqlite://{}", dir.join("runs.db").display()))
        .await
        .unwrap()
        .store()
}

/// Runs the conversation suite in `dir` into a SQLite file there; returns the store, the
/// report and the first attempt.
async fn run_the_suite(dir: &Path) -> (Arc<dyn RunStore>, RunReport, AttemptRecord) {
    let store = sqlite(dir).await;
    let report = Engine::new(store.clone())
        .run(conversation_run(dir))
        .await
        .unwrap();
    let record = attempts(&store, &report.run_id).await.remove(0);
    (store, report, record)
}

async fn attempts(store: &Arc<dyn RunStore>, run_id: &str) -> Vec<AttemptRecord> {
    store
        .attempts(&Workspace::default(), run_id, &AttemptQuery::all())
        .await
        .unwrap()
}

fn lines(record: &AttemptRecord) -> Vec<(Speaker, String)> {
    record
        .transcript
        .turns
        .iter()
        .map(|t| (t.speaker, t.text.clone()))
        .collect()
}

fn roles(body: &serde_json::Value) -> Vec<String> {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_loopback_agents_talk_until_the_interviewer_says_goodbye() {
    let (asker, riser) = servers().await;
    asker.push_script(vec![
        Scripted::reply("Hi! How do your mornings start?"),
        Scripted::reply("What do you like about that?"),
        Scripted::reply("Thank you, that was all. Goodbye!"),
    ]);
    riser.push_script(vec![
        Scripted::reply("With a walk by the river at six."),
        Scripted::reply("The quiet, before anyone calls."),
    ]);
    let dir = tempfile::tempdir().unwrap();
    write_suite(
        dir.path(),
        &[("mornings.toml", "max_turns = 10")],
        &asker,
        &riser,
    );
    let store = sqlite(dir.path()).await;
    let report = Engine::new(store.clone())
        .run(conversation_run(dir.path()))
        .await
        .unwrap();
    assert_eq!(report.status, RunStatus::Finished);
    let record = attempts(&store, &report.run_id).await.remove(0);
    assert_eq!(record.outcome, Outcome::Passed, "{record:?}");
    assert_eq!(
        lines(&record),
        [
            (Speaker::Agent, "Hi! How do your mornings start?".to_owned()),
            (
                Speaker::Participant,
                "With a walk by the river at six.".to_owned()
            ),
            (Speaker::Agent, "What do you like about that?".to_owned()),
            (
                Speaker::Participant,
                "The quiet, before anyone calls.".to_owned()
            ),
            (
                Speaker::Agent,
                "Thank you, that was all. Goodbye!".to_owned()
            ),
        ]
    );
    assert_eq!(record.transcript.ending, Some(Ending::Natural));
    for turn in &record.transcript.turns {
        assert!(
            turn.at_ms > 0 && turn.latency_ms.is_some() && turn.usage.is_some(),
            "{turn:?}"
        );
    }
    assert_eq!(
        record.transcript.render().lines().next(),
        Some("AGENT: Hi! How do your mornings start?")
    );
    // The interviewer's usage is the attempt's; the simulated user's stays on its turns.
    let agent_words: u64 = record
        .transcript
        .turns
        .iter()
        .filter(|t| t.speaker == Speaker::Agent)
        .map(|t| t.usage.unwrap().output_tokens)
        .sum();
    assert_eq!(record.usage.output_tokens, agent_words);
    let flow = record
        .reports
        .iter()
        .find(|r| r.title == "Conversation flow")
        .unwrap();
    let ended = flow
        .variables
        .iter()
        .find(|v| v.metric == "ended_naturally")
        .unwrap();
    assert_eq!(
        (ended.value.clone(), ended.status),
        (true.into(), Status::Good)
    );

    // Each side got its own prompt and its own point of view.
    let asked = asker.requests();
    assert_eq!(asked.len(), 3);
    assert_eq!(asked[2]["messages"][0]["content"], INTERVIEWER_PROMPT);
    assert_eq!(
        roles(&asked[2]),
        ["system", "user", "assistant", "user", "assistant", "user"]
    );
    assert_eq!(asked[2]["model"], "interviewer-model");
    let heard = riser.requests();
    assert_eq!(heard.len(), 2);
    assert_eq!(heard[1]["messages"][0]["content"], USER_PROMPT);
    assert_eq!(roles(&heard[1]), ["system", "user", "assistant", "user"]);
    assert_eq!(
        heard[1]["messages"][3]["content"],
        "What do you like about that?"
    );

    // The prompts' names and ids are stored with the run.
    let run = store
        .get_run(&Workspace::default(), &report.run_id)
        .await
        .unwrap()
        .unwrap();
    let scenario = &run.spec.tags["conversation"]["scenarios"]["mornings"];
    assert_eq!(scenario["interviewer_prompt_name"], "asker");
    assert_eq!(
        scenario["interviewer_prompt_id"],
        benchcore::conversation::prompt_id(INTERVIEWER_PROMPT)
    );
    assert_eq!(scenario["simulated_user_prompt_name"], "riser");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echoing_agents_run_into_the_turn_limit() {
    let (asker, riser) = servers().await;
    let dir = tempfile::tempdir().unwrap();
    write_suite(
        dir.path(),
        &[(
            "echo.toml",
            "max_turns = 6\nopening_line = \"Tell me about your morning.\"",
        )],
        &asker,
        &riser,
    );
    let (_, _, record) = run_the_suite(dir.path()).await;
    assert_eq!(record.transcript.turns.len(), 6);
    assert_eq!(record.transcript.ending, Some(Ending::TurnLimit));
    assert!(record
        .transcript
        .turns
        .iter()
        .all(|t| t.text == "Tell me about your morning."));
    let speakers: Vec<Speaker> = record.transcript.turns.iter().map(|t| t.speaker).collect();
    assert_eq!(
        speakers,
        [
            Speaker::Agent,
            Speaker::Participant,
            Speaker::Agent,
            Speaker::Participant,
            Speaker::Agent,
            Speaker::Participant
        ]
    );
    // The opening line was spoken as written: the interviewer was asked twice, the user
    // three times.
    assert_eq!((asker.stats().requests, riser.stats().requests), (2, 3));
    assert_eq!(
        record.outcome,
        Outcome::Failed,
        "ended_naturally fails a turn limit"
    );
    let ending = record
        .reports
        .iter()
        .find(|r| r.title == "Conversation ending")
        .unwrap();
    assert_eq!(ending.variables[0].value, "turn_limit");
    assert_eq!(ending.variables[0].status, Status::Warning);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_mid_conversation_are_retried_on_both_sides() {
    let (asker, riser) = servers().await;
    asker.push_script(vec![
        Scripted::reply("How do your mornings start?"),
        Scripted::ServerError,
        Scripted::reply("Why the river?"),
        Scripted::reply("Thanks. Goodbye!"),
    ]);
    riser.push_script(vec![
        Scripted::reply("A walk by the river."),
        Scripted::RateLimited {
            retry_after_secs: None,
        },
        Scripted::Overloaded,
        Scripted::reply("It is calm."),
    ]);
    let dir = tempfile::tempdir().unwrap();
    write_suite(
        dir.path(),
        &[("flaky.toml", "max_turns = 10")],
        &asker,
        &riser,
    );
    let (_, _, record) = run_the_suite(dir.path()).await;
    assert_eq!(record.outcome, Outcome::Passed, "{:?}", record.failure);
    assert_eq!(
        lines(&record)
            .iter()
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>(),
        [
            "How do your mornings start?",
            "A walk by the river.",
            "Why the river?",
            "It is calm.",
            "Thanks. Goodbye!"
        ]
    );
    assert_eq!(
        record.retries, 3,
        "one interviewer retry, two simulated-user retries"
    );
    assert_eq!(asker.stats().server_errors, 1);
    assert_eq!(
        (riser.stats().rate_limited, riser.stats().overloaded),
        (1, 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_side_that_keeps_failing_leaves_an_error_with_the_partial_transcript() {
    let (asker, riser) = servers().await;
    riser.push_script(vec![Scripted::reply("Hello."), Scripted::Unauthorized]);
    let dir = tempfile::tempdir().unwrap();
    write_suite(
        dir.path(),
        &[("auth.toml", "opening_line = \"Hi, how are you?\"")],
        &asker,
        &riser,
    );
    let (_, _, record) = run_the_suite(dir.path()).await;
    assert_eq!(record.outcome, Outcome::Error);
    assert_eq!(record.failure.as_ref().unwrap().kind, "auth");
    assert_eq!(record.transcript.ending, Some(Ending::Error));
    assert_eq!(
        lines(&record),
        [
            (Speaker::Agent, "Hi, how are you?".to_owned()),
            (Speaker::Participant, "Hello.".to_owned()),
            (Speaker::Agent, "Hello.".to_owned()),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_run_resumes_without_replaying_finished_conversations() {
    let config = ServerConfig {
        latency: Duration::from_millis(30),
        record_requests: true,
        ..ServerConfig::default()
    };
    let asker = OpenAiServer::start(config.clone()).await.unwrap();
    let riser = OpenAiServer::start(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let scenarios: Vec<(String, String)> = (0..6)
        .map(|i| {
            (
                format!("s{i}.toml"),
                format!("max_turns = 6\nopening_line = \"Scenario {i}: hello.\""),
            )
        })
        .collect();
    let scenarios: Vec<(&str, &str)> = scenarios
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    write_suite(dir.path(), &scenarios, &asker, &riser);
    let store = sqlite(dir.path()).await;
    let engine = Engine::new(store.clone());
    let mut handle = engine
        .start(conversation_run(dir.path()).concurrency(1))
        .await
        .unwrap();
    let run_id = handle.run_id().to_owned();
    let mut events = handle.events();
    // Cancel in the middle of the third conversation.
    let mut finished = 0;
    while let Some(event) = futures::StreamExt::next(&mut events).await {
        if matches!(event, benchcore::RunEvent::AttemptFinished { .. }) {
            finished += 1;
            if finished == 2 {
                tokio::time::sleep(Duration::from_millis(70)).await;
                handle.cancel_token().cancel();
                break;
            }
        }
    }
    let cancelled = handle.wait().await.unwrap();
    assert_eq!(cancelled.status, RunStatus::Cancelled);
    let before = attempts(&store, &run_id).await;
    assert!(before.len() >= 2 && before.len() < 6, "{}", before.len());
    let seen_before = (asker.requests().len(), riser.requests().len());

    let report = engine
        .resume(&run_id, conversation_run(dir.path()), Default::default())
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_eq!(report.status, RunStatus::Finished);
    let after = attempts(&store, &run_id).await;
    assert_eq!(after.len(), 6);
    for record in &before {
        let again = after.iter().find(|a| a.key == record.key).unwrap();
        assert_eq!(again, record, "a finished conversation was played again");
    }
    for record in &after {
        assert_eq!(record.transcript.turns.len(), 6, "{record:?}");
        assert_eq!(record.transcript.ending, Some(Ending::TurnLimit));
        let first = &record.transcript.turns[0].text;
        assert_eq!(
            first,
            &format!("Scenario {}: hello.", &record.key.case_id[1..])
        );
        assert!(record.transcript.turns.iter().all(|t| &t.text == first));
    }
    // After the resume, the finished conversations got no request; each unfinished one was
    // played whole again: 5 requests (the opening line asks no one).
    let mut resumed = std::collections::HashMap::<String, usize>::new();
    for body in asker.requests()[seen_before.0..]
        .iter()
        .chain(&riser.requests()[seen_before.1..])
    {
        let opening = body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find_map(|m| m["content"].as_str().filter(|c| c.starts_with("Scenario ")))
            .unwrap()
            .to_owned();
        *resumed.entry(opening).or_default() += 1;
    }
    for record in &after {
        let opening = &record.transcript.turns[0].text;
        let n = resumed.get(opening).copied().unwrap_or(0);
        if before.iter().any(|b| b.key == record.key) {
            assert_eq!(
                n, 0,
                "{opening}: finished before the cancel, yet asked again"
            );
        } else {
            assert!(n >= 5, "{opening}: {n} requests after the resume");
        }
    }
    let _ = (asker.stop().await, riser.stop().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_transcript_tests_run_after_every_conversation_and_are_stored() {
    let (asker, riser) = servers().await;
    let dir = tempfile::tempdir().unwrap();
    write_suite(
        dir.path(),
        &[(
            "py.toml",
            "max_turns = 2\nopening_line = \"Hi?\"\n[transcript_tests]\nbuiltin = []\npython = \"checks\"",
        )],
        &asker,
        &riser,
    );
    let checks = dir.path().join("checks");
    std::fs::create_dir(&checks).unwrap();
    std::fs::write(
        checks.join("a_lines.py"),
        "def run(transcript):\n    n = len(transcript.splitlines())\n    return {'title': 'Lines', 'variables': [{'metric': 'lines', 'value': n, 'status': 'good' if n == 2 else 'poor'}]}\n",
    )
    .unwrap();
    std::fs::write(
        checks.join("b_raises.py"),
        "def run(transcript):\n    raise ValueError('no way')\n",
    )
    .unwrap();
    std::fs::write(
        checks.join("c_shape.py"),
        "def run(transcript):\n    return ['not', 'a', 'dict']\n",
    )
    .unwrap();
    let (_, _, record) = run_the_suite(dir.path()).await;
    let titles: Vec<&str> = record.reports.iter().map(|r| r.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Conversation ending", "Lines", "b_raises.py", "c_shape.py"]
    );
    assert_eq!(record.reports[1].variables[0].value, 2);
    assert_eq!(record.reports[1].variables[0].status, Status::Good);
    let raised = record.reports[2].variables[0].value.as_str().unwrap();
    assert!(
        raised.contains("b_raises.py: run() raised ValueError: no way"),
        "{raised}"
    );
    assert!(record.reports[2].variables[1]
        .value
        .as_str()
        .unwrap()
        .contains("Traceback"));
    let shape = record.reports[3].variables[0].value.as_str().unwrap();
    assert!(
        shape.contains("c_shape.py: run() returned a bad shape: a list"),
        "{shape}"
    );
}

/// The judge's loopback server answering every request with a score.
async fn judge_server() -> OpenAiServer {
    OpenAiServer::start(ServerConfig::default().recording())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quality_metrics_are_judged_once_stored_and_recomputed_on_request() {
    let (asker, riser) = servers().await;
    let dir = tempfile::tempdir().unwrap();
    write_suite(
        dir.path(),
        &[
            (
                "a.toml",
                "max_turns = 4\nopening_line = \"How do mornings start?\"",
            ),
            (
                "b.toml",
                "max_turns = 4\nopening_line = \"What do you eat first?\"",
            ),
        ],
        &asker,
        &riser,
    );
    let store = sqlite(dir.path()).await;
    let report = Engine::new(store.clone())
        .run(conversation_run(dir.path()))
        .await
        .unwrap();
    let judge = judge_server().await;
    let scores = |n: usize| {
        (0..n)
            .map(|i| {
                Scripted::reply(format!(
                    "{{\"score\": {}, \"rationale\": \"r{i}\"}}",
                    6 + i % 3
                ))
            })
            .collect::<Vec<_>>()
    };
    judge.push_script(scores(4));
    let agent = AgentConfig::parse_spec(&format!(
        "openai_compatible:judge-model@{}",
        judge.base_url()
    ))
    .unwrap();
    let quality = QualityConfig::new(agent)
        .with_criteria(vec![
            Criterion::new("rapport", "Is the interviewer warm?"),
            Criterion::new("question_quality", "Are the questions open?"),
        ])
        .build()
        .unwrap();
    let ws = Workspace::default();

    let first = compute_metrics(
        &*store,
        &ws,
        &report.run_id,
        &quality,
        MetricsOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(judge.stats().requests, 4, "2 conversations × 2 criteria");
    assert_eq!((first.computed, first.reused), (4, 0));
    assert_eq!(first.metrics.len(), 4);
    let keys: Vec<(String, String)> = first
        .metrics
        .iter()
        .map(|m| (m.key.case_id.clone(), m.metric.clone()))
        .collect();
    assert_eq!(
        keys,
        [
            ("a".into(), "question_quality".into()),
            ("a".into(), "rapport".into()),
            ("b".into(), "question_quality".into()),
            ("b".into(), "rapport".into())
        ]
    );
    assert!(first.metrics.iter().all(|m| (0.6..=0.8).contains(&m.score)));
    // The judge saw the interviewer's prompt and the whole transcript.
    let prompt = judge.requests()[0]["messages"][1]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(prompt.contains(INTERVIEWER_PROMPT.trim()), "{prompt}");
    assert!(prompt.contains("AGENT: "), "{prompt}");
    assert!(prompt.contains("PARTICIPANT: "), "{prompt}");

    // Read back from the store: no judge call, same metrics, even from a new handle.
    let reopened = sqlite(dir.path()).await;
    let second = compute_metrics(
        &*reopened,
        &ws,
        &report.run_id,
        &quality,
        MetricsOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        judge.stats().requests,
        4,
        "stored metrics must not be judged again"
    );
    assert_eq!((second.computed, second.reused), (0, 4));
    assert_eq!(second.metrics, first.metrics);

    judge.push_script(scores(4));
    let third = compute_metrics(
        &*reopened,
        &ws,
        &report.run_id,
        &quality,
        MetricsOptions::recompute(),
    )
    .await
    .unwrap();
    assert_eq!(judge.stats().requests, 8, "--recompute judges again");
    assert_eq!((third.computed, third.reused), (4, 0));
    assert_eq!(third.metrics.len(), 4);
    assert!(third.metrics[0].computed_at_ms >= first.metrics[0].computed_at_ms);
}

#[test]
fn the_guide_examples_load() {
    let path = format!("{}/../docs/conversations.md", env!("CARGO_MANIFEST_DIR"));
    let guide = std::fs::read_to_string(&path).unwrap();
    let toml: Vec<&str> = guide
        .split("```toml\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap())
        .collect();
    assert_eq!(toml.len(), 2, "a scenario and a quality judge");
    let scenario = benchcore::conversation::Scenario::from_text(toml[0], true).unwrap();
    for side in [&scenario.interviewer, &scenario.simulated_user] {
        let agent = side.agent.clone().unwrap();
        serde_json::from_value::<AgentConfig>(agent)
            .unwrap()
            .validate()
            .unwrap();
    }
    assert_eq!(scenario.transcript_tests.builtin.len(), 4);
    let judge = QualityConfig::from_toml(toml[1]).unwrap();
    assert_eq!(judge.criteria.len(), 2);
    for file in ["offline.toml", "openai.toml"] {
        QualityConfig::from_file(format!(
            "{}/../examples/conversations/judges/{file}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
    }
}
