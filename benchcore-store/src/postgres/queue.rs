//! [`WorkQueue`] on PostgreSQL: `FOR UPDATE SKIP LOCKED` claims under renewed leases.

use super::store::PostgresStore;
use crate::sql::{args, Driver, On};
use benchcore::{Case, QueuedAttempt, StoreError, WorkQueue, Workspace};
use std::time::Duration;

/// Items per insert statement when enqueueing.
const ENQUEUE_ROWS: usize = 2048;

/// Binds: workspace, run ids, case ids, agents, samples, case JSON (arrays).
const ENQUEUE: &str =
    "INSERT INTO work_queue (workspace, run_id, case_id, agent, sample, case_json) \
     SELECT $1, t.run_id, t.case_id, t.agent, t.sample, t.case_json \
     FROM UNNEST($2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[]) \
          WITH ORDINALITY AS t (run_id, case_id, agent, sample, case_json, n) \
     ORDER BY t.n \
     ON CONFLICT DO NOTHING";

/// Claims the oldest claimable items: not leased (or the lease ran out), not recorded, of a
/// run that is `running` (a cancelled run's items wait, unclaimed, until it is resumed). Rows
/// another transaction is claiming are skipped, not waited for, so concurrent claims never
/// hand out one item twice and never block each other.
/// Binds: workspace, max, worker, lease in milliseconds.
const CLAIM: &str = "WITH picked AS ( \
         SELECT q.workspace, q.run_id, q.case_id, q.agent, q.sample FROM work_queue q \
         WHERE q.workspace = $1 \
           AND (q.lease_until IS NULL OR q.lease_until < now()) \
           AND EXISTS (SELECT 1 FROM runs r WHERE r.workspace = q.workspace \
                       AND r.id = q.run_id AND r.status = 'running') \
         ORDER BY q.seq \
         LIMIT $2 \
         FOR UPDATE SKIP LOCKED \
     ) \
     UPDATE work_queue q \
        SET lease_owner = $3, \
            lease_until = now() + $4::bigint * interval '1 millisecond', \
            claims = q.claims + 1 \
       FROM picked p \
      WHERE q.workspace = p.workspace AND q.run_id = p.run_id AND q.case_id = p.case_id \
        AND q.agent = p.agent AND q.sample = p.sample \
     RETURNING q.run_id, q.agent, q.sample, q.case_json, q.seq";

/// Binds: workspace, worker, lease in milliseconds.
const RENEW: &str = "UPDATE work_queue \
        SET lease_until = now() + $3::bigint * interval '1 millisecond' \
      WHERE workspace = $1 AND lease_owner = $2";

/// Binds: workspace, worker.
const RELEASE: &str = "UPDATE work_queue SET lease_owner = NULL, lease_until = NULL \
      WHERE workspace = $1 AND lease_owner = $2";

/// Of one run: every item not recorded. Of the workspace (run id NULL): those of its runs
/// that are `running`, the items a claim could hand out now or later (a cancelled run's wait
/// for a resume and are not work to wait for).
/// Binds: workspace, run id (or NULL for every run).
const PENDING: &str = "SELECT COUNT(*) FROM work_queue q \
      WHERE q.workspace = $1 AND (CAST($2 AS TEXT) = q.run_id OR (CAST($2 AS TEXT) IS NULL \
        AND EXISTS (SELECT 1 FROM runs r WHERE r.workspace = q.workspace \
                    AND r.id = q.run_id AND r.status = 'running')))";

fn millis(lease: Duration) -> i64 {
    i64::try_from(lease.as_millis()).unwrap_or(i64::MAX).max(1)
}

#[async_trait::async_trait]
impl WorkQueue for PostgresStore {
    async fn enqueue(
        &self,
        workspace: &Workspace,
        items: &[QueuedAttempt],
    ) -> Result<u64, StoreError> {
        let pools = self.pools();
        let what = format!("cannot enqueue {} attempts", items.len());
        let map = |e| pools.errors.sql(&what, e);
        let mut tx = pools.writer.begin().await.map_err(map)?;
        let mut added = 0;
        for chunk in items.chunks(ENQUEUE_ROWS) {
            let cases = chunk
                .iter()
                .map(|item| serde_json::to_string(&item.case))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| pools.errors.encode(&what, e))?;
            let column = |f: fn(&QueuedAttempt) -> &str| chunk.iter().map(f).collect::<Vec<_>>();
            let query = sqlx::query(ENQUEUE)
                .bind(workspace.as_str())
                .bind(column(|i| i.run_id.as_str()))
                .bind(column(|i| i.case.id.as_str()))
                .bind(column(|i| i.agent.as_str()))
                .bind(
                    chunk
                        .iter()
                        .map(|i| i64::from(i.sample))
                        .collect::<Vec<_>>(),
                )
                .bind(cases);
            added += sqlx::Postgres::run(On::Conn(&mut *tx), query)
                .await
                .map_err(map)?;
        }
        tx.commit().await.map_err(map)?;
        Ok(added)
    }

    async fn claim(
        &self,
        workspace: &Workspace,
        worker: &str,
        max: usize,
        lease: Duration,
    ) -> Result<Vec<QueuedAttempt>, StoreError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let pools = self.pools();
        let what = format!("worker {worker:?} cannot claim attempts");
        let max = i64::try_from(max).unwrap_or(i64::MAX);
        let args = args![workspace.as_str(), max, worker, millis(lease)];
        let rows = pools
            .read_all(&what, CLAIM, args, |r| {
                Ok((
                    r.i64(4)?,
                    r.string(0)?,
                    r.string(1)?,
                    r.i64(2)?,
                    r.string(3)?,
                ))
            })
            .await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for (seq, run_id, agent, sample, case_json) in rows {
            let case: Case = serde_json::from_str(&case_json).map_err(|e| {
                let what = format!("queued case of run {run_id:?} is not a case");
                pools.errors.corrupt(&what, e)
            })?;
            let sample = u32::try_from(sample)
                .map_err(|e| pools.errors.corrupt("a queued attempt's sample", e))?;
            claimed.push((seq, QueuedAttempt::new(run_id, case, agent, sample)));
        }
        // UPDATE … RETURNING gives no order: hand items out oldest first, as picked.
        claimed.sort_unstable_by_key(|(seq, _)| *seq);
        Ok(claimed.into_iter().map(|(_, item)| item).collect())
    }

    async fn renew(
        &self,
        workspace: &Workspace,
        worker: &str,
        lease: Duration,
    ) -> Result<u64, StoreError> {
        let what = format!("worker {worker:?} cannot renew its leases");
        let args = args![workspace.as_str(), worker, millis(lease)];
        self.pools().write(&what, RENEW, args).await
    }

    async fn release(&self, workspace: &Workspace, worker: &str) -> Result<u64, StoreError> {
        let what = format!("worker {worker:?} cannot release its leases");
        let args = args![workspace.as_str(), worker];
        self.pools().write(&what, RELEASE, args).await
    }

    async fn pending(
        &self,
        workspace: &Workspace,
        run_id: Option<&str>,
    ) -> Result<u64, StoreError> {
        let what = format!(
            "cannot count the queued attempts of {}",
            run_id.unwrap_or("every run")
        );
        let args = args![workspace.as_str(), run_id];
        let count = self
            .pools()
            .read_optional(&what, PENDING, args, |r| r.i64(0))
            .await?;
        Ok(count.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
    }
}
