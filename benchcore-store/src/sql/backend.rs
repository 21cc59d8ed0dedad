//! What a SQL backend supplies to the one [`SqlStore`](super::SqlStore): its sqlx database,
//! its dialect (transaction forms, JSON casts, how to read its error codes, whether text may
//! hold U+0000), how to open it (connect, create, migrate), and the few statements that
//! truly differ: creating a run, and the batched attempts upsert (multi-row `VALUES` on
//! SQLite, one array per column through `UNNEST` on PostgreSQL).

use super::driver::{Driver, On};
use super::error::Dialect;
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

/// An opened database: its pools (one writer and a pool of readers on SQLite, the same pool
/// twice on PostgreSQL), migrated, and what opening found.
pub(crate) struct Opened<DB: Database> {
    /// How errors name it (never with a password).
    pub(crate) label: String,
    /// The connections writes go through.
    pub(crate) writer: Pool<DB>,
    /// The connections reads go through.
    pub(crate) reader: Pool<DB>,
    /// Whether the database held no store before: opening created it.
    pub(crate) created: bool,
}

/// The parts of a backend the SQL store calls.
pub(crate) trait Backend: SqlBackend {
    /// Whether it keeps a work queue (capability `work_queue`).
    const WORK_QUEUE: bool;
    /// How a transaction that writes begins (SQLite takes the write lock at once).
    const BEGIN_WRITE: &'static str;
    /// How a transaction that reads one snapshot begins.
    const BEGIN_SNAPSHOT: &'static str;
    /// Run first in the transaction that sets up the encryption key, so processes opening
    /// the store at once set it up one at a time (SQLite's write lock does that already).
    const LOCK_KEYS: Option<&'static str>;
    /// Whether text may hold U+0000.
    const NUL: Nul;
    /// How JSON columns are written and read.
    const JSON: Json;
    /// How its errors are read.
    const DIALECT: &'static Dialect;
    /// Most attempts per [`upsert`](Self::upsert) statement. A batch of at most this many is
    /// one statement, atomic by itself; a larger one is a transaction of such statements.
    const UPSERT_ROWS: usize;
    /// Creates a run in state `running`; changes no row when the id exists in the workspace.
    /// Binds: workspace, id, suite, created_at_ms, spec (JSON).
    const INSERT_RUN: &'static str;

    /// Opens the database `config` names: connects, creates what is missing (as the config
    /// allows) and applies the migrations it lacks.
    fn open(
        config: &Self::Config,
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
