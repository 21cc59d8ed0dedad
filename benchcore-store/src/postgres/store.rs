//! [`PostgresStore`]: the [`RunStore`] contract on a PostgreSQL database.

use super::{error, queries, PostgresConfig, PostgresResponseCache, MIGRATOR};
use crate::crypto::Keyring;
use crate::rows::{Backend, Reader};
use crate::vault::Rotation;
use async_trait::async_trait;
use benchcore::store::{percentile_rank, sort_by_spec_order};
use benchcore::{
    AgentSummary, AttemptKey, AttemptQuery, AttemptRecord, Outcome, RunFilter, RunInfo, RunSpec,
    RunStatus, RunStore, RunSummary, StoreCapabilities, StoreError, StoreErrorKind, Workspace,
};
use sqlx::postgres::{
    PgArguments, PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgRow, PgSslMode,
};
use sqlx::query::Query;
use sqlx::{ConnectOptions, Connection, Decode, Postgres, Row, Type};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

type PgQuery<'q> = Query<'q, Postgres, PgArguments>;

/// Runs and attempts in a PostgreSQL database (in one schema of it), shared safely by any
/// number of processes and machines.
///
/// Every call is one statement or one transaction on a pooled connection; the schema is
/// migrated on open under sqlx's advisory lock, so processes may open it at the same time.
/// See the [module docs](crate::postgres) for the schema.
pub struct PostgresStore {
    config: PostgresConfig,
    /// `postgres user@host:port/database [schema s]`: how every error message names the
    /// database. Never holds the password.
    pub(super) label: String,
    pub(super) pool: PgPool,
    /// The keys saved agents' secrets are sealed and opened with.
    pub(super) keyring: Arc<Keyring>,
    /// What opening rotated.
    rotation: Rotation,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("database", &self.label)
            .field("connections", &self.pool.size())
            .field("keyring", &self.keyring)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Opens the database a `postgres://` URL names (see [`PostgresConfig::from_url`]),
    /// creating its schema when missing and bringing it up to date.
    ///
    /// # Errors
    /// See [`open_with`](Self::open_with).
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(PostgresConfig::from_url(url)?).await
    }

    /// Opens the database `config` describes: connects, creates the schema when it is
    /// missing (and `create_schema` is on), and applies any migration the schema lacks.
    ///
    /// # Errors
    /// - `Config`: a bad setting, a missing schema with `create_schema` off, a database that
    ///   does not exist, refused credentials or TLS settings.
    /// - `Corrupt`: the schema is newer than this build or was changed by hand.
    /// - `Backend`: the server cannot be reached (the message names host, port and
    ///   database, never the password), or any other database failure.
    pub async fn open_with(config: PostgresConfig) -> Result<Self, StoreError> {
        Self::open_with_keyring(config, Keyring::none()).await
    }

    /// Opens the database `config` describes, as [`open_with`](Self::open_with) does, with
    /// the keys saved agents' secrets are sealed with. When a key is loaded and the schema
    /// has no key state yet, its fingerprint and a sentinel are stored; with
    /// [`Keyring::rotate_on_start`], every secret sealed by another key is re-encrypted under
    /// the current one first, in the same transaction, under a transaction-level advisory
    /// lock: one process rotates while the others wait, then find nothing to do.
    ///
    /// # Errors
    /// As [`open_with`](Self::open_with); and `Encryption` when a rotation meets a secret
    /// that neither key opens (nothing is changed then).
    pub async fn open_with_keyring(
        config: PostgresConfig,
        keyring: Keyring,
    ) -> Result<Self, StoreError> {
        config.validate()?;
        let label = config.label();
        let options = connect_options(&config)?;
        let timeout = Duration::from_millis(config.connect_timeout_ms);
        // Schema and migrations on a connection of their own, closed afterwards: a failed
        // migration leaves no pooled connection holding the migration lock.
        let mut conn = tokio::time::timeout(timeout, PgConnection::connect_with(&options))
            .await
            .map_err(|_| {
                StoreError::new(
                    StoreErrorKind::Backend,
                    format!(
                        "{label}: cannot connect: no answer within {} ms (is the server \
                         running and reachable?)",
                        config.connect_timeout_ms
                    ),
                )
            })?
            .map_err(|e| error::map(&label, "cannot connect", e))?;
        let prepared = match prepare_schema(&mut conn, &config, &label).await {
            Ok(()) => super::vault::prepare_keys(&mut conn, &label, &keyring).await,
            Err(e) => Err(e),
        };
        let _ = conn.close().await;
        let rotation = prepared?;
        let pool = PgPoolOptions::new()
            .max_connections(config.pool_size)
            .acquire_timeout(timeout)
            .connect_lazy_with(options);
        Ok(Self {
            config,
            label,
            pool,
            keyring: Arc::new(keyring),
            rotation,
        })
    }

    /// What opening the store rotated (nothing unless rotation was asked for).
    pub fn rotation(&self) -> Rotation {
        self.rotation
    }

    /// The settings it was opened with.
    pub fn config(&self) -> &PostgresConfig {
        &self.config
    }

    /// The newest schema migration applied to the schema.
    ///
    /// # Errors
    /// The database cannot be read.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar(queries::SCHEMA_VERSION)
            .fetch_one(&self.pool)
            .await
            .map_err(|e| self.error("cannot read the schema version", e))
    }

    /// The response cache of `workspace`, kept in the schema's `response_cache` table and
    /// sharing the store's connections.
    pub fn response_cache(&self, workspace: &Workspace) -> Arc<PostgresResponseCache> {
        Arc::new(PostgresResponseCache::new(
            workspace.clone(),
            self.label.clone(),
            self.pool.clone(),
        ))
    }

    /// Closes every connection, waiting for calls in flight. Later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(super) fn error(&self, what: &str, e: sqlx::Error) -> StoreError {
        error::map(&self.label, what, e)
    }

    pub(super) fn get<'r, T>(&self, row: &'r PgRow, index: usize) -> Result<T, StoreError>
    where
        T: Decode<'r, Postgres> + Type<Postgres>,
    {
        row.try_get(index)
            .map_err(|e| self.error("cannot read a stored value", e))
    }

    /// A `u64` column (stored as the same 64 bits in a `BIGINT`).
    pub(super) fn get_u64(&self, row: &PgRow, index: usize) -> Result<u64, StoreError> {
        Ok(self.get::<i64>(row, index)? as u64)
    }

    fn get_opt_u64(&self, row: &PgRow, index: usize) -> Result<Option<u64>, StoreError> {
        Ok(self.get::<Option<i64>>(row, index)?.map(|v| v as u64))
    }

    fn run_from_row(&self, workspace: &Workspace, row: &PgRow) -> Result<RunInfo, StoreError> {
        Reader::new(self, row).run(workspace)
    }

    /// Reads a row of [`queries::select_attempts`].
    fn attempt_from_row(&self, row: &PgRow) -> Result<AttemptRecord, StoreError> {
        Reader::new(self, row).attempt()
    }

    /// Writes a batch larger than one statement in one transaction. Returning early drops
    /// the transaction, which rolls it back: a batch is stored whole or not at all.
    async fn record_in_transaction(
        &self,
        workspace: &Workspace,
        rows: &[Encoded<'_>],
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        for chunk in rows.chunks(queries::UPSERT_ROWS) {
            upsert(workspace, chunk).execute(&mut *tx).await?;
        }
        tx.commit().await
    }

    /// The error of a failed `record_attempts`: `NotFound` naming the run when the batch
    /// names one that is not in the workspace (the foreign key refused it).
    async fn record_error(
        &self,
        workspace: &Workspace,
        attempts: &[AttemptRecord],
        what: &str,
        error: sqlx::Error,
    ) -> StoreError {
        let error = self.error(what, error);
        if error.kind() != StoreErrorKind::NotFound {
            return error;
        }
        let mut runs: Vec<&str> = attempts.iter().map(|a| a.run_id.as_str()).collect();
        runs.sort_unstable();
        runs.dedup();
        for run in runs {
            let exists = sqlx::query(queries::RUN_EXISTS)
                .bind(workspace.as_str())
                .bind(run)
                .fetch_optional(&self.pool)
                .await;
            if let Ok(None) = exists {
                let mut e = StoreError::run_not_found(workspace, run);
                e.message = format!("{}: {what}: {}", self.label, e.message);
                e.source = Some(Box::new(error));
                return e;
            }
        }
        error
    }

    fn encode<'a>(&self, record: &'a AttemptRecord) -> Result<Encoded<'a>, StoreError> {
        let what = || {
            format!(
                "cannot encode attempt {} of run {:?}",
                record.key, record.run_id
            )
        };
        let json = |value: Result<String, serde_json::Error>| {
            value
                .map(json_without_nul)
                .map_err(|e| error::encode(&self.label, &what(), e))
        };
        Ok(Encoded {
            record,
            transcript: json(serde_json::to_string(&record.transcript))?,
            evaluations: json(serde_json::to_string(&record.evaluations))?,
            reports: json(serde_json::to_string(&record.reports))?,
        })
    }
}

