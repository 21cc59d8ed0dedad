#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "sqlite")]
mod config;
#[cfg(feature = "sqlite")]
pub mod sqlite;

#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod rows;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql_error;

// Without a backend, the helpers the backends share have no caller.
#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
pub mod crypto;
#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
mod vault;

pub use crypto::{EncryptionKey, KeyFormat, Keyring};
pub use vault::{AgentVault, EncryptionStatus, Rotation, SavedAgent};

#[cfg(feature = "sqlite")]
pub use config::SqliteConfig;
#[cfg(feature = "postgres")]
pub use postgres::{PostgresConfig, PostgresResponseCache, PostgresStore};
#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteResponseCache, SqliteStore};

use benchcore::{ResponseCache, RunStore, StoreError, StoreErrorKind, WorkQueue, Workspace};
use std::sync::Arc;

/// A store opened by [`open_with_cache`], with the response cache of one workspace in it.
pub type StoreWithCache = (Arc<dyn RunStore>, Arc<dyn ResponseCache>);

/// Opens the store a URL names, dispatching on its scheme (with the encryption keys of the
/// environment, see [`open_vault`]):
///
/// - `sqlite://path`, `sqlite:path`, or a bare path (`bench.db`, `./runs/bench.db`):
///   a [`SqliteStore`] (feature `sqlite`, on by default), created when missing;
/// - `postgres://…` or `postgresql://…`: a `PostgresStore` (feature `postgres`), its
///   schema created when missing (see `PostgresConfig::from_url` for the settings, such as
///   `?schema=name`);
/// - anything else: an error naming the scheme.
///
/// ```no_run
/// # async fn example() -> Result<(), benchcore::StoreError> {
/// let store = benchcore_store::open("sqlite://runs/bench.db").await?;
/// assert!(store.capabilities().persistent);
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// A `Config` error for an unknown scheme, a backend whose feature is off, or bad settings;
/// otherwise whatever opening the backend fails with.
pub async fn open(url: &str) -> Result<Arc<dyn RunStore>, StoreError> {
    if url.trim().is_empty() {
        return Err(config_error("the store URL is empty"));
    }
    match scheme(url).as_deref() {
        None | Some("sqlite") => open_sqlite(url).await,
        Some("postgres" | "postgresql") => open_postgres(url).await,
        Some(other) => Err(config_error(format!(
            "store URL scheme `{other}` is not supported (use sqlite://path, a file path or \
             postgres://…)"
        ))),
    }
}

/// Opens the store a URL names, as [`open`] does, together with its response cache for
/// `workspace` (the backend must have the `response_cache` capability).
///
/// ```no_run
/// # async fn example() -> Result<(), benchcore::StoreError> {
/// use benchcore::Workspace;
/// let (store, cache) =
///     benchcore_store::open_with_cache("runs/bench.db", &Workspace::default()).await?;
/// assert!(store.capabilities().response_cache);
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// As [`open`]; and a `Config` error for a backend without a response cache.
pub async fn open_with_cache(
    url: &str,
    workspace: &Workspace,
) -> Result<StoreWithCache, StoreError> {
    if url.trim().is_empty() {
        return Err(config_error("the store URL is empty"));
    }
    match scheme(url).as_deref() {
        None | Some("sqlite") => open_sqlite_with_cache(url, workspace).await,
        Some("postgres" | "postgresql") => open_postgres_with_cache(url, workspace).await,
        _ => {
            // Name what is wrong with the URL the way `open` does.
            let _ = open(url).await?;
            Err(config_error(format!(
                "the store at {url} has no response cache (capability `response_cache`)"
            )))
        }
    }
}

#[cfg(feature = "sqlite")]
async fn open_sqlite_with_cache(
    url: &str,
    workspace: &Workspace,
) -> Result<StoreWithCache, StoreError> {
    let store = sqlite_from_env(url).await?;
    let cache = store.response_cache(workspace);
    Ok((Arc::new(store), cache))
}

