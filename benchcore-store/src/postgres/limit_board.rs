//! [`LimitBoard`] on PostgreSQL: the `run_limits` table (migration 0006), on the store's own
//! clock, so that workers on machines whose clocks differ agree on leases and pauses.

use super::store::PostgresStore;
use benchcore::store::{bucket_capacity, check_holder};
use benchcore::{Holding, LimitBoard, StoreError, Workspace};
use std::time::Duration;

/// Serialises `hold` calls on one scope for the rest of the transaction.
/// Binds: workspace, run id, scope.
const LOCK_SCOPE: &str = "SELECT pg_advisory_xact_lock(hashtextextended( \
         $1 || chr(31) || $2 || chr(31) || $3, 7310))";

/// Grants `min(want, ceiling − live holdings of the others)`, stores it (or drops the row for
/// 0) and reads the scope's pause in milliseconds. Data-modifying parts of a `WITH` run
/// whether read or not.
/// Binds: workspace, run id, scope, holder, want, ceiling, lease in milliseconds.
const HOLD: &str = "WITH others AS ( \
         SELECT COALESCE(SUM(amount), 0)::bigint AS held FROM run_limits \
          WHERE workspace = $1 AND run_id = $2 AND scope = $3 AND holder <> $4 \
            AND holder NOT LIKE '~%' AND until > clock_timestamp() \
     ), granted AS ( \
         SELECT GREATEST(0, LEAST($5::bigint, $6::bigint - held)) AS n FROM others \
     ), dropped AS ( \
         DELETE FROM run_limits \
          WHERE workspace = $1 AND run_id = $2 AND scope = $3 AND holder = $4 \
            AND (SELECT n FROM granted) = 0 \
     ), held AS ( \
         INSERT INTO run_limits (workspace, run_id, scope, holder, amount, until) \
         SELECT $1, $2, $3, $4, n, clock_timestamp() + $7::bigint * interval '1 millisecond' \
           FROM granted WHERE n > 0 \
         ON CONFLICT (workspace, run_id, scope, holder) \
         DO UPDATE SET amount = EXCLUDED.amount, until = EXCLUDED.until \
     ) \
     SELECT (SELECT n FROM granted), COALESCE(( \
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
        let (granted, paused_ms): (i64, i64) = sqlx::query_as(HOLD)
            .bind(workspace.as_str())
            .bind(run_id)
            .bind(scope)
            .bind(holder)
            .bind(i64::from(want))
            .bind(i64::from(ceiling))
            .bind(millis(lease).max(1))
            .fetch_one(&mut *tx)
            .await
            .map_err(map)?;
        tx.commit().await.map_err(map)?;
        Ok(Holding::new(
            u32::try_from(granted).unwrap_or(0),
            Duration::from_millis(u64::try_from(paused_ms).unwrap_or(0)),
        ))
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
