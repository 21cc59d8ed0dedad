//! [`LimitBoard`] on PostgreSQL: the `run_limits` table (migration 0006), on the store's own
//! clock, so that workers on machines whose clocks differ agree on leases and pauses.

use super::store::PostgresStore;
use benchcore::store::{bucket_capacity, check_holder, fair_share, grant};
use benchcore::{Holding, LimitBoard, StoreError, Workspace};
use std::time::Duration;

/// Serialises `hold` calls on one scope for the rest of the transaction.
/// Binds: workspace, run id, scope.
const LOCK_SCOPE: &str = "SELECT pg_advisory_xact_lock(hashtextextended( \
         $1 || chr(31) || $2 || chr(31) || $3, 7310))";

/// The live holdings of a scope: holder, slots held, slots wanted.
/// Binds: workspace, run id, scope.
const LIVE_HOLDINGS: &str = "SELECT holder, amount::bigint, wanted::bigint FROM run_limits \
     WHERE workspace = $1 AND run_id = $2 AND scope = $3 \
       AND holder NOT LIKE '~%' AND until > clock_timestamp()";

/// Stores a holding and its want under a lease.
/// Binds: workspace, run id, scope, holder, granted, want, lease in milliseconds.
const STORE_HOLDING: &str = "INSERT INTO run_limits \
         (workspace, run_id, scope, holder, amount, wanted, until) \
     VALUES ($1, $2, $3, $4, $5, $6, clock_timestamp() + $7::bigint * interval '1 millisecond') \
     ON CONFLICT (workspace, run_id, scope, holder) \
     DO UPDATE SET amount = EXCLUDED.amount, wanted = EXCLUDED.wanted, until = EXCLUDED.until";

/// Drops a holding. Binds: workspace, run id, scope, holder.
const DROP_HOLDING: &str = "DELETE FROM run_limits \
     WHERE workspace = $1 AND run_id = $2 AND scope = $3 AND holder = $4";

/// How many milliseconds the scope stays paused. Binds: workspace, run id, scope.
const PAUSED_FOR: &str = "SELECT COALESCE(( \
     SELECT GREATEST(0, EXTRACT(EPOCH FROM (until - clock_timestamp())) * 1000)::bigint \
       FROM run_limits \
      WHERE workspace = $1 AND run_id = $2 AND scope = $3 AND holder = '~pause'), 0)";

/// Fills the bucket for the time since it was last filled (up to its capacity), takes the
/// amount, and returns the balance; the upsert's row lock serialises concurrent takers.
/// Binds: workspace, run id, scope, capacity, refill per second, amount.
const TAKE: &str = "INSERT INTO run_limits (workspace, run_id, scope, holder, amount, until) \
     VALUES ($1, $2, $3, '~bucket', LEAST($4::float8, $4::float8 - $6::float8), clock_timestamp()) \
     ON CONFLICT (workspace, run_id, scope, holder) DO UPDATE SET \
         amount = LEAST($4::float8, LEAST($4::float8, run_limits.amount \
             + GREATEST(0, EXTRACT(EPOCH FROM (clock_timestamp() - run_limits.until)))::float8 \
               * $5::float8) - $6::float8), \
         until = clock_timestamp() \
     RETURNING amount";

/// Binds: workspace, run id, scope, pause in milliseconds.
const PAUSE: &str = "INSERT INTO run_limits (workspace, run_id, scope, holder, amount, until) \
     VALUES ($1, $2, $3, '~pause', 0, clock_timestamp() + $4::bigint * interval '1 millisecond') \
     ON CONFLICT (workspace, run_id, scope, holder) \
     DO UPDATE SET until = GREATEST(run_limits.until, EXCLUDED.until)";

