//! The SQL the PostgreSQL store runs. Every statement is static text (or built once), so each
//! connection prepares it once and reuses it from its statement cache.
//!
//! JSONB columns are written as text cast to `jsonb` and read back cast to `text`, so no JSON
//! type support is needed from sqlx.

use benchcore::Outcome;
use std::sync::OnceLock;

/// The columns of `runs` that [`super::store`] reads into a `RunInfo`, in order, with the
/// attempt count last.
const RUN_COLUMNS: &str = "r.id, r.spec::text, r.status, r.created_at_ms, r.updated_at_ms, \
     (SELECT COUNT(*) FROM attempts a WHERE a.workspace = r.workspace AND a.run_id = r.id)";

/// Creates a run in state `running` with its agent names, in one statement; returns 1 when
/// created and 0 when the id exists in the workspace (nothing is written then).
/// Binds: workspace, id, suite, created_at_ms, spec (JSON text), agent names.
pub(super) const INSERT_RUN: &str = "WITH run AS ( \
         INSERT INTO runs (workspace, id, suite, status, created_at_ms, updated_at_ms, spec) \
         VALUES ($1, $2, $3, 'running', $4, $4, $5::jsonb) \
         ON CONFLICT (workspace, id) DO NOTHING \
         RETURNING workspace, id \
     ), agents AS ( \
         INSERT INTO run_agents (workspace, run_id, agent) \
         SELECT run.workspace, run.id, a.agent FROM run, UNNEST($6::text[]) AS a (agent) \
         ON CONFLICT DO NOTHING \
     ) \
     SELECT COUNT(*) FROM run";

/// One run. Binds: workspace, id.
pub(super) fn get_run() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        format!("SELECT {RUN_COLUMNS} FROM runs r WHERE r.workspace = $1 AND r.id = $2")
    })
}

/// Runs newest first, each filter applying when its bind is not NULL.
/// Binds: workspace, suite, status, agent, limit (NULL for none).
pub(super) fn list_runs() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "SELECT {RUN_COLUMNS} FROM runs r \
             WHERE r.workspace = $1 \
               AND ($2::text IS NULL OR r.suite = $2) \
               AND ($3::text IS NULL OR r.status = $3) \
               AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM run_agents ra \
                    WHERE ra.workspace = r.workspace AND ra.run_id = r.id AND ra.agent = $4)) \
             ORDER BY r.created_at_ms DESC, r.seq DESC \
             LIMIT $5::bigint"
        )
    })
}

/// Moves a run to a state. Binds: workspace, id, status, now.
pub(super) const SET_RUN_STATUS: &str = "UPDATE runs \
     SET status = $3, updated_at_ms = GREATEST($4, created_at_ms) \
     WHERE workspace = $1 AND id = $2";

/// Whether a run exists. Binds: workspace, id.
pub(super) const RUN_EXISTS: &str = "SELECT 1 FROM runs WHERE workspace = $1 AND id = $2";

/// Every column of `attempts` after `workspace`, in table order, with the type of the array
/// [`upsert`] binds for it; `bind_attempts` in [`super::store`] binds in this order and
/// [`select_attempts`] reads in this order.
pub(super) const ATTEMPT_COLUMNS: [(&str, &str); 24] = [
    ("run_id", "text"),
    ("case_id", "text"),
    ("agent", "text"),
    ("sample", "int8"),
    ("outcome", "text"),
    ("score", "float8"),
    ("error_kind", "text"),
    ("error_message", "text"),
    ("input_tokens", "int8"),
    ("output_tokens", "int8"),
    ("cost_usd", "float8"),
    ("model", "text"),
    ("latency_ms", "int8"),
    ("ttft_ms", "int8"),
    ("wall_ms", "int8"),
    ("work_ms", "int8"),
    ("retries", "int8"),
    ("cached", "bool"),
    ("started_at_ms", "int8"),
    ("finished_at_ms", "int8"),
    ("artifacts_dir", "text"),
    ("transcript", "jsonb"),
    ("evaluations", "jsonb"),
    ("reports", "jsonb"),
];

/// The attempt key columns after `workspace`: run, case, agent, sample.
const KEY_COLUMNS: usize = 4;

/// Most rows per upsert statement. A batch of at most this many attempts is one statement
/// (atomic by itself); a larger one is a transaction of statements of this many rows.
pub(crate) const UPSERT_ROWS: usize = 2048;

