//! The SQL only the PostgreSQL store runs: creating a run (its `seq` an identity column), the
//! attempts upsert bound as one array per column (`UNNEST`, one prepared statement for every
//! batch size, completing work-queue items in the same statement), and the schema's
//! creation. Everything else is shared (`crate::sql`).

use crate::sql::{attempt_conflict_update, ATTEMPT_COLUMNS};
use std::sync::OnceLock;

/// Creates a run in state `running`; affects no row when the id exists in the workspace.
/// Binds: workspace, id, suite, created_at_ms, spec (JSON text).
pub(super) const INSERT_RUN: &str = "INSERT INTO runs \
     (workspace, id, suite, status, created_at_ms, updated_at_ms, spec) \
     VALUES ($1, $2, $3, 'running', $4, $4, $5::jsonb) \
     ON CONFLICT (workspace, id) DO NOTHING";

/// Key and outcome of a run's attempts of the cases in a JSON array (a resume's batch): the
/// primary key's index finds each case's rows. Binds: workspace, run_id, case ids (JSON).
pub(super) const CASE_OUTCOMES: &str = "SELECT case_id, agent, sample, outcome FROM attempts \
     WHERE workspace = $1 AND run_id = $2 \
       AND case_id IN (SELECT jsonb_array_elements_text($3::jsonb))";

/// Most rows per upsert statement. A batch of at most this many attempts is one statement
/// (atomic by itself); a larger one is a transaction of statements of this many rows.
pub(crate) const UPSERT_ROWS: usize = 2048;

/// The element type of the array bound for each attempt column, in
/// [`ATTEMPT_COLUMNS`] order (JSON columns travel as text).
const ARRAY_TYPES: [&str; 24] = [
    "text", "text", "text", "int8", "text", "float8", "text", "text", "int8", "int8", "float8",
    "text", "int8", "int8", "int8", "int8", "int8", "bool", "int8", "int8", "text", "text", "text",
    "text",
];

/// The upsert of a batch bound as one array per column, so one prepared statement serves
/// every batch size. An attempt of an unknown run fails the statement on the `runs` foreign
/// key. Binds: workspace, then one array per attempt column.
fn upsert_sql() -> String {
    let names: Vec<&str> = ATTEMPT_COLUMNS.iter().map(|(name, _)| *name).collect();
    let arrays = ARRAY_TYPES
        .iter()
        .enumerate()
        .map(|(i, element)| format!("${}::{element}[]", i + 2))
        .collect::<Vec<_>>()
        .join(", ");
    let values = ATTEMPT_COLUMNS
        .iter()
        .map(|(name, is_json)| match is_json {
            true => format!("t.{name}::jsonb"),
            false => format!("t.{name}"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    // The batch is read once into `t`; recording an attempt also completes its work-queue
    // item (see migration 0005), in the same statement.
    format!(
        "WITH t AS (SELECT * FROM UNNEST({arrays}) AS t ({columns})), \
         done AS (DELETE FROM work_queue q USING t \
                  WHERE q.workspace = $1 AND q.run_id = t.run_id AND q.case_id = t.case_id \
                    AND q.agent = t.agent AND q.sample = t.sample) \
         INSERT INTO attempts (workspace, {columns}) \
         SELECT $1, {values} FROM t {conflict}",
        columns = names.join(", "),
        conflict = attempt_conflict_update(),
    )
}

/// The upsert of a batch of attempts (see [`upsert_sql`]).
pub(super) fn upsert() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(upsert_sql)
}

/// Whether a schema exists. Binds: name.
pub(super) const SCHEMA_EXISTS: &str =
    "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)";

/// Whether the schema on the search path holds a store already (its migrations table).
pub(super) const HAS_STORE: &str = "SELECT to_regclass('_sqlx_migrations') IS NOT NULL";

/// Serializes schema creation across processes for the rest of the transaction
/// (`CREATE SCHEMA IF NOT EXISTS` alone can race). The key is `benchcor` in ASCII.
pub(super) const LOCK_SCHEMA_CREATION: &str = "SELECT pg_advisory_xact_lock(7090194561596878706)";

/// Creates a schema; `schema` must be a checked identifier (`PostgresConfig::validate`).
pub(super) fn create_schema(schema: &str) -> String {
    format!("CREATE SCHEMA IF NOT EXISTS {schema}")
}

/// Serializes key setup and rotation across processes until the transaction ends: one
/// process rotates while the others wait, then find nothing left to do.
pub(super) const LOCK_KEY_ROTATION: &str =
    "SELECT pg_advisory_xact_lock(739401, hashtext(current_schema()))";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upsert_binds_one_array_per_column() {
        let sql = upsert_sql();
        assert!(sql.contains("$25::text[]") && !sql.contains("$26"), "{sql}");
        assert!(sql.contains("$19::bool[]"), "{sql}");
        assert!(sql.contains("t.transcript::jsonb"), "{sql}");
        assert!(sql.contains("ON CONFLICT (workspace, run_id, case_id, agent, sample)"));
        assert!(sql.ends_with("WHERE attempts.outcome IN ('error', 'skipped')"));
    }
}
