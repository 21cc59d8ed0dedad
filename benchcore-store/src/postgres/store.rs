//! [`Postgres`]: the SQL store in one schema of a PostgreSQL database, shared safely by any
//! number of processes and machines. Every call is one statement or one transaction on a
//! pooled connection; the schema is created and migrated on open under advisory locks, so
//! processes may open it at the same time.

use super::config::PostgresConfig;
use super::error::DIALECT;
use super::queries;
use crate::config::config_error;
use crate::sql::{
    declare_backend, int, Backend, Dialect, Driver, Encoded, Errors, Json, Nul, On, Opened,
    SqlStore,
};
use benchcore::{StoreError, StoreErrorKind};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions, PgSslMode};
use sqlx::{ConnectOptions, Connection};
use std::future::Future;
use std::time::Duration;

declare_backend!(Postgres(PostgresConfig, sqlx::Postgres) => PostgresStore, PostgresResponseCache,
    "a PostgreSQL schema", "migrations/postgres");

impl Backend for Postgres {
    const WORK_QUEUE: bool = true;
    const BEGIN_SNAPSHOT: &'static str = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
    const LOCK_KEYS: Option<&'static str> = Some(queries::LOCK_KEY_ROTATION);
    const NUL: Nul = Nul::Replaced;
    const JSON: Json = Json {
        value_cast: "::jsonb",
        column_cast: "::text",
    };
    const DIALECT: &'static Dialect = &DIALECT;
    const UPSERT_ROWS: usize = queries::UPSERT_ROWS;
    const INSERT_RUN: &'static str = queries::INSERT_RUN;
    const CASE_OUTCOMES: &'static str = queries::CASE_OUTCOMES;

    fn label(config: &PostgresConfig) -> Result<String, StoreError> {
        config.validate()?;
        Ok(config.label())
    }

    async fn open(
        config: &PostgresConfig,
        errors: &Errors,
    ) -> Result<Opened<sqlx::Postgres>, StoreError> {
        let options = connect_options(config)?;
        let timeout = Duration::from_millis(config.connect_timeout_ms);
        // Schema and migrations on a connection of their own, closed afterwards: a failed
        // migration leaves no pooled connection holding the migration lock.
        let mut conn = tokio::time::timeout(timeout, PgConnection::connect_with(&options))
            .await
            .map_err(|_| {
                errors.error(
                    StoreErrorKind::Unavailable,
                    &format!(
                        "cannot connect: no answer within {} ms (is the server running and \
                         reachable?)",
                        config.connect_timeout_ms
                    ),
                )
            })?
            .map_err(|e| errors.sql("cannot connect", e))?;
        let prepared = prepare_schema(&mut conn, config, errors).await;
        let _ = conn.close().await;
        let created = prepared?;
        let pool = PgPoolOptions::new()
            .max_connections(config.pool_size)
            .acquire_timeout(timeout)
            .connect_lazy_with(options);
        Ok(Opened {
            writer: pool.clone(),
            reader: pool,
            created,
        })
    }

    fn upsert<'e>(
        on: On<'e, sqlx::Postgres>,
        workspace: &'e str,
        rows: &'e [Encoded<'e>],
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send + 'e {
        fn column<'q, T>(rows: &'q [Encoded<'q>], f: impl Fn(&'q Encoded<'q>) -> T) -> Vec<T> {
            rows.iter().map(f).collect()
        }
        let query = sqlx::query(queries::upsert())
            .bind(workspace)
            .bind(column(rows, |r| r.record.run_id.as_str()))
            .bind(column(rows, |r| r.record.key.case_id.as_str()))
            .bind(column(rows, |r| r.record.key.agent.as_str()))
            .bind(column(rows, |r| i64::from(r.record.key.sample)))
            .bind(column(rows, |r| r.record.outcome.as_str()))
            .bind(column(rows, |r| r.record.score))
            .bind(column(rows, |r| r.error_kind.as_deref()))
            .bind(column(rows, |r| r.error_message.as_deref()))
            .bind(column(rows, |r| int(r.record.usage.input_tokens)))
            .bind(column(rows, |r| int(r.record.usage.output_tokens)))
            .bind(column(rows, |r| r.record.cost_usd))
            .bind(column(rows, |r| r.model.as_deref()))
            .bind(column(rows, |r| r.record.latency_ms.map(int)))
            .bind(column(rows, |r| r.record.ttft_ms.map(int)))
            .bind(column(rows, |r| int(r.record.wall_ms)))
            .bind(column(rows, |r| int(r.record.work_ms)))
            .bind(column(rows, |r| i64::from(r.record.retries)))
            .bind(column(rows, |r| r.record.cached))
            .bind(column(rows, |r| int(r.record.started_at_ms)))
            .bind(column(rows, |r| int(r.record.finished_at_ms)))
            .bind(column(rows, |r| r.artifacts_dir.as_deref()))
            .bind(column(rows, |r| r.transcript.as_str()))
            .bind(column(rows, |r| r.evaluations.as_str()))
            .bind(column(rows, |r| r.reports.as_str()));
        async move { sqlx::Postgres::run(on, query).await.map(drop) }
    }
}

/// The connection settings of `config`. Everything is set explicitly, so only the password
/// (`PGPASSWORD`) and TLS files (`PGSSLROOTCERT`, …) can come from libpq's variables.
fn connect_options(config: &PostgresConfig) -> Result<PgConnectOptions, StoreError> {
    let ssl_mode: PgSslMode = config.ssl_mode.parse().map_err(|_| {
        config_error(
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

/// Creates the configured schema when it is missing, then applies the migrations it lacks;
/// returns whether the schema held no store before. sqlx's migrator holds a PostgreSQL
/// advisory lock while it works, so processes opening the same database at once apply each
/// migration once; creating the schema takes a lock of its own for the same reason.
async fn prepare_schema(
    conn: &mut PgConnection,
    config: &PostgresConfig,
    errors: &Errors,
) -> Result<bool, StoreError> {
    if let Some(schema) = &config.schema {
        let what = format!("cannot create schema {schema}");
        let exists: bool = sqlx::query_scalar(queries::SCHEMA_EXISTS)
            .bind(schema)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| errors.sql(&what, e))?;
        if !exists {
            if !config.create_schema {
                return Err(errors.error(
                    StoreErrorKind::Config,
                    &format!(
                        "cannot open: schema {schema} does not exist, and create_schema is off"
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
            created.map_err(|e| errors.sql(&what, e))?;
        }
    }
    let had_store: bool = sqlx::query_scalar(queries::HAS_STORE)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| errors.sql("cannot read the schema", e))?;
    // `run_direct` on the connection itself: `run` goes through `Acquire`, whose future the
    // compiler cannot prove `Send`.
    MIGRATOR
        .run_direct(&mut *conn)
        .await
        .map_err(|e| errors.migrate(e))?;
    Ok(!had_store)
}

impl SqlStore<Postgres> {
    /// Opens the database a `postgres://` URL names (see [`PostgresConfig::from_url`]),
    /// creating its schema when missing and bringing it up to date.
    ///
    /// # Errors
    /// See [`open_with`](Self::open_with).
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(PostgresConfig::from_url(url)?).await
    }
}

impl PostgresConfig {
    /// Opens (and migrates) the store this config describes.
    ///
    /// # Errors
    /// See [`PostgresStore::open_with`](SqlStore::open_with).
    pub async fn open(self) -> Result<PostgresStore, StoreError> {
        PostgresStore::open_with(self).await
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
        let open = crate::connect("postgres://nobody@127.0.0.1:1/none");
        assert_send(&open);
    }
}
