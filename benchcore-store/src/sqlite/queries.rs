//! The SQL the SQLite store runs. Every statement is static text (or built once), so each
//! connection prepares it once and reuses it from its statement cache.

use benchcore::Outcome;
use std::sync::OnceLock;

/// The columns of `runs` that [`super::store`] reads into a `RunInfo`, in order, with the
/// attempt count last.
const RUN_COLUMNS: &str = "r.id, r.spec, r.status, r.created_at_ms, r.updated_at_ms, \
     (SELECT COUNT(*) FROM attempts a WHERE a.workspace = r.workspace AND a.run_id = r.id)";

/// Creates a run in state `running`; affects no row when the id exists in the workspace.
/// Binds: workspace, id, suite, created_at_ms, spec.
pub(super) const INSERT_RUN: &str = "INSERT INTO runs \
     (workspace, id, seq, suite, status, created_at_ms, updated_at_ms, spec) \
     VALUES (?1, ?2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM runs), ?3, 'running', ?4, ?4, ?5) \
     ON CONFLICT (workspace, id) DO NOTHING";

/// Notes one agent of a run. Binds: workspace, run_id, agent.
pub(super) const INSERT_RUN_AGENT: &str =
    "INSERT OR IGNORE INTO run_agents (workspace, run_id, agent) VALUES (?1, ?2, ?3)";

/// One run. Binds: workspace, id.
pub(super) fn get_run() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        format!("SELECT {RUN_COLUMNS} FROM runs r WHERE r.workspace = ?1 AND r.id = ?2")
    })
}

/// Runs newest first, each filter applying when its bind is not NULL.
/// Binds: workspace, suite, status, agent, limit (-1 for none).
pub(super) fn list_runs() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "SELECT {RUN_COLUMNS} FROM runs r \
             WHERE r.workspace = ?1 \
               AND (?2 IS NULL OR r.suite = ?2) \
               AND (?3 IS NULL OR r.status = ?3) \
               AND (?4 IS NULL OR EXISTS (SELECT 1 FROM run_agents ra \
                    WHERE ra.workspace = r.workspace AND ra.run_id = r.id AND ra.agent = ?4)) \
             ORDER BY r.created_at_ms DESC, r.seq DESC \
             LIMIT ?5"
        )
    })
}

/// Moves a run to a state. Binds: workspace, id, status, now.
pub(super) const SET_RUN_STATUS: &str = "UPDATE runs \
     SET status = ?3, updated_at_ms = MAX(?4, created_at_ms) \
     WHERE workspace = ?1 AND id = ?2";

/// Whether a run exists. Binds: workspace, id.
pub(super) const RUN_EXISTS: &str = "SELECT 1 FROM runs WHERE workspace = ?1 AND id = ?2";

/// Every column of `attempts`, in table order; [`bind_attempt`](super::store) binds in this
/// order and [`SELECT_ATTEMPTS`](select_attempts) reads all but `workspace`.
pub(super) const ATTEMPT_COLUMNS: [&str; 25] = [
    "workspace",
    "run_id",
    "case_id",
    "agent",
    "sample",
    "outcome",
    "score",
    "error_kind",
    "error_message",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "model",
    "latency_ms",
    "ttft_ms",
    "wall_ms",
    "work_ms",
    "retries",
    "cached",
    "started_at_ms",
    "finished_at_ms",
    "artifacts_dir",
    "transcript",
    "evaluations",
    "reports",
];

/// The attempt key columns, the first after `workspace`.
const KEY_COLUMNS: usize = 5;

/// Most rows per upsert statement. A batch is written in statements of this many rows and
/// one statement for the rest, each size prepared once per connection: a call costs one
/// round trip to SQLite per 32 attempts.
pub(crate) const UPSERT_ROWS: usize = 32;

