//! Retry policy: exponential backoff with jitter, honouring `Retry-After`.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How failed exchanges are retried. Only retryable kinds are retried
/// ([`AgentErrorKind::is_retryable`](crate::AgentErrorKind::is_retryable)); auth and bad-request
/// errors never are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries per attempt.
    pub max_retries: u32,
    /// First backoff, in milliseconds; doubles each retry.
    pub initial_backoff_ms: u64,
    /// Largest backoff, in milliseconds.
    pub max_backoff_ms: u64,
    /// Total time one attempt may take, retries and waits included, in milliseconds.
    pub max_attempt_ms: u64,
    /// Retries across the whole run; once spent, a failing attempt is an error at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_run_retries: Option<u64>,
    /// Consecutive auth failures after which an agent is stopped (its remaining attempts are
    /// recorded as errors without being sent).
    pub stop_after_auth_failures: u32,
    /// The circuit breaker: consecutive connection failures (refused, reset, unresolvable:
    /// no HTTP answer at all) after which an agent is stopped. Its unfinished attempts are left
    /// unrecorded, so `resume` runs them once the agent is reachable; the run's other agents
    /// go on. 0 turns the breaker off.
    pub stop_after_connection_failures: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 5,
            initial_backoff_ms: 500,
            max_backoff_ms: 30_000,
            max_attempt_ms: 600_000,
            max_run_retries: None,
            stop_after_auth_failures: 3,
            stop_after_connection_failures: 20,
        }
    }
}

impl RetryPolicy {
    /// Sets retries per attempt.
    pub fn with_max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// Sets the first and the largest backoff.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff_ms = initial.as_millis() as u64;
        self.max_backoff_ms = max.as_millis() as u64;
        self
    }

    /// Sets the total time one attempt may take.
    pub fn with_max_attempt_time(mut self, limit: Duration) -> Self {
        self.max_attempt_ms = limit.as_millis() as u64;
        self
    }

    /// Sets the retries allowed across the run.
    pub fn with_max_run_retries(mut self, retries: u64) -> Self {
        self.max_run_retries = Some(retries);
        self
    }

    /// Sets after how many consecutive auth failures an agent is stopped.
    pub fn with_stop_after_auth_failures(mut self, failures: u32) -> Self {
        self.stop_after_auth_failures = failures;
        self
    }

    /// Sets the circuit breaker: after `consecutive` connection failures in a row an agent
    /// is stopped and its unfinished attempts are left for `resume`; 0 turns it off.
    pub fn with_breaker(mut self, consecutive: u32) -> Self {
        self.stop_after_connection_failures = consecutive;
        self
    }

    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// The wait before retry number `retry` (1-based). A provider's `Retry-After` wins over
    /// the computed backoff, plus up to 2% jitter so waiting attempts do not return in
    /// lockstep. (The wait is not stretched further: a refusal chain of *n* 429s already costs
    /// an attempt *n* waits, and the slowest chains make a run's tail.) Otherwise the backoff is `initial * 2^(retry-1)`, capped, with equal jitter
    /// (half fixed, half random).
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(after) = retry_after {
            let jitter = after.mul_f64(fastrand::f64() * 0.02);
            return after + jitter;
        }
        let exp = self
            .initial_backoff_ms
            .saturating_mul(1u64 << retry.saturating_sub(1).min(30));
        let capped = exp.min(self.max_backoff_ms);
        let half = capped / 2;
        Duration::from_millis(half + fastrand::u64(0..=half))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy {
            initial_backoff_ms: 100,
            max_backoff_ms: 1000,
            ..RetryPolicy::default()
        };
        for _ in 0..50 {
            let d1 = p.delay(1, None).as_millis();
            assert!((50..=100).contains(&d1), "{d1}");
            let d3 = p.delay(3, None).as_millis();
            assert!((200..=400).contains(&d3), "{d3}");
            let d10 = p.delay(10, None).as_millis();
            assert!((500..=1000).contains(&d10), "{d10}");
        }
    }

    #[test]
    fn retry_after_wins() {
        let p = RetryPolicy::default();
        let d = p.delay(1, Some(Duration::from_secs(3)));
        assert!(d >= Duration::from_secs(3) && d <= Duration::from_millis(3060));
    }
}
