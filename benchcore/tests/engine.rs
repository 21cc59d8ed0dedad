//! The engine through its public API, with in-process agents and the memory store.

use benchcore::agent::reference::{Gold, Null};
use benchcore::{
    async_trait, Agent, AgentError, AgentErrorKind, AgentLimits, AgentReply, AgentRequest,
    AttemptQuery, AttemptRecord, Case, Engine, EvalContext, EvalError, Evaluation, Evaluator,
    MemoryStore, Outcome, QuestionSet, ResumeOptions, RetryPolicy, Run, RunEvent, RunStatus,
    RunStore, Usage, Workspace,
};
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn suite(n: usize) -> QuestionSet {
    let cases = (0..n)
        .map(|i| Case::new(format!("c{i:04}"), format!("{i}")).with_target(format!("{i}")))
        .collect();
    QuestionSet::from_cases("numbers", cases).unwrap()
}

/// Echoes the question, after a programmable sequence of failures per case.
#[derive(Default)]
struct Scripted {
    name: String,
    failures: Mutex<HashMap<String, Vec<AgentError>>>,
    /// Every case fails with this error, always.
    always: Option<AgentError>,
    delay: Duration,
    calls: AtomicUsize,
    calls_per_case: Mutex<HashMap<String, usize>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    /// Answer 429 when more than this many requests are in flight.
    capacity: Option<usize>,
}

impl Scripted {
    fn named(name: &str) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// The case fails with these errors, in order, before it succeeds.
    fn failing(self, case: &str, mut errors: Vec<AgentError>) -> Self {
        errors.reverse();
        self.failures.lock().unwrap().insert(case.into(), errors);
        self
    }

    fn calls_for(&self, case: &str) -> usize {
        self.calls_per_case
            .lock()
            .unwrap()
            .get(case)
            .copied()
            .unwrap_or(0)
    }
}

struct Leave<'a>(&'a AtomicUsize);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[async_trait]
impl Agent for Scripted {
    fn name(&self) -> &str {
        &self.name
    }

    async fn respond(&self, request: &AgentRequest) -> Result<AgentReply, AgentError> {
        let id = request.case.as_ref().unwrap().id.clone();
        self.calls.fetch_add(1, Ordering::SeqCst);
        *self
            .calls_per_case
            .lock()
            .unwrap()
            .entry(id.clone())
            .or_default() += 1;
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let _leave = Leave(&self.in_flight);
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        if self.capacity.is_some_and(|cap| now > cap) {
            return Err(AgentError::rate_limited("too many in flight", None));
        }
        if let Some(error) = &self.always {
            return Err(error.clone());
        }
        let failure = self
            .failures
            .lock()
            .unwrap()
            .get_mut(&id)
            .and_then(Vec::pop);
        if let Some(error) = failure {
            return Err(error);
        }
        let text = request.last_user_text().unwrap_or_default().to_owned();
        Ok(AgentReply::text(text)
            .with_usage(Usage::new(3, 1))
            .with_cost(0.001))
    }
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default().with_backoff(Duration::from_millis(5), Duration::from_millis(20))
}

fn engine() -> (Engine, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::new());
    (Engine::new(store.clone()), store)
}

fn shared(agent: &Arc<Scripted>) -> Arc<dyn Agent> {
    agent.clone()
}

async fn records(store: &MemoryStore, run_id: &str) -> Vec<AttemptRecord> {
    store
        .attempts(&Workspace::default(), run_id, &AttemptQuery::default())
        .await
        .unwrap()
}

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

/// A memory store whose writes wait until the gate opens, or fail once `ok_batches` are spent.
struct WrappedStore {
    inner: MemoryStore,
    gate: tokio::sync::Semaphore,
    ok_batches: AtomicUsize,
}

impl WrappedStore {
    fn gated() -> Self {
        Self {
            inner: MemoryStore::new(),
            gate: tokio::sync::Semaphore::new(0),
            ok_batches: AtomicUsize::new(usize::MAX),
        }
    }

    fn failing_after(batches: usize) -> Self {
        Self {
            inner: MemoryStore::new(),
            gate: tokio::sync::Semaphore::new(usize::MAX >> 4),
            ok_batches: AtomicUsize::new(batches),
        }
    }
}