/// An upsert of `rows` attempts: a new key is inserted, and an existing row is replaced only
/// when its outcome may be replaced ([`Outcome::is_replaceable`]). SQLite applies the rows in
/// order, so repeated keys within one statement follow the same rule as separate calls. An
/// attempt of an unknown run fails the statement on the `runs` foreign key.
fn upsert_sql(rows: usize) -> String {
    let columns = ATTEMPT_COLUMNS.join(", ");
    let row = format!("({})", vec!["?"; ATTEMPT_COLUMNS.len()].join(", "));
    let values = vec![row; rows].join(", ");
    let key = ATTEMPT_COLUMNS[..KEY_COLUMNS].join(", ");
    let updates = ATTEMPT_COLUMNS[KEY_COLUMNS..]
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
    format!(
        "INSERT INTO attempts ({columns}) VALUES {values} \
         ON CONFLICT ({key}) DO UPDATE SET {updates} \
         WHERE attempts.outcome IN ({replaceable})"
    )
}

/// The upsert of `rows` attempts, for 1 ≤ `rows` ≤ [`UPSERT_ROWS`].
pub(super) fn upsert(rows: usize) -> &'static str {
    static SQL: [OnceLock<String>; UPSERT_ROWS] = [const { OnceLock::new() }; UPSERT_ROWS];
    assert!((1..=UPSERT_ROWS).contains(&rows), "upsert of {rows} rows");
    SQL[rows - 1].get_or_init(|| upsert_sql(rows))
}

/// Key and outcome of a run's attempts. Binds: workspace, run_id.
pub(super) const ATTEMPT_OUTCOMES: &str = "SELECT case_id, agent, sample, outcome \
     FROM attempts WHERE workspace = ?1 AND run_id = ?2 \
     ORDER BY case_id, agent, sample";

/// A run's attempts, whole, ordered by key.
/// Binds: workspace, run_id, agent (or NULL), outcome (or NULL), limit (-1 for none), offset.
pub(super) fn select_attempts() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "SELECT {} FROM attempts \
             WHERE workspace = ?1 AND run_id = ?2 \
               AND (?3 IS NULL OR agent = ?3) \
               AND (?4 IS NULL OR outcome = ?4) \
             ORDER BY case_id, agent, sample \
             LIMIT ?5 OFFSET ?6",
            ATTEMPT_COLUMNS[1..].join(", ")
        )
    })
}

/// A run's attempts after a key (keyset paging), whole, ordered by key: the row-value
/// comparison lets SQLite seek the primary key index to the key instead of stepping over
/// every earlier row as a deep `OFFSET` does.
/// Binds: workspace, run_id, agent (or NULL), outcome (or NULL), limit (-1 for none), offset,
/// then the key: case_id, agent, sample.
pub(super) fn select_attempts_after() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "SELECT {} FROM attempts \
             WHERE workspace = ?1 AND run_id = ?2 \
               AND (case_id, agent, sample) > (?7, ?8, ?9) \
               AND (?3 IS NULL OR agent = ?3) \
               AND (?4 IS NULL OR outcome = ?4) \
             ORDER BY case_id, agent, sample \
             LIMIT ?5 OFFSET ?6",
            ATTEMPT_COLUMNS[1..].join(", ")
        )
    })
}

/// Per-agent counts and sums, aggregated in the database so a summary of a million attempts
/// costs no memory. Columns: agent, n, passed, failed, invalid, errors, skipped, score sum and
/// count over judged attempts, input and output tokens, cost, retries, latencies recorded.
/// Binds: workspace, run_id.
pub(super) const SUMMARY_AGGREGATES: &str = "SELECT agent, COUNT(*), \
     SUM(outcome = 'passed'), SUM(outcome = 'failed'), SUM(outcome = 'invalid'), \
     SUM(outcome = 'error'), SUM(outcome = 'skipped'), \
     TOTAL(CASE WHEN outcome IN ('passed', 'failed', 'invalid') THEN score END), \
     COUNT(CASE WHEN outcome IN ('passed', 'failed', 'invalid') THEN score END), \
     SUM(input_tokens), SUM(output_tokens), TOTAL(cost_usd), SUM(retries), COUNT(latency_ms) \
     FROM attempts WHERE workspace = ?1 AND run_id = ?2 GROUP BY agent";

