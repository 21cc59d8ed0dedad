//! What only the PostgreSQL store does on open: its schema, its types, concurrent opens,
//! its URLs.

use crate::support::postgres::{base_url, TestSchema};
use crate::support::Place;
use benchcore::{RunSpec, RunStore, StoreErrorKind, Workspace};
use benchcore_store::postgres::latest_schema_version;
use benchcore_store::PostgresStore;
use sqlx::Connection;
use std::sync::Arc;

/// The versions recorded in the schema's `_sqlx_migrations` table.
async fn applied(schema: &TestSchema) -> Vec<i64> {
    schema.versions().await
}

#[tokio::test]
async fn the_tables_are_in_the_schema() {
    let schema = TestSchema::new().await;
    let store = PostgresStore::open(&schema.url()).await.unwrap();
    assert_eq!(latest_schema_version(), 8);
    assert_eq!(
        store.schema_version().await.unwrap(),
        latest_schema_version()
    );
    assert_eq!(store.config().schema.as_deref(), Some(schema.name()));
    // The tables are in the schema, not in `public`.
    let mut conn = schema.connection().await;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = $1 ORDER BY table_name",
    )
    .bind(schema.name())
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        tables,
        [
            "_sqlx_migrations",
            "api_tokens",
            "attempt_metrics",
            "attempts",
            "encryption_key_state",
            "memberships",
            "response_cache",
            "run_agents",
            "run_limits",
            "runs",
            "saved_agents",
            "sessions",
            "users",
            "work_queue",
            "workspaces"
        ]
    );
    conn.close().await.unwrap();
}

#[tokio::test]
async fn json_columns_are_jsonb_and_counts_bigint() {
    let schema = TestSchema::new().await;
    let _store = PostgresStore::open(&schema.url()).await.unwrap();
    let mut conn = schema.connection().await;
    let types: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text \
         FROM information_schema.columns WHERE table_schema = $1 \
           AND column_name IN ('spec', 'transcript', 'evaluations', 'reports', 'reply', \
                               'input_tokens', 'score', 'cached', 'seq') \
         ORDER BY table_name, column_name",
    )
    .bind(schema.name())
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let types: Vec<(&str, &str, &str)> = types
        .iter()
        .map(|(t, c, d)| (t.as_str(), c.as_str(), d.as_str()))
        .collect();
    assert_eq!(
        types,
        [
            ("attempt_metrics", "score", "double precision"),
            ("attempts", "cached", "boolean"),
            ("attempts", "evaluations", "jsonb"),
            ("attempts", "input_tokens", "bigint"),
            ("attempts", "reports", "jsonb"),
            ("attempts", "score", "double precision"),
            ("attempts", "transcript", "jsonb"),
            ("response_cache", "reply", "jsonb"),
            ("runs", "seq", "bigint"),
            ("runs", "spec", "jsonb"),
            ("work_queue", "seq", "bigint"),
        ]
    );
    conn.close().await.unwrap();
}

/// sqlx's migrator takes a PostgreSQL advisory lock, and creating the schema takes one of
/// the store's: four stores opening one new schema at the same moment (each on its own
/// connections, as four processes would) create it once and apply each migration once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_stores_opening_a_fresh_schema_at_once_migrate_it_once() {
    let schema = TestSchema::new().await;
    let url = schema.url();
    let start = Arc::new(tokio::sync::Barrier::new(4));
    let opening: Vec<_> = (0..4)
        .map(|_| {
            let (url, start) = (url.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                PostgresStore::open(&url).await
            })
        })
        .collect();
    let mut stores = Vec::new();
    for (i, task) in opening.into_iter().enumerate() {
        let store = task
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("store {i} failed to open: {e}"));
        stores.push(store);
    }
    assert_eq!(applied(&schema).await, vec![1, 2, 3, 4, 5, 6, 7, 8]);
    let ws = Workspace::default();
    for (i, store) in stores.iter().enumerate() {
        assert_eq!(store.schema_version().await.unwrap(), 8);
        store
            .create_run(&ws, &format!("run-{i}"), &RunSpec::default())
            .await
            .unwrap();
    }
    // Every store sees every other store's run: one schema, not four.
    for store in &stores {
        let runs = store
            .list_runs(&ws, &benchcore::RunFilter::default())
            .await
            .unwrap();
        assert_eq!(runs.len(), 4);
    }
}

#[tokio::test]
async fn a_failed_migration_releases_the_lock() {
    let schema = TestSchema::new().await;
    PostgresStore::open(&schema.url())
        .await
        .unwrap()
        .close()
        .await;
    let mut conn = schema.connection().await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from the future', TRUE, '\\x00', 0)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    let err = PostgresStore::open(&schema.url()).await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Corrupt, "{err}");
    assert!(err.message.contains("9999"), "{err}");
    assert!(err.message.contains(schema.name()), "{err}");
    // The failed open released the migration lock: opening a new schema is not blocked.
    let other = TestSchema::new().await;
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        PostgresStore::open(&other.url()),
    )
    .await
    .expect("a failed migration left the advisory lock held")
    .unwrap();
}

#[tokio::test]
async fn missing_schema_without_create_is_a_config_error() {
    let schema = TestSchema::new().await;
    let err = schema
        .config()
        .create_schema(false)
        .open()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Config, "{err}");
    assert!(err.message.contains(schema.name()), "{err}");
    assert!(err.message.contains("does not exist"), "{err}");
}

#[tokio::test]
async fn an_unknown_database_is_a_config_error_naming_it_and_not_the_password() {
    let base = benchcore_store::PostgresConfig::from_url(&base_url()).unwrap();
    let mut config = base
        .clone()
        .database("benchcore_no_such_db")
        .password("hunter2");
    config.schema = None;
    let err = config.open().await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Config, "{err}");
    let text = format!("{err} {err:?}");
    assert!(
        text.contains(&format!(
            "{}@{}:{}/benchcore_no_such_db",
            base.user, base.host, base.port
        )),
        "the error does not name user, host, port and database: {text}"
    );
    assert!(
        !text.contains("hunter2"),
        "the error leaks the password: {text}"
    );
}

#[tokio::test]
async fn connect_dispatches_postgres_urls() {
    for scheme in ["postgres", "postgresql"] {
        let schema = TestSchema::new().await;
        let url = schema.url().replacen("postgres", scheme, 1);
        assert!(url.starts_with(&format!("{scheme}://")), "{url}");
        let handle = benchcore_store::connect(&url).await.unwrap();
        let capabilities = handle.capabilities();
        assert!(
            capabilities.persistent
                && capabilities.concurrent_writers
                && capabilities.response_cache
                && capabilities.work_queue
                && capabilities.encryption
                && capabilities.metrics,
            "{url}: {capabilities:?}"
        );
        assert!(handle.work_queue().is_some() && handle.vault().is_some());
        assert!(
            handle.limit_board().is_some(),
            "{url}: workers share limits"
        );
        handle
            .store()
            .create_run(&Workspace::default(), "r", &RunSpec::default())
            .await
            .unwrap();
        assert_eq!(
            applied(&schema).await,
            vec![1, 2, 3, 4, 5, 6, 7, 8],
            "{url}"
        );
    }
}
