//! Quality metrics of a run's attempts in the `attempt_metrics` table (migration 4): the
//! SQL behind [`RunStore::record_metrics`] and [`RunStore::metrics`] for [`PostgresStore`].
//!
//! [`RunStore::record_metrics`]: benchcore::RunStore::record_metrics
//! [`RunStore::metrics`]: benchcore::RunStore::metrics

use super::{error, queries, PostgresStore};
use crate::rows::Reader;
use benchcore::store::MetricRecord;
use benchcore::{StoreError, Workspace};
use std::borrow::Cow;

const UPSERT: &str = "INSERT INTO attempt_metrics \
     (workspace, run_id, case_id, agent, sample, metric, score, label, rationale, details, computed_at_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11) \
     ON CONFLICT (workspace, run_id, case_id, agent, sample, metric) DO UPDATE SET \
     score = excluded.score, label = excluded.label, rationale = excluded.rationale, \
     details = excluded.details, computed_at_ms = excluded.computed_at_ms";

const SELECT: &str = "SELECT case_id, agent, sample, metric, score, label, rationale, details::text, computed_at_ms \
     FROM attempt_metrics WHERE workspace = $1 AND run_id = $2 \
     ORDER BY case_id, agent, sample, metric";

/// PostgreSQL text cannot hold U+0000: it is stored as U+FFFD.
fn without_nul(text: &str) -> Cow<'_, str> {
    if text.contains('\0') {
        Cow::Owned(text.replace('\0', "\u{fffd}"))
    } else {
        Cow::Borrowed(text)
    }
}

impl PostgresStore {
    /// Upserts `metrics` in one transaction, after checking the run is in the workspace.
    pub(super) async fn record_metrics_sql(
        &self,
        workspace: &Workspace,
        run_id: &str,
        metrics: &[MetricRecord],
    ) -> Result<(), StoreError> {
        let what = || format!("cannot record the metrics of run {run_id:?}");
        let details = metrics
            .iter()
            .map(|m| {
                (!m.details.is_null())
                    .then(|| serde_json::to_string(&m.details).map(super::store::json_without_nul))
                    .transpose()
                    .map_err(|e| error::encode(&self.label, &what(), e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(|e| self.error(&what(), e))?;
        let exists = sqlx::query(queries::RUN_EXISTS)
            .bind(workspace.as_str())
            .bind(run_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| self.error(&what(), e))?;
        if exists.is_none() {
            return Err(StoreError::run_not_found(workspace, run_id));
        }
        for (metric, details) in metrics.iter().zip(&details) {
            sqlx::query(UPSERT)
                .bind(workspace.as_str())
                .bind(run_id)
                .bind(without_nul(&metric.key.case_id))
                .bind(without_nul(&metric.key.agent))
                .bind(i64::from(metric.key.sample))
                .bind(without_nul(&metric.metric))
                .bind(metric.score)
                .bind(metric.label.as_deref().map(without_nul))
                .bind(metric.rationale.as_deref().map(without_nul))
                .bind(details.as_deref())
                .bind(metric.computed_at_ms as i64)
                .execute(&mut *tx)
                .await
                .map_err(|e| self.error(&what(), e))?;
        }
        tx.commit().await.map_err(|e| self.error(&what(), e))
    }

    /// The run's metrics, ordered by attempt key and metric name.
    pub(super) async fn metrics_sql(
        &self,
        workspace: &Workspace,
        run_id: &str,
    ) -> Result<Vec<MetricRecord>, StoreError> {
        sqlx::query(SELECT)
            .bind(workspace.as_str())
            .bind(run_id)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.error(&format!("cannot read the metrics of run {run_id:?}"), e))?
            .iter()
            .map(|row| Reader::new(self, row).metric())
            .collect()
    }
}
