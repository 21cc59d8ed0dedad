//! Run-wide limits: a run's concurrency, each agent's concurrency, RPM, TPM and pauses held
//! for the run as a whole through a [`LimitBoard`] every worker process shares.
//!
//! Concurrency is held as leased shares: a keeper task per ceiling asks the board for as many
//! slots as this process has attempts running or waiting, sets the local limiter's ceiling to
//! what it got (at most its fair share among the processes that want slots), gives back what
//! it no longer needs or holds above that share, and renews its lease while it holds any.
//! Slots are taken and let go locally, so the board sees one call per change of share, not one
//! per attempt. A worker that dies stops renewing; its share returns once its lease runs out.

use super::cancel::CancelToken;
use super::limits::{ConcurrencyLimiter, TokenBucket};
use crate::{LimitBoard, Workspace};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// How often a keeper looks at its demand: asks for more when it wants more than it holds,
/// gives back what it no longer needs. Short beside a request's latency, long beside a store
/// round trip; a look that finds no change costs nothing.
const TICK: Duration = Duration::from_millis(25);

/// Where a process holds its share of a run's limits.
pub(crate) struct RunWide {
    board: Arc<dyn LimitBoard>,
    workspace: Workspace,
    run_id: String,
    holder: String,
    lease: Duration,
}

/// What a run-wide engine is given: the board, this process's name on it, and its lease.
#[derive(Clone)]
pub(crate) struct BoardSettings {
    pub(crate) board: Arc<dyn LimitBoard>,
    pub(crate) holder: String,
    pub(crate) lease: Duration,
}

impl RunWide {
    pub(crate) fn new(settings: &BoardSettings, workspace: Workspace, run_id: String) -> Self {
        Self {
            board: Arc::clone(&settings.board),
            workspace,
            run_id,
            holder: settings.holder.clone(),
            lease: settings.lease,
        }
    }

    /// Keeps `limiter`'s ceiling at this process's share of `scope`'s `ceiling` until `stop`
    /// (with no ceiling, the limiter is left alone and nothing is held); with `pause`, also
    /// keeps the scope's posted pause there.
    pub(crate) fn keep_share(
        self: &Arc<Self>,
        scope: String,
        ceiling: Option<usize>,
        limiter: Arc<ConcurrencyLimiter>,
        pause: Option<Arc<SharedPause>>,
        stop: CancelToken,
    ) -> JoinHandle<()> {
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let shared = ceiling.is_some();
            let ceiling = ceiling.map_or(0, |c| u32::try_from(c).unwrap_or(u32::MAX));
            let mut held = 0u32;
            // The fair share the board last reported: above it, this process stops taking
            // slots and hands them back as its attempts finish.
            let mut share = u32::MAX;
            let mut renewed = Instant::now();
            let mut warned = false;
            loop {
                let demand = u32::try_from(limiter.demand()).unwrap_or(u32::MAX);
                let want = demand.min(ceiling);
                // A lease is renewed at a third of its length. While this process has work, the
                // board is looked at more often: to see a pause another worker posted, and a
                // fair share that shrank because another worker came to want slots.
                let renew_due = if demand > 0 && (shared || pause.is_some()) {
                    renewed.elapsed() >= (this.lease / 3).min(TICK * 4)
                } else {
                    held > 0 && renewed.elapsed() >= this.lease / 3
                };
                let over_share = shared && held > share;
                if want != held || over_share || renew_due {
                    // Giving slots back: stop taking them here first, so that they are free
                    // before the board hands them to another process.
                    let want = if shared && (want < held || over_share) {
                        let keep = want.min(share) as usize;
                        u32::try_from(limiter.shrink_to(keep)).unwrap_or(u32::MAX)
                    } else {
                        want
                    };
                    let holding = this
                        .board
                        .hold(
                            &this.workspace,
                            &this.run_id,
                            &scope,
                            &this.holder,
                            want,
                            ceiling,
                            this.lease,
                        )
                        .await;
                    match holding {
                        Ok(holding) => {
                            held = holding.granted;
                            share = holding.share;
                            renewed = Instant::now();
                            if shared {
                                limiter.set_max(held.min(share) as usize);
                            }
                            if let Some(pause) = &pause {
                                pause.set(holding.paused_for);
                            }
                        }
                        // The store is the run's: when it is gone recording fails too and the
                        // run stops. Until then the share last held is kept.
                        Err(error) if !warned => {
                            warned = true;
                            tracing::warn!(%error, scope, "cannot hold a share of a run-wide limit");
                        }
                        Err(_) => {}
                    }
                }
                // Looked at again each tick (a change of demand costs a board call, no change
                // costs nothing), or at once when a caller starts waiting.
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = limiter.wanted() => {
                        // A burst of waiters arrives together: let it gather first.
                        tokio::time::sleep(TICK / 5).await;
                    }
                    _ = tokio::time::sleep(TICK) => {}
                }
            }
        })
    }

    /// Takes `amount` from `scope`'s run-wide bucket; how long to wait before using it.
    pub(crate) async fn take(&self, scope: &str, per_minute: f64, amount: f64) -> Duration {
        match self
            .board
            .take(&self.workspace, &self.run_id, scope, per_minute, amount)
            .await
        {
            Ok(wait) => wait,
            Err(error) => {
                tracing::warn!(%error, scope, "cannot take from a run-wide budget");
                Duration::ZERO
            }
        }
    }

    /// Gives `amount` back to `scope`'s bucket (or takes more, when negative), in the
    /// background: nobody waits on a correction.
    pub(crate) fn correct(self: &Arc<Self>, scope: String, per_minute: f64, amount: f64) {
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let _ = this.take(&scope, per_minute, amount).await;
        });
    }

    /// Pauses `scope` for every process of the run, in the background.
    pub(crate) fn post_pause(self: &Arc<Self>, scope: String, pause: Duration) {
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let posted = this
                .board
                .pause(&this.workspace, &this.run_id, &scope, pause)
                .await;
            if let Err(error) = posted {
                tracing::warn!(%error, scope, "cannot post a run-wide pause");
            }
        });
    }

    /// Gives up every share this process holds of the run.
    pub(crate) async fn let_go(&self) {
        let done = self
            .board
            .let_go(&self.workspace, &self.run_id, &self.holder)
            .await;
        if let Err(error) = done {
            tracing::warn!(%error, "cannot give up the shares of run-wide limits");
        }
    }
}