/// The connection settings of `config`. Everything is set explicitly, so only the password
/// (`PGPASSWORD`) and TLS files (`PGSSLROOTCERT`, …) can come from libpq's variables.
fn connect_options(config: &PostgresConfig) -> Result<PgConnectOptions, StoreError> {
    let ssl_mode: PgSslMode = config.ssl_mode.parse().map_err(|_| {
        super::config::config_error(
            "store.postgres.ssl_mode",
            format!("{:?} is not an sslmode", config.ssl_mode),
        )
    })?;
    let mut options = PgConnectOptions::new_without_pgpass()
        .port(config.port)
        .username(&config.user)
        .database(config.database.as_deref().unwrap_or(&config.user))
        .ssl_mode(ssl_mode)
        .application_name(&config.application_name);
    options = if config.host.starts_with('/') {
        options.socket(&config.host)
    } else {
        options.host(&config.host)
    };
    if let Some(password) = &config.password {
        options = options.password(password.expose());
    }
    if let Some(cert) = &config.ssl_root_cert {
        options = options.ssl_root_cert(cert);
    }
    if let Some(schema) = &config.schema {
        options = options.options([("search_path", schema)]);
    }
    Ok(options.disable_statement_logging())
}

/// Creates the configured schema when it is missing, then applies the migrations it lacks.
/// sqlx's migrator holds a PostgreSQL advisory lock while it works, so processes opening the
/// same database at once apply each migration once; creating the schema takes a lock of its
/// own for the same reason.
async fn prepare_schema(
    conn: &mut PgConnection,
    config: &PostgresConfig,
    label: &str,
) -> Result<(), StoreError> {
    if let Some(schema) = &config.schema {
        let what = format!("cannot create schema {schema}");
        let exists: bool = sqlx::query_scalar(queries::SCHEMA_EXISTS)
            .bind(schema)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| error::map(label, &what, e))?;
        if !exists {
            if !config.create_schema {
                return Err(StoreError::new(
                    StoreErrorKind::Config,
                    format!(
                        "{label}: cannot open: schema {schema} does not exist, and \
                         create_schema is off"
                    ),
                ));
            }
            let created: Result<(), sqlx::Error> = async {
                let mut tx = conn.begin().await?;
                sqlx::query(queries::LOCK_SCHEMA_CREATION)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(&queries::create_schema(schema))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await
            }
            .await;
            created.map_err(|e| error::map(label, &what, e))?;
        }
    }
    // `run_direct` on the connection itself: `run` goes through `Acquire`, whose future the
    // compiler cannot prove `Send`.
    MIGRATOR
        .run_direct(&mut *conn)
        .await
        .map_err(|e| error::map_migrate(label, e))
}

