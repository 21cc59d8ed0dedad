//! [`SqlResponseCache`]: the [`ResponseCache`] contract in a SQL store's `response_cache`
//! table.

use super::backend::{Backend, SqlBackend};
use super::driver::args;
use super::pools::Pools;
use async_trait::async_trait;
use benchcore::{CacheKey, CachedReply, ResponseCache, StoreError, Workspace};
use std::fmt;

/// Cached replies of one workspace, in the `response_cache` table of a
/// [`SqlStore`](super::SqlStore); get one with
/// [`SqlStore::response_cache`](super::SqlStore::response_cache) or
/// [`StoreHandle::response_cache`](crate::StoreHandle::response_cache).
///
/// Entries are keyed by the request's 64-bit hash and hold the canonical request text, which
/// a hit must equal: a hash collision is a miss. They survive closing the store, and every
/// process sharing the store sees them.
pub struct SqlResponseCache<B: SqlBackend> {
    workspace: Workspace,
    pools: Pools<B::Db>,
}

impl<B: SqlBackend> fmt::Debug for SqlResponseCache<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlResponseCache")
            .field("database", &self.pools.errors.label())
            .field("workspace", &self.workspace)
            .finish_non_exhaustive()
    }
}

impl<B: SqlBackend> SqlResponseCache<B> {
    pub(crate) fn new(workspace: Workspace, pools: Pools<B::Db>) -> Self {
        Self { workspace, pools }
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
        let sql = self.pools.queries.cache_count;
        let args = args![self.workspace.as_str()];
        let count = self
            .pools
            .read_optional("cannot count cached replies", sql, args, |r| r.u64(0))
            .await?;
        Ok(count.unwrap_or(0))
    }

    /// Whether the workspace has no entry.
    ///
    /// # Errors
    /// The database cannot be read.
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len().await? == 0)
    }
}

/// The hash as the signed 64-bit column that stores it: the same 64 bits.
fn key_int(key: &CacheKey) -> i64 {
    key.hash() as i64
}

#[async_trait]
impl<B: Backend> ResponseCache for SqlResponseCache<B> {
    async fn get(&self, key: &CacheKey) -> Result<Option<CachedReply>, StoreError> {
        let what = format!("cannot read cached reply {key}");
        let sql = &self.pools.queries.cache_get;
        let args = args![self.workspace.as_str(), key_int(key)];
        let found = self
            .pools
            .read_optional(&what, sql, args, |r| Ok((r.string(0)?, r.string(1)?)))
            .await?;
        match found {
            Some((request, reply)) if request == key.request() => serde_json::from_str(&reply)
                .map(Some)
                .map_err(|e| self.pools.errors.corrupt(&what, e)),
            _ => Ok(None),
        }
    }

    async fn put(&self, key: &CacheKey, reply: &CachedReply) -> Result<(), StoreError> {
        let what = format!("cannot store cached reply {key}");
        let json = serde_json::to_string(reply)
            .map(|json| B::NUL.json(json))
            .map_err(|e| self.pools.errors.encode(&what, e))?;
        let args = args![
            self.workspace.as_str(),
            key_int(key),
            key.request(),
            json.as_str(),
            benchcore::now_ms() as i64,
        ];
        let sql = &self.pools.queries.cache_put;
        self.pools.write(&what, sql, args).await.map(drop)
    }
}
