//! The work queue: a run's pending attempts, claimed by any number of worker processes.

use super::{StoreError, Workspace};
use crate::{AttemptKey, Case};
use async_trait::async_trait;
use std::time::Duration;

/// One pending attempt of a queued run, with its case, so a worker needs no suite file.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct QueuedAttempt {
    /// The run it belongs to.
    pub run_id: String,
    /// The case to answer.
    pub case: Case,
    /// The agent that answers it.
    pub agent: String,
    /// The sample number.
    pub sample: u32,
}

impl QueuedAttempt {
    /// An item of `run_id`.
    pub fn new(
        run_id: impl Into<String>,
        case: Case,
        agent: impl Into<String>,
        sample: u32,
    ) -> Self {
        Self {
            run_id: run_id.into(),
            case,
            agent: agent.into(),
            sample,
        }
    }

    /// The attempt's key within its run.
    pub fn key(&self) -> AttemptKey {
        AttemptKey::new(self.case.id.clone(), self.agent.clone(), self.sample)
    }
}

/// A queue of pending attempts that many processes share. An attempt is handed to one worker
/// at a time under a lease the worker renews; a worker that dies stops renewing, its lease
/// runs out, and the attempt goes to another worker.
///
/// # Contract
/// - `enqueue` is idempotent on the attempt key: enqueueing an item twice keeps one.
/// - `claim` hands out items that are neither leased (an unexpired lease of another worker)
///   nor recorded, of runs in state `running`, oldest first, each to one caller only, even
///   when several claim at once. A cancelled run's items stay queued, unclaimed, until the
///   run is set `running` again.
/// - Recording an attempt with [`RunStore::record_attempts`](super::RunStore::record_attempts)
///   completes its item in the same transaction: an item is never done without its record, nor
///   recorded and still pending.
/// - `renew` extends every lease the worker holds; `release` gives them up at once (a worker
///   that stops cleanly), so others need not wait for them to run out.
/// - Every call is scoped to its workspace.
#[async_trait]
pub trait WorkQueue: Send + Sync + 'static {
    /// Adds pending attempts; returns how many were new.
    async fn enqueue(
        &self,
        workspace: &Workspace,
        items: &[QueuedAttempt],
    ) -> Result<u64, StoreError>;

    /// Claims up to `max` pending items for `worker`, leased for `lease`.
    async fn claim(
        &self,
        workspace: &Workspace,
        worker: &str,
        max: usize,
        lease: Duration,
    ) -> Result<Vec<QueuedAttempt>, StoreError>;

    /// Extends the leases `worker` holds to `lease` from now; returns how many it holds.
    async fn renew(
        &self,
        workspace: &Workspace,
        worker: &str,
        lease: Duration,
    ) -> Result<u64, StoreError>;

    /// Gives up every lease `worker` holds; the items are pending again.
    async fn release(&self, workspace: &Workspace, worker: &str) -> Result<u64, StoreError>;

    /// How many items are not recorded yet, leased or not: of one run (whatever its state),
    /// or with `None` of the workspace's `running` runs (the work there is to do).
    async fn pending(&self, workspace: &Workspace, run_id: Option<&str>)
        -> Result<u64, StoreError>;
}

const _: fn(&dyn WorkQueue) = |_| {};