/// An attempt with its JSON columns encoded, ready to bind.
struct Encoded<'a> {
    record: &'a AttemptRecord,
    transcript: String,
    evaluations: String,
    reports: String,
}

/// A `u64` as the `BIGINT` that stores it: the same 64 bits, so every value round-trips.
fn int(value: u64) -> i64 {
    value as i64
}

/// PostgreSQL text cannot hold U+0000: it is stored as U+FFFD.
fn text_without_nul(text: &str) -> Cow<'_, str> {
    if text.contains('\0') {
        Cow::Owned(text.replace('\0', "\u{fffd}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// JSON text with every `\u0000` escape (which `jsonb` refuses) written as `\ufffd`. An
/// escaped backslash followed by `u0000` is left alone.
pub(super) fn json_without_nul(json: String) -> String {
    if !json.contains("\\u0000") {
        return json;
    }
    let mut out = String::with_capacity(json.len());
    let mut rest = json.as_str();
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let escape = &rest[at..];
        if let Some(after) = escape.strip_prefix("\\u0000") {
            out.push_str("\\ufffd");
            rest = after;
        } else {
            // A backslash and the character it escapes (always ASCII in JSON).
            let end = escape.len().min(2);
            out.push_str(&escape[..end]);
            rest = &escape[end..];
        }
    }
    out.push_str(rest);
    out
}

/// The records of a batch that change the table, one per key, sorted by key.
///
/// PostgreSQL refuses to update one row twice in a statement, so repeated keys are folded
/// here by the contract's rule, in batch order: a later record replaces an earlier one only
/// when the earlier outcome is replaceable. Upserting the folded record under the same rule
/// leaves the table as recording the batch one record at a time would. Sorting makes
/// concurrent batches lock rows in one order, so they never deadlock.
fn fold_repeated_keys(attempts: &[AttemptRecord]) -> Vec<&AttemptRecord> {
    let mut index: HashMap<(&str, &str, &str, u32), usize> = HashMap::with_capacity(attempts.len());
    let mut rows: Vec<&AttemptRecord> = Vec::with_capacity(attempts.len());
    for record in attempts {
        let key = (
            record.run_id.as_str(),
            record.key.case_id.as_str(),
            record.key.agent.as_str(),
            record.key.sample,
        );
        match index.get(&key) {
            Some(&at) => {
                if rows[at].outcome.is_replaceable() {
                    rows[at] = record;
                }
            }
            None => {
                index.insert(key, rows.len());
                rows.push(record);
            }
        }
    }
    rows.sort_by(|a, b| (&a.run_id, &a.key).cmp(&(&b.run_id, &b.key)));
    rows
}

/// The upsert of `rows` (at most [`queries::UPSERT_ROWS`]), bound as one array per column
/// in [`queries::ATTEMPT_COLUMNS`] order.
fn upsert<'q>(workspace: &'q Workspace, rows: &'q [Encoded<'q>]) -> PgQuery<'q> {
    fn column<'q, T>(rows: &'q [Encoded<'q>], f: impl Fn(&'q Encoded<'q>) -> T) -> Vec<T> {
        rows.iter().map(f).collect()
    }
    let text = |value: &'q Option<String>| value.as_deref().map(text_without_nul);
    sqlx::query(queries::upsert())
        .bind(workspace.as_str())
        .bind(column(rows, |r| r.record.run_id.as_str()))
        .bind(column(rows, |r| r.record.key.case_id.as_str()))
        .bind(column(rows, |r| r.record.key.agent.as_str()))
        .bind(column(rows, |r| i64::from(r.record.key.sample)))
        .bind(column(rows, |r| r.record.outcome.as_str()))
        .bind(column(rows, |r| r.record.score))
        .bind(column(rows, |r| {
            r.record.failure.as_ref().map(|f| text_without_nul(&f.kind))
        }))
        .bind(column(rows, |r| {
            r.record
                .failure
                .as_ref()
                .map(|f| text_without_nul(&f.message))
        }))
        .bind(column(rows, |r| int(r.record.usage.input_tokens)))
        .bind(column(rows, |r| int(r.record.usage.output_tokens)))
        .bind(column(rows, |r| r.record.cost_usd))
        .bind(column(rows, |r| text(&r.record.model)))
        .bind(column(rows, |r| r.record.latency_ms.map(int)))
        .bind(column(rows, |r| r.record.ttft_ms.map(int)))
        .bind(column(rows, |r| int(r.record.wall_ms)))
        .bind(column(rows, |r| int(r.record.work_ms)))
        .bind(column(rows, |r| i64::from(r.record.retries)))
        .bind(column(rows, |r| r.record.cached))
        .bind(column(rows, |r| int(r.record.started_at_ms)))
        .bind(column(rows, |r| int(r.record.finished_at_ms)))
        .bind(column(rows, |r| text(&r.record.artifacts_dir)))
        .bind(column(rows, |r| r.transcript.as_str()))
        .bind(column(rows, |r| r.evaluations.as_str()))
        .bind(column(rows, |r| r.reports.as_str()))
}

