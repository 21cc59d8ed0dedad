//! [`connect`]: opens the store a URL names, dispatching on its scheme.

use crate::config::config_error;
use crate::crypto::Keyring;
use crate::handle::StoreHandle;
use crate::url::scheme;
use benchcore::StoreError;
use std::sync::Arc;

/// Opens the store a URL names, with the encryption keys of the environment
/// (`BENCHCORE_ENCRYPTION_KEY`, `BENCHCORE_ENCRYPTION_KEY_PREVIOUS`, rotating first when
/// `BENCHCORE_ENCRYPTION_KEY_ROTATE_ON_START=true`; see [`Keyring::from_env`]), and returns
/// one [`StoreHandle`] for everything it offers:
///
/// - `sqlite://path`, `sqlite:path`, or a bare path (`bench.db`, `./runs/bench.db`): a
///   [`SqliteStore`](crate::SqliteStore) (feature `sqlite`, on by default). A missing file
///   is created in a folder that exists; a missing folder is an error naming it unless the
///   URL says `create_dirs=true` (see [`SqliteConfig::from_url`](crate::SqliteConfig::from_url)).
/// - `postgres://…` or `postgresql://…`: a `PostgresStore` (feature `postgres`), its schema
///   created when missing (see `PostgresConfig::from_url` for the settings, such as
///   `?schema=name`), with the work queue.
/// - anything else: an error naming the scheme.
///
/// ```no_run
/// # async fn example() -> Result<(), benchcore::StoreError> {
/// let handle = benchcore_store::connect("sqlite://runs/bench.db").await?;
/// assert!(handle.capabilities().persistent);
/// # Ok(())
/// # }
/// ```
///
/// No error, and no `Debug` output, ever shows the URL's password.
///
/// # Errors
/// A `Config` error for an unknown scheme, a backend whose feature is off, bad settings or a
/// bad key in the environment; otherwise whatever opening the backend fails with
/// (`Unavailable` when the server cannot be reached).
pub async fn connect(url: &str) -> Result<StoreHandle, StoreError> {
    open(url, Keyring::from_env).await
}

/// Opens the store a URL names, as [`connect`] does, with the keys of `keyring` instead of
/// the environment's.
///
/// # Errors
/// As [`connect`].
pub async fn connect_with_keyring(url: &str, keyring: Keyring) -> Result<StoreHandle, StoreError> {
    open(url, move || Ok(keyring)).await
}

/// Dispatches on the scheme; `keyring` is read once the URL is known to be good.
async fn open(
    url: &str,
    keyring: impl FnOnce() -> Result<Keyring, StoreError> + Send,
) -> Result<StoreHandle, StoreError> {
    if url.trim().is_empty() {
        return Err(config_error("store.url", "the store URL is empty"));
    }
    match scheme(url).as_deref() {
        #[cfg(feature = "sqlite")]
        None | Some("sqlite") => {
            let config = crate::SqliteConfig::from_url(url)?;
            let store = crate::SqliteStore::open_with_keyring(config, keyring()?).await?;
            Ok(StoreHandle::sql(Arc::new(store), url))
        }
        #[cfg(feature = "postgres")]
        Some("postgres" | "postgresql") => {
            let config = crate::PostgresConfig::from_url(url)?;
            let opened = crate::PostgresStore::open_with_keyring(config, keyring()?).await?;
            let store = Arc::new(opened);
            let queue: Arc<dyn benchcore::WorkQueue> = Arc::clone(&store) as _;
            let board: Arc<dyn benchcore::LimitBoard> = Arc::clone(&store) as _;
            Ok(StoreHandle::sql(store, url).with_queue(queue, board))
        }
        #[cfg(not(feature = "sqlite"))]
        None | Some("sqlite") => Err(not_built_in("sqlite", "SQLite", "a postgres:// URL")),
        // Never repeats the URL, which may hold a password.
        #[cfg(not(feature = "postgres"))]
        Some("postgres" | "postgresql") => Err(not_built_in(
            "postgres",
            "PostgreSQL",
            "a sqlite:// URL or a file path",
        )),
        Some(other) => Err(config_error(
            "store.url",
            format!(
                "store URL scheme `{other}` is not supported (use sqlite://path, a file path \
                 or postgres://…)"
            ),
        )),
    }
}

/// The error for a scheme whose backend is not built in: it names the feature to enable.
#[cfg(not(all(feature = "sqlite", feature = "postgres")))]
fn not_built_in(feature: &str, name: &str, instead: &str) -> StoreError {
    config_error(
        feature,
        format!(
            "{name} support is not built in (enable feature `{feature}` of benchcore-store); \
             use {instead}"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use benchcore::StoreErrorKind;

    #[cfg(not(feature = "postgres"))]
    #[tokio::test]
    async fn postgres_without_the_feature_names_the_feature() {
        for url in [
            "postgres://user:secret@localhost/bench",
            "postgresql://user:secret@localhost/bench",
        ] {
            let err = connect(url).await.err().unwrap();
            assert_eq!(err.kind(), StoreErrorKind::Config);
            assert!(
                err.message.contains("PostgreSQL support is not built in"),
                "{err}"
            );
            assert!(err.message.contains("feature `postgres`"), "{err}");
            assert!(!format!("{err:?}").contains("secret"), "leaks: {err:?}");
        }
    }

    #[tokio::test]
    async fn unknown_backends_say_what_to_do() {
        let err = connect("mysql://u:secret@localhost/bench")
            .await
            .err()
            .unwrap();
        assert_eq!(err.kind(), StoreErrorKind::Config);
        assert!(err.message.contains("`mysql`"), "{err}");
        assert!(!format!("{err:?}").contains("secret"), "leaks: {err:?}");
        let err = connect(" ").await.err().unwrap();
        assert_eq!(err.kind(), StoreErrorKind::Config);
    }
}
