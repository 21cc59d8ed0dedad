//! The limit board: a run's limits held for the run as a whole, however many worker processes
//! share it. Workers hold shares of a concurrency ceiling under leases, take request and token
//! budgets from shared buckets, and post pauses every worker honours.

use super::{StoreError, StoreErrorKind, Workspace};
use async_trait::async_trait;
use std::time::Duration;

/// What a holder got from [`LimitBoard::hold`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Holding {
    /// Slots the holder now holds (at most what it asked for).
    pub granted: u32,
    /// How much longer the scope is paused (zero when it is not).
    pub paused_for: Duration,
}

impl Holding {
    /// A holding of `granted` slots, paused for `paused_for`.
    pub fn new(granted: u32, paused_for: Duration) -> Self {
        Self {
            granted,
            paused_for,
        }
    }
}

/// Limits shared by every process working on a run. A *scope* names one limit of a run
/// (`run`, `agent:gpt`, …); a *holder* is one process (a worker's id).
///
/// # Contract
/// - `hold` sets what `holder` holds of a scope's ceiling: the holder gets
///   `min(want, ceiling − what the others hold)`, counting only holdings whose lease has not
///   run out, so the live holdings of a scope never add up to more than its ceiling, however
///   many holders call at once. The holding's lease runs `lease` from the call; a holder that
///   stops calling (a killed worker) loses its share when the lease runs out. A grant of 0
///   drops the holding.
/// - `take` takes `amount` from a scope's bucket, refilled at `per_minute` and holding one
///   second's worth (at least 1). The balance may go negative; the caller waits the returned
///   time before using what it took, so every holder together keeps the rate. A negative
///   `amount` gives back (a token estimate corrected by the reported usage).
/// - `pause` pauses a scope for `pause` from now, never shortening a longer pause; `hold`
///   reports it.
/// - `let_go` drops every holding of `holder` in a run at once (a worker that is done).
/// - Every call is scoped to its workspace; the clock is the store's, so workers on machines
///   whose clocks differ still agree.
#[async_trait]
pub trait LimitBoard: Send + Sync + 'static {
    /// Sets `holder`'s share of `scope`'s `ceiling` to as much of `want` as is free.
    #[allow(clippy::too_many_arguments)] // each is a distinct part of the holding's address
    async fn hold(
        &self,
        workspace: &Workspace,
        run_id: &str,
        scope: &str,
        holder: &str,
        want: u32,
        ceiling: u32,
        lease: Duration,
    ) -> Result<Holding, StoreError>;

    /// Takes `amount` from `scope`'s bucket; returns how long to wait before using it.
    async fn take(
        &self,
        workspace: &Workspace,
        run_id: &str,
        scope: &str,
        per_minute: f64,
        amount: f64,
    ) -> Result<Duration, StoreError>;

    /// Pauses `scope` for `pause` from now (a longer pause already posted stays).
    async fn pause(
        &self,
        workspace: &Workspace,
        run_id: &str,
        scope: &str,
        pause: Duration,
    ) -> Result<(), StoreError>;

    /// Drops every holding of `holder` in `run_id`.
    async fn let_go(
        &self,
        workspace: &Workspace,
        run_id: &str,
        holder: &str,
    ) -> Result<(), StoreError>;
}

const _: fn(&dyn LimitBoard) = |_| {};

/// A bucket's capacity: one second's worth of its rate, at least one.
pub fn bucket_capacity(per_minute: f64) -> f64 {
    (per_minute / 60.0).max(1.0)
}

/// Checks a holder's name: holders are worker ids, never empty nor starting with `~` (the
/// board's own rows use those).
///
/// # Errors
/// A `Config` error naming the holder.
pub fn check_holder(holder: &str) -> Result<(), StoreError> {
    if holder.is_empty() || holder.starts_with('~') {
        return Err(StoreError::new(
            StoreErrorKind::Config,
            format!(
                "limit board: holder {holder:?} is not a worker id (empty, or starts with `~`)"
            ),
        ));
    }
    Ok(())
}
