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
use sqlx::query::Query;
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::ConnectOptions;
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
        let query = rows
            .iter()
            .fold(sqlx::query(queries::upsert(rows.len())), |query, row| {
                bind_attempt(query, workspace, row)
            });
        async move { sqlx::Sqlite::run(on, query).await.map(drop) }
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

/// Binds one attempt's values: the workspace, then every attempt column in table order.
fn bind_attempt<'q>(
    query: Query<'q, sqlx::Sqlite, SqliteArguments<'q>>,
    workspace: &'q str,
    row: &'q Encoded<'q>,
) -> Query<'q, sqlx::Sqlite, SqliteArguments<'q>> {
    let r = row.record;
    query
        .bind(workspace)
        .bind(r.run_id.as_str())
        .bind(r.key.case_id.as_str())
        .bind(r.key.agent.as_str())
        .bind(i64::from(r.key.sample))
        .bind(r.outcome.as_str())
        .bind(r.score)
        .bind(row.error_kind.as_deref())
        .bind(row.error_message.as_deref())
        .bind(int(r.usage.input_tokens))
        .bind(int(r.usage.output_tokens))
        .bind(r.cost_usd)
        .bind(row.model.as_deref())
        .bind(r.latency_ms.map(int))
        .bind(r.ttft_ms.map(int))
        .bind(int(r.wall_ms))
        .bind(int(r.work_ms))
        .bind(i64::from(r.retries))
        .bind(r.cached)
        .bind(int(r.started_at_ms))
        .bind(int(r.finished_at_ms))
        .bind(row.artifacts_dir.as_deref())
        .bind(row.transcript.as_str())
        .bind(row.evaluations.as_str())
        .bind(row.reports.as_str())
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