#[async_trait]
impl RunStore for WrappedStore {
    fn capabilities(&self) -> benchcore::StoreCapabilities {
        self.inner.capabilities()
    }
    async fn create_run(
        &self,
        w: &Workspace,
        id: &str,
        spec: &benchcore::RunSpec,
    ) -> Result<(), benchcore::StoreError> {
        self.inner.create_run(w, id, spec).await
    }
    async fn get_run(
        &self,
        w: &Workspace,
        id: &str,
    ) -> Result<Option<benchcore::RunInfo>, benchcore::StoreError> {
        self.inner.get_run(w, id).await
    }
    async fn list_runs(
        &self,
        w: &Workspace,
        f: &benchcore::RunFilter,
    ) -> Result<Vec<benchcore::RunInfo>, benchcore::StoreError> {
        self.inner.list_runs(w, f).await
    }
    async fn set_run_status(
        &self,
        w: &Workspace,
        id: &str,
        s: RunStatus,
    ) -> Result<(), benchcore::StoreError> {
        self.inner.set_run_status(w, id, s).await
    }
    async fn record_attempts(
        &self,
        w: &Workspace,
        a: &[AttemptRecord],
    ) -> Result<(), benchcore::StoreError> {
        let _open = self.gate.acquire().await.unwrap();
        let spent = self
            .ok_batches
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_err();
        if spent {
            return Err(benchcore::StoreError::new(
                benchcore::StoreErrorKind::Backend,
                "disk full",
            ));
        }
        self.inner.record_attempts(w, a).await
    }
    async fn attempt_outcomes(
        &self,
        w: &Workspace,
        id: &str,
    ) -> Result<Vec<(benchcore::AttemptKey, Outcome)>, benchcore::StoreError> {
        self.inner.attempt_outcomes(w, id).await
    }
    async fn attempts(
        &self,
        w: &Workspace,
        id: &str,
        q: &AttemptQuery,
    ) -> Result<Vec<AttemptRecord>, benchcore::StoreError> {
        self.inner.attempts(w, id, q).await
    }
    async fn summarize(
        &self,
        w: &Workspace,
        id: &str,
    ) -> Result<benchcore::RunSummary, benchcore::StoreError> {
        self.inner.summarize(w, id).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_store_slows_the_run_instead_of_piling_up_attempts() {
    let store = Arc::new(WrappedStore::gated());
    let agent = Arc::new(Scripted::named("fast"));
    let n = 8000;
    let handle = Engine::new(store.clone())
        .start(
            Run::new(suite(n))
                .agent_with(
                    shared(&agent),
                    serde_json::Value::Null,
                    AgentLimits::default(),
                )
                .concurrency(8),
        )
        .await
        .unwrap();
    // Let the run go as far as it can while the store takes nothing.
    let mut last = usize::MAX;
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = agent.calls.load(Ordering::SeqCst);
        if now == last {
            break;
        }
        last = now;
    }
    // What may wait for a blocked store: the writer's batch in hand (512), the record queue
    // (4096) and one finished attempt per slot (8).
    assert!(
        last <= 512 + 4096 + 8,
        "{last} attempts started while the store was blocked"
    );
    store.gate.add_permits(usize::MAX >> 4);
    let report = handle.wait().await.unwrap();
    assert_eq!(report.summary.agents[0].passed, n as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_per_minute_is_enforced_with_reported_usage() {
    let (engine, _) = engine();
    // 2,400 tokens a minute is 40 a second, with one second's worth at the start. Each request
    // is estimated at 1 token before sending, and the agent then reports 4: 20 requests use
    // 80 tokens, so they cannot all go in the first second. Without the correction by
    // reported usage they would (20 estimated tokens fit the first second).
    let limits = AgentLimits::default().with_tokens_per_minute(2_400);
    let started = Instant::now();
    let report = engine
        .run(
            Run::new(suite(20))
                .agent_with(
                    Arc::new(Scripted::named("tpm")),
                    serde_json::Value::Null,
                    limits,
                )
                .concurrency(1),
        )
        .await
        .unwrap();
    assert_eq!(report.summary.agents[0].passed, 20);
    assert!(
        started.elapsed() >= Duration::from_millis(800),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_time_budget_skips_what_has_not_started() {
    let (engine, store) = engine();
    let agent = Scripted {
        delay: Duration::from_millis(30),
        ..Scripted::named("slowish")
    };
    let report = engine
        .run(
            Run::new(suite(40))
                .agent(agent)
                .concurrency(1)
                .max_run_time(Duration::from_millis(200)),
        )
        .await
        .unwrap();
    let s = &report.summary.agents[0];
    assert!(s.passed >= 1 && s.skipped >= 1, "{s:?}");
    assert_eq!(s.passed + s.skipped, 40);
    let skipped = store
        .attempts(
            &Workspace::default(),
            &report.run_id,
            &AttemptQuery::default(),
        )
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.outcome == Outcome::Skipped)
        .unwrap();
    assert_eq!(skipped.failure.unwrap().kind, "budget");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_store_stops_the_run_instead_of_calling_agents_for_nothing() {
    let store = Arc::new(WrappedStore::failing_after(1));
    let agent = Arc::new(Scripted {
        delay: Duration::from_millis(2),
        ..Scripted::named("paid")
    });
    let n = 2000;
    let err = Engine::new(store.clone())
        .run(
            Run::new(suite(n))
                .agent_with(
                    shared(&agent),
                    serde_json::Value::Null,
                    AgentLimits::default(),
                )
                .concurrency(4),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("disk full"), "{err}");
    let calls = agent.calls.load(Ordering::SeqCst);
    assert!(
        calls < n / 2,
        "{calls} of {n} requests were sent after the store failed"
    );
    let ws = Workspace::default();
    let run = &store
        .inner
        .list_runs(&ws, &Default::default())
        .await
        .unwrap()[0];
    assert_eq!(run.status, RunStatus::Failed);
}