/// `LIMIT` for an optional count: NULL means none to PostgreSQL.
fn limit(count: Option<usize>) -> Option<i64> {
    count.map(|n| i64::try_from(n).unwrap_or(i64::MAX))
}

#[async_trait]
impl RunStore for PostgresStore {
    fn capabilities(&self) -> StoreCapabilities {
        let mut capabilities = StoreCapabilities::default();
        capabilities.persistent = true;
        capabilities.concurrent_writers = true;
        capabilities.response_cache = true;
        capabilities.encryption = true;
        capabilities.work_queue = true;
        capabilities
    }

    async fn create_run(
        &self,
        workspace: &Workspace,
        run_id: &str,
        spec: &RunSpec,
    ) -> Result<(), StoreError> {
        let what = || format!("cannot create run {run_id:?}");
        let json = serde_json::to_string(spec)
            .map(json_without_nul)
            .map_err(|e| error::encode(&self.label, &what(), e))?;
        let agents: Vec<&str> = spec.agents.iter().map(|a| a.name.as_str()).collect();
        let created: i64 = sqlx::query_scalar(queries::INSERT_RUN)
            .bind(workspace.as_str())
            .bind(run_id)
            .bind(spec.suite.name.as_str())
            .bind(int(benchcore::now_ms()))
            .bind(json.as_str())
            .bind(agents)
            .fetch_one(&self.pool)
            .await
            .map_err(|e| self.error(&what(), e))?;
        if created == 0 {
            return Err(StoreError::new(
                StoreErrorKind::Conflict,
                format!(
                    "{}: {}: it exists already in workspace {:?}",
                    self.label,
                    what(),
                    workspace.as_str()
                ),
            ));
        }
        Ok(())
    }

