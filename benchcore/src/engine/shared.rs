//! [`RunShared`]: what every attempt of a run shares: its evaluators, settings, budgets and
//! event channel. The episode is not part of it (schedule hands it to each attempt), so the
//! episode's context can use it without an import cycle.

use super::events::RunEvent;
use super::RetryPolicy;
use crate::evaluator::Extractor;
use crate::{AttemptKey, Evaluator, Sampling, TranscriptTest};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// What every attempt of a run shares.
pub(crate) struct RunShared {
    pub(crate) run_id: String,
    pub(crate) evaluators: Vec<Arc<dyn Evaluator>>,
    /// Takes the answer out of each reply before the evaluators see it.
    pub(crate) extract: Option<Extractor>,
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
    pub(super) fn emit(&self, event: RunEvent) {
        // No subscriber is fine: events are for whoever watches.
        let _ = self.events.send(event);
    }

    /// Why no new attempt may start, if a run budget is spent.
    pub(super) fn budget_spent(&self) -> Option<String> {
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

    pub(super) fn take_run_retry(&self) -> bool {
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

    pub(super) fn artifacts_dir(&self, key: &AttemptKey) -> Option<String> {
        self.artifacts_root.as_ref().map(|root| {
            root.join(&self.run_id)
                .join(key.artifacts_folder())
                .display()
                .to_string()
        })
    }

    /// Adds what judging or an exchange cost to the run's spending, for its cost budget.
    pub(super) fn add_spent(&self, cost_usd: f64) {
        self.spent_micro_usd
            .fetch_add((cost_usd * 1e6).round().max(0.0) as u64, Ordering::Relaxed);
    }
}
