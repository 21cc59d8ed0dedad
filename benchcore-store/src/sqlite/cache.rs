//! [`SqliteResponseCache`]: the [`ResponseCache`] contract on the store's SQLite file.

use super::{error, queries};
use async_trait::async_trait;
use benchcore::{CacheKey, CachedReply, ResponseCache, StoreError, Workspace};
use sqlx::sqlite::SqlitePool;
use sqlx::Row;
use std::fmt;

/// Cached replies of one workspace, in the `response_cache` table of a [`SqliteStore`]'s
/// file; get one with [`SqliteStore::response_cache`].
///
/// Entries are keyed by the request's 64-bit hash and hold the canonical request text,
/// which a hit must equal: a hash collision is a miss. They survive closing the store, and
/// other processes sharing the file see them.
///
/// [`SqliteStore`]: super::SqliteStore
/// [`SqliteStore::response_cache`]: super::SqliteStore::response_cache
pub struct SqliteResponseCache {
    workspace: Workspace,
    label: String,
    writer: SqlitePool,
    reader: SqlitePool,
}

impl fmt::Debug for SqliteResponseCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteResponseCache")
            .field("database", &self.label)
            .field("workspace", &self.workspace)
            .finish_non_exhaustive()
    }
}

impl SqliteResponseCache {
    pub(super) fn new(
        workspace: Workspace,
        label: String,
        writer: SqlitePool,
        reader: SqlitePool,
    ) -> Self {
        Self {
            workspace,
            label,
            writer,
            reader,
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
            .fetch_one(&self.reader)
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

/// The hash as the `INTEGER` that stores it: the same 64 bits.
fn key_int(key: &CacheKey) -> i64 {
    key.hash() as i64
}

#[async_trait]
impl ResponseCache for SqliteResponseCache {
    async fn get(&self, key: &CacheKey) -> Result<Option<CachedReply>, StoreError> {
        let what = || format!("cannot read cached reply {key}");
        let row = sqlx::query(queries::CACHE_GET)
            .bind(self.workspace.as_str())
            .bind(key_int(key))
            .fetch_optional(&self.reader)
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
        let json =
            serde_json::to_string(reply).map_err(|e| error::encode(&self.label, &what(), e))?;
        sqlx::query(queries::CACHE_PUT)
            .bind(self.workspace.as_str())
            .bind(key_int(key))
            .bind(key.request())
            .bind(json.as_str())
            .bind(benchcore::now_ms() as i64)
            .execute(&self.writer)
            .await
            .map_err(|e| error::map(&self.label, &what(), e))?;
        Ok(())
    }
}
