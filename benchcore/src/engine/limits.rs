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

/// A ceiling on requests in flight. It stays fixed: a provider's real limit is learned as a
/// pace (see `pace.rs`), which also keeps in flight what a concurrency cap allows.
#[derive(Debug)]
pub(crate) struct ConcurrencyLimiter {
    max: usize,
    in_flight: Mutex<usize>,
    notify: Notify,
}

/// A slot held while an attempt runs; released on drop.
#[derive(Debug)]
pub(crate) struct Slot {
    limiter: Arc<ConcurrencyLimiter>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        *self.limiter.lock() -= 1;
        self.limiter.notify.notify_waiters();
    }
}

impl ConcurrencyLimiter {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            max: max.max(1),
            in_flight: Mutex::new(0),
            notify: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, usize> {
        self.in_flight.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for a free slot.
    pub(crate) async fn acquire(self: &Arc<Self>) -> Slot {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut in_flight = self.lock();
                if *in_flight < self.max {
                    *in_flight += 1;
                    return Slot {
                        limiter: Arc::clone(self),
                    };
                }
            }
            notified.await;
        }
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

    #[tokio::test]
    async fn limiter_bounds_in_flight() {
        let limiter = Arc::new(ConcurrencyLimiter::new(2));
        let a = limiter.acquire().await;
        let _b = limiter.acquire().await;
        let third = tokio::time::timeout(Duration::from_millis(50), limiter.acquire()).await;
        assert!(third.is_err());
        drop(a);
        let third = tokio::time::timeout(Duration::from_millis(50), limiter.acquire()).await;
        assert!(third.is_ok());
    }
}
