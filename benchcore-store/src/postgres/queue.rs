//! [`WorkQueue`] on PostgreSQL: `FOR UPDATE SKIP LOCKED` claims under renewed leases.

use super::store::PostgresStore;
use benchcore::{Case, QueuedAttempt, StoreError, WorkQueue, Workspace};
use sqlx::Row;
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

/// Claims the oldest claimable items: not leased (or the lease ran out), not recorded. Rows
/// another transaction is claiming are skipped, not waited for, so concurrent claims never
/// hand out one item twice and never block each other.
/// Binds: workspace, max, worker, lease in milliseconds.
const CLAIM: &str = "WITH picked AS ( \
         SELECT q.workspace, q.run_id, q.case_id, q.agent, q.sample FROM work_queue q \
         WHERE q.workspace = $1 \
           AND (q.lease_until IS NULL OR q.lease_until < now()) \
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

/// Binds: workspace, run id (or NULL for every run).
const PENDING: &str = "SELECT COUNT(*) FROM work_queue \
      WHERE workspace = $1 AND ($2::text IS NULL OR run_id = $2)";

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
        let what = || format!("cannot enqueue {} attempts", items.len());
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(|e| self.error(&what(), e))?;
        let mut added = 0;
        for chunk in items.chunks(ENQUEUE_ROWS) {
            let cases = chunk
                .iter()
                .map(|item| serde_json::to_string(&item.case))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| super::error::encode(&self.label, &what(), e))?;
            let result = sqlx::query(ENQUEUE)
                .bind(workspace.as_str())
                .bind(chunk.iter().map(|i| i.run_id.as_str()).collect::<Vec<_>>())
                .bind(chunk.iter().map(|i| i.case.id.as_str()).collect::<Vec<_>>())
                .bind(chunk.iter().map(|i| i.agent.as_str()).collect::<Vec<_>>())
                .bind(
                    chunk
                        .iter()
                        .map(|i| i64::from(i.sample))
                        .collect::<Vec<_>>(),
                )
                .bind(cases)
                .execute(&mut *tx)
                .await
                .map_err(|e| self.error(&what(), e))?;
            added += result.rows_affected();
        }
        tx.commit().await.map_err(|e| self.error(&what(), e))?;
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
        let what = || format!("worker {worker:?} cannot claim attempts");
        let rows = sqlx::query(CLAIM)
            .bind(workspace.as_str())
            .bind(i64::try_from(max).unwrap_or(i64::MAX))
            .bind(worker)
            .bind(millis(lease))
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.error(&what(), e))?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let run_id: String = self.get(row, 0)?;
            let agent: String = self.get(row, 1)?;
            let sample: i64 = self.get(row, 2)?;
            let case_json: String = self.get(row, 3)?;
            let seq: i64 = self.get(row, 4)?;
            let case: Case = serde_json::from_str(&case_json).map_err(|e| {
                super::error::corrupt(
                    &self.label,
                    &format!("queued case of run {run_id:?} is not a case"),
                    e,
                )
            })?;
            let sample = u32::try_from(sample)
                .map_err(|e| super::error::corrupt(&self.label, "a queued attempt's sample", e))?;
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
        sqlx::query(RENEW)
            .bind(workspace.as_str())
            .bind(worker)
            .bind(millis(lease))
            .execute(&self.pool)
            .await
            .map(|r| r.rows_affected())
            .map_err(|e| self.error(&format!("worker {worker:?} cannot renew its leases"), e))
    }

    async fn release(&self, workspace: &Workspace, worker: &str) -> Result<u64, StoreError> {
        sqlx::query(RELEASE)
            .bind(workspace.as_str())
            .bind(worker)
            .execute(&self.pool)
            .await
            .map(|r| r.rows_affected())
            .map_err(|e| self.error(&format!("worker {worker:?} cannot release its leases"), e))
    }

    async fn pending(
        &self,
        workspace: &Workspace,
        run_id: Option<&str>,
    ) -> Result<u64, StoreError> {
        let row = sqlx::query(PENDING)
            .bind(workspace.as_str())
            .bind(run_id)
            .fetch_one(&self.pool)
            .await
            .map_err(|e| {
                self.error(
                    &format!(
                        "cannot count the queued attempts of {}",
                        run_id.unwrap_or("every run")
                    ),
                    e,
                )
            })?;
        let count: i64 = row.try_get(0).map_err(|e| {
            self.error(
                &format!(
                    "cannot count the queued attempts of {}",
                    run_id.unwrap_or("every run")
                ),
                e,
            )
        })?;
        Ok(u64::try_from(count).unwrap_or(0))
    }
}
