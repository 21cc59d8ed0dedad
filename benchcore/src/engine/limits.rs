//! Per-agent limits: request and token budgets (token buckets) and adaptive concurrency.

use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Limits for one agent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct AgentLimits {
    /// Requests in flight at once (the run's concurrency when unset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<usize>,
    /// Requests per minute, enforced before sending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests_per_minute: Option<u32>,
    /// Tokens per minute (estimated before sending, corrected by reported usage).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens_per_minute: Option<u64>,
    /// Keep the pace and concurrency fixed: learn no limit from the provider's 429s (by
    /// default a real limit is learned and the agent paced just under it).
    pub fixed_concurrency: bool,
}

impl AgentLimits {
    /// Sets the requests in flight at once.
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = Some(concurrency);
        self
    }

    /// Sets the requests per minute.
    pub fn with_requests_per_minute(mut self, rpm: u32) -> Self {
        self.requests_per_minute = Some(rpm);
        self
    }

    /// Sets the tokens per minute.
    pub fn with_tokens_per_minute(mut self, tpm: u64) -> Self {
        self.tokens_per_minute = Some(tpm);
        self
    }

    /// Keeps pace and concurrency fixed (no learning a limit from 429s).
    pub fn with_fixed_concurrency(mut self, fixed: bool) -> Self {
        self.fixed_concurrency = fixed;
        self
    }
}

/// A token bucket that hands out reservations: a caller takes what it needs now and is told
/// how long to wait before using it. The balance may go negative, which is what makes later
/// callers wait their turn without a queue.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    per_second: f64,
    capacity: f64,
    state: Mutex<(f64, Instant)>,
}

impl TokenBucket {
    /// A bucket allowing `per_minute` a minute. It holds one second's worth (at least one),
    /// so a run starts at the budgeted pace instead of spending a minute's budget in a burst
    /// that providers counting per second would refuse.
    pub(crate) fn per_minute(per_minute: f64) -> Self {
        let per_second = per_minute / 60.0;
        let capacity = per_second.max(1.0);
        Self {
            per_second,
            capacity,
            state: Mutex::new((capacity, Instant::now())),
        }
    }

    /// Takes `amount` and returns how long to wait before spending it.
    pub(crate) fn reserve(&self, amount: f64) -> Duration {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let (tokens, last) = &mut *state;
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.per_second)
            .min(self.capacity);
        *last = now;
        *tokens -= amount;
        if *tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-*tokens / self.per_second)
        }
    }

    /// Corrects an earlier reservation: a positive `delta` takes more, a negative gives back.
    pub(crate) fn adjust(&self, delta: f64) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.0 = (state.0 - delta).min(self.capacity);
    }
}

/// Concurrency that halves when a real rate limit is suspected and grows back by one slot per
/// window of successes (AIMD, as TCP does), between 1 and `max`.
#[derive(Debug)]
pub(crate) struct AdaptiveLimiter {
    max: usize,
    adaptive: bool,
    state: Mutex<LimiterState>,
    notify: Notify,
}

#[derive(Debug)]
struct LimiterState {
    limit: f64,
    in_flight: usize,
    last_decrease: Option<Instant>,
}

/// A slot held while an attempt runs; released on drop.
#[derive(Debug)]
pub(crate) struct Slot {
    limiter: Arc<AdaptiveLimiter>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut state = self.limiter.lock();
        state.in_flight -= 1;
        drop(state);
        self.limiter.notify.notify_waiters();
    }
}

impl AdaptiveLimiter {
    pub(crate) fn new(max: usize, adaptive: bool) -> Self {
        let max = max.max(1);
        Self {
            max,
            adaptive,
            state: Mutex::new(LimiterState {
                limit: max as f64,
                in_flight: 0,
                last_decrease: None,
            }),
            notify: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LimiterState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for a free slot.
    pub(crate) async fn acquire(self: &Arc<Self>) -> Slot {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut state = self.lock();
                if state.in_flight < (state.limit as usize).max(1) {
                    state.in_flight += 1;
                    return Slot {
                        limiter: Arc::clone(self),
                    };
                }
            }
            notified.await;
        }
    }

    /// The current limit.
    #[cfg(test)]
    pub(crate) fn limit(&self) -> usize {
        (self.lock().limit as usize).max(1)
    }

    /// A success: grow by one slot per `limit` successes.
    pub(crate) fn on_success(&self) {
        if !self.adaptive {
            return;
        }
        let mut state = self.lock();
        if state.limit < self.max as f64 {
            state.limit = (state.limit + 1.0 / state.limit).min(self.max as f64);
            drop(state);
            self.notify.notify_waiters();
        }
    }

    /// A rate limit on a request sent at `sent_at`: halve, once per congestion event. A
    /// refusal of a request sent before the last decrease reflects the old limit, so it is the
    /// same event and changes nothing.
    pub(crate) fn on_rate_limited(&self, sent_at: Instant) {
        if !self.adaptive {
            return;
        }
        let mut state = self.lock();
        let now = Instant::now();
        if state.last_decrease.is_some_and(|t| sent_at < t) {
            return;
        }
        state.limit = (state.limit / 2.0).max(1.0);
        state.last_decrease = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_makes_later_callers_wait() {
        let bucket = TokenBucket::per_minute(60.0);
        assert_eq!(bucket.reserve(1.0), Duration::ZERO);
        let wait = bucket.reserve(2.0);
        assert!(
            wait > Duration::from_millis(1900) && wait <= Duration::from_secs(2),
            "{wait:?}"
        );
        bucket.adjust(-2.0);
        assert!(bucket.reserve(1.0) <= Duration::from_secs(1));
    }

    #[test]
    fn limiter_halves_and_grows_back() {
        let limiter = AdaptiveLimiter::new(8, true);
        let sent = Instant::now();
        limiter.on_rate_limited(sent);
        assert_eq!(limiter.limit(), 4);
        limiter.on_rate_limited(sent); // sent before the decrease: the same congestion event
        assert_eq!(limiter.limit(), 4);
        limiter.on_rate_limited(Instant::now());
        assert_eq!(limiter.limit(), 2);
        for _ in 0..60 {
            limiter.on_success();
        }
        assert_eq!(limiter.limit(), 8);
    }

    #[tokio::test]
    async fn limiter_bounds_in_flight() {
        let limiter = Arc::new(AdaptiveLimiter::new(2, false));
        let a = limiter.acquire().await;
        let _b = limiter.acquire().await;
        let third = tokio::time::timeout(Duration::from_millis(50), limiter.acquire()).await;
        assert!(third.is_err());
        drop(a);
        let third = tokio::time::timeout(Duration::from_millis(50), limiter.acquire()).await;
        assert!(third.is_ok());
    }
}
