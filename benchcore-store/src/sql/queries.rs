//! The SQL both backends run, written once. Placeholders are `$n` (SQLite reads `$n` as the
//! n-th bound value too), limits and optional filters are bound values, and every type
//! conversion is a `CAST` both databases know. The one thing written differently is how a
//! JSON column is written and read (PostgreSQL keeps `JSONB`, SQLite text): each backend gives
//! the casts, and [`Queries::new`] builds every statement once per backend. Statements are
//! then static text, so each connection prepares each one once.

use super::account_queries::AccountQueries;
use benchcore::Outcome;

/// How a backend writes and reads a JSON column.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Json {
    /// Added after a bound value that goes into a JSON column (`::jsonb`, or nothing).
    pub(crate) value_cast: &'static str,
    /// Added after a JSON column read as text (`::text`, or nothing).
    pub(crate) column_cast: &'static str,
}

impl Json {
    /// JSON kept as text: no casts.
    pub(crate) const TEXT: Self = Self {
        value_cast: "",
        column_cast: "",
    };
}

/// Every column of `attempts` after `workspace`, in table order; the upserts bind in this
/// order and [`Queries::select_attempts`] reads in this order. `true` marks JSON columns.
pub(crate) const ATTEMPT_COLUMNS: [(&str, bool); 24] = [
    ("run_id", false),
    ("case_id", false),
    ("agent", false),
    ("sample", false),
    ("outcome", false),
    ("score", false),
    ("error_kind", false),
    ("error_message", false),
    ("input_tokens", false),
    ("output_tokens", false),
    ("cost_usd", false),
    ("model", false),
    ("latency_ms", false),
    ("ttft_ms", false),
    ("wall_ms", false),
    ("work_ms", false),
    ("retries", false),
    ("cached", false),
    ("started_at_ms", false),
    ("finished_at_ms", false),
    ("artifacts_dir", false),
    ("transcript", true),
    ("evaluations", true),
    ("reports", true),
];

/// The attempt key columns after `workspace`: run, case, agent, sample.
pub(crate) const KEY_COLUMNS: usize = 4;

