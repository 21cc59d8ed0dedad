//! [`PostgresResponseCache`]: the [`ResponseCache`] contract in the store's PostgreSQL schema.

use super::{error, queries, store::json_without_nul};
use async_trait::async_trait;
use benchcore::{CacheKey, CachedReply, ResponseCache, StoreError, Workspace};
use sqlx::postgres::PgPool;
use sqlx::Row;
use std::fmt;

/// Cached replies of one workspace, in the `response_cache` table of a [`PostgresStore`]'s
/// schema; get one with [`PostgresStore::response_cache`].
///
/// Entries are keyed by the request's 64-bit hash and hold the canonical request text,
/// which a hit must equal: a hash collision is a miss. They survive closing the store, and
/// every process and machine using the schema sees them.
///
/// [`PostgresStore`]: super::PostgresStore
/// [`PostgresStore::response_cache`]: super::PostgresStore::response_cache
pub struct PostgresResponseCache {
    workspace: Workspace,
    label: String,
    pool: PgPool,
}

impl fmt::Debug for PostgresResponseCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresResponseCache")
            .field("database", &self.label)
            .field("workspace", &self.workspace)
            .finish_non_exhaustive()
    }
}

impl PostgresResponseCache {
    pub(super) fn new(workspace: Workspace, label: String, pool: PgPool) -> Self {
        Self {
            workspace,
            label,
            pool,
        }
    }

    /// The workspace whose entries it reads and writes.
    pub fn workspace(&self) -> &Workspace {
        &self.workspace
    }

    /// How many entries the workspace has.
    ///
    /// # Errors
    /// The database cannot be read.
    pub async fn len(&self) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar(queries::CACHE_COUNT)
            .bind(self.workspace.as_str())
            .fetch_one(&self.pool)
            .await
            .map_err(|e| error::map(&self.label, "cannot count cached replies", e))?;
        Ok(count as u64)
    }

    /// Whether the workspace has no entry.
    ///
    /// # Errors
    /// The database cannot be read.
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len().await? == 0)
    }
}

/// The hash as the `BIGINT` that stores it: the same 64 bits.
fn key_int(key: &CacheKey) -> i64 {
    key.hash() as i64
}

#[async_trait]
impl ResponseCache for PostgresResponseCache {
    async fn get(&self, key: &CacheKey) -> Result<Option<CachedReply>, StoreError> {
        let what = || format!("cannot read cached reply {key}");
        let row = sqlx::query(queries::CACHE_GET)
            .bind(self.workspace.as_str())
            .bind(key_int(key))
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| error::map(&self.label, &what(), e))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let request: &str = row
            .try_get(0)
            .map_err(|e| error::map(&self.label, &what(), e))?;
        if request != key.request() {
            return Ok(None);
        }
        let reply: &str = row
            .try_get(1)
            .map_err(|e| error::map(&self.label, &what(), e))?;
        serde_json::from_str(reply)
            .map(Some)
            .map_err(|e| error::corrupt(&self.label, &what(), e))
    }

    async fn put(&self, key: &CacheKey, reply: &CachedReply) -> Result<(), StoreError> {
        let what = || format!("cannot store cached reply {key}");
        let json = serde_json::to_string(reply)
            .map(json_without_nul)
            .map_err(|e| error::encode(&self.label, &what(), e))?;
        sqlx::query(queries::CACHE_PUT)
            .bind(self.workspace.as_str())
            .bind(key_int(key))
            .bind(key.request())
            .bind(json.as_str())
            .bind(benchcore::now_ms() as i64)
            .execute(&self.pool)
            .await
            .map_err(|e| error::map(&self.label, &what(), e))?;
        Ok(())
    }
}