/// Binds: workspace, run id, holder.
const LET_GO: &str = "DELETE FROM run_limits WHERE workspace = $1 AND run_id = $2 AND holder = $3";

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[async_trait::async_trait]
impl LimitBoard for PostgresStore {
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
        let pools = self.pools();
        let what = format!("worker {holder:?} cannot hold its share of {scope:?} of run {run_id}");
        let map = |e| pools.errors.sql(&what, e);
        let mut tx = pools.writer.begin().await.map_err(map)?;
        sqlx::query(LOCK_SCOPE)
            .bind(workspace.as_str())
            .bind(run_id)
            .bind(scope)
            .execute(&mut *tx)
            .await
            .map_err(map)?;
        let live: Vec<(String, i64, i64)> = sqlx::query_as(LIVE_HOLDINGS)
            .bind(workspace.as_str())
            .bind(run_id)
            .bind(scope)
            .fetch_all(&mut *tx)
            .await
            .map_err(map)?;
        let slots = |n: i64| u32::try_from(n.max(0)).unwrap_or(u32::MAX);
        let mine = live.iter().find(|(name, _, _)| name == holder);
        let others = live.iter().filter(|(name, _, _)| name != holder);
        let others_hold: u32 = others.clone().map(|(_, held, _)| slots(*held)).sum();
        let share = fair_share(ceiling, want, others.map(|(_, _, wants)| slots(*wants)));
        let held = mine.map_or(0, |(_, held, _)| slots(*held));
        let granted = grant(want, held, ceiling.saturating_sub(others_hold), share);
        let stored = if want == 0 {
            sqlx::query(DROP_HOLDING)
                .bind(workspace.as_str())
                .bind(run_id)
                .bind(scope)
                .bind(holder)
        } else {
            sqlx::query(STORE_HOLDING)
                .bind(workspace.as_str())
                .bind(run_id)
                .bind(scope)
                .bind(holder)
                .bind(f64::from(granted))
                .bind(f64::from(want))
                .bind(millis(lease).max(1))
        };
        stored.execute(&mut *tx).await.map_err(map)?;
        let paused_ms: i64 = sqlx::query_scalar(PAUSED_FOR)
            .bind(workspace.as_str())
            .bind(run_id)
            .bind(scope)
            .fetch_one(&mut *tx)
            .await
            .map_err(map)?;
        tx.commit().await.map_err(map)?;
        let paused_for = Duration::from_millis(u64::try_from(paused_ms).unwrap_or(0));
        Ok(Holding::new(granted, paused_for).with_share(share))
    }

    async fn take(
        &self,
        workspace: &Workspace,
        run_id: &str,
        scope: &str,
        per_minute: f64,
        amount: f64,
    ) -> Result<Duration, StoreError> {
        let pools = self.pools();
        let what = format!("cannot take from the {scope:?} budget of run {run_id}");
        let per_second = per_minute / 60.0;
        let balance: f64 = sqlx::query_scalar(TAKE)
            .bind(workspace.as_str())
            .bind(run_id)
            .bind(scope)
            .bind(bucket_capacity(per_minute))
            .bind(per_second)
            .bind(amount)
            .fetch_one(&pools.writer)
            .await
            .map_err(|e| pools.errors.sql(&what, e))?;
        Ok(if balance >= 0.0 || per_second <= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-balance / per_second)
        })
    }

    async fn pause(
        &self,
        workspace: &Workspace,
        run_id: &str,
        scope: &str,
        pause: Duration,
    ) -> Result<(), StoreError> {
        let pools = self.pools();
        let what = format!("cannot pause {scope:?} of run {run_id}");
        sqlx::query(PAUSE)
            .bind(workspace.as_str())
            .bind(run_id)
            .bind(scope)
            .bind(millis(pause))
            .execute(&pools.writer)
            .await
            .map_err(|e| pools.errors.sql(&what, e))?;
        Ok(())
    }

    async fn let_go(
        &self,
        workspace: &Workspace,
        run_id: &str,
        holder: &str,
    ) -> Result<(), StoreError> {
        let pools = self.pools();
        let what = format!("worker {holder:?} cannot give up its shares of run {run_id}");
        sqlx::query(LET_GO)
            .bind(workspace.as_str())
            .bind(run_id)
            .bind(holder)
            .execute(&pools.writer)
            .await
            .map_err(|e| pools.errors.sql(&what, e))?;
        Ok(())
    }
}