/// `SET c = excluded.c, …` for every attempt column after the key, and the condition that
/// keeps judged outcomes: a stored row is replaced only when its outcome may be
/// ([`Outcome::is_replaceable`]). Both backends' attempt upserts end with this.
pub(crate) fn attempt_conflict_update() -> String {
    let updates = ATTEMPT_COLUMNS[KEY_COLUMNS..]
        .iter()
        .map(|(c, _)| format!("{c} = excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let key = ATTEMPT_COLUMNS[..KEY_COLUMNS]
        .iter()
        .map(|(c, _)| *c)
        .collect::<Vec<_>>()
        .join(", ");
    let replaceable = Outcome::ALL
        .into_iter()
        .filter(|o| o.is_replaceable())
        .map(|o| format!("'{}'", o.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "ON CONFLICT (workspace, {key}) DO UPDATE SET {updates} \
         WHERE attempts.outcome IN ({replaceable})"
    )
}

/// The statements both backends run, in one backend's JSON casts.
#[derive(Debug)]
pub(crate) struct Queries {
    /// One run. Binds: workspace, id. Columns: id, spec, status, created, updated, recorded.
    pub(crate) get_run: String,
    /// Runs newest first, each filter applying when its bind is not NULL.
    /// Binds: workspace, suite, status, agent, limit.
    pub(crate) list_runs: String,
    /// Moves a run to a state. Binds: workspace, id, status, now.
    pub(crate) set_run_status: &'static str,
    /// Replaces a run's spec. Binds: workspace, id, spec (JSON).
    pub(crate) set_run_spec: String,
    /// Deletes a run; the foreign keys (`ON DELETE CASCADE`) of every table keyed by run
    /// (run agents, attempts, metrics, and on PostgreSQL the work queue and the limit board)
    /// delete its rows in the same statement. Binds: workspace, id.
    pub(crate) delete_run: &'static str,
    /// Whether a run exists. Binds: workspace, id.
    pub(crate) run_exists: &'static str,
    /// Notes one agent of a run. Binds: workspace, run_id, agent.
    pub(crate) insert_run_agent: &'static str,
    /// Key and outcome of a run's attempts. Binds: workspace, run_id.
    pub(crate) attempt_outcomes: &'static str,
    /// A run's attempts, whole, ordered by key (byte order on both backends).
    /// Binds: workspace, run_id, agent (or NULL), outcome (or NULL), limit, offset.
    pub(crate) select_attempts: String,
    /// As [`select_attempts`](Self::select_attempts), after a key (keyset paging): the row
    /// comparison seeks the primary key index, so a deep page costs what the first does.
    /// Binds: as `select_attempts`, then the key: case_id, agent, sample.
    pub(crate) select_attempts_after: String,
    /// Counts and sums per agent and latency, aggregated in the database so a summary of ten
    /// million attempts is one scan and costs no memory; the caller adds an agent's groups up
    /// and takes its percentiles from the groups' latencies and counts. Columns: agent,
    /// latency_ms (NULL for attempts without one), n, passed, failed, invalid, errors,
    /// skipped, score sum and count over judged attempts, input and output tokens, cost,
    /// retries. Binds: workspace, run_id.
    pub(crate) summary_aggregates: &'static str,
    /// How many attempts took each latency, per agent, ordered by agent then latency.
    /// Columns: agent, latency_ms, count. Binds: workspace, run_id.
    pub(crate) latency_counts: &'static str,
    /// A cached reply and the request text it was stored for. Binds: workspace, key.
    pub(crate) cache_get: String,
    /// Stores a cached reply, replacing the entry of the same key.
    /// Binds: workspace, key, request, reply (JSON), created_at_ms.
    pub(crate) cache_put: String,
    /// How many cached replies a workspace has. Binds: workspace.
    pub(crate) cache_count: &'static str,
    /// Upserts a quality metric. Binds: workspace, run_id, case_id, agent, sample, metric,
    /// score, label, rationale, details (JSON or NULL), computed_at_ms.
    pub(crate) metric_upsert: String,
    /// A run's metrics by key and name. Binds: workspace, run_id.
    pub(crate) metric_select: String,
    /// Saves an agent, replacing one of the same name (its creation time kept).
    /// Binds: workspace, name, kind, config_public (JSON), secret, now.
    pub(crate) agent_save: String,
    /// A saved agent's public config and sealed secrets. Binds: workspace, name.
    pub(crate) agent_load: String,
    /// A workspace's saved agents by name. Binds: workspace.
    pub(crate) agent_list: &'static str,
    /// Deletes a saved agent. Binds: workspace, name.
    pub(crate) agent_delete: &'static str,
    /// Every sealed secret, across workspaces.
    pub(crate) agent_secrets: &'static str,
    /// Replaces a sealed secret. Binds: workspace, name, secret.
    pub(crate) agent_reseal: &'static str,
    /// The stored key state.
    pub(crate) key_state_get: &'static str,
    /// Stores the key state. Binds: fingerprint, sentinel, now.
    pub(crate) key_state_put: &'static str,
    /// The newest applied schema version.
    pub(crate) schema_version: &'static str,
    /// The statements of the accounts store.
    pub(crate) accounts: AccountQueries,
}

/// The columns of `runs` read into a `RunInfo`, with the attempt count last.
fn run_columns(json: Json) -> String {
    format!(
        "r.id, r.spec{}, r.status, r.created_at_ms, r.updated_at_ms, \
         (SELECT COUNT(*) FROM attempts a WHERE a.workspace = r.workspace AND a.run_id = r.id)",
        json.column_cast
    )
}

/// A run's attempts with `condition` added, for the two attempt reads.
fn select_attempts(json: Json, condition: &str) -> String {
    let columns = ATTEMPT_COLUMNS
        .iter()
        .map(|(name, is_json)| match is_json {
            true => format!("{name}{}", json.column_cast),
            false => (*name).to_owned(),
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT {columns} FROM attempts \
         WHERE workspace = $1 AND run_id = $2{condition} \
           AND (CAST($3 AS TEXT) IS NULL OR agent = $3) \
           AND (CAST($4 AS TEXT) IS NULL OR outcome = $4) \
         ORDER BY case_id, agent, sample \
         LIMIT $5 OFFSET $6"
    )
}

impl Queries {
    /// Every statement, with `json`'s casts.
    pub(crate) fn new(json: Json) -> Self {
        let run_columns = run_columns(json);
        let value = json.value_cast;
        let column = json.column_cast;
        Self {
            get_run: format!(
                "SELECT {run_columns} FROM runs r WHERE r.workspace = $1 AND r.id = $2"
            ),
            list_runs: format!(
                "SELECT {run_columns} FROM runs r \
                 WHERE r.workspace = $1 \
                   AND (CAST($2 AS TEXT) IS NULL OR r.suite = $2) \
                   AND (CAST($3 AS TEXT) IS NULL OR r.status = $3) \
                   AND (CAST($4 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM run_agents ra \
                        WHERE ra.workspace = r.workspace AND ra.run_id = r.id \
                          AND ra.agent = $4)) \
                 ORDER BY r.created_at_ms DESC, r.seq DESC \
                 LIMIT $5"
            ),
            set_run_status: "UPDATE runs SET status = $3, \
                 updated_at_ms = CASE WHEN $4 > created_at_ms THEN $4 ELSE created_at_ms END \
                 WHERE workspace = $1 AND id = $2",
            set_run_spec: format!(
                "UPDATE runs SET spec = $3{value} WHERE workspace = $1 AND id = $2"
            ),
            delete_run: "DELETE FROM runs WHERE workspace = $1 AND id = $2",
            run_exists: "SELECT 1 FROM runs WHERE workspace = $1 AND id = $2",
            insert_run_agent: "INSERT INTO run_agents (workspace, run_id, agent) \
                 VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            attempt_outcomes: "SELECT case_id, agent, sample, outcome FROM attempts \
                 WHERE workspace = $1 AND run_id = $2 ORDER BY case_id, agent, sample",
            select_attempts: select_attempts(json, ""),
            select_attempts_after: select_attempts(
                json,
                " AND (case_id, agent, sample) > \
                 (CAST($7 AS TEXT), CAST($8 AS TEXT), CAST($9 AS BIGINT))",
            ),
            summary_aggregates: "SELECT agent, latency_ms, COUNT(*), \
                 SUM(CASE WHEN outcome = 'passed' THEN 1 ELSE 0 END), \
                 SUM(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END), \
                 SUM(CASE WHEN outcome = 'invalid' THEN 1 ELSE 0 END), \
                 SUM(CASE WHEN outcome = 'error' THEN 1 ELSE 0 END), \
                 SUM(CASE WHEN outcome = 'skipped' THEN 1 ELSE 0 END), \
                 COALESCE(SUM(CASE WHEN outcome IN ('passed', 'failed', 'invalid') \
                     THEN score END), 0.0), \
                 COUNT(CASE WHEN outcome IN ('passed', 'failed', 'invalid') THEN score END), \
                 CAST(SUM(input_tokens) AS BIGINT), CAST(SUM(output_tokens) AS BIGINT), \
                 COALESCE(SUM(cost_usd), 0.0), CAST(SUM(retries) AS BIGINT) \
                 FROM attempts WHERE workspace = $1 AND run_id = $2 \
                 GROUP BY agent, latency_ms",
            latency_counts: "SELECT agent, latency_ms, COUNT(*) FROM attempts \
                 WHERE workspace = $1 AND run_id = $2 AND latency_ms IS NOT NULL \
                 GROUP BY agent, latency_ms ORDER BY agent, latency_ms",
            cache_get: format!(
                "SELECT request, reply{column} FROM response_cache \
                 WHERE workspace = $1 AND key = $2"
            ),
            cache_put: format!(
                "INSERT INTO response_cache (workspace, key, request, reply, created_at_ms) \
                 VALUES ($1, $2, $3, $4{value}, $5) \
                 ON CONFLICT (workspace, key) DO UPDATE SET request = excluded.request, \
                 reply = excluded.reply, created_at_ms = excluded.created_at_ms"
            ),
            cache_count: "SELECT COUNT(*) FROM response_cache WHERE workspace = $1",
            metric_upsert: format!(
                "INSERT INTO attempt_metrics (workspace, run_id, case_id, agent, sample, \
                 metric, score, label, rationale, details, computed_at_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10{value}, $11) \
                 ON CONFLICT (workspace, run_id, case_id, agent, sample, metric) DO UPDATE \
                 SET score = excluded.score, label = excluded.label, \
                 rationale = excluded.rationale, details = excluded.details, \
                 computed_at_ms = excluded.computed_at_ms"
            ),
            metric_select: format!(
                "SELECT case_id, agent, sample, metric, score, label, rationale, \
                 details{column}, computed_at_ms FROM attempt_metrics \
                 WHERE workspace = $1 AND run_id = $2 \
                 ORDER BY case_id, agent, sample, metric"
            ),
            agent_save: format!(
                "INSERT INTO saved_agents (workspace, name, kind, config_public, secret, \
                 created_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4{value}, $5, $6, $6) \
                 ON CONFLICT (workspace, name) DO UPDATE SET kind = excluded.kind, \
                 config_public = excluded.config_public, secret = excluded.secret, \
                 updated_at_ms = excluded.updated_at_ms"
            ),
            agent_load: format!(
                "SELECT config_public{column}, secret FROM saved_agents \
                 WHERE workspace = $1 AND name = $2"
            ),
            agent_list: "SELECT name, kind, secret IS NOT NULL, created_at_ms, updated_at_ms \
                 FROM saved_agents WHERE workspace = $1 ORDER BY name",
            agent_delete: "DELETE FROM saved_agents WHERE workspace = $1 AND name = $2",
            agent_secrets: "SELECT workspace, name, secret FROM saved_agents \
                 WHERE secret IS NOT NULL ORDER BY workspace, name",
            agent_reseal: "UPDATE saved_agents SET secret = $3 \
                 WHERE workspace = $1 AND name = $2",
            key_state_get: "SELECT fingerprint, sentinel FROM encryption_key_state WHERE id = 1",
            key_state_put: "INSERT INTO encryption_key_state \
                 (id, fingerprint, sentinel, updated_at_ms) VALUES (1, $1, $2, $3) \
                 ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint, \
                 sentinel = excluded.sentinel, updated_at_ms = excluded.updated_at_ms",
            schema_version: "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) \
                 FROM _sqlx_migrations WHERE success",
            accounts: AccountQueries::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PG: Json = Json {
        value_cast: "::jsonb",
        column_cast: "::text",
    };

    #[test]
    fn json_columns_take_the_backends_casts() {
        let q = Queries::new(PG);
        assert!(q
            .select_attempts
            .contains("transcript::text, evaluations::text"));
        assert!(q.cache_put.contains("$4::jsonb"), "{}", q.cache_put);
        let plain = Queries::new(Json {
            value_cast: "",
            column_cast: "",
        });
        assert!(
            !plain.select_attempts.contains("::"),
            "{}",
            plain.select_attempts
        );
        assert!(plain.select_attempts_after.contains("> (CAST($7 AS TEXT)"));
    }

    #[test]
    fn the_conflict_update_keeps_judged_outcomes() {
        let sql = attempt_conflict_update();
        assert!(sql.starts_with("ON CONFLICT (workspace, run_id, case_id, agent, sample)"));
        assert!(sql.ends_with("WHERE attempts.outcome IN ('error', 'skipped')"));
        assert!(!sql.contains("sample = excluded.sample"));
    }
}