    async fn get_run(
        &self,
        workspace: &Workspace,
        run_id: &str,
    ) -> Result<Option<RunInfo>, StoreError> {
        let row = sqlx::query(queries::get_run())
            .bind(workspace.as_str())
            .bind(run_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.error(&format!("cannot read run {run_id:?}"), e))?;
        row.map(|row| self.run_from_row(workspace, &row))
            .transpose()
    }

    async fn list_runs(
        &self,
        workspace: &Workspace,
        filter: &RunFilter,
    ) -> Result<Vec<RunInfo>, StoreError> {
        sqlx::query(queries::list_runs())
            .bind(workspace.as_str())
            .bind(filter.suite.as_deref())
            .bind(filter.status.map(RunStatus::as_str))
            .bind(filter.agent.as_deref())
            .bind(limit(filter.limit))
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.error("cannot list runs", e))?
            .iter()
            .map(|row| self.run_from_row(workspace, row))
            .collect()
    }

    async fn set_run_status(
        &self,
        workspace: &Workspace,
        run_id: &str,
        status: RunStatus,
    ) -> Result<(), StoreError> {
        let updated = sqlx::query(queries::SET_RUN_STATUS)
            .bind(workspace.as_str())
            .bind(run_id)
            .bind(status.as_str())
            .bind(int(benchcore::now_ms()))
            .execute(&self.pool)
            .await
            .map_err(|e| self.error(&format!("cannot set the status of run {run_id:?}"), e))?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::run_not_found(workspace, run_id));
        }
        Ok(())
    }

    async fn record_attempts(
        &self,
        workspace: &Workspace,
        attempts: &[AttemptRecord],
    ) -> Result<(), StoreError> {
        if attempts.is_empty() {
            return Ok(());
        }
        let rows = fold_repeated_keys(attempts)
            .into_iter()
            .map(|a| self.encode(a))
            .collect::<Result<Vec<_>, _>>()?;
        let what = || {
            format!(
                "cannot record {} attempts in workspace {:?}",
                attempts.len(),
                workspace.as_str()
            )
        };
        let written = if rows.len() <= queries::UPSERT_ROWS {
            // One statement is atomic by itself: no transaction round trips.
            upsert(workspace, &rows).execute(&self.pool).await.map(drop)
        } else {
            self.record_in_transaction(workspace, &rows).await
        };
        match written {
            Ok(()) => Ok(()),
            Err(e) => Err(self.record_error(workspace, attempts, &what(), e).await),
        }
    }

    async fn attempt_outcomes(
        &self,
        workspace: &Workspace,
        run_id: &str,
    ) -> Result<Vec<(AttemptKey, Outcome)>, StoreError> {
        sqlx::query(queries::ATTEMPT_OUTCOMES)
            .bind(workspace.as_str())
            .bind(run_id)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.error(&format!("cannot read the outcomes of run {run_id:?}"), e))?
            .iter()
            .map(|row| {
                let r = Reader::new(self, row);
                let key = AttemptKey::new(
                    r.string(0)?,
                    r.string(1)?,
                    r.u32(2, "cannot read an attempt's sample")?,
                );
                Ok((key, r.outcome(3)?))
            })
            .collect()
    }

    async fn attempts(
        &self,
        workspace: &Workspace,
        run_id: &str,
        query: &AttemptQuery,
    ) -> Result<Vec<AttemptRecord>, StoreError> {
        let sql = match query.after {
            Some(_) => queries::select_attempts_after(),
            None => queries::select_attempts(),
        };
        let mut select = sqlx::query(sql)
            .bind(workspace.as_str())
            .bind(run_id)
            .bind(query.agent.as_deref())
            .bind(query.outcome.map(Outcome::as_str))
            .bind(limit(query.limit))
            .bind(i64::try_from(query.offset).unwrap_or(i64::MAX));
        if let Some(after) = &query.after {
            select = select
                .bind(after.case_id.as_str())
                .bind(after.agent.as_str())
                .bind(i64::from(after.sample));
        }
        select
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.error(&format!("cannot read the attempts of run {run_id:?}"), e))?
            .iter()
            .map(|row| self.attempt_from_row(row))
            .collect()
    }

    async fn summarize(
        &self,
        workspace: &Workspace,
        run_id: &str,
    ) -> Result<RunSummary, StoreError> {
        let what = || format!("cannot summarize run {run_id:?}");
        // One snapshot for the run, its aggregates and its percentiles.
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await
            .map_err(|e| self.error(&what(), e))?;
        let run = sqlx::query(queries::get_run())
            .bind(workspace.as_str())
            .bind(run_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| self.error(&what(), e))?
            .map(|row| self.run_from_row(workspace, &row))
            .transpose()?
            .ok_or_else(|| StoreError::run_not_found(workspace, run_id))?;
        let rows = sqlx::query(queries::SUMMARY_AGGREGATES)
            .bind(workspace.as_str())
            .bind(run_id)
            .fetch_all(&mut *tx)
            .await
            .map_err(|e| self.error(&what(), e))?;
        let mut agents = Vec::with_capacity(rows.len());
        // (agent index, percentile slot, rank) of every percentile to look up.
        let mut wanted: Vec<(usize, usize, u64)> = Vec::new();
        for row in &rows {
            let mut summary = AgentSummary::default();
            summary.agent = self.get::<String>(row, 0)?;
            summary.n = self.get_u64(row, 1)?;
            summary.passed = self.get_u64(row, 2)?;
            summary.failed = self.get_u64(row, 3)?;
            summary.invalid = self.get_u64(row, 4)?;
            summary.errors = self.get_u64(row, 5)?;
            summary.skipped = self.get_u64(row, 6)?;
            let score_sum: f64 = self.get(row, 7)?;
            let scored = self.get_u64(row, 8)?;
            summary.input_tokens = self.get_u64(row, 9)?;
            summary.output_tokens = self.get_u64(row, 10)?;
            summary.cost_usd = self.get(row, 11)?;
            summary.retries = self.get_u64(row, 12)?;
            let latencies = self.get_u64(row, 13)?;
            summary.derive_rates(score_sum, scored);
            for (slot, p) in [0.50, 0.95].into_iter().enumerate() {
                if let Some(rank) = percentile_rank(latencies, p) {
                    wanted.push((agents.len(), slot, rank));
                }
            }
            agents.push(summary);
        }
        if !wanted.is_empty() {
            let names: Vec<&str> = wanted
                .iter()
                .map(|(agent, _, _)| agents[*agent].agent.as_str())
                .collect();
            let ranks: Vec<i64> = wanted.iter().map(|(_, _, rank)| int(*rank)).collect();
            let found = sqlx::query(queries::LATENCIES_AT_RANKS)
                .bind(workspace.as_str())
                .bind(run_id)
                .bind(names)
                .bind(ranks)
                .fetch_all(&mut *tx)
                .await
                .map_err(|e| self.error(&what(), e))?;
            let mut latency_at: HashMap<(String, u64), Option<u64>> = HashMap::new();
            for row in &found {
                latency_at.insert(
                    (self.get::<String>(row, 0)?, self.get_u64(row, 1)?),
                    self.get_opt_u64(row, 2)?,
                );
            }
            for (agent, slot, rank) in wanted {
                let summary = &mut agents[agent];
                let latency = latency_at
                    .get(&(summary.agent.clone(), rank))
                    .copied()
                    .flatten();
                match slot {
                    0 => summary.latency_p50_ms = latency,
                    _ => summary.latency_p95_ms = latency,
                }
            }
        }
        tx.commit().await.map_err(|e| self.error(&what(), e))?;

        let order: Vec<String> = run.spec.agents.iter().map(|a| a.name.clone()).collect();
        sort_by_spec_order(&mut agents, &order);
        Ok(RunSummary::new(run_id, run.total(), agents))
    }

    async fn record_metrics(
        &self,
        workspace: &Workspace,
        run_id: &str,
        metrics: &[benchcore::store::MetricRecord],
    ) -> Result<(), StoreError> {
        self.record_metrics_sql(workspace, run_id, metrics).await
    }

    async fn metrics(
        &self,
        workspace: &Workspace,
        run_id: &str,
    ) -> Result<Vec<benchcore::store::MetricRecord>, StoreError> {
        self.metrics_sql(workspace, run_id).await
    }
}

