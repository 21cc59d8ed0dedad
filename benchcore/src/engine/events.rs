use crate::{AgentErrorKind, AttemptKey, Outcome, RunStatus, RunSummary};
use futures::stream::BoxStream;
use futures::StreamExt;
use std::time::Duration;
use tokio::sync::broadcast;

/// Something that happened in a run, for progress bars, notebooks and viewers.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RunEvent {
    /// The run began (or resumed).
    Started {
        /// The run.
        run_id: String,
        /// Attempts in all.
        total: u64,
        /// Attempts already recorded by an earlier session of this run.
        already_done: u64,
    },
    /// An attempt was sent.
    AttemptStarted {
        /// Which.
        key: AttemptKey,
    },
    /// An exchange failed and will be sent again.
    AttemptRetried {
        /// Which.
        key: AttemptKey,
        /// The retry number, from 1.
        retry: u32,
        /// Why.
        kind: AgentErrorKind,
        /// How long until it is sent again.
        delay: Duration,
    },
    /// An attempt ended (it is on its way to the store).
    AttemptFinished {
        /// Which.
        key: AttemptKey,
        /// How.
        outcome: Outcome,
        /// Its score.
        score: Option<f64>,
        /// Latency of the successful exchange.
        latency_ms: Option<u64>,
    },
    /// An agent was stopped (repeated auth failures, or the circuit breaker after repeated
    /// connection failures); the run's other agents go on.
    AgentStopped {
        /// The agent's name.
        agent: String,
        /// Why, in one line.
        reason: String,
    },
    /// A provider batch of a run in batch mode was sent, changed state, ended, or returned
    /// results that could not all be used (a line that is not JSON, an id the batch never
    /// held): one line for people.
    Batch {
        /// The agent whose batch it is.
        agent: String,
        /// The provider's batch id.
        batch: String,
        /// What happened.
        note: String,
    },
    /// The run ended; the summary is read back from the store.
    Finished {
        /// How it ended.
        status: RunStatus,
        /// Its results.
        summary: RunSummary,
    },
}

/// Keeps this many events for a slow subscriber; one that falls further behind skips ahead
/// (the final `Finished` event is always the newest, so it is never skipped).
pub(crate) const EVENT_BUFFER: usize = 4096;

pub(crate) fn into_stream(rx: broadcast::Receiver<RunEvent>) -> BoxStream<'static, RunEvent> {
    futures::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(event) => return Some((event, rx)),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
    .boxed()
}