/// The upsert of a batch bound as one array per column (`UNNEST`), so one prepared statement
/// serves every batch size. A new key is inserted; an existing row is replaced only when its
/// outcome may be replaced ([`Outcome::is_replaceable`]). PostgreSQL refuses to touch a row
/// twice in one statement, so the store folds repeated keys of a batch first, by the same
/// rule. An attempt of an unknown run fails the statement on the `runs` foreign key.
/// Binds: workspace, then one array per [`ATTEMPT_COLUMNS`] entry (JSONB ones as `text[]`).
fn upsert_sql() -> String {
    let names: Vec<&str> = ATTEMPT_COLUMNS.iter().map(|(name, _)| *name).collect();
    let arrays = ATTEMPT_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, (_, kind))| {
            let element = if *kind == "jsonb" { "text" } else { kind };
            format!("${}::{element}[]", i + 2)
        })
        .collect::<Vec<_>>()
        .join(", ");
    let values = ATTEMPT_COLUMNS
        .iter()
        .map(|(name, kind)| match *kind {
            "jsonb" => format!("t.{name}::jsonb"),
            _ => format!("t.{name}"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let key = names[..KEY_COLUMNS].join(", ");
    let updates = names[KEY_COLUMNS..]
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let replaceable = Outcome::ALL
        .into_iter()
        .filter(|o| o.is_replaceable())
        .map(|o| format!("'{}'", o.as_str()))
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
         SELECT $1, {values} FROM t \
         ON CONFLICT (workspace, {key}) DO UPDATE SET {updates} \
         WHERE attempts.outcome IN ({replaceable})",
        columns = names.join(", "),
    )
}

/// The upsert of a batch of attempts (see [`upsert_sql`]).
pub(super) fn upsert() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(upsert_sql)
}

/// Key and outcome of a run's attempts. Binds: workspace, run_id.
pub(super) const ATTEMPT_OUTCOMES: &str = "SELECT case_id, agent, sample, outcome \
     FROM attempts WHERE workspace = $1 AND run_id = $2 \
     ORDER BY case_id, agent, sample";

/// A run's attempts, whole, ordered by key (byte order: the key columns are `COLLATE "C"`).
/// Binds: workspace, run_id, agent (or NULL), outcome (or NULL), limit (or NULL), offset.
pub(super) fn select_attempts() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "SELECT {} FROM attempts \
             WHERE workspace = $1 AND run_id = $2 \
               AND ($3::text IS NULL OR agent = $3) \
               AND ($4::text IS NULL OR outcome = $4) \
             ORDER BY case_id, agent, sample \
             LIMIT $5::bigint OFFSET $6::bigint",
            select_columns()
        )
    })
}

/// The columns [`select_attempts`] and [`select_attempts_after`] read, JSONB as text.
fn select_columns() -> String {
    ATTEMPT_COLUMNS
        .iter()
        .map(|(name, kind)| match *kind {
            "jsonb" => format!("{name}::text"),
            _ => (*name).to_owned(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A run's attempts after a key (keyset paging), whole, ordered by key: the row comparison
/// is an index condition on the primary key, so a page deep in a run costs what the first
/// one does (a deep `OFFSET` reads and drops every earlier row).
/// Binds: as [`select_attempts`], then the key: case_id, agent, sample.
pub(super) fn select_attempts_after() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "SELECT {} FROM attempts \
             WHERE workspace = $1 AND run_id = $2 \
               AND (case_id, agent, sample) > ($7::text, $8::text, $9::bigint) \
               AND ($3::text IS NULL OR agent = $3) \
               AND ($4::text IS NULL OR outcome = $4) \
             ORDER BY case_id, agent, sample \
             LIMIT $5::bigint OFFSET $6::bigint",
            select_columns()
        )
    })
}

/// Per-agent counts and sums, aggregated in the database so a summary of a million attempts
/// costs no memory. Columns: agent, n, passed, failed, invalid, errors, skipped, score sum and
/// count over judged attempts, input and output tokens, cost, retries, latencies recorded.
/// Binds: workspace, run_id.
pub(super) const SUMMARY_AGGREGATES: &str = "SELECT agent, COUNT(*), \
     COUNT(*) FILTER (WHERE outcome = 'passed'), COUNT(*) FILTER (WHERE outcome = 'failed'), \
     COUNT(*) FILTER (WHERE outcome = 'invalid'), COUNT(*) FILTER (WHERE outcome = 'error'), \
     COUNT(*) FILTER (WHERE outcome = 'skipped'), \
     COALESCE(SUM(score) FILTER (WHERE outcome IN ('passed', 'failed', 'invalid')), 0), \
     COUNT(score) FILTER (WHERE outcome IN ('passed', 'failed', 'invalid')), \
     SUM(input_tokens)::BIGINT, SUM(output_tokens)::BIGINT, COALESCE(SUM(cost_usd), 0), \
     SUM(retries)::BIGINT, COUNT(latency_ms) \
     FROM attempts WHERE workspace = $1 AND run_id = $2 GROUP BY agent";