impl Backend for PostgresStore {
    fn sql_error(&self, what: &str, e: sqlx::Error) -> StoreError {
        self.error(what, e)
    }

    fn corrupt(&self, what: &str, e: serde_json::Error) -> StoreError {
        error::corrupt(&self.label, what, e)
    }

    fn invalid(&self, what: &str, detail: &str) -> StoreError {
        error::invalid(&self.label, what, detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn public_futures_are_send() {
        let open = PostgresStore::open("postgres://nobody@127.0.0.1:1/none");
        assert_send(&open);
        let open = PostgresConfig::default().open();
        assert_send(&open);
        let open = crate::open("postgres://nobody@127.0.0.1:1/none");
        assert_send(&open);
    }

    #[test]
    fn nul_escapes_become_replacement_characters() {
        let json =
            serde_json::to_string(&serde_json::json!({"a": "x\0y", "b": "\\u0000"})).unwrap();
        let clean = json_without_nul(json);
        let value: serde_json::Value = serde_json::from_str(&clean).unwrap();
        assert_eq!(value["a"], "x\u{fffd}y");
        assert_eq!(
            value["b"], "\\u0000",
            "an escaped backslash was taken for an escape"
        );
        assert_eq!(json_without_nul("{\"a\":1}".into()), "{\"a\":1}");
        assert_eq!(text_without_nul("a\0b"), "a\u{fffd}b");
    }

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
