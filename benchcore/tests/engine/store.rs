//! A slow or failing store, token and time budgets.

use super::*;

/// A memory store whose writes wait until the gate opens, or fail once `ok_batches` are spent.
struct WrappedStore {
    inner: MemoryStore,
    gate: tokio::sync::Semaphore,
    ok_batches: AtomicUsize,
    /// Calls of `attempt_outcomes` (every key of a run at once).
    whole_reads: AtomicUsize,
    /// Calls of `case_outcomes`, and the most cases one asked for.
    case_lookups: AtomicUsize,
    widest_lookup: AtomicUsize,
}

impl WrappedStore {
    fn gated() -> Self {
        Self {
            inner: MemoryStore::new(),
            gate: tokio::sync::Semaphore::new(0),
            ok_batches: AtomicUsize::new(usize::MAX),
            whole_reads: AtomicUsize::new(0),
            case_lookups: AtomicUsize::new(0),
            widest_lookup: AtomicUsize::new(0),
        }
    }

    fn failing_after(batches: usize) -> Self {
        Self {
            inner: MemoryStore::new(),
            gate: tokio::sync::Semaphore::new(usize::MAX >> 4),
            ok_batches: AtomicUsize::new(batches),
            whole_reads: AtomicUsize::new(0),
            case_lookups: AtomicUsize::new(0),
            widest_lookup: AtomicUsize::new(0),
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
    async fn set_run_tags(
        &self,
        w: &Workspace,
        id: &str,
        tags: &serde_json::Value,
    ) -> Result<(), benchcore::StoreError> {
        self.inner.set_run_tags(w, id, tags).await
    }
    async fn case_outcomes(
        &self,
        w: &Workspace,
        id: &str,
        cases: &[String],
    ) -> Result<Vec<(benchcore::AttemptKey, benchcore::Outcome)>, benchcore::StoreError> {
        self.case_lookups.fetch_add(1, Ordering::SeqCst);
        self.widest_lookup.fetch_max(cases.len(), Ordering::SeqCst);
        self.inner.case_outcomes(w, id, cases).await
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
        self.whole_reads.fetch_add(1, Ordering::SeqCst);
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

/// A resume never reads every recorded key at once: it asks the store about the cases it is
/// about to send, a batch at a time, so its memory does not grow with the run; and it sends
/// exactly what is missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_looks_up_recorded_attempts_a_batch_of_cases_at_a_time() {
    let store = Arc::new(WrappedStore::failing_after(usize::MAX));
    let agent = Arc::new(Scripted::named("echo"));
    let n = 1000;
    let run = || {
        Run::new(suite(n))
            .agent_with(
                shared(&agent),
                serde_json::Value::Null,
                AgentLimits::default(),
            )
            .concurrency(4)
            .samples(2)
    };
    let engine = Engine::new(store.clone());
    let mut handle = engine.start(run()).await.unwrap();
    let run_id = handle.run_id().to_owned();
    let mut events = handle.events();
    let mut finished = 0;
    while let Some(event) = events.next().await {
        if matches!(event, RunEvent::AttemptFinished { .. }) {
            finished += 1;
            if finished == 700 {
                handle.cancel();
                break;
            }
        }
    }
    handle.wait().await.unwrap();
    let ws = Workspace::default();
    let before = store
        .inner
        .attempt_outcomes(&ws, &run_id)
        .await
        .unwrap()
        .len();
    assert!((700..2 * n).contains(&before), "{before}");
    let calls_before = agent.calls.load(Ordering::SeqCst);

    let mut handle = engine
        .resume(&run_id, run(), ResumeOptions::default())
        .await
        .unwrap();
    let mut events = handle.events();
    let Some(RunEvent::Started { already_done, .. }) = events.next().await else {
        panic!("no Started event first");
    };
    assert_eq!(already_done, before as u64);
    let report = handle.wait().await.unwrap();
    assert_eq!(report.status, RunStatus::Finished);
    assert_eq!(report.summary.agents[0].n, 2 * n as u64);
    assert_eq!(
        agent.calls.load(Ordering::SeqCst) - calls_before,
        2 * n - before,
        "the resume sent other than exactly the missing attempts"
    );
    assert_eq!(store.whole_reads.load(Ordering::SeqCst), 0);
    let lookups = store.case_lookups.load(Ordering::SeqCst);
    assert!(lookups >= n / 256, "{lookups} lookups for {n} cases");
    assert!(store.widest_lookup.load(Ordering::SeqCst) <= 256);
}
