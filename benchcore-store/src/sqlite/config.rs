//! [`SqliteConfig`]: which file, and how to connect to it.

use crate::config::{self, config_error, millis, setters};
use benchcore::StoreError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The URL query settings [`SqliteConfig::from_url`] reads.
const SETTINGS: &str = "create_if_missing, create_dirs, pool_size, busy_timeout_ms";

/// Settings of a [`SqliteStore`](crate::SqliteStore): which file, and how to connect to it.
///
/// ```
/// use benchcore_store::SqliteConfig;
///
/// let config = SqliteConfig::from_url("sqlite://runs/bench.db?pool_size=2").unwrap();
/// assert_eq!(config.path, std::path::Path::new("runs/bench.db"));
/// assert_eq!(config.pool_size, 2);
/// assert!(config.create_if_missing);
/// // A URL never creates folders unless it says so: a mistyped folder is an error.
/// assert!(!config.create_dirs);
/// ```
// `Debug` is derived: it holds no secret (a secret added later is a `benchcore::Secret`,
// which prints `***`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct SqliteConfig {
    /// The database file (default `benchcore.db`).
    pub path: PathBuf,
    /// Create the file when missing, in a folder that exists (default `true`).
    pub create_if_missing: bool,
    /// Create the file's folder, and the folders above it, when missing (default `false`: a
    /// missing folder is an error naming it, so that a mistyped path never becomes a new
    /// empty store). [`SqliteStore::open`](crate::SqliteStore::open) turns it on.
    pub create_dirs: bool,
    /// Connections for reads (default 4). Writes go through one further connection.
    pub pool_size: u32,
    /// How long a write waits for another process's write lock, in milliseconds
    /// (default 10 000).
    pub busy_timeout_ms: u64,
}

impl Default for SqliteConfig {
    fn default() -> Self {
        Self {
            path: PathBuf::from("benchcore.db"),
            create_if_missing: true,
            create_dirs: false,
            pool_size: 4,
            busy_timeout_ms: 10_000,
        }
    }
}

impl SqliteConfig {
    /// Defaults for the file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            ..Self::default()
        }
    }

    /// Reads `sqlite://path`, `sqlite:path` or a bare path, with optional query settings
    /// `create_if_missing=true|false`, `create_dirs=true|false`, `pool_size=N` and
    /// `busy_timeout_ms=N`. `sqlite:///abs/path.db` is an absolute path, `sqlite://rel.db` a
    /// relative one.
    ///
    /// # Errors
    /// An in-memory URL, an empty path, or a query setting that is unknown or not a value.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        let (path, query) = match rest.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (rest, None),
        };
        if path == ":memory:" {
            return Err(config_error(
                "store.url",
                format!("{url:?}: in-memory SQLite is not supported (use benchcore::MemoryStore)"),
            ));
        }
        let mut config = Self::new(path);
        for setting in config::settings(query)? {
            match setting.key.as_str() {
                "create_if_missing" => config.create_if_missing = setting.parse("true or false")?,
                "create_dirs" => config.create_dirs = setting.parse("true or false")?,
                "pool_size" => config.pool_size = setting.parse("a number")?,
                "busy_timeout_ms" => config.busy_timeout_ms = setting.parse("a number")?,
                _ => return Err(setting.unknown(SETTINGS)),
            }
        }
        config.validate()?;
        Ok(config)
    }

    setters! {
        /// Sets whether to create a missing file (in a folder that exists).
        create_if_missing(create: bool) => create_if_missing = create;
        /// Sets whether to create the file's missing folders.
        create_dirs(create: bool) => create_dirs = create;
        /// Sets the number of read connections.
        pool_size(connections: u32) => pool_size = connections;
        /// Sets how long a write waits for another writer.
        busy_timeout(timeout: Duration) => busy_timeout_ms = millis(timeout);
    }

    /// Checks every field.
    ///
    /// # Errors
    /// A `Config` error naming the bad field: an empty path or a pool of no connections.
    pub fn validate(&self) -> Result<(), StoreError> {
        if self.path.as_os_str().is_empty() {
            return Err(config_error("store.sqlite.path", "is empty"));
        }
        if self.pool_size == 0 {
            return Err(config_error("store.sqlite.pool_size", "must be at least 1"));
        }
        Ok(())
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use benchcore::StoreErrorKind;

    #[test]
    fn urls() {
        let abs = SqliteConfig::from_url("sqlite:///var/lib/bench.db").unwrap();
        assert_eq!(abs.path, Path::new("/var/lib/bench.db"));
        let rel = SqliteConfig::from_url("sqlite:bench.db?create_if_missing=false").unwrap();
        assert_eq!(rel.path, Path::new("bench.db"));
        assert!(!rel.create_if_missing && !rel.create_dirs);
        let dirs = SqliteConfig::from_url("sqlite://a/b.db?create_dirs=true").unwrap();
        assert!(dirs.create_dirs);
        assert_eq!(
            SqliteConfig::from_url("out/x.db").unwrap().path,
            Path::new("out/x.db")
        );
        let err = SqliteConfig::from_url("sqlite://x.db?pool=3").unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Config);
        assert!(err.message.contains("store.url.pool"), "{err}");
        let err = SqliteConfig::from_url("sqlite://x.db?pool_size=0").unwrap_err();
        assert!(
            err.message.contains("pool_size: must be at least 1"),
            "{err}"
        );
        assert!(SqliteConfig::from_url("sqlite::memory:").is_err());
        assert!(SqliteConfig::from_url("sqlite://").is_err());
    }

    #[test]
    fn debug_lists_fields() {
        let text = format!("{:?}", SqliteConfig::new("a.db").pool_size(2));
        assert!(
            text.contains("\"a.db\"") && text.contains("pool_size: 2"),
            "{text}"
        );
    }
}
