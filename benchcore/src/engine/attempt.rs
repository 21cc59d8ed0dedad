//! One attempt: send (with limits and retries), evaluate, test, and build its record.

use super::episode::{Episode, EpisodeContext, Spent};
use super::events::RunEvent;
use super::limits::{AdaptiveLimiter, AgentLimits, TokenBucket};
use super::RetryPolicy;
use crate::{
    now_ms, Agent, AgentError, AgentErrorKind, AgentReply, AgentRequest, AttemptFailure,
    AttemptKey, AttemptRecord, Case, Ending, EvalContext, Evaluation, Evaluator, Outcome, Sampling,
    Transcript, TranscriptTest,
};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// One agent of a running run, with its limits and health.
pub(crate) struct AgentState {
    pub(crate) agent: Arc<dyn Agent>,
    pub(crate) name: String,
    pub(crate) limiter: Arc<AdaptiveLimiter>,
    requests: Option<TokenBucket>,
    tokens: Option<TokenBucket>,
    /// Set by a rate limit with `Retry-After`: nothing is sent to this agent before then.
    paused_until: Mutex<Option<Instant>>,
    consecutive_auth_failures: AtomicU32,
    stopped: AtomicBool,
}

impl AgentState {
    pub(crate) fn new(
        agent: Arc<dyn Agent>,
        name: String,
        limits: &AgentLimits,
        run_concurrency: usize,
    ) -> Self {
        Self {
            agent,
            name,
            limiter: Arc::new(AdaptiveLimiter::new(
                limits.concurrency.unwrap_or(run_concurrency),
                !limits.fixed_concurrency,
            )),
            requests: limits
                .requests_per_minute
                .map(|rpm| TokenBucket::per_minute(f64::from(rpm))),
            tokens: limits
                .tokens_per_minute
                .map(|tpm| TokenBucket::per_minute(tpm as f64)),
            paused_until: Mutex::new(None),
            consecutive_auth_failures: AtomicU32::new(0),
            stopped: AtomicBool::new(false),
        }
    }

    /// Waits out a provider pause and the request and token budgets, then reserves them.
    async fn wait_for_budget(&self, estimated_tokens: u64) {
        let paused = *self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(until) = paused {
            tokio::time::sleep_until(until.into()).await;
        }
        let mut wait = Duration::ZERO;
        if let Some(bucket) = &self.requests {
            wait = wait.max(bucket.reserve(1.0));
        }
        if let Some(bucket) = &self.tokens {
            wait = wait.max(bucket.reserve(estimated_tokens as f64));
        }
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    fn pause_for(&self, retry_after: Duration) {
        let until = Instant::now() + retry_after;
        let mut paused = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        if paused.is_none_or(|p| p < until) {
            *paused = Some(until);
        }
    }

    fn on_success(&self, reply: &AgentReply, estimated_tokens: u64) {
        self.consecutive_auth_failures.store(0, Ordering::Relaxed);
        self.limiter.on_success();
        if let (Some(bucket), Some(usage)) = (&self.tokens, reply.usage) {
            bucket.adjust(usage.total() as f64 - estimated_tokens as f64);
        }
    }

    /// Learns from a failed exchange sent at `sent`: repeated auth failures stop the agent;
    /// a rate limit shrinks its concurrency and honours `Retry-After`.
    fn on_error(&self, error: &AgentError, sent: Instant, run: &RunShared) {
        match error.kind {
            AgentErrorKind::Auth => {
                let failures = self
                    .consecutive_auth_failures
                    .fetch_add(1, Ordering::Relaxed)
                    + 1;
                if failures >= run.retry.stop_after_auth_failures.max(1) {
                    self.stopped.store(true, Ordering::Relaxed);
                }
            }
            AgentErrorKind::RateLimited => {
                self.limiter.on_rate_limited(sent);
                if let Some(after) = error.retry_after {
                    self.pause_for(after);
                }
            }
            _ => {}
        }
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Relaxed)
    }
}

/// What every attempt of a run shares.
pub(crate) struct RunShared {
    pub(crate) run_id: String,
    pub(crate) episode: Arc<dyn Episode>,
    pub(crate) evaluators: Vec<Arc<dyn Evaluator>>,
    pub(crate) tests: Vec<Arc<dyn TranscriptTest>>,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeout: Duration,
    pub(crate) sampling: Sampling,
    pub(crate) artifacts_root: Option<PathBuf>,
    pub(crate) events: broadcast::Sender<RunEvent>,
    pub(crate) run_deadline: Option<Instant>,
    pub(crate) max_cost_micro_usd: Option<u64>,
    pub(crate) spent_micro_usd: AtomicU64,
    pub(crate) run_retries: AtomicU64,
}

