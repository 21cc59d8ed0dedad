//! The PostgreSQL the tests run against, and a new schema for each store under test.
//!
//! The server comes from `BENCHCORE_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/test`). Every [`TestSchema`] is a schema of its own,
//! dropped when the guard is, so tests run in parallel without seeing each other's data.
//! There is no skip: a server that is down fails the test with how to start it.

use benchcore_store::PostgresConfig;
use sqlx::postgres::PgConnection;
use sqlx::Connection;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The server used when `BENCHCORE_TEST_POSTGRES` is not set.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The prefix of every test schema; the rest is `<unix seconds>_<pid>_<n>`.
const PREFIX: &str = "bct_";

/// Test schemas older than this are left over from killed runs and dropped.
const STALE_AFTER: Duration = Duration::from_secs(6 * 3600);

/// The server's URL, without query settings.
pub fn base_url() -> String {
    std::env::var("BENCHCORE_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_URL.to_owned())
}

/// Connects to the test server, or fails the test saying how to start it.
pub async fn connect() -> PgConnection {
    let url = base_url();
    match PgConnection::connect(&url).await {
        Ok(conn) => conn,
        Err(e) => panic!(
            "the PostgreSQL tests need a server at {} (BENCHCORE_TEST_POSTGRES), and \
             connecting failed: {e}.\nStart it with \
             `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` \
             (or run .ci/run, which installs PostgreSQL when missing, starts it and creates \
             the `test` database), or point BENCHCORE_TEST_POSTGRES at another server.",
            // Named without its password.
            PostgresConfig::from_url(&url).map_or_else(|e| e.to_string(), |c| c.label())
        ),
    }
}

/// A schema name no other test uses.
fn new_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    format!(
        "{PREFIX}{secs}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Drops test schemas that killed runs left behind (once per test process).
async fn drop_stale_schemas(conn: &mut PgConnection) {
    static DONE: OnceLock<()> = OnceLock::new();
    if DONE.set(()).is_err() {
        return;
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let names: Vec<String> =
        sqlx::query_scalar("SELECT nspname::text FROM pg_namespace WHERE starts_with(nspname, $1)")
            .bind(PREFIX)
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_default();
    for name in names {
        let created = name[PREFIX.len()..]
            .split('_')
            .next()
            .and_then(|s| s.parse::<u64>().ok());
        if created.is_some_and(|t| now.saturating_sub(t) > STALE_AFTER.as_secs()) {
            let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                .execute(&mut *conn)
                .await;
        }
    }
}

/// A schema name for one store under test; the schema (created by the store when it opens)
/// is dropped with the guard.
#[derive(Debug)]
pub struct TestSchema {
    name: String,
}

impl TestSchema {
    /// A new schema name on a server that is up (the schema itself is not created: opening
    /// a store creates it).
    pub async fn new() -> Self {
        let mut conn = connect().await;
        drop_stale_schemas(&mut conn).await;
        let _ = conn.close().await;
        Self { name: new_name() }
    }

    /// The schema's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The store URL of the schema: the server's URL plus `schema` and a small pool.
    pub fn url(&self) -> String {
        let base = base_url();
        let sep = if base.contains('?') { '&' } else { '?' };
        format!("{base}{sep}schema={}&pool_size=4", self.name)
    }

    /// The store config of the schema.
    pub fn config(&self) -> PostgresConfig {
        PostgresConfig::from_url(&self.url()).expect("the test URL parses")
    }

    /// A connection whose `search_path` is the schema, for checks behind the store's back.
    pub async fn connection(&self) -> PgConnection {
        let mut conn = connect().await;
        sqlx::query(&format!("SET search_path TO {}", self.name))
            .execute(&mut conn)
            .await
            .expect("SET search_path");
        conn
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        // Drop may run inside a test's runtime (or while a failed test unwinds): do the
        // async work on a thread with a runtime of its own.
        let (url, name) = (base_url(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut conn = PgConnection::connect(&url).await.ok()?;
                // Never hang a test run on a lock: a leftover schema is dropped next time.
                let _ = sqlx::query("SET lock_timeout = '10s'")
                    .execute(&mut conn)
                    .await;
                let done = sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                    .execute(&mut conn)
                    .await
                    .ok();
                let _ = conn.close().await;
                done
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("note: test schema {} was not dropped", self.name);
        }
    }
}
