//! [`SqliteStore`]: the [`RunStore`] contract on one SQLite file.

use super::{error, queries, SqliteResponseCache, MIGRATOR};
use crate::crypto::Keyring;
use crate::rows::{Backend, Reader};
use crate::vault::Rotation;
use crate::SqliteConfig;
use async_trait::async_trait;
use benchcore::store::{percentile_rank, sort_by_spec_order};
use benchcore::{
    AgentSummary, AttemptKey, AttemptQuery, AttemptRecord, Outcome, RunFilter, RunInfo, RunSpec,
    RunStatus, RunStore, RunSummary, StoreCapabilities, StoreError, StoreErrorKind, Workspace,
};
use sqlx::query::Query;
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Decode, Row, Sqlite, Type};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

type SqliteQuery<'q> = Query<'q, Sqlite, SqliteArguments<'q>>;

/// Runs and attempts in one SQLite file, in WAL mode, shared safely by several processes.
///
/// Writes go through one connection, each call one transaction; reads use a pool of their
/// own, so they never wait for a write. See the [module docs](crate::sqlite) for the schema.
pub struct SqliteStore {
    path: PathBuf,
    /// `sqlite <path>`: how every error message names the database.
    pub(super) label: String,
    pub(super) writer: SqlitePool,
    pub(super) reader: SqlitePool,
    /// The keys saved agents' secrets are sealed and opened with.
    pub(super) keyring: Arc<Keyring>,
    /// What opening rotated.
    rotation: Rotation,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .field("read_connections", &self.reader.size())
            .field("keyring", &self.keyring)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens the database file at `path` with default settings, creating it (and its folder)
    /// when missing and bringing its schema up to date.
    ///
    /// # Errors
    /// See [`open_with`](Self::open_with).
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(SqliteConfig::new(path.as_ref())).await
    }

    /// Opens the database `config` describes and applies any schema migration it lacks.
    ///
    /// # Errors
    /// - `Config`: a bad setting, a missing file with `create_if_missing` off, or a file or
    ///   folder that cannot be opened or created.
    /// - `Corrupt`: the file is not a SQLite database, or its schema is newer than this build
    ///   or was changed by hand.
    /// - `Backend`: any other database failure.
    pub async fn open_with(config: SqliteConfig) -> Result<Self, StoreError> {
        Self::open_with_keyring(config, Keyring::none()).await
    }

    /// Opens the database `config` describes, as [`open_with`](Self::open_with) does, with
    /// the keys saved agents' secrets are sealed with. When a key is loaded and the file has
    /// no key state yet, its fingerprint and a sentinel are stored; with
    /// [`Keyring::rotate_on_start`], every secret sealed by another key is re-encrypted under
    /// the current one first, in the same `BEGIN IMMEDIATE` transaction (a second open finds
    /// nothing to do).
    ///
    /// # Errors
    /// As [`open_with`](Self::open_with); and `Encryption` when a rotation meets a secret
    /// that neither key opens (nothing is changed then).
    pub async fn open_with_keyring(
        config: SqliteConfig,
        keyring: Keyring,
    ) -> Result<Self, StoreError> {
        config.validate()?;
        let path = config.path.clone();
        let label = format!("sqlite {}", path.display());
        if config.create_if_missing {
            if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(folder).map_err(|e| {
                    let mut err = StoreError::backend(
                        format!("{label}: cannot create folder {}: {e}", folder.display()),
                        e,
                    );
                    err.kind = StoreErrorKind::Config;
                    err
                })?;
            }
        } else if !path.exists() {
            return Err(StoreError::new(
                StoreErrorKind::Config,
                format!("{label}: cannot open: no such file, and create_if_missing is off"),
            ));
        }
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(config.create_if_missing)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_millis(config.busy_timeout_ms))
            .foreign_keys(true)
            .disable_statement_logging();
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options.clone())
            .await
            .map_err(|e| error::map(&label, "cannot open", e))?;
        if let Err(first) = MIGRATOR.run(&writer).await {
            // Another process may have been creating the same new file at the same moment;
            // its migrations are applied now, so a second pass finds nothing to do.
            if MIGRATOR.run(&writer).await.is_err() {
                writer.close().await;
                return Err(error::map_migrate(&label, first));
            }
        }
        let rotation = match super::vault::prepare_keys(&writer, &label, &keyring).await {
            Ok(rotation) => rotation,
            Err(e) => {
                writer.close().await;
                return Err(e);
            }
        };
        let reader = SqlitePoolOptions::new()
            .max_connections(config.pool_size)
            .connect_lazy_with(options.create_if_missing(false));
        Ok(Self {
            path,
            label,
            writer,
            reader,
            keyring: Arc::new(keyring),
            rotation,
        })
    }

    /// What opening the store rotated (nothing unless rotation was asked for).
    pub fn rotation(&self) -> Rotation {
        self.rotation
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The newest schema migration applied to the file.
    ///
    /// # Errors
    /// The database cannot be read.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar(queries::SCHEMA_VERSION)
            .fetch_one(&self.reader)
            .await
            .map_err(|e| self.error("cannot read the schema version", e))
    }

    /// The response cache of `workspace`, kept in this file's `response_cache` table and
    /// sharing the store's connections.
    pub fn response_cache(&self, workspace: &Workspace) -> Arc<SqliteResponseCache> {
        Arc::new(SqliteResponseCache::new(
            workspace.clone(),
            self.label.clone(),
            self.writer.clone(),
            self.reader.clone(),
        ))
    }

    /// Closes every connection, waiting for writes in flight. Later calls fail.
    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }

    pub(super) fn error(&self, what: &str, e: sqlx::Error) -> StoreError {
        error::map(&self.label, what, e)
    }

    pub(super) fn get<'r, T>(&self, row: &'r SqliteRow, index: usize) -> Result<T, StoreError>
    where
        T: Decode<'r, Sqlite> + Type<Sqlite>,
    {
        row.try_get(index)
            .map_err(|e| self.error("cannot read a stored value", e))
    }

    /// A `u64` column (stored as the same 64 bits in an `INTEGER`).
    pub(super) fn get_u64(&self, row: &SqliteRow, index: usize) -> Result<u64, StoreError> {
        Ok(self.get::<i64>(row, index)? as u64)
    }

    fn get_opt_u64(&self, row: &SqliteRow, index: usize) -> Result<Option<u64>, StoreError> {
        Ok(self.get::<Option<i64>>(row, index)?.map(|v| v as u64))
    }

    fn run_from_row(&self, workspace: &Workspace, row: &SqliteRow) -> Result<RunInfo, StoreError> {
        Reader::new(self, row).run(workspace)
    }

    /// Reads a row of [`queries::select_attempts`].
    fn attempt_from_row(&self, row: &SqliteRow) -> Result<AttemptRecord, StoreError> {
        Reader::new(self, row).attempt()
    }

    /// Writes a batch of several statements in one transaction. IMMEDIATE takes the write
    /// lock at once, waiting out other processes' writes with the busy timeout. Returning
    /// early drops the transaction, which rolls it back: a batch is stored whole or not at all.
    async fn record_in_transaction(
        &self,
        workspace: &Workspace,
        rows: &[Encoded<'_>],
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
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
                .fetch_optional(&self.reader)
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
            value.map_err(|e| error::encode(&self.label, &what(), e))
        };
        Ok(Encoded {
            record,
            transcript: json(serde_json::to_string(&record.transcript))?,
            evaluations: json(serde_json::to_string(&record.evaluations))?,
            reports: json(serde_json::to_string(&record.reports))?,
        })
    }
}

