//! The limit board: a run's limits held for the run as a whole, however many worker processes
//! share it. Workers hold shares of a concurrency ceiling under leases, take request and token
//! budgets from shared buckets, and post pauses every worker honours.

use super::{StoreError, StoreErrorKind, Workspace};
use async_trait::async_trait;
use std::time::Duration;

/// What a holder got from [`LimitBoard::hold`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Holding {
    /// Slots the holder now holds (at most what it asked for).
    pub granted: u32,
    /// How much longer the scope is paused (zero when it is not).
    pub paused_for: Duration,
    /// The holder's fair share of the ceiling (see [`fair_share`]): a holder granted more
    /// stops taking slots above it and gives the rest back as its attempts finish, so a
    /// holder that came later is not starved. `u32::MAX` from a board that does not share
    /// fairly.
    pub share: u32,
}

impl Default for Holding {
    fn default() -> Self {
        Self::new(0, Duration::ZERO)
    }
}

impl Holding {
    /// A holding of `granted` slots, paused for `paused_for`, with no fair share asked of it.
    pub fn new(granted: u32, paused_for: Duration) -> Self {
        Self {
            granted,
            paused_for,
            share: u32::MAX,
        }
    }

    /// The same holding, with its holder's fair share.
    pub fn with_share(mut self, share: u32) -> Self {
        self.share = share;
        self
    }
}

/// A holder's fair share of `ceiling` when it wants `want` and the other live holders want
/// `others` (max-min fairness: whoever wants less than an equal part gets what it wants, the
/// rest split what is left equally, rounded up so no slot is left unused).
///
/// ```
/// use benchcore::store::fair_share;
/// assert_eq!(fair_share(300, 375, [375, 375]), 100);
/// assert_eq!(fair_share(300, 375, [10, 40]), 250);
/// assert_eq!(fair_share(300, 20, [375]), 20);
/// assert_eq!(fair_share(10, 10, [10, 10]), 4);
/// ```
pub fn fair_share(ceiling: u32, want: u32, others: impl IntoIterator<Item = u32>) -> u32 {
    let mut wants: Vec<u32> = others.into_iter().collect();
    wants.push(want);
    wants.sort_unstable();
    let mut left = u64::from(ceiling);
    let mut holders = wants.len() as u64;
    for w in wants {
        let level = left.div_ceil(holders);
        if u64::from(w) >= level {
            // Everyone from here on wants at least the level: each gets the level.
            return u32::try_from(level.min(u64::from(want))).unwrap_or(u32::MAX);
        }
        left -= u64::from(w);
        holders -= 1;
    }
    want
}

/// What [`LimitBoard::hold`] grants: never more than asked nor than the others leave free;
/// at most the fair share, but never less than already held (slots held may be in use: the
/// holder gives them back itself, as they free up).
pub fn grant(want: u32, held: u32, free: u32, share: u32) -> u32 {
    want.min(held.max(free.min(share)))
}

/// Limits shared by every process working on a run. A *scope* names one limit of a run
/// (`run`, `agent:gpt`, …); a *holder* is one process (a worker's id).
///
/// # Contract
/// - `hold` sets what `holder` holds of a scope's ceiling and what it wants: the holder gets
///   [`grant`]`(want, held, ceiling − what the others hold, share)` with `share` its
///   [`fair_share`] among the wants of the live holders, counting only holdings whose lease
///   has not run out, so the live holdings of a scope never add up to more than its ceiling,
///   however many holders call at once; the holding reports the share. The holding's lease
///   runs `lease` from the call; a holder that stops calling (a killed worker) loses its share
///   when the lease runs out. A holder granted nothing is remembered with its want (so the
///   others' shares make room for it); a want of 0 drops the holding.
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
    /// Sets `holder`'s share of `scope`'s `ceiling` to as much of `want` as is free and fair.
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