impl RunShared {
    fn emit(&self, event: RunEvent) {
        // No subscriber is fine: events are for whoever watches.
        let _ = self.events.send(event);
    }

    /// Why no new attempt may start, if a run budget is spent.
    fn budget_spent(&self) -> Option<String> {
        if self.run_deadline.is_some_and(|d| Instant::now() >= d) {
            return Some("the run's time budget (max_run_ms) is spent".into());
        }
        if let Some(max) = self.max_cost_micro_usd {
            if self.spent_micro_usd.load(Ordering::Relaxed) >= max {
                return Some("the run's cost budget (max_cost_usd) is spent".into());
            }
        }
        None
    }

    fn take_run_retry(&self) -> bool {
        match self.retry.max_run_retries {
            None => true,
            Some(max) => self
                .run_retries
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                    (n < max).then_some(n + 1)
                })
                .is_ok(),
        }
    }

    fn artifacts_dir(&self, key: &AttemptKey) -> Option<String> {
        self.artifacts_root.as_ref().map(|root| {
            root.join(&self.run_id)
                .join(key.artifacts_folder())
                .display()
                .to_string()
        })
    }
}

/// Runs one attempt to its record. `queued_at` is when it was scheduled, for wall time.
pub(crate) async fn run_attempt(
    run: &RunShared,
    agent: &AgentState,
    case: Arc<Case>,
    sample: u32,
    queued_at: Instant,
) -> AttemptRecord {
    let key = AttemptKey::new(case.id.clone(), agent.name.clone(), sample);
    let started_at_ms = now_ms();
    let mut record = AttemptRecord::new(run.run_id.clone(), key.clone(), Outcome::Error);
    record.started_at_ms = started_at_ms;
    record.artifacts_dir = run.artifacts_dir(&key);

    let finish = |mut record: AttemptRecord| {
        record.wall_ms = queued_at.elapsed().as_millis() as u64;
        record.finished_at_ms = now_ms();
        run.emit(RunEvent::AttemptFinished {
            key: record.key.clone(),
            outcome: record.outcome,
            score: record.score,
            latency_ms: record.latency_ms,
        });
        record
    };

    if let Some(reason) = run.budget_spent() {
        record.outcome = Outcome::Skipped;
        record.failure = Some(AttemptFailure {
            kind: "budget".into(),
            message: reason,
        });
        return finish(record);
    }
    if agent.is_stopped() {
        record.failure = Some(AttemptFailure {
            kind: AgentErrorKind::Auth.as_str().into(),
            message: format!(
                "not sent: agent `{}` was stopped after repeated auth failures",
                agent.name
            ),
        });
        return finish(record);
    }

    run.emit(RunEvent::AttemptStarted { key: key.clone() });
    let artifacts = record.artifacts_dir.as_ref().map(PathBuf::from);
    let mut cx = EpisodeContext {
        run,
        agent,
        case: Arc::clone(&case),
        key,
        artifacts: artifacts.as_deref(),
        transcript: Transcript::default(),
        turn_timeout: None,
        spent: Spent::default(),
        reports: Vec::new(),
    };
    let played = run.episode.play(&mut cx).await;
    let EpisodeContext {
        transcript,
        spent,
        reports,
        ..
    } = cx;
    record.transcript = transcript;
    record.retries = spent.retries;
    record.usage = spent.usage;
    record.cost_usd = spent.cost_usd;
    record.model = spent.model;
    record.cached = spent.cached;
    record.latency_ms = spent.latency.map(|d| d.as_millis() as u64);
    record.ttft_ms = spent.ttft.map(|d| d.as_millis() as u64);
    if let Err(error) = played {
        record.work_ms = spent.work.as_millis() as u64;
        record.transcript.ending.get_or_insert(Ending::Error);
        record.failure = Some(AttemptFailure {
            kind: error.kind.as_str().into(),
            message: error.to_string(),
        });
        return finish(record);
    }
    record.transcript.ending.get_or_insert(Ending::Natural);

    let judged_at = Instant::now();
    let reply = record.reply().to_owned();
    let judged = evaluate(run, &case, &reply, &record).await;
    record.outcome = judged.outcome;
    record.score = judged.score;
    record.evaluations = judged.evaluations;
    // Judging is part of what the attempt cost (an LLM judge), and of the run's budget.
    let judging: f64 = record.evaluations.iter().filter_map(|e| e.cost_usd).sum();
    if judging > 0.0 {
        record.cost_usd = Some(record.cost_usd.unwrap_or(0.0) + judging);
        run.add_spent(judging);
    }
    record.failure = judged.failure;
    record.reports = reports;
    record
        .reports
        .extend(run.tests.iter().map(|t| t.run(&record.transcript)));
    record.work_ms = (spent.work + judged_at.elapsed()).as_millis() as u64;
    finish(record)
}

