//! One agent of a running run: its limits, its learned pace, and its health (the auth stop
//! and the connection breaker), plus the slots an attempt holds.

use super::cancel::CancelToken;
use super::events::RunEvent;
use super::in_flight::{InFlightLimit, Sending};
use super::limits::{AgentLimits, ConcurrencyLimiter, Slot, TokenBucket};
use super::pace::{PaceChange, Pacer};
use super::run_wide::{Budget, RunWide, SharedPause};
use super::RetryPolicy;
use crate::{Agent, AgentError, AgentErrorKind, AgentReply};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// An agent stopped during a run, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct StoppedAgent {
    /// The agent's name in the run.
    pub agent: String,
    /// Why it was stopped, in one line (`agent X stopped: 20 connection failures in a row: …`).
    pub reason: String,
}

/// Why an agent was stopped; decides what becomes of its unsent attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopCause {
    /// Credentials refused: unsent attempts are recorded as auth errors (as they always were;
    /// `resume --retry-errors` reruns them once the key is fixed).
    Auth,
    /// Nothing answers at the agent's address: unsent attempts are left unrecorded, so a
    /// plain `resume` runs them once the agent is back.
    Unreachable,
}

#[derive(Debug)]
struct Stop {
    cause: StopCause,
    reason: String,
}

/// A failure that got no answer at all from the agent: a refused or reset connection, a
/// DNS failure. An HTTP status, even a 5xx, means something is listening.
fn is_connection_failure(error: &AgentError) -> bool {
    error.kind == AgentErrorKind::Transient && error.http_status.is_none()
}

/// One agent of a running run, with its limits and health.
pub(crate) struct AgentState {
    pub(crate) agent: Arc<dyn Agent>,
    pub(crate) name: String,
    pub(crate) limiter: Arc<ConcurrencyLimiter>,
    requests: Option<Budget>,
    tokens: Option<Budget>,
    /// The run-wide side of this agent's limits, when workers share the run.
    run_wide: Option<AgentRunWide>,
    /// The pace learned from the provider's 429s; `None` with fixed concurrency.
    pacer: Option<Pacer>,
    /// The cap on requests in flight learned from them; `None` with fixed concurrency.
    in_flight: Option<InFlightLimit>,
    consecutive_auth_failures: AtomicU32,
    consecutive_connection_failures: AtomicU32,
    stop: OnceLock<Stop>,
    /// Wakes attempts waiting to retry once the agent is stopped.
    stopped: CancelToken,
}

/// An agent's place on the run's limit board.
struct AgentRunWide {
    board: Arc<RunWide>,
    /// The board scope of this agent's share and pauses.
    scope: String,
    /// The agent's own ceiling, when it is held on the board.
    ceiling: Option<usize>,
    pause: Arc<SharedPause>,
}

impl AgentState {
    /// An agent's state; with `run_wide`, its limits hold for the run as a whole: its limiter
    /// starts closed until [`keep_run_wide_share`](Self::keep_run_wide_share) holds a share.
    pub(crate) fn new(
        agent: Arc<dyn Agent>,
        name: String,
        limits: &AgentLimits,
        run_concurrency: usize,
        run_wide: Option<&Arc<RunWide>>,
    ) -> Self {
        let scope = format!("agent:{name}");
        let budget = |what: &str, per_minute: f64| match run_wide {
            Some(board) => Budget::run_wide(board, format!("{scope}:{what}"), per_minute),
            None => Budget::Local(TokenBucket::per_minute(per_minute)),
        };
        // An agent's own ceiling is held on the board only where it binds (below the run's):
        // two shares of equal ceilings could be granted apart and leave slots of both idle.
        let ceiling = limits.concurrency.unwrap_or(run_concurrency);
        let shared_ceiling = run_wide.is_some() && ceiling < run_concurrency;
        let limiter = match shared_ceiling {
            true => ConcurrencyLimiter::closed(),
            false => ConcurrencyLimiter::new(ceiling),
        };
        Self {
            agent,
            limiter: Arc::new(limiter),
            requests: limits
                .requests_per_minute
                .map(|rpm| budget("requests", f64::from(rpm))),
            tokens: limits
                .tokens_per_minute
                .map(|tpm| budget("tokens", tpm as f64)),
            run_wide: run_wide.map(|board| AgentRunWide {
                board: Arc::clone(board),
                scope,
                ceiling: shared_ceiling.then_some(ceiling),
                pause: Arc::default(),
            }),
            name,
            pacer: (!limits.fixed_concurrency).then(Pacer::new),
            in_flight: (!limits.fixed_concurrency).then(InFlightLimit::new),
            consecutive_auth_failures: AtomicU32::new(0),
            consecutive_connection_failures: AtomicU32::new(0),
            stop: OnceLock::new(),
            stopped: CancelToken::new(),
        }
    }

