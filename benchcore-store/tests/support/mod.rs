//! What the store's tests share: a [`Place`] for one store under test on each backend built
//! in, so one test body runs on SQLite and on PostgreSQL, and the PostgreSQL server the
//! tests use ([`postgres`]).

#![allow(dead_code, unreachable_pub)]

#[cfg(feature = "postgres")]
pub mod postgres;

use benchcore_store::{SqlBackend, SqlStore, StoreHandle};
use std::future::Future;

/// A value bound to a statement run behind the store's back.
#[derive(Debug, Clone)]
pub enum Bind {
    /// A 64-bit integer.
    Int(i64),
    /// Text (JSON columns take it too).
    Text(String),
    /// Bytes (a BLOB or BYTEA).
    Bytes(Vec<u8>),
}

/// Where one store under test lives: a new temp SQLite file, or a new PostgreSQL schema
/// (dropped afterwards). Test bodies written over `Place` run on every backend; the
/// `place_tests!` macro stamps them out per backend.
pub trait Place: Send + Sync + Sized + 'static {
    /// The backend.
    type Backend: SqlBackend;
    /// The schema version this build expects of the backend.
    const LATEST: i64;
    /// Whether text may hold U+0000 (PostgreSQL stores it as U+FFFD).
    const HOLDS_NUL: bool;

    /// A new, empty place.
    fn new() -> impl Future<Output = Self> + Send;

    /// The store URL of the place.
    fn url(&self) -> String;

    /// The backend's own store on the place.
    fn sql_store(&self) -> impl Future<Output = SqlStore<Self::Backend>> + Send;

    /// Runs a statement behind the store's back (placeholders `$1`, `$2`, …).
    fn execute(&self, sql: &str, binds: &[Bind]) -> impl Future<Output = ()> + Send;

    /// Every row of a query, its columns as text (NULL as `None`), behind the store's back.
    fn rows(&self, sql: &str) -> impl Future<Output = Vec<Vec<Option<String>>>> + Send;

    /// Leaves the place as a store of schema version 1 would: the first migration only, and
    /// one finished run `old-run` with `spec` (JSON).
    fn at_version_1(&self, spec: &str) -> impl Future<Output = ()> + Send;

    /// The store on the place, through `benchcore_store::connect`.
    fn open(&self) -> impl Future<Output = StoreHandle> + Send {
        async move {
            let url = self.url();
            benchcore_store::connect(&url)
                .await
                .unwrap_or_else(|e| panic!("opening {url}: {e}"))
        }
    }

    /// The migrations applied, by version.
    fn versions(&self) -> impl Future<Output = Vec<i64>> + Send {
        async move {
            let sql = "SELECT CAST(version AS TEXT) FROM _sqlx_migrations ORDER BY version";
            self.rows(sql)
                .await
                .into_iter()
                .map(|row| row[0].as_deref().unwrap_or("").parse().unwrap())
                .collect()
        }
    }
}

/// Stamps out, for each backend built in, `mod sqlite` and `mod postgres` with one
/// `#[tokio::test]` per listed body, run on a new place of that backend.
#[macro_export]
macro_rules! place_tests {
    ($($case:ident),* $(,)?) => {
        #[cfg(feature = "sqlite")]
        $crate::place_tests!(@on sqlite, $crate::support::sqlite::SqliteFile, $($case),*);
        #[cfg(feature = "postgres")]
        $crate::place_tests!(@on postgres, $crate::support::postgres::TestSchema, $($case),*);
    };
    (@on $backend:ident, $place:ty, $($case:ident),*) => {
        mod $backend {
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case::<$place>().await;
                }
            )*
        }
    };
}

/// `query` with `binds` bound in order.
fn bind_all<'q, DB: sqlx::Database>(
    query: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>,
    binds: &'q [Bind],
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>
where
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'q [u8]: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    binds.iter().fold(query, |query, bind| match bind {
        Bind::Int(v) => query.bind(*v),
        Bind::Text(v) => query.bind(v.as_str()),
        Bind::Bytes(v) => query.bind(v.as_slice()),
    })
}

/// A place on a new SQLite file.
#[cfg(feature = "sqlite")]
pub mod sqlite {
    use super::{Bind, Place};
    use benchcore_store::sqlite::{Sqlite, SqliteStore};
    use sqlx::sqlite::{SqlitePool, SqliteRow};
    use sqlx::Row;
    use std::path::PathBuf;
    use tempfile::TempDir;