#[cfg(not(feature = "sqlite"))]
#[allow(clippy::unused_async)]
async fn open_sqlite_with_cache(
    _url: &str,
    _workspace: &Workspace,
) -> Result<StoreWithCache, StoreError> {
    Err(config_error(
        "sqlite: SQLite support is not built in (enable feature `sqlite` of benchcore-store)",
    ))
}

#[cfg(feature = "sqlite")]
async fn open_sqlite(url: &str) -> Result<Arc<dyn RunStore>, StoreError> {
    Ok(Arc::new(sqlite_from_env(url).await?))
}

/// The SQLite store of `url` with the keys of the environment.
#[cfg(feature = "sqlite")]
async fn sqlite_from_env(url: &str) -> Result<SqliteStore, StoreError> {
    SqliteStore::open_with_keyring(SqliteConfig::from_url(url)?, Keyring::from_env()?).await
}

/// The PostgreSQL store of `url` with the keys of the environment.
#[cfg(feature = "postgres")]
async fn postgres_from_env(url: &str) -> Result<PostgresStore, StoreError> {
    PostgresStore::open_with_keyring(PostgresConfig::from_url(url)?, Keyring::from_env()?).await
}

/// A store and its work queue, sharing one connection pool.
pub type StoreWithQueue = (Arc<dyn RunStore>, Arc<dyn WorkQueue>);

/// Opens the store a URL names together with its work queue, for `run --detach` and workers.
/// Only PostgreSQL keeps a work queue (capability `work_queue`): many processes on many
/// machines claim from it at once.
///
/// # Errors
/// As [`open`]; and a `Config` error for a store without a work queue.
pub async fn open_with_queue(url: &str) -> Result<StoreWithQueue, StoreError> {
    match scheme(url).as_deref() {
        #[cfg(feature = "postgres")]
        Some("postgres" | "postgresql") => {
            let store = Arc::new(postgres_from_env(url).await?);
            let queue: Arc<dyn WorkQueue> = Arc::clone(&store) as Arc<dyn WorkQueue>;
            Ok((store, queue))
        }
        _ => {
            // Name what is wrong with the URL the way `open` does.
            let _ = open(url).await?;
            Err(config_error(format!(
                "the store at {url} has no work queue (capability `work_queue`): workers \
                 share runs through PostgreSQL (postgres://…)"
            )))
        }
    }
}

/// Opens the saved agents of the store a URL names, as [`open`] does: with the keys of
/// `BENCHCORE_ENCRYPTION_KEY` and `BENCHCORE_ENCRYPTION_KEY_PREVIOUS`, rotating first when
/// `BENCHCORE_ENCRYPTION_KEY_ROTATE_ON_START=true` (see [`Keyring::from_env`]).
///
/// # Errors
/// As [`open`]; and a `Config` error for a bad key in the environment.
pub async fn open_vault(url: &str) -> Result<Arc<dyn AgentVault>, StoreError> {
    if url.trim().is_empty() {
        return Err(config_error("the store URL is empty"));
    }
    match scheme(url).as_deref() {
        #[cfg(feature = "sqlite")]
        None | Some("sqlite") => Ok(Arc::new(sqlite_from_env(url).await?)),
        #[cfg(feature = "postgres")]
        Some("postgres" | "postgresql") => Ok(Arc::new(postgres_from_env(url).await?)),
        _ => {
            // Name what is wrong with the URL the way `open` does.
            let _ = open(url).await?;
            Err(config_error(format!(
                "the store at {url} cannot keep saved agents (capability `encryption`)"
            )))
        }
    }
}

#[cfg(not(feature = "sqlite"))]
#[allow(clippy::unused_async)]
async fn open_sqlite(_url: &str) -> Result<Arc<dyn RunStore>, StoreError> {
    Err(config_error(
        "sqlite: SQLite support is not built in (enable feature `sqlite` of benchcore-store)",
    ))
}

#[cfg(feature = "postgres")]
async fn open_postgres(url: &str) -> Result<Arc<dyn RunStore>, StoreError> {
    Ok(Arc::new(postgres_from_env(url).await?))
}

