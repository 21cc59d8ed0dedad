//! [`Counters`]: what `/metrics` counts, since the process started.

use axum::http::StatusCode;
use benchcore::Outcome;
use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds (ms) of the provider latency histogram's buckets.
pub(crate) const LATENCY_BUCKETS: [u64; 10] =
    [50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000];

/// What `/metrics` counts, since the process started.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) requests: [AtomicU64; 5],
    pub(crate) logins_failed: AtomicU64,
    pub(crate) runs_launched: AtomicU64,
    pub(crate) attempts: [AtomicU64; Outcome::ALL.len()],
    pub(crate) latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    pub(crate) latency_count: AtomicU64,
    pub(crate) latency_sum_ms: AtomicU64,
}

impl Counters {
    /// One answered request.
    pub(crate) fn request(&self, status: StatusCode) {
        let class = (status.as_u16() / 100).clamp(1, 5) as usize - 1;
        self.requests[class].fetch_add(1, Ordering::Relaxed);
    }

    /// One failed sign-in.
    pub(crate) fn login_failed(&self) {
        self.logins_failed.fetch_add(1, Ordering::Relaxed);
    }

    /// One run launched.
    pub(crate) fn run_launched(&self) {
        self.runs_launched.fetch_add(1, Ordering::Relaxed);
    }

    /// One attempt finished, with its provider latency when it had an answer.
    pub(crate) fn attempt(&self, outcome: Outcome, latency_ms: Option<u64>) {
        if let Some(i) = Outcome::ALL.iter().position(|o| *o == outcome) {
            self.attempts[i].fetch_add(1, Ordering::Relaxed);
        }
        if let Some(ms) = latency_ms {
            for (bound, bucket) in LATENCY_BUCKETS.iter().zip(&self.latency_buckets) {
                if ms <= *bound {
                    bucket.fetch_add(1, Ordering::Relaxed);
                }
            }
            self.latency_count.fetch_add(1, Ordering::Relaxed);
            self.latency_sum_ms.fetch_add(ms, Ordering::Relaxed);
        }
    }
}