/// The latency at a 1-based rank among one agent's recorded latencies.
/// Binds: workspace, run_id, agent, rank.
pub(super) const LATENCY_AT_RANK: &str = "SELECT latency_ms FROM attempts \
     WHERE workspace = ?1 AND run_id = ?2 AND agent = ?3 AND latency_ms IS NOT NULL \
     ORDER BY latency_ms LIMIT 1 OFFSET ?4 - 1";

/// A cached reply and the request text it was stored for. Binds: workspace, key.
pub(super) const CACHE_GET: &str =
    "SELECT request, reply FROM response_cache WHERE workspace = ?1 AND key = ?2";

/// Stores a cached reply, replacing the entry of the same key.
/// Binds: workspace, key, request, reply, created_at_ms.
pub(super) const CACHE_PUT: &str = "INSERT INTO response_cache \
     (workspace, key, request, reply, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5) \
     ON CONFLICT (workspace, key) DO UPDATE SET \
     request = excluded.request, reply = excluded.reply, created_at_ms = excluded.created_at_ms";

/// How many cached replies a workspace has. Binds: workspace.
pub(super) const CACHE_COUNT: &str = "SELECT COUNT(*) FROM response_cache WHERE workspace = ?1";

/// Saves an agent, replacing one of the same name (its creation time kept).
/// Binds: workspace, name, kind, config_public, secret, now.
pub(super) const AGENT_SAVE: &str = "INSERT INTO saved_agents \
     (workspace, name, kind, config_public, secret, created_at_ms, updated_at_ms) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) \
     ON CONFLICT (workspace, name) DO UPDATE SET kind = excluded.kind, \
     config_public = excluded.config_public, secret = excluded.secret, \
     updated_at_ms = excluded.updated_at_ms";

/// A saved agent's public config and sealed secrets. Binds: workspace, name.
pub(super) const AGENT_LOAD: &str =
    "SELECT config_public, secret FROM saved_agents WHERE workspace = ?1 AND name = ?2";

/// A workspace's saved agents by name. Binds: workspace.
pub(super) const AGENT_LIST: &str = "SELECT name, kind, secret IS NOT NULL, created_at_ms, \
     updated_at_ms FROM saved_agents WHERE workspace = ?1 ORDER BY name";

/// Deletes a saved agent. Binds: workspace, name.
pub(super) const AGENT_DELETE: &str = "DELETE FROM saved_agents WHERE workspace = ?1 AND name = ?2";

/// Every sealed secret, across workspaces.
pub(super) const AGENT_SECRETS: &str = "SELECT workspace, name, secret FROM saved_agents \
     WHERE secret IS NOT NULL ORDER BY workspace, name";

/// Replaces a sealed secret. Binds: workspace, name, secret.
pub(super) const AGENT_RESEAL: &str =
    "UPDATE saved_agents SET secret = ?3 WHERE workspace = ?1 AND name = ?2";

/// The stored key state.
pub(super) const KEY_STATE_GET: &str =
    "SELECT fingerprint, sentinel FROM encryption_key_state WHERE id = 1";

/// Stores the key state. Binds: fingerprint, sentinel, now.
pub(super) const KEY_STATE_PUT: &str = "INSERT INTO encryption_key_state \
     (id, fingerprint, sentinel, updated_at_ms) VALUES (1, ?1, ?2, ?3) \
     ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint, \
     sentinel = excluded.sentinel, updated_at_ms = excluded.updated_at_ms";

/// The newest applied schema version.
pub(super) const SCHEMA_VERSION: &str =
    "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upsert_has_one_placeholder_per_column_and_row() {
        let sql = upsert_sql(3);
        assert_eq!(sql.matches('?').count(), 3 * ATTEMPT_COLUMNS.len());
        assert!(sql.ends_with("WHERE attempts.outcome IN ('error', 'skipped')"));
        assert!(sql.contains("ON CONFLICT (workspace, run_id, case_id, agent, sample)"));
        assert!(!sql.contains("sample = excluded.sample"));
    }
}