/// A run-wide pause as last read from the board: requests wait it out before sending.
#[derive(Debug, Default)]
pub(crate) struct SharedPause {
    until: Mutex<Option<Instant>>,
}

impl SharedPause {
    fn set(&self, paused_for: Duration) {
        let until = (!paused_for.is_zero()).then(|| Instant::now() + paused_for);
        *self.until.lock().unwrap_or_else(|p| p.into_inner()) = until;
    }

    /// How long requests still wait, if the scope is paused.
    pub(crate) fn remaining(&self) -> Option<Duration> {
        let until = (*self.until.lock().unwrap_or_else(|p| p.into_inner()))?;
        let left = until.saturating_duration_since(Instant::now());
        (!left.is_zero()).then_some(left)
    }
}

/// A request or token budget: this process's own bucket, or the run's on the board.
pub(crate) enum Budget {
    Local(TokenBucket),
    RunWide {
        board: Arc<RunWide>,
        scope: String,
        per_minute: f64,
    },
}

impl Budget {
    pub(crate) fn run_wide(board: &Arc<RunWide>, scope: String, per_minute: f64) -> Self {
        Self::RunWide {
            board: Arc::clone(board),
            scope,
            per_minute,
        }
    }

    /// Takes `amount` and returns how long to wait before spending it.
    pub(crate) async fn reserve(&self, amount: f64) -> Duration {
        match self {
            Self::Local(bucket) => bucket.reserve(amount),
            Self::RunWide {
                board,
                scope,
                per_minute,
            } => board.take(scope, *per_minute, amount).await,
        }
    }

    /// Corrects an earlier reservation: a positive `delta` takes more, a negative gives back.
    pub(crate) fn adjust(&self, delta: f64) {
        match self {
            Self::Local(bucket) => bucket.adjust(delta),
            Self::RunWide {
                board,
                scope,
                per_minute,
            } => board.correct(scope.clone(), *per_minute, delta),
        }
    }
}