/// An attempt with its JSON columns encoded, ready to bind.
struct Encoded<'a> {
    record: &'a AttemptRecord,
    transcript: String,
    evaluations: String,
    reports: String,
}

/// A `u64` as the `INTEGER` that stores it: the same 64 bits, so every value round-trips.
fn int(value: u64) -> i64 {
    value as i64
}

/// Binds one attempt's values in [`queries::ATTEMPT_COLUMNS`] order.
fn bind_attempt<'q>(
    query: SqliteQuery<'q>,
    workspace: &'q str,
    row: &'q Encoded<'q>,
) -> SqliteQuery<'q> {
    let r = row.record;
    query
        .bind(workspace)
        .bind(r.run_id.as_str())
        .bind(r.key.case_id.as_str())
        .bind(r.key.agent.as_str())
        .bind(i64::from(r.key.sample))
        .bind(r.outcome.as_str())
        .bind(r.score)
        .bind(r.failure.as_ref().map(|f| f.kind.as_str()))
        .bind(r.failure.as_ref().map(|f| f.message.as_str()))
        .bind(int(r.usage.input_tokens))
        .bind(int(r.usage.output_tokens))
        .bind(r.cost_usd)
        .bind(r.model.as_deref())
        .bind(r.latency_ms.map(int))
        .bind(r.ttft_ms.map(int))
        .bind(int(r.wall_ms))
        .bind(int(r.work_ms))
        .bind(i64::from(r.retries))
        .bind(r.cached)
        .bind(int(r.started_at_ms))
        .bind(int(r.finished_at_ms))
        .bind(r.artifacts_dir.as_deref())
        .bind(row.transcript.as_str())
        .bind(row.evaluations.as_str())
        .bind(row.reports.as_str())
}

