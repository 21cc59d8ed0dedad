//! Errors that are safe to show and say what to do: a store URL's password never appears in
//! any error (message, cause chain or `Debug`), whatever characters it holds and however
//! opening fails; a store that cannot be reached for now is `Unavailable`, so callers may
//! retry.
#![cfg(any(feature = "sqlite", feature = "postgres"))]

mod support;

use benchcore::{StoreError, StoreErrorKind};
use std::error::Error as _;

/// Everything an error can print: its message, every cause, and its `Debug` form.
fn everything(err: &StoreError) -> String {
    let mut text = format!("{err} | {err:#} | {err:?}");
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(&format!(" | {cause} | {cause:?}"));
        source = cause.source();
    }
    text
}

/// Asserts that nothing `err` prints holds any form of `password`.
fn assert_hidden(err: &StoreError, password: &str) {
    let text = everything(err);
    for form in [
        password,
        &password.replace("%21", "!"),
        "S3cret",
        "p@ss",
        "w/rd",
    ] {
        assert!(!text.contains(form), "the error shows {form:?}: {text}");
    }
}

/// The passwords the tests use, as written in a URL: URL-special characters as they are,
/// percent-encoded, and plain.
const PASSWORDS: [&str; 3] = ["p@ss:w/rd%21", "p%40ss%3Aw%2Frd%2521", "S3cretPW99"];

#[tokio::test]
async fn bad_settings_never_show_the_password() {
    for password in PASSWORDS {
        for url in [
            format!("postgres://user:{password}@127.0.0.1/nope?bogus=1"),
            format!("postgresql://user:{password}@127.0.0.1:port/nope"),
            format!("postgres://user:{password}@127.0.0.1/nope?schema=Not-A-Schema"),
            format!("postgres://user:{password}@127.0.0.1/nope?pool_size=x"),
            format!("mysql://user:{password}@127.0.0.1/nope"),
        ] {
            let err = benchcore_store::connect(&url).await.unwrap_err();
            assert_eq!(err.kind(), StoreErrorKind::Config, "{url}: {err}");
            assert_hidden(&err, password);
            assert!(!benchcore_store::redact_url(&url).contains("w/rd"), "{url}");
        }
    }
}

#[cfg(feature = "postgres")]
mod postgres {
    use super::support::postgres::{base_url, TestSchema};
    use super::{assert_hidden, PASSWORDS};
    use benchcore::{RunStore, StoreErrorKind, Workspace};
    use benchcore_store::{PostgresConfig, PostgresStore};
    use sqlx::Connection;
    use std::time::Duration;

    /// Nothing listens on port 1 of loopback: connecting is refused at once.
    #[tokio::test]
    async fn an_unreachable_server_is_unavailable_and_never_shows_the_password() {
        for password in PASSWORDS {
            let url = format!("postgres://user:{password}@127.0.0.1:1/nope");
            let err = benchcore_store::connect(&url).await.unwrap_err();
            assert_eq!(err.kind(), StoreErrorKind::Unavailable, "{err}");
            assert!(
                err.message
                    .starts_with("postgres user@127.0.0.1:1/nope: cannot connect"),
                "{err}"
            );
            assert_hidden(&err, password);
        }
    }

    /// The real server refuses an unknown role or database: a `Config` error naming user,
    /// host and database, never the password.
    #[tokio::test]
    async fn a_refused_login_never_shows_the_password() {
        let base = PostgresConfig::from_url(&base_url()).unwrap();
        for password in PASSWORDS {
            for (user, database) in [("benchcore_nobody", "test"), (base.user.as_str(), "nope")] {
                let url = format!(
                    "postgres://{user}:{password}@{}:{}/{database}",
                    base.host, base.port
                );
                let err = benchcore_store::connect(&url).await.unwrap_err();
                assert_eq!(err.kind(), StoreErrorKind::Config, "{err}");
                let named = format!("{user}@{}:{}/{database}", base.host, base.port);
                assert!(err.message.contains(&named), "{err}");
                assert_hidden(&err, password);
            }
        }
    }

    #[tokio::test]
    async fn handles_and_stores_never_show_the_password() {
        let schema = TestSchema::new().await;
        let url = schema.url().replacen('@', ":S3cretPW99@", 1);
        // Trust authentication: the server accepts any password.
        let handle = benchcore_store::connect(&url).await.unwrap();
        let shown = format!("{handle:?} {}", handle.url());
        assert!(!shown.contains("S3cret"), "{shown}");
        assert!(handle.url().contains(":***@"), "{shown}");
        let store = PostgresStore::open(&url).await.unwrap();
        let shown = format!("{store:?} {:?} {}", store.config(), store.label());
        assert!(!shown.contains("S3cret"), "{shown}");
    }

    /// A connection holding a lock on the `runs` table, in a transaction left open, so that
    /// the store's calls on the table wait.
    async fn lock_runs(schema: &TestSchema) -> sqlx::PgConnection {
        let mut conn = schema.connection().await;
        for statement in ["BEGIN", "LOCK TABLE runs IN ACCESS EXCLUSIVE MODE"] {
            sqlx::query(statement).execute(&mut conn).await.unwrap();
        }
        conn
    }

    /// With a pool of one connection held by a call blocked on a lock, the next call gets no
    /// connection within the timeout: `Unavailable`.
    #[tokio::test]
    async fn no_free_connection_in_time_is_unavailable() {
        let schema = TestSchema::new().await;
        let url = format!("{}&connect_timeout_ms=300", schema.url())
            .replace("pool_size=4", "pool_size=1");
        let store = PostgresStore::open(&url).await.unwrap();
        let locker = lock_runs(&schema).await;
        let ws = Workspace::default();
        let blocked = store.get_run(&ws, "r");
        let waiting = async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            store.get_run(&ws, "r").await
        };
        let (_, second) = tokio::join!(
            async {
                let _ = tokio::time::timeout(Duration::from_secs(2), blocked).await;
            },
            waiting
        );
        let err = second.unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Unavailable, "{err}");
        assert!(err.message.contains("no connection came free"), "{err}");
        let _ = locker.close().await;
    }

    /// The server ends the store's connection in the middle of a call (an administrator, a
    /// restart): the call fails `Unavailable`, and the next one gets a new connection.
    #[tokio::test]
    async fn a_connection_ended_by_the_server_is_unavailable() {
        let schema = TestSchema::new().await;
        let name = format!("bc_{}", schema.name());
        let url = format!("{}&application_name={name}", schema.url());
        let store = PostgresStore::open(&url).await.unwrap();
        let ws = Workspace::default();
        let mut admin = lock_runs(&schema).await;
        let blocked = store.get_run(&ws, "r");
        let terminate = async {
            let mut killer = super::support::postgres::connect().await;
            for _ in 0..50 {
                tokio::time::sleep(Duration::from_millis(50)).await;
                let ended: Vec<bool> = sqlx::query_scalar(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE application_name = $1 AND wait_event_type = 'Lock'",
                )
                .bind(&name)
                .fetch_all(&mut killer)
                .await
                .unwrap();
                if !ended.is_empty() {
                    break;
                }
            }
            let _ = killer.close().await;
        };
        let (result, ()) = tokio::join!(blocked, terminate);
        let err = result.unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Unavailable, "{err}");
        sqlx::query("ROLLBACK").execute(&mut admin).await.unwrap();
        let _ = admin.close().await;
        assert!(store.get_run(&ws, "r").await.unwrap().is_none());
    }
}
