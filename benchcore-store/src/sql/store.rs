//! [`SqlStore`]: runs, attempts, saved agents, cached replies and quality metrics in one SQL
//! database, the same code for every backend.

use super::backend::{Backend, SqlBackend};
use super::cache::SqlResponseCache;
use super::driver::{args, fetch_one, On};
use super::error::Errors;
use super::keys;
use super::pools::Pools;
use super::queries::Queries;
use crate::crypto::Keyring;
use crate::vault::Rotation;
use benchcore::{StoreError, Workspace};
use std::fmt;
use std::sync::Arc;

/// Runs and attempts (and saved agents, cached replies and quality metrics) in a SQL
/// database, shared safely by several processes: [`SqliteStore`](crate::SqliteStore) is one
/// SQLite file, [`PostgresStore`](crate::PostgresStore) one schema of a PostgreSQL database.
///
/// Both backends run the same code and, but for a few statements, the same SQL; they pass the
/// same behaviour suite and give the same summaries row for row. Every call is one statement
/// or one transaction; the schema is created and migrated on open. Open one with
/// [`connect`](crate::connect), or with the backend's own `open` for finer control.
pub struct SqlStore<B: SqlBackend> {
    pools: Pools<B::Db>,
    config: B::Config,
    /// The keys saved agents' secrets are sealed and opened with.
    keyring: Keyring,
    /// What opening rotated.
    rotation: Rotation,
    /// Whether opening created the store.
    created: bool,
}

impl<B: SqlBackend> fmt::Debug for SqlStore<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlStore")
            .field("database", &self.pools.errors.label())
            .field("connections", &self.pools.writer.size())
            .field("keyring", &self.keyring)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

// Sealed: `Backend` is implemented by this crate's `SqlBackend`s only.
#[allow(private_bounds)]
impl<B: Backend> SqlStore<B> {
    /// Opens the database `config` describes, creating what is missing (as the config allows)
    /// and applying any schema migration it lacks.
    ///
    /// # Errors
    /// - `Config`: a bad setting, a missing file, folder or schema the config does not allow
    ///   to create, refused credentials or TLS settings.
    /// - `Corrupt`: not a database of this store, or a schema newer than this build or
    ///   changed by hand.
    /// - `Unavailable`: the server cannot be reached (the message names host, port and
    ///   database, never the password).
    /// - `Backend`: any other database failure.
    pub async fn open_with(config: B::Config) -> Result<Self, StoreError> {
        Self::open_with_keyring(config, Keyring::none()).await
    }

    /// Opens the database `config` describes, as [`open_with`](Self::open_with) does, with
    /// the keys saved agents' secrets are sealed with. When a key is loaded and the store has
    /// no key state yet, its fingerprint and a sentinel are stored; with
    /// [`Keyring::rotate_on_start`], every secret sealed by another key is re-encrypted under
    /// the current one first, in the same transaction, taken by one process at a time (a
    /// second open finds nothing to do).
    ///
    /// # Errors
    /// As [`open_with`](Self::open_with); and `Encryption` when a rotation meets a secret that
    /// neither key opens (nothing is changed then).
    pub async fn open_with_keyring(
        config: B::Config,
        keyring: Keyring,
    ) -> Result<Self, StoreError> {
        let errors = Errors::new(B::label(&config)?, B::DIALECT);
        let opened = B::open(&config, &errors).await?;
        let pools = Pools {
            writer: opened.writer,
            reader: opened.reader,
            errors,
            queries: Arc::new(Queries::new(B::JSON)),
        };
        let rotation = match keys::prepare::<B>(&pools, &keyring).await {
            Ok(rotation) => rotation,
            Err(e) => {
                pools.close().await;
                return Err(e);
            }
        };
        Ok(Self {
            pools,
            config,
            keyring,
            rotation,
            created: opened.created,
        })
    }
}

impl<B: SqlBackend> SqlStore<B> {
    /// What opening the store rotated (nothing unless rotation was asked for).
    pub fn rotation(&self) -> Rotation {
        self.rotation
    }

    /// Whether the store did not exist before this open (a new file, schema or database):
    /// opening created it. Front ends announce it, so that a mistyped location is noticed.
    pub fn created(&self) -> bool {
        self.created
    }

    /// The settings it was opened with.
    pub fn config(&self) -> &B::Config {
        &self.config
    }

    /// How messages name the database: `sqlite <path>`, or `postgres
    /// user@host:port/database` and its schema. It never holds a password.
    pub fn label(&self) -> &str {
        self.pools.errors.label()
    }

    /// The newest schema migration applied to the database.
    ///
    /// # Errors
    /// The database cannot be read.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let sql = self.pools.queries.schema_version;
        let what = "cannot read the schema version";
        let row = fetch_one(On::Pool(&self.pools.reader), sql, args![])
            .await
            .map_err(|e| self.pools.errors.sql(what, e))?;
        self.pools.read_row(&row, |r| r.i64(0))
    }

    /// The response cache of `workspace`, kept in the store's `response_cache` table and
    /// sharing its connections.
    pub fn response_cache(&self, workspace: &Workspace) -> Arc<SqlResponseCache<B>> {
        Arc::new(SqlResponseCache::new(workspace.clone(), self.pools.clone()))
    }

    /// Closes every connection, waiting for calls in flight. Later calls fail.
    pub async fn close(&self) {
        self.pools.close().await;
    }

    /// The connections, statements and error naming.
    pub(crate) fn pools(&self) -> &Pools<B::Db> {
        &self.pools
    }

    /// The keys secrets are sealed and opened with.
    pub(crate) fn keyring(&self) -> &Keyring {
        &self.keyring
    }
}

/// A `LIMIT` for an optional count: no count is the largest one.
pub(crate) fn limit(count: Option<usize>) -> i64 {
    count.map_or(i64::MAX, |n| i64::try_from(n).unwrap_or(i64::MAX))
}
