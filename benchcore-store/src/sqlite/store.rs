//! [`Sqlite`]: the SQL store on one SQLite file, in WAL mode, shared safely by several
//! processes. Writes go through one connection, each call one statement or one
//! `BEGIN IMMEDIATE` transaction; reads use a pool of their own, so they never wait for a
//! write.

use super::config::SqliteConfig;
use super::error::DIALECT;
use super::queries;
use crate::sql::{
    declare_backend, int, Backend, Dialect, Driver, Encoded, Errors, On, Opened, SqlStore,
};
use benchcore::{StoreError, StoreErrorKind};
use sqlx::error::BoxDynError;
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Arguments, ConnectOptions};
use std::future::Future;
use std::path::Path;
use std::time::Duration;

declare_backend!(Sqlite(SqliteConfig, sqlx::Sqlite) => SqliteStore, SqliteResponseCache,
    "one SQLite file", "migrations/sqlite");

impl Backend for Sqlite {
    // IMMEDIATE takes the write lock at once, waiting out other processes' writes with the
    // busy timeout; it also serializes setting up the encryption key.
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";
    const DIALECT: &'static Dialect = &DIALECT;
    const UPSERT_ROWS: usize = queries::UPSERT_ROWS;
    const INSERT_RUN: &'static str = queries::INSERT_RUN;
    const CASE_OUTCOMES: &'static str = queries::CASE_OUTCOMES;

    fn label(config: &SqliteConfig) -> Result<String, StoreError> {
        config.validate()?;
        Ok(format!("sqlite {}", config.path.display()))
    }

    async fn open(
        config: &SqliteConfig,
        errors: &Errors,
    ) -> Result<Opened<sqlx::Sqlite>, StoreError> {
        let path = config.path.as_path();
        check_location(config, errors)?;
        let existed = path.metadata().is_ok_and(|m| m.len() > 0);
        let options = SqliteConnectOptions::new()
            .filename(path)
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
            .map_err(|e| errors.sql("cannot open", e))?;
        if let Err(first) = MIGRATOR.run(&writer).await {
            // Another process may have been creating the same new file at the same moment;
            // its migrations are applied now, so a second pass finds nothing to do.
            if MIGRATOR.run(&writer).await.is_err() {
                writer.close().await;
                return Err(errors.migrate(first));
            }
        }
        let reader = SqlitePoolOptions::new()
            .max_connections(config.pool_size)
            .connect_lazy_with(options.create_if_missing(false));
        Ok(Opened {
            writer,
            reader,
            created: !existed,
        })
    }

    fn upsert<'e>(
        on: On<'e, sqlx::Sqlite>,
        workspace: &'e str,
        rows: &'e [Encoded<'e>],
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send + 'e {
        let mut arguments = SqliteArguments::default();
        arguments.reserve(rows.len() * 25, 0);
        let bound = rows
            .iter()
            .try_for_each(|row| bind_attempt(&mut arguments, workspace, row))
            .map_err(sqlx::Error::Encode);
        async move {
            bound?;
            let query = sqlx::query_with(queries::upsert(rows.len()), arguments);
            sqlx::Sqlite::run(on, query).await.map(drop)
        }
    }
}

/// Checks the file's location before SQLite opens it: a missing file with
/// `create_if_missing` off, or a missing folder without `create_dirs`, is a `Config` error
/// naming it, never a new empty store in a mistyped place.
fn check_location(config: &SqliteConfig, errors: &Errors) -> Result<(), StoreError> {
    let path = config.path.as_path();
    if !config.create_if_missing && !path.exists() {
        return Err(errors.error(
            StoreErrorKind::Config,
            "cannot open: no such file, and create_if_missing is off",
        ));
    }
    let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(());
    };
    if folder.is_dir() {
        return Ok(());
    }
    if !config.create_dirs {
        return Err(errors.error(
            StoreErrorKind::Config,
            &format!(
                "cannot create the store: folder {} does not exist (check the path; to create \
                 the folder too, add `create_dirs=true` to the URL's settings)",
                folder.display()
            ),
        ));
    }
    std::fs::create_dir_all(folder).map_err(|e| {
        let mut err = StoreError::backend(
            format!(
                "{}: cannot create folder {}: {e}",
                errors.label(),
                folder.display()
            ),
            e,
        );
        err.kind = StoreErrorKind::Config;
        err
    })
}

/// Adds one attempt's values: the workspace, then every attempt column in table order.
fn bind_attempt<'q>(
    arguments: &mut SqliteArguments<'q>,
    workspace: &'q str,
    row: &'q Encoded<'q>,
) -> Result<(), BoxDynError> {
    let r = row.record;
    arguments.add(workspace)?;
    arguments.add(r.run_id.as_str())?;
    arguments.add(r.key.case_id.as_str())?;
    arguments.add(r.key.agent.as_str())?;
    arguments.add(i64::from(r.key.sample))?;
    arguments.add(r.outcome.as_str())?;
    arguments.add(r.score)?;
    arguments.add(row.error_kind.as_deref())?;
    arguments.add(row.error_message.as_deref())?;
    arguments.add(int(r.usage.input_tokens))?;
    arguments.add(int(r.usage.output_tokens))?;
    arguments.add(r.cost_usd)?;
    arguments.add(row.model.as_deref())?;
    arguments.add(r.latency_ms.map(int))?;
    arguments.add(r.ttft_ms.map(int))?;
    arguments.add(int(r.wall_ms))?;
    arguments.add(int(r.work_ms))?;
    arguments.add(i64::from(r.retries))?;
    arguments.add(r.cached)?;
    arguments.add(int(r.started_at_ms))?;
    arguments.add(int(r.finished_at_ms))?;
    arguments.add(row.artifacts_dir.as_deref())?;
    arguments.add(row.transcript.as_str())?;
    arguments.add(row.evaluations.as_str())?;
    arguments.add(row.reports.as_str())
}

impl SqlStore<Sqlite> {
    /// Opens the database file at `path` with default settings, creating it and its folders
    /// when missing and bringing its schema up to date. (URLs, and [`SqliteConfig`], never
    /// create a missing folder unless asked to.)
    ///
    /// # Errors
    /// See [`open_with`](Self::open_with).
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(SqliteConfig::new(path.as_ref()).create_dirs(true)).await
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.config().path
    }
}

impl SqliteConfig {
    /// Opens (and creates, and migrates) the store this config describes.
    ///
    /// # Errors
    /// See [`SqliteStore::open_with`](SqlStore::open_with).
    pub async fn open(self) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_with(self).await
    }
}
