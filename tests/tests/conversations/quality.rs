//! Quality metrics from a loopback judge, and the guide examples.

use super::*;

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
