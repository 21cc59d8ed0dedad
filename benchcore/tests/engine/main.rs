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
    /// Each request's case, and when it came in.
    starts: Mutex<Vec<(String, Instant)>>,
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
        self.starts
            .lock()
            .unwrap()
            .push((id.clone(), Instant::now()));
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

mod limits;
mod resume;
mod run_wide;
mod store;