    /// A new file `bench.db` in a new temp folder (removed with the place).
    pub struct SqliteFile {
        dir: TempDir,
    }

    impl SqliteFile {
        /// The database file.
        pub fn path(&self) -> PathBuf {
            self.dir.path().join("bench.db")
        }

        async fn pool(&self) -> SqlitePool {
            let url = format!("sqlite://{}?mode=rwc", self.path().display());
            SqlitePool::connect(&url).await.unwrap()
        }
    }

    impl Place for SqliteFile {
        type Backend = Sqlite;
        const LATEST: i64 = 5;
        const HOLDS_NUL: bool = true;

        async fn new() -> Self {
            Self {
                dir: tempfile::tempdir().expect("a temp folder"),
            }
        }

        fn url(&self) -> String {
            format!("sqlite://{}", self.path().display())
        }

        async fn sql_store(&self) -> SqliteStore {
            SqliteStore::open(self.path()).await.unwrap()
        }

        async fn execute(&self, sql: &str, binds: &[Bind]) {
            let pool = self.pool().await;
            let query = super::bind_all(sqlx::query(sql), binds);
            query.execute(&pool).await.unwrap();
            pool.close().await;
        }

        async fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
            let pool = self.pool().await;
            let rows: Vec<SqliteRow> = sqlx::query(sql).fetch_all(&pool).await.unwrap();
            pool.close().await;
            rows.iter()
                .map(|row| (0..row.len()).map(|i| row.get(i)).collect())
                .collect()
        }

        async fn at_version_1(&self, spec: &str) {
            let pool = self.pool().await;
            super::first_migration("sqlite")
                .await
                .run(&pool)
                .await
                .unwrap();
            sqlx::query(
                "INSERT INTO runs (workspace, id, seq, suite, status, created_at_ms, \
                 updated_at_ms, spec) VALUES ('default', 'old-run', 1, 's', 'finished', 1, 1, $1)",
            )
            .bind(spec)
            .execute(&pool)
            .await
            .unwrap();
            pool.close().await;
        }
    }
}

/// A place in a new PostgreSQL schema.
#[cfg(feature = "postgres")]
pub mod postgres_place {
    use super::postgres::{connect, TestSchema};
    use super::{Bind, Place};
    use benchcore_store::postgres::{Postgres, PostgresStore};
    use sqlx::postgres::PgRow;
    use sqlx::{Connection, Row};

    impl Place for TestSchema {
        type Backend = Postgres;
        const LATEST: i64 = 8;
        const HOLDS_NUL: bool = false;

        async fn new() -> Self {
            TestSchema::new().await
        }

        fn url(&self) -> String {
            TestSchema::url(self)
        }

        async fn sql_store(&self) -> PostgresStore {
            PostgresStore::open(&TestSchema::url(self)).await.unwrap()
        }

        async fn execute(&self, sql: &str, binds: &[Bind]) {
            let mut conn = self.connection().await;
            let query = super::bind_all(sqlx::query(sql), binds);
            query.execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        }

        async fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
            let mut conn = self.connection().await;
            let rows: Vec<PgRow> = sqlx::query(sql).fetch_all(&mut conn).await.unwrap();
            conn.close().await.unwrap();
            rows.iter()
                .map(|row| (0..row.len()).map(|i| row.get(i)).collect())
                .collect()
        }

        async fn at_version_1(&self, spec: &str) {
            let mut conn = connect().await;
            for statement in [
                format!("CREATE SCHEMA {}", self.name()),
                format!("SET search_path TO {}", self.name()),
            ] {
                sqlx::query(&statement).execute(&mut conn).await.unwrap();
            }
            super::first_migration("postgres")
                .await
                .run_direct(&mut conn)
                .await
                .unwrap();
            sqlx::query(
                "INSERT INTO runs (workspace, id, suite, status, created_at_ms, updated_at_ms, \
                 spec) VALUES ('default', 'old-run', 's', 'finished', 1, 1, $1::jsonb)",
            )
            .bind(spec)
            .execute(&mut conn)
            .await
            .unwrap();
            conn.close().await.unwrap();
        }
    }
}

/// A migrator of the backend's first migration alone (read into memory from a temp copy).
async fn first_migration(backend: &str) -> sqlx::migrate::Migrator {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        format!(
            "{}/migrations/{backend}/0001_initial.sql",
            env!("CARGO_MANIFEST_DIR")
        ),
        dir.path().join("0001_initial.sql"),
    )
    .unwrap();
    sqlx::migrate::Migrator::new(dir.path()).await.unwrap()
}
