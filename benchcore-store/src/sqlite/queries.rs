//! The SQL only the SQLite store runs: creating a run (its `seq` counted by hand), and the
//! attempts upsert as a multi-row `VALUES`. Everything else is shared (`crate::sql`).

use crate::sql::{attempt_conflict_update, ATTEMPT_COLUMNS};
use std::sync::OnceLock;

/// Creates a run in state `running`; affects no row when the id exists in the workspace.
/// Binds: workspace, id, suite, created_at_ms, spec.
pub(super) const INSERT_RUN: &str = "INSERT INTO runs \
     (workspace, id, seq, suite, status, created_at_ms, updated_at_ms, spec) \
     VALUES ($1, $2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM runs), $3, 'running', $4, $4, $5) \
     ON CONFLICT (workspace, id) DO NOTHING";

/// Key and outcome of a run's attempts of the cases in a JSON array (a resume's batch): the
/// primary key's index finds each case's rows. Binds: workspace, run_id, case ids (JSON).
pub(super) const CASE_OUTCOMES: &str = "SELECT case_id, agent, sample, outcome FROM attempts \
     WHERE workspace = $1 AND run_id = $2 AND case_id IN (SELECT value FROM json_each($3))";

/// Most rows per upsert statement. A batch is written in statements of this many rows and
/// one statement for the rest, each size prepared once per connection: a call costs one
/// round trip to SQLite per 32 attempts.
pub(crate) const UPSERT_ROWS: usize = 32;

/// An upsert of `rows` attempts (the workspace, then every attempt column, per row). SQLite
/// applies the rows in order; the store folds repeated keys first anyway, as on PostgreSQL.
fn upsert_sql(rows: usize) -> String {
    let columns: Vec<&str> = ATTEMPT_COLUMNS.iter().map(|(name, _)| *name).collect();
    let row = format!("(?{})", ", ?".repeat(columns.len()));
    format!(
        "INSERT INTO attempts (workspace, {}) VALUES {} {}",
        columns.join(", "),
        vec![row; rows].join(", "),
        attempt_conflict_update()
    )
}

/// The upsert of `rows` attempts, for 1 ≤ `rows` ≤ [`UPSERT_ROWS`].
pub(super) fn upsert(rows: usize) -> &'static str {
    static SQL: [OnceLock<String>; UPSERT_ROWS] = [const { OnceLock::new() }; UPSERT_ROWS];
    assert!((1..=UPSERT_ROWS).contains(&rows), "upsert of {rows} rows");
    SQL[rows - 1].get_or_init(|| upsert_sql(rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upsert_has_one_placeholder_per_column_and_row() {
        let sql = upsert_sql(3);
        assert_eq!(sql.matches('?').count(), 3 * (ATTEMPT_COLUMNS.len() + 1));
        assert!(sql.ends_with("WHERE attempts.outcome IN ('error', 'skipped')"));
        assert!(sql.contains("ON CONFLICT (workspace, run_id, case_id, agent, sample)"));
    }
}
