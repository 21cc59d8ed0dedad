//! Cancel and resume, budgets, evaluations and refused runs.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_leaves_a_resumable_run_and_resume_records_each_attempt_once() {
    let (engine, store) = engine();
    let agent = Arc::new(Scripted {
        delay: Duration::from_millis(10),
        ..Scripted::named("slow")
    });
    let run = || {
        Run::new(suite(120))
            .agent_with(
                shared(&agent),
                serde_json::Value::Null,
                AgentLimits::default(),
            )
            .concurrency(4)
    };
    let mut handle = engine.start(run()).await.unwrap();
    let run_id = handle.run_id().to_owned();
    let mut events = handle.events();
    let mut finished = 0;
    while let Some(event) = events.next().await {
        if matches!(event, RunEvent::AttemptFinished { .. }) {
            finished += 1;
            if finished == 30 {
                handle.cancel();
                break;
            }
        }
    }
    let report = handle.wait().await.unwrap();
    assert_eq!(report.status, RunStatus::Cancelled);
    let ws = Workspace::default();
    let stored = store.get_run(&ws, &run_id).await.unwrap().unwrap();
    assert_eq!(stored.status, RunStatus::Cancelled);
    let done_before = store.attempt_outcomes(&ws, &run_id).await.unwrap().len();
    assert!((30..120).contains(&done_before), "{done_before}");
    let recorded_before: Vec<String> = store
        .attempt_outcomes(&ws, &run_id)
        .await
        .unwrap()
        .into_iter()
        .map(|(k, _)| k.case_id)
        .collect();
    let calls_before: HashMap<String, usize> = recorded_before
        .iter()
        .map(|id| (id.clone(), agent.calls_for(id)))
        .collect();

    let report = engine
        .resume(&run_id, run(), ResumeOptions::default())
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_eq!(report.status, RunStatus::Finished);
    assert_eq!(report.summary.agents[0].n, 120);
    assert_eq!(report.summary.agents[0].passed, 120);
    assert_eq!(
        store.attempt_outcomes(&ws, &run_id).await.unwrap().len(),
        120
    );
    for (id, calls) in calls_before {
        assert_eq!(
            agent.calls_for(&id),
            calls,
            "recorded case {id} was sent again"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_with_retry_errors_reruns_only_errors() {
    let (engine, store) = engine();
    let first = Scripted::named("agent").failing(
        "c0002",
        vec![AgentError::new(
            AgentErrorKind::BadRequest,
            "model not loaded",
        )],
    );
    let report = engine.run(Run::new(suite(5)).agent(first)).await.unwrap();
    assert_eq!(report.summary.agents[0].errors, 1);

    let again = Arc::new(Scripted::named("agent"));
    let run = || {
        Run::new(suite(5)).agent_with(
            shared(&again),
            serde_json::Value::Null,
            AgentLimits::default(),
        )
    };
    // A plain resume keeps the error.
    let plain = engine
        .resume(&report.run_id, run(), ResumeOptions::default())
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_eq!(plain.summary.agents[0].errors, 1);
    assert_eq!(again.calls.load(Ordering::SeqCst), 0);

    let fixed = engine
        .resume(&report.run_id, run(), ResumeOptions::retry_errors())
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_eq!(fixed.summary.agents[0].errors, 0);
    assert_eq!(fixed.summary.agents[0].passed, 5);
    assert_eq!(again.calls.load(Ordering::SeqCst), 1);
    assert_eq!(again.calls_for("c0002"), 1);
    let n = store
        .attempt_outcomes(&Workspace::default(), &report.run_id)
        .await
        .unwrap()
        .len();
    assert_eq!(n, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_refuses_other_agents_or_a_changed_suite() {
    let (engine, _) = engine();
    let report = engine.run(Run::new(suite(3)).agent(Gold)).await.unwrap();
    let err = engine
        .resume(
            &report.run_id,
            Run::new(suite(3)).agent(Null),
            ResumeOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("agents"), "{err}");
    let err = engine
        .resume(
            &report.run_id,
            Run::new(suite(4)).agent(Gold),
            ResumeOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("changed"), "{err}");
    let err = engine
        .resume(
            "no-such-run",
            Run::new(suite(3)).agent(Gold),
            ResumeOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no run"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cost_budget_skips_the_rest_and_resume_reruns_skipped() {
    let (engine, _) = engine();
    let report = engine
        .run(
            Run::new(suite(50))
                .agent(Scripted::named("pricey"))
                .concurrency(1)
                .max_cost_usd(0.0095),
        )
        .await
        .unwrap();
    let s = &report.summary.agents[0];
    assert_eq!((s.passed, s.skipped), (10, 40));
    assert_eq!(s.accuracy, Some(1.0));
}

/// Passes everything and says judging cost a quarter of a dollar, as an LLM judge does.
struct CostlyJudge;

#[async_trait]
impl Evaluator for CostlyJudge {
    fn name(&self) -> &str {
        "costly"
    }

    async fn evaluate(&self, _cx: &EvalContext<'_>) -> Result<Evaluation, EvalError> {
        Ok(Evaluation::binary("costly", true).with_cost(Some(0.25)))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn judging_cost_counts_in_the_attempt_and_the_budget() {
    let (engine, store) = engine();
    let report = engine
        .run(
            Run::new(suite(6))
                .agent(Gold)
                .evaluator(CostlyJudge)
                .concurrency(1)
                .max_cost_usd(0.5),
        )
        .await
        .unwrap();
    let s = &report.summary.agents[0];
    assert_eq!((s.passed, s.skipped), (2, 4), "the budget counts judging");
    let all = records(&store, &report.run_id).await;
    assert_eq!(all[0].cost_usd, Some(0.25));
    assert_eq!(all[0].evaluations[0].cost_usd, Some(0.25));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_evaluation_is_stored_and_unjudgeable_is_invalid() {
    let (engine, store) = engine();
    let cases = vec![
        Case::new("a", "The answer is 42").with_target("42"),
        Case::new("b", "no target here"),
    ];
    let suite = QuestionSet::from_cases("mixed", cases).unwrap();
    let report = engine
        .run(
            Run::new(suite)
                .agent(Scripted::named("echo"))
                .evaluator_config("numeric".parse().unwrap())
                .unwrap()
                .evaluator_config("includes".parse().unwrap())
                .unwrap(),
        )
        .await
        .unwrap();
    let all = records(&store, &report.run_id).await;
    assert_eq!(all[0].evaluations.len(), 2);
    assert_eq!(all[0].outcome, Outcome::Passed);
    assert_eq!(all[1].outcome, Outcome::Invalid);
    let error = all[1].evaluations[0].error.as_ref().unwrap();
    assert!(error.contains("no target"), "{error}");
    assert_eq!(report.summary.agents[0].invalid, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misconfigured_runs_are_refused() {
    let (engine, _) = engine();
    let err = engine.start(Run::new(suite(1))).await.unwrap_err();
    assert!(err.to_string().contains("agents"), "{err}");
    let err = engine
        .start(Run::new(suite(1)).agent(Gold).agent(Gold))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("two agents"), "{err}");
    let err = engine
        .start(Run::new(suite(1)).agent(Gold).samples(0))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("samples"), "{err}");
}
