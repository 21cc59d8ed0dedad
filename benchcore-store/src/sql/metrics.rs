//! Quality metrics of a run's attempts in the `attempt_metrics` table (migration 4): the SQL
//! behind [`RunStore::record_metrics`] and [`RunStore::metrics`] for every SQL backend.
//!
//! [`RunStore::record_metrics`]: benchcore::RunStore::record_metrics
//! [`RunStore::metrics`]: benchcore::RunStore::metrics

use super::backend::Backend;
use super::driver::{args, execute, fetch_optional, On};
use super::store::SqlStore;
use super::text::int;
use benchcore::store::MetricRecord;
use benchcore::{StoreError, Workspace};

/// Upserts `metrics` in one write transaction, after checking the run is in the workspace.
pub(crate) async fn record<B: Backend>(
    store: &SqlStore<B>,
    workspace: &Workspace,
    run_id: &str,
    metrics: &[MetricRecord],
) -> Result<(), StoreError> {
    let pools = store.pools();
    let what = format!("cannot record the metrics of run {run_id:?}");
    let map = |e| pools.errors.sql(&what, e);
    let details = metrics
        .iter()
        .map(|m| {
            (!m.details.is_null())
                .then(|| serde_json::to_string(&m.details).map(|json| B::NUL.json(json)))
                .transpose()
                .map_err(|e| pools.errors.encode(&what, e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let ws = workspace.as_str();
    let mut tx = pools.writer.begin_with(B::BEGIN_WRITE).await.map_err(map)?;
    let exists = fetch_optional::<B::Db>(
        On::Conn(&mut *tx),
        pools.queries.run_exists,
        args![ws, run_id],
    )
    .await
    .map_err(map)?;
    if exists.is_none() {
        return Err(StoreError::run_not_found(workspace, run_id));
    }
    for (metric, details) in metrics.iter().zip(&details) {
        let args = args![
            ws,
            run_id,
            B::NUL.text(&metric.key.case_id),
            B::NUL.text(&metric.key.agent),
            i64::from(metric.key.sample),
            B::NUL.text(&metric.metric),
            metric.score,
            B::NUL.opt_text(metric.label.as_deref()),
            B::NUL.opt_text(metric.rationale.as_deref()),
            details.as_deref(),
            int(metric.computed_at_ms),
        ];
        execute::<B::Db>(On::Conn(&mut *tx), &pools.queries.metric_upsert, args)
            .await
            .map_err(map)?;
    }
    tx.commit().await.map_err(map)
}

/// The run's metrics, ordered by attempt key and metric name.
pub(crate) async fn read<B: Backend>(
    store: &SqlStore<B>,
    workspace: &Workspace,
    run_id: &str,
) -> Result<Vec<MetricRecord>, StoreError> {
    let pools = store.pools();
    let what = format!("cannot read the metrics of run {run_id:?}");
    let sql = &pools.queries.metric_select;
    let args = args![workspace.as_str(), run_id];
    pools.read_all(&what, sql, args, |r| r.metric()).await
}
