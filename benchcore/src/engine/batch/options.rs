//! [`BatchOptions`]: how a run in batch mode sends and waits for its batches.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Batch mode: each agent's attempts go to its provider's batch endpoint (half the price,
/// answered within 24 hours) instead of one request each. Stored in the run's spec, so a
/// resume waits for the batches the first session sent.
///
/// ```
/// use benchcore::engine::BatchOptions;
/// use std::time::Duration;
/// let options = BatchOptions::default().poll(Duration::from_secs(60)).fallback(true);
/// assert_eq!(options.poll_ms, 60_000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct BatchOptions {
    /// Milliseconds between two status checks of a pending batch (30 s unless set).
    pub poll_ms: u64,
    /// Send the items a batch did not answer (expired, cancelled, failed) again as ordinary
    /// requests, instead of recording them as errors.
    pub fallback: bool,
    /// Requests per batch at most, below the provider's own limit; a larger set is split into
    /// several batches. The provider's limit when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_requests: Option<usize>,
}

impl Default for BatchOptions {
    fn default() -> Self {
        Self {
            poll_ms: 30_000,
            fallback: false,
            max_requests: None,
        }
    }
}

impl BatchOptions {
    /// Checks pending batches every `interval`.
    pub fn poll(mut self, interval: Duration) -> Self {
        self.poll_ms = interval.as_millis() as u64;
        self
    }

    /// Sends unanswered items again as ordinary requests.
    pub fn fallback(mut self, fallback: bool) -> Self {
        self.fallback = fallback;
        self
    }

    /// Puts at most `max` requests in one batch.
    pub fn max_requests(mut self, max: usize) -> Self {
        self.max_requests = Some(max);
        self
    }

    /// The interval between status checks.
    pub(crate) fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_ms)
    }

    /// Checks the settings, naming the bad one.
    pub(crate) fn check(&self) -> Result<(), crate::ConfigError> {
        if self.poll_ms == 0 {
            return Err(crate::ConfigError::field(
                "batch.poll_ms",
                "must be at least 1",
            ));
        }
        if self.max_requests == Some(0) {
            return Err(crate::ConfigError::field(
                "batch.max_requests",
                "must be at least 1",
            ));
        }
        Ok(())
    }
}