    /// Waits for the learned pace and the request and token budgets, reserves them, then
    /// waits for room under the learned cap on requests in flight. The request counts as in
    /// flight until the returned guard is dropped; `None` when nothing is learned, or when the
    /// agent was stopped while waiting.
    pub(crate) async fn wait_for_budget(&self, estimated_tokens: u64) -> Option<Sending<'_>> {
        let paused = self.run_wide.as_ref().and_then(|r| r.pause.remaining());
        if let Some(paused) = paused {
            tokio::select! {
                _ = tokio::time::sleep(paused) => {}
                _ = self.stopped.cancelled() => return None,
            }
        }
        if let Some(pacer) = &self.pacer {
            tokio::select! {
                _ = pacer.wait_for_turn() => {}
                _ = self.stopped.cancelled() => return None,
            }
        }
        let mut wait = Duration::ZERO;
        if let Some(bucket) = &self.requests {
            wait = wait.max(bucket.reserve(1.0).await);
        }
        if let Some(bucket) = &self.tokens {
            wait = wait.max(bucket.reserve(estimated_tokens as f64).await);
        }
        if !wait.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.stopped.cancelled() => return None,
            }
        }
        let in_flight = self.in_flight.as_ref()?;
        tokio::select! {
            sending = in_flight.enter() => Some(sending),
            _ = self.stopped.cancelled() => None,
        }
    }

    /// Sleeps `delay`, or less if the agent is stopped meanwhile.
    pub(crate) async fn sleep(&self, delay: Duration) {
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = self.stopped.cancelled() => {}
        }
    }

    /// Learns from a reply to a request sent at `sent` (with `sending`, its place in flight).
    pub(crate) fn on_success(
        &self,
        reply: &AgentReply,
        estimated_tokens: u64,
        sent: Instant,
        sending: Option<&Sending<'_>>,
    ) {
        self.consecutive_auth_failures.store(0, Ordering::Relaxed);
        self.consecutive_connection_failures
            .store(0, Ordering::Relaxed);
        let _ = self.learn_limits(false, sent, sending);
        if let (Some(bucket), Some(usage)) = (&self.tokens, reply.usage) {
            bucket.adjust(usage.total() as f64 - estimated_tokens as f64);
        }
    }

    /// Learns from a failed exchange sent at `sent`: repeated auth or connection failures
    /// stop the agent; 429s feed the pacer and the cap on requests in flight, which slow the
    /// agent only for a real limit.
    pub(crate) fn on_error(
        &self,
        error: &AgentError,
        sent: Instant,
        sending: Option<&Sending<'_>>,
        retry: &RetryPolicy,
        events: &broadcast::Sender<RunEvent>,
    ) {
        if is_connection_failure(error) {
            let failures = self
                .consecutive_connection_failures
                .fetch_add(1, Ordering::Relaxed)
                + 1;
            let limit = retry.stop_after_connection_failures;
            if limit > 0 && failures >= limit {
                let reason = format!(
                    "agent {} stopped: {failures} connection failures in a row: {}",
                    self.name, error.message
                );
                self.stop_with(StopCause::Unreachable, reason, events);
            }
            return;
        }
        // Something answered: the connection is fine, whatever the answer was.
        self.consecutive_connection_failures
            .store(0, Ordering::Relaxed);
        match error.kind {
            AgentErrorKind::Auth => {
                let failures = self
                    .consecutive_auth_failures
                    .fetch_add(1, Ordering::Relaxed)
                    + 1;
                if failures >= retry.stop_after_auth_failures.max(1) {
                    let reason = format!(
                        "agent {} stopped: {failures} auth failures in a row: {}",
                        self.name, error.message
                    );
                    self.stop_with(StopCause::Auth, reason, events);
                }
            }
            AgentErrorKind::RateLimited => {
                let change = self.learn_limits(true, sent, sending);
                // Every worker of the run waits out a limit one of them found: at once when
                // nothing is learned (the provider's word is all there is), else once the
                // pacer takes the refusals for a real limit rather than noise.
                let real = self.pacer.is_none() || matches!(change, Some(PaceChange::Slowed(_)));
                if let (Some(run_wide), true) = (&self.run_wide, real) {
                    let pause = error
                        .retry_after
                        .unwrap_or(Duration::from_millis(retry.initial_backoff_ms));
                    run_wide.board.post_pause(run_wide.scope.clone(), pause);
                }
            }
            _ => {}
        }
    }

    /// Feeds the pacer and the learned cap; returns what the reply changed of the pace.
    fn learn_limits(
        &self,
        refused: bool,
        sent: Instant,
        sending: Option<&Sending<'_>>,
    ) -> Option<PaceChange> {
        let change = self
            .pacer
            .as_ref()
            .and_then(|pacer| pacer.on_reply(refused, sent));
        if let (Some(limit), Some(sending)) = (&self.in_flight, sending) {
            limit.on_reply(refused, sending.in_flight);
        }
        change
    }

    /// With run-wide limits, keeps this agent's share of its own concurrency ceiling (when
    /// it binds) and reads the pauses posted for it, until `stop`.
    pub(crate) fn keep_run_wide_share(
        &self,
        stop: &CancelToken,
    ) -> Option<tokio::task::JoinHandle<()>> {
        let run_wide = self.run_wide.as_ref()?;
        Some(run_wide.board.keep_share(
            run_wide.scope.clone(),
            run_wide.ceiling,
            Arc::clone(&self.limiter),
            Some(Arc::clone(&run_wide.pause)),
            stop.clone(),
        ))
    }

    /// Stops the agent once; the first cause wins and is announced as a run event.
    fn stop_with(&self, cause: StopCause, reason: String, events: &broadcast::Sender<RunEvent>) {
        let mut first = false;
        self.stop.get_or_init(|| {
            first = true;
            Stop {
                cause,
                reason: reason.clone(),
            }
        });
        if first {
            self.stopped.cancel();
            let _ = events.send(RunEvent::AgentStopped {
                agent: self.name.clone(),
                reason,
            });
        }
    }

    /// Why and how the agent was stopped, if it was.
    pub(crate) fn stop_cause(&self) -> Option<StopCause> {
        self.stop.get().map(|s| s.cause)
    }

    /// The stop's one-line reason, if the agent was stopped.
    pub(crate) fn stop_reason(&self) -> Option<&str> {
        self.stop.get().map(|s| s.reason.as_str())
    }

    /// Whether the agent's unsent and unfinished attempts are to be left unrecorded.
    pub(crate) fn leaves_pending(&self) -> bool {
        self.stop_cause() == Some(StopCause::Unreachable)
    }

    /// The error an exchange of a stopped agent ends with, without being sent.
    pub(crate) fn not_sent(&self) -> Option<AgentError> {
        let stop = self.stop.get()?;
        let kind = match stop.cause {
            StopCause::Auth => AgentErrorKind::Auth,
            StopCause::Unreachable => AgentErrorKind::Transient,
        };
        Some(
            AgentError::new(kind, format!("not sent: {}", stop.reason))
                .with_provider(self.name.clone()),
        )
    }

    /// The record of the stop, for the run's report.
    pub(crate) fn stopped_agent(&self) -> Option<StoppedAgent> {
        self.stop_reason().map(|reason| StoppedAgent {
            agent: self.name.clone(),
            reason: reason.to_owned(),
        })
    }
}

/// The agent slot and run slot an attempt holds. They are let go while the attempt waits to
/// retry, so one refused request does not hold up the requests of other attempts.
pub(crate) struct HeldSlots {
    limiter: Arc<ConcurrencyLimiter>,
    global: Arc<ConcurrencyLimiter>,
    held: Mutex<Option<(Slot, Slot)>>,
}

impl HeldSlots {
    pub(crate) fn new(
        limiter: Arc<ConcurrencyLimiter>,
        global: Arc<ConcurrencyLimiter>,
        slot: Slot,
        permit: Slot,
    ) -> Self {
        Self {
            limiter,
            global,
            held: Mutex::new(Some((slot, permit))),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Slot, Slot)>> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Lets both slots go (a no-op when not held).
    pub(crate) fn release(&self) {
        let taken = self.lock().take();
        drop(taken);
    }

    /// Takes both slots again, in the dispatcher's order (agent, then run), when not held.
    pub(crate) async fn reacquire(&self) {
        if self.lock().is_some() {
            return;
        }
        let slot = self.limiter.acquire().await;
        let permit = self.global.acquire().await;
        *self.lock() = Some((slot, permit));
    }
}
