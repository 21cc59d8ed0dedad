//! Recording attempts, the engine's hot path: encode a batch (outside any lock), fold its
//! repeated keys by the contract's rule, and upsert it in the backend's batched form, as one
//! statement or one transaction, so a batch is stored whole or not at all.

use super::backend::Backend;
use super::driver::{args, fetch_optional, Driver, On};
use super::pools::Pools;
use super::store::SqlStore;
use super::text::{Encoded, Nul};
use benchcore::{AttemptRecord, StoreError, StoreErrorKind, Workspace};
use sqlx::Pool;

/// The records of a batch that change the table, one per key, sorted by key.
///
/// Repeated keys are folded by the contract's rule, in batch order: a later record replaces
/// an earlier one only when the earlier outcome is replaceable. Upserting the folded record
/// under the same rule leaves the table as recording the batch one record at a time would
/// (PostgreSQL refuses to update one row twice in a statement, so it needs this; SQLite gets
/// the same rows). The sort is stable, so records of one key stay in batch order; sorting also
/// makes concurrent batches lock rows in one order, so they never deadlock. A batch in key
/// order (as the engine's mostly are) sorts in one pass.
pub(crate) fn fold_repeated_keys(attempts: &[AttemptRecord]) -> Vec<&AttemptRecord> {
    let mut sorted: Vec<&AttemptRecord> = attempts.iter().collect();
    sorted.sort_by(|a, b| (&a.run_id, &a.key).cmp(&(&b.run_id, &b.key)));
    let mut rows: Vec<&AttemptRecord> = Vec::with_capacity(sorted.len());
    for record in sorted {
        match rows.last_mut() {
            Some(kept) if kept.run_id == record.run_id && kept.key == record.key => {
                if kept.outcome.is_replaceable() {
                    *kept = record;
                }
            }
            _ => rows.push(record),
        }
    }
    rows
}

/// `record` ready to bind, as a store whose text follows `nul` keeps it.
fn encode(nul: Nul, record: &AttemptRecord) -> Result<Encoded<'_>, serde_json::Error> {
    let json = |value: Result<String, serde_json::Error>| value.map(|j| nul.json(j));
    Ok(Encoded {
        record,
        error_kind: nul.opt_text(record.failure.as_ref().map(|f| f.kind.as_str())),
        error_message: nul.opt_text(record.failure.as_ref().map(|f| f.message.as_str())),
        model: nul.opt_text(record.model.as_deref()),
        artifacts_dir: nul.opt_text(record.artifacts_dir.as_deref()),
        transcript: json(serde_json::to_string(&record.transcript))?,
        evaluations: json(serde_json::to_string(&record.evaluations))?,
        reports: json(serde_json::to_string(&record.reports))?,
    })
}

/// Records a batch atomically (see `RunStore::record_attempts`).
pub(crate) async fn record<B: Backend>(
    store: &SqlStore<B>,
    workspace: &Workspace,
    attempts: &[AttemptRecord],
) -> Result<(), StoreError> {
    if attempts.is_empty() {
        return Ok(());
    }
    let pools = store.pools();
    // Encode before taking the write lock, so the lock is held only for the database.
    let rows = fold_repeated_keys(attempts)
        .into_iter()
        .map(|record| {
            encode(B::NUL, record).map_err(|e| {
                let what = format!(
                    "cannot encode attempt {} of run {:?}",
                    record.key, record.run_id
                );
                pools.errors.encode(&what, e)
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    match upsert_all::<B>(&pools.writer, workspace.as_str(), &rows).await {
        Ok(()) => Ok(()),
        Err(e) => Err(record_error(pools, workspace, attempts, e).await),
    }
}

/// Upserts `rows`: one statement when they fit in one (atomic by itself, no transaction
/// round trips), otherwise one transaction. Returning early drops the transaction, which
/// rolls it back.
async fn upsert_all<B: Backend>(
    writer: &Pool<B::Db>,
    workspace: &str,
    rows: &[Encoded<'_>],
) -> Result<(), sqlx::Error> {
    if rows.len() <= B::UPSERT_ROWS {
        return B::upsert(On::Pool(writer), workspace, rows).await;
    }
    let mut tx = writer.begin_with(B::BEGIN_WRITE).await?;
    for chunk in rows.chunks(B::UPSERT_ROWS) {
        B::upsert(On::Conn(&mut *tx), workspace, chunk).await?;
    }
    tx.commit().await
}

/// The error of a failed batch: `NotFound` naming the run when the batch names one that is
/// not in the workspace (the foreign key refused it).
async fn record_error<DB: Driver>(
    pools: &Pools<DB>,
    workspace: &Workspace,
    attempts: &[AttemptRecord],
    error: sqlx::Error,
) -> StoreError {
    let what = format!(
        "cannot record {} attempts in workspace {:?}",
        attempts.len(),
        workspace.as_str()
    );
    let error = pools.errors.sql(&what, error);
    if error.kind() != StoreErrorKind::NotFound {
        return error;
    }
    let mut runs: Vec<&str> = attempts.iter().map(|a| a.run_id.as_str()).collect();
    runs.sort_unstable();
    runs.dedup();
    for run in runs {
        let args = args![workspace.as_str(), run];
        let exists =
            fetch_optional::<DB>(On::Pool(&pools.reader), pools.queries.run_exists, args).await;
        if let Ok(None) = exists {
            let mut e = StoreError::run_not_found(workspace, run);
            e.message = format!("{}: {what}: {}", pools.errors.label(), e.message);
            e.source = Some(Box::new(error));
            return e;
        }
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;
    use benchcore::{AttemptKey, Outcome};

    #[test]
    fn repeated_keys_fold_by_the_replace_rule() {
        let record =
            |case: &str, outcome| AttemptRecord::new("r", AttemptKey::new(case, "a", 0), outcome);
        let batch = [
            record("q2", Outcome::Error),
            record("q1", Outcome::Error),
            record("q1", Outcome::Skipped),
            record("q1", Outcome::Passed),
            record("q1", Outcome::Failed),
            record("q2", Outcome::Invalid),
            record("q2", Outcome::Error),
        ];
        let folded: Vec<(&str, Outcome)> = fold_repeated_keys(&batch)
            .into_iter()
            .map(|r| (r.key.case_id.as_str(), r.outcome))
            .collect();
        assert_eq!(folded, [("q1", Outcome::Passed), ("q2", Outcome::Invalid)]);
    }
}
