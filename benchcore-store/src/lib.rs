#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "sqlite")]
mod config;
#[cfg(feature = "sqlite")]
pub mod sqlite;

#[cfg(feature = "sqlite")]
pub use config::SqliteConfig;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

use benchcore::{RunStore, StoreError, StoreErrorKind};
use std::sync::Arc;

/// Opens the store a URL names, dispatching on its scheme:
///
/// - `sqlite://path`, `sqlite:path`, or a bare path (`bench.db`, `./runs/bench.db`):
///   a [`SqliteStore`] (feature `sqlite`, on by default), created when missing;
/// - `postgres://…`: not built in yet;
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
        Some("postgres" | "postgresql") => Err(config_error(
            "postgres: PostgreSQL support is not built in yet (it will come with feature \
             `postgres` of benchcore-store); use a sqlite:// URL or a file path",
        )),
        Some(other) => Err(config_error(format!(
            "store URL scheme `{other}` is not supported (use sqlite://path or a file path)"
        ))),
    }
}

#[cfg(feature = "sqlite")]
async fn open_sqlite(url: &str) -> Result<Arc<dyn RunStore>, StoreError> {
    let store = SqliteConfig::from_url(url)?.open().await?;
    Ok(Arc::new(store))
}

#[cfg(not(feature = "sqlite"))]
#[allow(clippy::unused_async)]
async fn open_sqlite(_url: &str) -> Result<Arc<dyn RunStore>, StoreError> {
    Err(config_error(
        "sqlite: SQLite support is not built in (enable feature `sqlite` of benchcore-store)",
    ))
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

    #[tokio::test]
    async fn unknown_and_missing_backends_say_what_to_do() {
        let err = open("postgres://user:secret@localhost/bench")
            .await
            .err()
            .unwrap();
        assert_eq!(err.kind(), StoreErrorKind::Config);
        assert!(
            err.message
                .contains("PostgreSQL support is not built in yet"),
            "{err}"
        );
        assert!(err.message.contains("feature `postgres`"), "{err}");
        assert!(
            !err.message.contains("secret"),
            "the error leaks the password: {err}"
        );
        let err = open("mysql://localhost/bench").await.err().unwrap();
        assert_eq!(err.kind(), StoreErrorKind::Config);
        assert!(err.message.contains("`mysql`"), "{err}");
        assert_eq!(
            open(" ").await.err().unwrap().kind(),
            StoreErrorKind::Config
        );
    }
}