pub(super) struct Exchange {
    pub(super) result: Result<AgentReply, AgentError>,
    pub(super) retries: u32,
    /// Duration of the last exchange: the one whose result counts.
    pub(super) last_exchange: Duration,
}

/// Sends `request` until it succeeds or retrying is over. `limits` is the agent under test's
/// state (rate limits, pauses, auth health); other agents (a simulated user) have none.
pub(super) async fn exchange_with_retries(
    run: &RunShared,
    agent: &dyn Agent,
    name: &str,
    limits: Option<&AgentState>,
    key: &AttemptKey,
    mut request: AgentRequest,
    timeout: Duration,
) -> Exchange {
    let attempt_deadline = Instant::now() + Duration::from_millis(run.retry.max_attempt_ms);
    let estimated_tokens = request.estimated_tokens();
    let mut retries = 0;
    loop {
        if let Some(limits) = limits {
            limits.wait_for_budget(estimated_tokens).await;
        }
        let deadline = (Instant::now() + timeout).min(attempt_deadline);
        request.deadline = Some(deadline);
        let sent = Instant::now();
        let result = match tokio::time::timeout_at(deadline.into(), agent.respond(&request)).await {
            Ok(result) => result,
            Err(_) => Err(AgentError::timeout(format!(
                "no reply within {} ms",
                deadline.saturating_duration_since(sent).as_millis()
            ))
            .with_provider(name.to_owned())),
        };
        let last_exchange = sent.elapsed();
        let error = match result {
            Ok(reply) => {
                if let Some(limits) = limits {
                    limits.on_success(&reply, estimated_tokens);
                }
                return Exchange {
                    result: Ok(reply),
                    retries,
                    last_exchange,
                };
            }
            Err(error) => error,
        };
        if let Some(limits) = limits {
            limits.on_error(&error, sent, run);
        }
        let give_up = |why: &str| Exchange {
            result: Err(AgentError {
                message: format!("{why}; last error: {}", error.message),
                ..error.clone()
            }),
            retries,
            last_exchange,
        };
        if !error.is_retryable() {
            return Exchange {
                result: Err(error),
                retries,
                last_exchange,
            };
        }
        if retries >= run.retry.max_retries {
            return give_up(&format!("gave up after {retries} retries"));
        }
        let delay = run.retry.delay(retries + 1, error.retry_after);
        if Instant::now() + delay >= attempt_deadline {
            return give_up("the attempt's time budget (max_attempt_ms) is spent");
        }
        if !run.take_run_retry() {
            return give_up("the run's retry budget (max_run_retries) is spent");
        }
        retries += 1;
        run.emit(RunEvent::AttemptRetried {
            key: key.clone(),
            retry: retries,
            kind: error.kind,
            delay,
        });
        tokio::time::sleep(delay).await;
    }
}

/// What the evaluators made of an attempt.
struct Judged {
    outcome: Outcome,
    score: Option<f64>,
    evaluations: Vec<Evaluation>,
    failure: Option<AttemptFailure>,
}

/// Runs every evaluator. Passed when all pass; failed when any fails; invalid when none
/// failed but one could not judge; an `error` when an evaluator's own infrastructure broke (a
/// sandbox that could not start), which keeps the attempt out of accuracy. The score is the
/// mean of the scores given.
async fn evaluate(run: &RunShared, case: &Case, reply: &str, record: &AttemptRecord) -> Judged {
    let mut cx = EvalContext::new(case, reply, &record.transcript);
    let artifacts = record.artifacts_dir.as_ref().map(PathBuf::from);
    cx.artifacts = artifacts.as_deref();
    let mut evaluations = Vec::with_capacity(run.evaluators.len());
    let mut failure = None;
    for evaluator in &run.evaluators {
        evaluations.push(match evaluator.evaluate(&cx).await {
            Ok(mut evaluation) => {
                evaluation.score = evaluation.score.map(|s| s.clamp(0.0, 1.0));
                evaluation
            }
            Err(error) => {
                if error.is_infrastructure() && failure.is_none() {
                    failure = Some(AttemptFailure {
                        kind: "infrastructure".into(),
                        message: format!("{}: {}", evaluator.name(), error.message),
                    });
                }
                Evaluation::could_not_judge(evaluator.name(), &error)
            }
        });
    }
    let scores: Vec<f64> = evaluations.iter().filter_map(|e| e.score).collect();
    let score = (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64);
    let outcome = if failure.is_some() {
        Outcome::Error
    } else if evaluations.iter().any(|e| e.passed == Some(false)) {
        Outcome::Failed
    } else if evaluations.iter().any(|e| e.passed.is_none()) {
        Outcome::Invalid
    } else {
        Outcome::Passed
    };
    Judged {
        outcome,
        score,
        evaluations,
        failure,
    }
}
