//! [`MemoryLimitBoard`]: the reference [`LimitBoard`], for processes of one program (several
//! engines working on one run) and for tests.

use super::limit_board::{bucket_capacity, check_holder, fair_share, grant, Holding, LimitBoard};
use super::{StoreError, Workspace};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A scope's address: workspace, run, scope.
type ScopeKey = (Workspace, String, String);

/// A limit board in memory.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use benchcore::{LimitBoard, MemoryLimitBoard, Workspace};
/// use std::time::Duration;
///
/// let board = MemoryLimitBoard::new();
/// let ws = Workspace::default();
/// let lease = Duration::from_secs(5);
/// let a = board.hold(&ws, "run-1", "run", "worker-a", 8, 10, lease).await?;
/// let b = board.hold(&ws, "run-1", "run", "worker-b", 8, 10, lease).await?;
/// assert_eq!((a.granted, b.granted), (8, 2)); // never more than the ceiling in all
/// # Ok::<(), benchcore::StoreError>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Default)]
pub struct MemoryLimitBoard {
    scopes: Mutex<HashMap<ScopeKey, Scope>>,
}

#[derive(Debug, Default)]
struct Scope {
    /// Holder to its holding.
    holdings: HashMap<String, Held>,
    /// The bucket's balance and when it was last filled.
    bucket: Option<(f64, Instant)>,
    paused_until: Option<Instant>,
}

/// One holder's slots, what it wants, and when its lease ends.
#[derive(Debug, Clone, Copy)]
struct Held {
    slots: u32,
    wants: u32,
    until: Instant,
}

impl MemoryLimitBoard {
    /// An empty board.
    pub fn new() -> Self {
        Self::default()
    }

    fn with_scope<T>(
        &self,
        workspace: &Workspace,
        run_id: &str,
        scope: &str,
        f: impl FnOnce(&mut Scope) -> T,
    ) -> T {
        let mut scopes = self.scopes.lock().unwrap_or_else(|p| p.into_inner());
        let key = (workspace.clone(), run_id.to_owned(), scope.to_owned());
        f(scopes.entry(key).or_default())
    }
}

#[async_trait]
impl LimitBoard for MemoryLimitBoard {
    async fn hold(
        &self,
        workspace: &Workspace,
        run_id: &str,
        scope: &str,
        holder: &str,
        want: u32,
        ceiling: u32,
        lease: Duration,
    ) -> Result<Holding, StoreError> {
        check_holder(holder)?;
        let now = Instant::now();
        Ok(self.with_scope(workspace, run_id, scope, |s| {
            s.holdings.retain(|_, held| held.until > now);
            let others = s.holdings.iter().filter(|(name, _)| *name != holder);
            let others_hold: u32 = others.clone().map(|(_, h)| h.slots).sum();
            let share = fair_share(ceiling, want, others.map(|(_, h)| h.wants));
            let held = s.holdings.get(holder).map_or(0, |h| h.slots);
            let granted = grant(want, held, ceiling.saturating_sub(others_hold), share);
            if want == 0 {
                s.holdings.remove(holder);
            } else {
                let held = Held {
                    slots: granted,
                    wants: want,
                    until: now + lease,
                };
                s.holdings.insert(holder.to_owned(), held);
            }
            let paused_for = s
                .paused_until
                .map_or(Duration::ZERO, |until| until.saturating_duration_since(now));
            Holding::new(granted, paused_for).with_share(share)
        }))
    }

    async fn take(
        &self,
        workspace: &Workspace,
        run_id: &str,
        scope: &str,
        per_minute: f64,
        amount: f64,
    ) -> Result<Duration, StoreError> {
        let now = Instant::now();
        let per_second = per_minute / 60.0;
        let capacity = bucket_capacity(per_minute);
        Ok(self.with_scope(workspace, run_id, scope, |s| {
            let (tokens, filled) = s.bucket.get_or_insert((capacity, now));
            *tokens = ((*tokens + now.duration_since(*filled).as_secs_f64() * per_second)
                .min(capacity)
                - amount)
                .min(capacity);
            *filled = now;
            if *tokens >= 0.0 || per_second <= 0.0 {
                Duration::ZERO
            } else {
                Duration::from_secs_f64(-*tokens / per_second)
            }
        }))
    }

    async fn pause(
        &self,
        workspace: &Workspace,
        run_id: &str,
        scope: &str,
        pause: Duration,
    ) -> Result<(), StoreError> {
        let until = Instant::now() + pause;
        self.with_scope(workspace, run_id, scope, |s| {
            s.paused_until = Some(s.paused_until.map_or(until, |old| old.max(until)));
        });
        Ok(())
    }

    async fn let_go(
        &self,
        workspace: &Workspace,
        run_id: &str,
        holder: &str,
    ) -> Result<(), StoreError> {
        let mut scopes = self.scopes.lock().unwrap_or_else(|p| p.into_inner());
        for ((ws, run, _), scope) in scopes.iter_mut() {
            if ws == workspace && run == run_id {
                scope.holdings.remove(holder);
            }
        }
        Ok(())
    }
}
