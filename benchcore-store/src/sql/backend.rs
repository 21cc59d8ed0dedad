//! What a SQL backend supplies to the one [`SqlStore`](super::SqlStore): its sqlx database,
//! its dialect (transaction forms, JSON casts, how to read its error codes, whether text may
//! hold U+0000), how to open it (connect, create, migrate), and the few statements that
//! truly differ: creating a run, and the batched attempts upsert (multi-row `VALUES` on
//! SQLite, one array per column through `UNNEST` on PostgreSQL).

use super::driver::{Driver, On};
use super::error::{Dialect, Errors};
use super::queries::Json;
use super::text::{Encoded, Nul};
use benchcore::StoreError;
use sqlx::{Database, Pool};
use std::fmt;
use std::future::Future;

/// Keeps [`SqlBackend`] to this crate's backends.
pub(crate) mod sealed {
    /// Implemented by this crate's backends only.
    pub trait Sealed {}
}

/// A SQL database a [`SqlStore`](super::SqlStore) runs on:
/// [`Sqlite`](crate::sqlite::Sqlite) (feature `sqlite`) or
/// [`Postgres`](crate::postgres::Postgres) (feature `postgres`). The trait is sealed: the
/// store's SQL, its errors and its behaviour are shared, and only this crate's backends
/// supply the parts that differ.
// Sealed: `Driver` is the crate's own bridge to sqlx, never implemented elsewhere.
#[allow(private_bounds)]
pub trait SqlBackend: sealed::Sealed + fmt::Debug + Send + Sync + Sized + 'static {
    /// The backend's settings: [`SqliteConfig`](crate::SqliteConfig) or
    /// `PostgresConfig`.
    type Config: Clone + fmt::Debug + Send + Sync + 'static;
    /// The sqlx database.
    #[doc(hidden)]
    type Db: Driver;
}

/// Declares a backend's public face: its marker type, its sealed [`SqlBackend`] impl, the
/// aliases of its store and response cache, and its embedded migrations (`MIGRATOR`).
/// `$place` says where the store keeps its data ("one SQLite file").
macro_rules! declare_backend {
    ($backend:ident($config:ty, $db:ty) => $store:ident, $cache:ident,
     $place:literal, $migrations:literal) => {
        #[doc = concat!("The ", stringify!($backend), " backend of [`SqlStore`](crate::SqlStore): ")]
        #[doc = concat!($place, " (see the [module docs](super)).")]
        #[derive(Debug, Clone, Copy)]
        pub struct $backend;

        #[doc = concat!("Runs and attempts in ", $place, ": the [`SqlStore`](crate::SqlStore)")]
        #[doc = concat!(" on [`", stringify!($backend), "`].")]
        pub type $store = $crate::sql::SqlStore<$backend>;

        #[doc = concat!("Cached replies of one workspace in ", $place, ".")]
        pub type $cache = $crate::sql::SqlResponseCache<$backend>;

        impl $crate::sql::Sealed for $backend {}

        impl $crate::sql::SqlBackend for $backend {
            type Config = $config;
            type Db = $db;
        }

        /// The schema migrations, embedded at build time and applied on open.
        pub(super) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!($migrations);
    };
}
pub(crate) use declare_backend;

/// An opened database: its pools (one writer and a pool of readers on SQLite, the same pool
/// twice on PostgreSQL), migrated, and what opening found.
pub(crate) struct Opened<DB: Database> {
    /// The connections writes go through.
    pub(crate) writer: Pool<DB>,
    /// The connections reads go through.
    pub(crate) reader: Pool<DB>,
    /// Whether the database held no store before: opening created it.
    pub(crate) created: bool,
}

/// The parts of a backend the SQL store calls. The defaults are standard SQL; a backend
/// overrides what it does differently.
pub(crate) trait Backend: SqlBackend {
    /// Whether it keeps a work queue (capability `work_queue`).
    const WORK_QUEUE: bool = false;
    /// How a transaction that writes begins.
    const BEGIN_WRITE: &'static str = "BEGIN";
    /// How a transaction that reads one snapshot begins.
    const BEGIN_SNAPSHOT: &'static str = "BEGIN";
    /// Run first in the transaction that sets up the encryption key, so processes opening
    /// the store at once set it up one at a time (when the write transaction alone does not).
    const LOCK_KEYS: Option<&'static str> = None;
    /// Whether text may hold U+0000.
    const NUL: Nul = Nul::Kept;
    /// How JSON columns are written and read.
    const JSON: Json = Json::TEXT;
    /// How its errors are read.
    const DIALECT: &'static Dialect;
    /// Most attempts per [`upsert`](Self::upsert) statement. A batch of at most this many is
    /// one statement, atomic by itself; a larger one is a transaction of such statements.
    const UPSERT_ROWS: usize;
    /// Creates a run in state `running`; changes no row when the id exists in the workspace.
    /// Binds: workspace, id, suite, created_at_ms, spec (JSON).
    const INSERT_RUN: &'static str;
    /// Key and outcome of a run's attempts of some cases. Binds: workspace, run_id, the case
    /// ids as a JSON array (text).
    const CASE_OUTCOMES: &'static str;

    /// Checks every field of `config`, then says how messages name its database (never
    /// with a password).
    fn label(config: &Self::Config) -> Result<String, StoreError>;

    /// Opens the database `config` names: connects, creates what is missing (as the config
    /// allows) and applies the migrations it lacks; failures are named by `errors`.
    fn open(
        config: &Self::Config,
        errors: &Errors,
    ) -> impl Future<Output = Result<Opened<Self::Db>, StoreError>> + Send;

    /// Upserts `rows` (at most [`UPSERT_ROWS`](Self::UPSERT_ROWS), one per key, sorted by
    /// key) in one statement: a new key is inserted, an existing row replaced only when its
    /// outcome may be. An attempt of an unknown run fails on the `runs` foreign key.
    fn upsert<'e>(
        on: On<'e, Self::Db>,
        workspace: &'e str,
        rows: &'e [Encoded<'e>],
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send + 'e;
}
