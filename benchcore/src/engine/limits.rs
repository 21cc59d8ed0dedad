//! Per-agent limits: request and token budgets (token buckets) and adaptive concurrency.

use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicUsize, Ordering};
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

/// A ceiling on attempts in flight. Fixed for a run of one process; with run-wide limits its
/// ceiling is this process's share of the run's, which `run_wide.rs` moves as the share does.
#[derive(Debug)]
pub(crate) struct ConcurrencyLimiter {
    max: AtomicUsize,
    in_flight: Mutex<usize>,
    /// Callers waiting for a slot.
    waiting: AtomicUsize,
    /// Attempts queued behind the waiting callers (see [`Backlog`]).
    backlog: AtomicUsize,
    notify: Notify,
    /// Wakes whoever keeps the ceiling when a caller starts waiting.
    wanting: Notify,
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
            max: AtomicUsize::new(max.max(1)),
            in_flight: Mutex::new(0),
            waiting: AtomicUsize::new(0),
            backlog: AtomicUsize::new(0),
            notify: Notify::new(),
            wanting: Notify::new(),
        }
    }

    /// A limiter that lets nothing through until [`set_max`](Self::set_max) grants slots.
    pub(crate) fn closed() -> Self {
        let limiter = Self::new(1);
        limiter.max.store(0, Ordering::Relaxed);
        limiter
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, usize> {
        self.in_flight.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Moves the ceiling. Slots already held stay held when it drops below them; new callers
    /// wait until enough are let go.
    pub(crate) fn set_max(&self, max: usize) {
        let before = self.max.swap(max, Ordering::Relaxed);
        if max > before {
            self.notify.notify_waiters();
        }
    }

    /// Lowers the ceiling to `max`, or to the slots held if more are: after this, no caller
    /// takes a slot above what is returned. Holding the count's lock while the ceiling moves
    /// is what makes it so: a caller taking a slot at this moment sees the old ceiling and
    /// counts its slot before, or the new one after.
    pub(crate) fn shrink_to(&self, max: usize) -> usize {
        let in_flight = self.lock();
        let max = max.max(*in_flight);
        self.max.store(max, Ordering::Relaxed);
        max
    }

    /// Slots held now.
    pub(crate) fn in_flight(&self) -> usize {
        *self.lock()
    }

    /// Slots free under the ceiling now.
    pub(crate) fn room(&self) -> usize {
        self.max
            .load(Ordering::Relaxed)
            .saturating_sub(self.in_flight())
    }

    /// Callers waiting for a slot now.
    pub(crate) fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Slots this process could use now: held, waited for, and queued behind the waiters.
    pub(crate) fn demand(&self) -> usize {
        self.in_flight() + self.waiting() + self.backlog.load(Ordering::Relaxed)
    }

    /// Resolves when a caller starts waiting for a slot.
    pub(crate) async fn wanted(&self) {
        self.wanting.notified().await;
    }

    /// Waits for a free slot.
    pub(crate) async fn acquire(self: &Arc<Self>) -> Slot {
        // Counted as waiting from the first miss until a slot is had or the caller gives up.
        let mut waiting: Option<Waiting<'_>> = None;
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut in_flight = self.lock();
                if *in_flight < self.max.load(Ordering::Relaxed) {
                    *in_flight += 1;
                    return Slot {
                        limiter: Arc::clone(self),
                    };
                }
            }
            if waiting.is_none() {
                self.waiting.fetch_add(1, Ordering::Relaxed);
                waiting = Some(Waiting(&self.waiting));
                self.wanting.notify_one();
            }
            notified.await;
        }
    }
}

/// One dispatcher's part of a limiter's backlog: the attempts queued for it that do not wait
/// on the limiter yet. Several dispatchers share the run's limiter, so each adds its change.
#[derive(Debug)]
pub(crate) struct Backlog {
    limiter: Arc<ConcurrencyLimiter>,
    published: usize,
}

impl Backlog {
    pub(crate) fn new(limiter: Arc<ConcurrencyLimiter>) -> Self {
        Self {
            limiter,
            published: 0,
        }
    }

    /// Says this dispatcher now has `queued` attempts waiting behind its current one.
    pub(crate) fn set(&mut self, queued: usize) {
        if queued > self.published {
            let more = queued - self.published;
            self.limiter.backlog.fetch_add(more, Ordering::Relaxed);
        } else {
            let fewer = self.published - queued;
            self.limiter.backlog.fetch_sub(fewer, Ordering::Relaxed);
        }
        self.published = queued;
    }
}

impl Drop for Backlog {
    fn drop(&mut self) {
        self.set(0);
    }
}

/// One caller counted as waiting; uncounted when dropped, however the wait ends.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
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

    #[tokio::test]
    async fn a_closed_limiter_counts_its_waiters_and_opens_when_granted() {
        let limiter = Arc::new(ConcurrencyLimiter::closed());
        let waiter = {
            let limiter = Arc::clone(&limiter);
            tokio::spawn(async move { limiter.acquire().await })
        };
        tokio::time::timeout(Duration::from_secs(5), limiter.wanted())
            .await
            .unwrap();
        assert_eq!(limiter.waiting(), 1);
        limiter.set_max(1);
        let slot = tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((limiter.waiting(), limiter.in_flight()), (0, 1));
        // Lowered below what is held: the slot stays, the next caller waits, and one that
        // gives up is no longer counted.
        limiter.set_max(0);
        let refused = tokio::time::timeout(Duration::from_millis(50), limiter.acquire()).await;
        assert!(refused.is_err());
        assert_eq!(limiter.waiting(), 0);
        drop(slot);
        assert_eq!(limiter.in_flight(), 0);
    }
}