/// The upsert of `rows` (at most [`queries::UPSERT_ROWS`]) with their values bound.
fn upsert<'q>(workspace: &'q Workspace, rows: &'q [Encoded<'q>]) -> SqliteQuery<'q> {
    rows.iter()
        .fold(sqlx::query(queries::upsert(rows.len())), |query, row| {
            bind_attempt(query, workspace.as_str(), row)
        })
}

/// `LIMIT` for an optional count: -1 means none to SQLite.
fn limit(count: Option<usize>) -> i64 {
    count.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX))
}

#[async_trait]
impl RunStore for SqliteStore {
    fn capabilities(&self) -> StoreCapabilities {
        let mut capabilities = StoreCapabilities::default();
        capabilities.persistent = true;
        capabilities.concurrent_writers = true;
        capabilities.response_cache = true;
        capabilities.encryption = true;
        capabilities
    }

    async fn create_run(
        &self,
        workspace: &Workspace,
        run_id: &str,
        spec: &RunSpec,
    ) -> Result<(), StoreError> {
        let what = || format!("cannot create run {run_id:?}");
        let json =
            serde_json::to_string(spec).map_err(|e| error::encode(&self.label, &what(), e))?;
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(|e| self.error(&what(), e))?;
        let inserted = sqlx::query(queries::INSERT_RUN)
            .bind(workspace.as_str())
            .bind(run_id)
            .bind(spec.suite.name.as_str())
            .bind(int(benchcore::now_ms()))
            .bind(json.as_str())
            .execute(&mut *tx)
            .await
            .map_err(|e| self.error(&what(), e))?;
        if inserted.rows_affected() == 0 {
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
        for agent in &spec.agents {
            sqlx::query(queries::INSERT_RUN_AGENT)
                .bind(workspace.as_str())
                .bind(run_id)
                .bind(agent.name.as_str())
                .execute(&mut *tx)
                .await
                .map_err(|e| self.error(&what(), e))?;
        }
        tx.commit().await.map_err(|e| self.error(&what(), e))
    }

    async fn get_run(
        &self,
        workspace: &Workspace,
        run_id: &str,
    ) -> Result<Option<RunInfo>, StoreError> {
        let row = sqlx::query(queries::get_run())
            .bind(workspace.as_str())
            .bind(run_id)
            .fetch_optional(&self.reader)
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
            .fetch_all(&self.reader)
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
            .execute(&self.writer)
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
        // Encode before taking the write lock, so the lock is held only for SQLite's work.
        let rows = attempts
            .iter()
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
            upsert(workspace, &rows)
                .execute(&self.writer)
                .await
                .map(drop)
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
            .fetch_all(&self.reader)
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
            .fetch_all(&self.reader)
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
        // One read transaction: the run and its attempts come from the same snapshot.
        let mut tx = self
            .reader
            .begin()
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
            for (p, slot) in [
                (0.50, &mut summary.latency_p50_ms),
                (0.95, &mut summary.latency_p95_ms),
            ] {
                if let Some(rank) = percentile_rank(latencies, p) {
                    let row = sqlx::query(queries::LATENCY_AT_RANK)
                        .bind(workspace.as_str())
                        .bind(run_id)
                        .bind(&summary.agent)
                        .bind(rank as i64)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(|e| self.error(&what(), e))?;
                    *slot = self.get_opt_u64(&row, 0)?;
                }
            }
            agents.push(summary);
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

impl Backend for SqliteStore {
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