#[cfg(feature = "postgres")]
async fn open_postgres_with_cache(
    url: &str,
    workspace: &Workspace,
) -> Result<StoreWithCache, StoreError> {
    let store = postgres_from_env(url).await?;
    let cache = store.response_cache(workspace);
    Ok((Arc::new(store), cache))
}

#[cfg(not(feature = "postgres"))]
#[allow(clippy::unused_async)]
async fn open_postgres(_url: &str) -> Result<Arc<dyn RunStore>, StoreError> {
    Err(postgres_missing())
}

#[cfg(not(feature = "postgres"))]
#[allow(clippy::unused_async)]
async fn open_postgres_with_cache(
    _url: &str,
    _workspace: &Workspace,
) -> Result<StoreWithCache, StoreError> {
    Err(postgres_missing())
}

/// The error for a `postgres://` URL in a build without the feature. It never repeats the
/// URL, which may hold a password.
#[cfg(not(feature = "postgres"))]
fn postgres_missing() -> StoreError {
    config_error(
        "postgres: PostgreSQL support is not built in (enable feature `postgres` of \
         benchcore-store); use a sqlite:// URL or a file path",
    )
}

/// The URL's scheme, lowercased, when it has one: letters first, then letters, digits, `+`,
/// `-` or `.`, then `:`. A single letter is a Windows drive, not a scheme.
fn scheme(url: &str) -> Option<String> {
    let (scheme, _) = url.split_once(':')?;
    let valid = scheme.len() > 1
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then(|| scheme.to_ascii_lowercase())
}

fn config_error(message: impl Into<String>) -> StoreError {
    StoreError::new(StoreErrorKind::Config, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes() {
        assert_eq!(scheme("sqlite://a.db").as_deref(), Some("sqlite"));
        assert_eq!(scheme("SQLite:a.db").as_deref(), Some("sqlite"));
        assert_eq!(scheme("postgres://u:pw@h/db").as_deref(), Some("postgres"));
        assert_eq!(scheme("bench.db"), None);
        assert_eq!(scheme("./runs/bench.db"), None);
        assert_eq!(scheme(r"C:\runs\bench.db"), None);
        assert_eq!(scheme("runs/v2:bench.db"), None);
    }

    #[cfg(not(feature = "postgres"))]
    #[tokio::test]
    async fn postgres_without_the_feature_names_the_feature() {
        for url in [
            "postgres://user:secret@localhost/bench",
            "postgresql://user:secret@localhost/bench",
        ] {
            let err = open(url).await.err().unwrap();
            assert_eq!(err.kind(), StoreErrorKind::Config);
            assert!(
                err.message.contains("PostgreSQL support is not built in"),
                "{err}"
            );
            assert!(err.message.contains("feature `postgres`"), "{err}");
            assert!(
                !err.message.contains("secret"),
                "the error leaks the password: {err}"
            );
            let err = open_with_cache(url, &Workspace::default())
                .await
                .err()
                .unwrap();
            assert!(err.message.contains("feature `postgres`"), "{err}");
        }
    }

    #[cfg(feature = "postgres")]
    #[tokio::test]
    async fn postgres_connection_errors_name_the_server_not_the_password() {
        // Port 1 on loopback: nothing listens there, so connecting is refused at once.
        let err = open("postgresql://bench:secret@127.0.0.1:1/results?connect_timeout_ms=5000")
            .await
            .err()
            .unwrap();
        assert_eq!(err.kind(), StoreErrorKind::Backend, "{err}");
        assert!(
            err.message
                .starts_with("postgres bench@127.0.0.1:1/results: cannot connect"),
            "{err}"
        );
        assert!(!format!("{err:?}").contains("secret"), "leaks: {err:?}");
    }

    #[tokio::test]
    async fn unknown_backends_say_what_to_do() {
        let err = open("mysql://localhost/bench").await.err().unwrap();
        assert_eq!(err.kind(), StoreErrorKind::Config);
        assert!(err.message.contains("`mysql`"), "{err}");
        assert_eq!(
            open(" ").await.err().unwrap().kind(),
            StoreErrorKind::Config
        );
    }
}