/// The latency at each (agent, 1-based rank) pair among that agent's recorded latencies, in
/// one round trip; ranks come from `benchcore::store::percentile_rank`, as on SQLite.
/// Columns: agent, rank, latency. Binds: workspace, run_id, agents, ranks.
pub(super) const LATENCIES_AT_RANKS: &str = "SELECT q.agent, q.rank, \
     (SELECT a.latency_ms FROM attempts a \
      WHERE a.workspace = $1 AND a.run_id = $2 AND a.agent = q.agent \
        AND a.latency_ms IS NOT NULL \
      ORDER BY a.latency_ms OFFSET q.rank - 1 LIMIT 1) \
     FROM UNNEST($3::text[], $4::int8[]) AS q (agent, rank)";

/// A cached reply and the request text it was stored for. Binds: workspace, key.
pub(super) const CACHE_GET: &str =
    "SELECT request, reply::text FROM response_cache WHERE workspace = $1 AND key = $2";

/// Stores a cached reply, replacing the entry of the same key.
/// Binds: workspace, key, request, reply (JSON text), created_at_ms.
pub(super) const CACHE_PUT: &str = "INSERT INTO response_cache \
     (workspace, key, request, reply, created_at_ms) VALUES ($1, $2, $3, $4::jsonb, $5) \
     ON CONFLICT (workspace, key) DO UPDATE SET \
     request = excluded.request, reply = excluded.reply, created_at_ms = excluded.created_at_ms";

/// How many cached replies a workspace has. Binds: workspace.
pub(super) const CACHE_COUNT: &str = "SELECT COUNT(*) FROM response_cache WHERE workspace = $1";

/// The newest applied schema version (in the schema on the search path).
pub(super) const SCHEMA_VERSION: &str =
    "SELECT COALESCE(MAX(version), 0)::BIGINT FROM _sqlx_migrations WHERE success";

/// Whether a schema exists. Binds: name.
pub(super) const SCHEMA_EXISTS: &str =
    "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)";

/// Serializes schema creation across processes for the rest of the transaction
/// (`CREATE SCHEMA IF NOT EXISTS` alone can race). The key is `benchcor` in ASCII.
pub(super) const LOCK_SCHEMA_CREATION: &str = "SELECT pg_advisory_xact_lock(7090194561596878706)";

/// Creates a schema; `schema` must be a checked identifier (`PostgresConfig::validate`).
pub(super) fn create_schema(schema: &str) -> String {
    format!("CREATE SCHEMA IF NOT EXISTS {schema}")
}

/// Saves an agent, replacing one of the same name (its creation time kept).
/// Binds: workspace, name, kind, config_public (JSON text), secret, now.
pub(super) const AGENT_SAVE: &str = "INSERT INTO saved_agents \
     (workspace, name, kind, config_public, secret, created_at_ms, updated_at_ms) \
     VALUES ($1, $2, $3, $4::jsonb, $5, $6, $6) \
     ON CONFLICT (workspace, name) DO UPDATE SET kind = excluded.kind, \
     config_public = excluded.config_public, secret = excluded.secret, \
     updated_at_ms = excluded.updated_at_ms";

/// A saved agent's public config (JSON text) and sealed secrets. Binds: workspace, name.
pub(super) const AGENT_LOAD: &str = "SELECT config_public::text, secret FROM saved_agents \
     WHERE workspace = $1 AND name = $2";

/// A workspace's saved agents by name. Binds: workspace.
pub(super) const AGENT_LIST: &str = "SELECT name, kind, secret IS NOT NULL, created_at_ms, \
     updated_at_ms FROM saved_agents WHERE workspace = $1 ORDER BY name";

/// Deletes a saved agent. Binds: workspace, name.
pub(super) const AGENT_DELETE: &str = "DELETE FROM saved_agents WHERE workspace = $1 AND name = $2";

/// Every sealed secret, across workspaces, locked for a rotation when `FOR UPDATE` is added.
pub(super) const AGENT_SECRETS: &str = "SELECT workspace, name, secret FROM saved_agents \
     WHERE secret IS NOT NULL ORDER BY workspace, name";

/// Replaces a sealed secret. Binds: workspace, name, secret.
pub(super) const AGENT_RESEAL: &str =
    "UPDATE saved_agents SET secret = $3 WHERE workspace = $1 AND name = $2";

/// The stored key state.
pub(super) const KEY_STATE_GET: &str =
    "SELECT fingerprint, sentinel FROM encryption_key_state WHERE id = 1";

/// Stores the key state. Binds: fingerprint, sentinel, now.
pub(super) const KEY_STATE_PUT: &str = "INSERT INTO encryption_key_state \
     (id, fingerprint, sentinel, updated_at_ms) VALUES (1, $1, $2, $3) \
     ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint, \
     sentinel = excluded.sentinel, updated_at_ms = excluded.updated_at_ms";

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
        assert!(sql.contains("t.transcript::jsonb"), "{sql}");
        assert!(sql.contains("ON CONFLICT (workspace, run_id, case_id, agent, sample)"));
        assert!(sql.ends_with("WHERE attempts.outcome IN ('error', 'skipped')"));
        assert!(!sql.contains("sample = excluded.sample"));
    }
}
