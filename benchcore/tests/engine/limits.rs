//! Recording, retries, timeouts and per-agent limits.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_case_agent_and_sample_is_recorded_once() {
    let (engine, store) = engine();
    let report = engine
        .run(
            Run::new(suite(25))
                .agent(Gold)
                .agent(Null)
                .samples(2)
                .concurrency(8),
        )
        .await
        .unwrap();
    assert_eq!(report.status, RunStatus::Finished);
    assert_eq!(report.summary.total, 100);
    let gold = &report.summary.agents[0];
    let null = &report.summary.agents[1];
    assert_eq!((gold.agent.as_str(), gold.n, gold.passed), ("gold", 50, 50));
    assert_eq!((null.agent.as_str(), null.n, null.failed), ("null", 50, 50));
    assert_eq!(gold.accuracy, Some(1.0));
    assert_eq!(null.accuracy, Some(0.0));
    let attempts = records(&store, &report.run_id).await;
    assert_eq!(attempts.len(), 100);
    let first = &attempts[0];
    assert_eq!(first.transcript.turns.len(), 2, "question and reply");
    assert_eq!(first.transcript.render(), "PARTICIPANT: 0\nAGENT: 0");
    assert_eq!(first.evaluations.len(), 1);
    assert_eq!(first.evaluations[0].evaluator, "exact");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_are_retried_and_counted() {
    let (engine, store) = engine();
    let agent = Scripted::named("flaky").failing(
        "c0001",
        vec![
            AgentError::transient("503"),
            AgentError::malformed("truncated"),
            AgentError::timeout("slow"),
        ],
    );
    let mut handle = engine
        .start(Run::new(suite(5)).agent(agent).retry(fast_retries()))
        .await
        .unwrap();
    let events: Vec<RunEvent> = handle.events().collect().await;
    let report = handle.wait().await.unwrap();
    let retried = events
        .iter()
        .filter(|e| matches!(e, RunEvent::AttemptRetried { .. }))
        .count();
    assert_eq!(retried, 3);
    assert!(matches!(
        events.first(),
        Some(RunEvent::Started { total: 5, .. })
    ));
    assert!(matches!(
        events.last(),
        Some(RunEvent::Finished {
            status: RunStatus::Finished,
            ..
        })
    ));
    assert_eq!(report.summary.agents[0].passed, 5);
    assert_eq!(report.summary.agents[0].retries, 3);
    let all = records(&store, &report.run_id).await;
    let flaky = all.iter().find(|r| r.key.case_id == "c0001").unwrap();
    assert_eq!(flaky.retries, 3);
    assert!(flaky.wall_ms >= flaky.work_ms);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_are_bounded_and_exhaustion_is_an_error() {
    let (engine, store) = engine();
    let agent = Scripted::named("down").failing("c0000", vec![AgentError::transient("503"); 10]);
    let policy = fast_retries().with_max_retries(2);
    let report = engine
        .run(Run::new(suite(3)).agent(agent).retry(policy))
        .await
        .unwrap();
    let s = &report.summary.agents[0];
    assert_eq!((s.passed, s.errors, s.retries), (2, 1, 2));
    assert_eq!(s.accuracy, Some(1.0), "errors stay out of accuracy");
    let failed = &records(&store, &report.run_id).await[0];
    let failure = failed.failure.as_ref().unwrap();
    assert_eq!(failure.kind, "transient");
    assert!(
        failure.message.contains("gave up after 2 retries"),
        "{failure:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_retry_budget_bounds_retries_across_attempts() {
    let (engine, _) = engine();
    let mut agent = Scripted::named("shaky");
    for i in 0..10 {
        agent = agent.failing(&format!("c{i:04}"), vec![AgentError::transient("503")]);
    }
    let policy = fast_retries().with_max_run_retries(4);
    let report = engine
        .run(
            Run::new(suite(10))
                .agent(agent)
                .retry(policy)
                .concurrency(1),
        )
        .await
        .unwrap();
    let s = &report.summary.agents[0];
    assert_eq!((s.retries, s.passed, s.errors), (4, 4, 6));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_errors_are_not_retried_and_stop_the_agent() {
    let (engine, store) = engine();
    let agent = Arc::new(Scripted {
        always: Some(AgentError::new(AgentErrorKind::Auth, "invalid api key")),
        ..Scripted::named("badkey")
    });
    let run = Run::new(suite(20))
        .agent_with(
            shared(&agent),
            serde_json::Value::Null,
            AgentLimits::default(),
        )
        .concurrency(1)
        .retry(fast_retries());
    let report = engine.run(run).await.unwrap();
    assert_eq!(report.summary.agents[0].errors, 20);
    assert_eq!(report.summary.agents[0].retries, 0);
    assert_eq!(
        agent.calls.load(Ordering::SeqCst),
        3,
        "stopped after three consecutive auth failures"
    );
    let all = records(&store, &report.run_id).await;
    let last = all.last().unwrap().failure.as_ref().unwrap();
    assert_eq!(last.kind, "auth");
    assert!(last.message.contains("stopped"), "{last:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_not_retried() {
    let (engine, _) = engine();
    let agent = Arc::new(Scripted {
        always: Some(AgentError::new(AgentErrorKind::ContextTooLong, "too long")),
        ..Scripted::named("small")
    });
    let report = engine
        .run(
            Run::new(suite(4))
                .agent_with(
                    shared(&agent),
                    serde_json::Value::Null,
                    AgentLimits::default(),
                )
                .retry(fast_retries()),
        )
        .await
        .unwrap();
    assert_eq!(report.summary.agents[0].errors, 4);
    assert_eq!(agent.calls.load(Ordering::SeqCst), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_honoured() {
    let (engine, _) = engine();
    let agent = Scripted::named("limited").failing(
        "c0000",
        vec![AgentError::rate_limited(
            "slow down",
            Some(Duration::from_millis(300)),
        )],
    );
    let started = Instant::now();
    let report = engine
        .run(Run::new(suite(1)).agent(agent).retry(fast_retries()))
        .await
        .unwrap();
    assert_eq!(report.summary.agents[0].passed, 1);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_are_errors_of_kind_timeout() {
    let (engine, store) = engine();
    let agent = Scripted {
        delay: Duration::from_secs(30),
        ..Scripted::named("hangs")
    };
    let policy = fast_retries().with_max_retries(1);
    let report = engine
        .run(
            Run::new(suite(2))
                .agent(agent)
                .timeout(Duration::from_millis(50))
                .retry(policy),
        )
        .await
        .unwrap();
    for r in records(&store, &report.run_id).await {
        assert_eq!(r.outcome, Outcome::Error);
        assert_eq!(r.failure.as_ref().unwrap().kind, "timeout");
        assert_eq!(r.retries, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_per_minute_is_enforced_before_sending() {
    let (engine, _) = engine();
    let limits = AgentLimits::default().with_requests_per_minute(1200) /* 20 a second */;
    let started = Instant::now();
    let report = engine
        .run(
            Run::new(suite(40))
                .agent_with(
                    Arc::new(Scripted::named("paced")),
                    serde_json::Value::Null,
                    limits,
                )
                .concurrency(40),
        )
        .await
        .unwrap();
    assert_eq!(report.summary.agents[0].passed, 40);
    // 20 a second with one second of burst: 40 requests need at least ~1 s.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_agent_concurrency_is_a_ceiling() {
    let (engine, _) = engine();
    let agent = Arc::new(Scripted {
        delay: Duration::from_millis(5),
        ..Scripted::named("narrow")
    });
    let limits = AgentLimits::default().with_concurrency(3);
    engine
        .run(
            Run::new(suite(40))
                .agent_with(shared(&agent), serde_json::Value::Null, limits)
                .concurrency(32),
        )
        .await
        .unwrap();
    assert!(agent.max_in_flight.load(Ordering::SeqCst) <= 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrency_cap_without_retry_after_is_retried_through() {
    let (engine, _) = engine();
    let agent = Arc::new(Scripted {
        delay: Duration::from_millis(5),
        capacity: Some(4),
        ..Scripted::named("capped")
    });
    let report = engine
        .run(
            Run::new(suite(200))
                .agent_with(
                    shared(&agent),
                    serde_json::Value::Null,
                    AgentLimits::default(),
                )
                .concurrency(32)
                .retry(fast_retries().with_max_retries(100)),
        )
        .await
        .unwrap();
    let s = &report.summary.agents[0];
    // Refusals without `Retry-After` are retried on the backoff until each gets a slot.
    assert_eq!((s.passed, s.errors), (200, 0), "every attempt gets through");
}
