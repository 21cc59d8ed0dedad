//! The SQLite schema: created on first open, applied once, refused on foreign files.

use benchcore::{RunSpec, RunStore, StoreErrorKind, Workspace};
use benchcore_store::sqlite::latest_schema_version;
use benchcore_store::{SqliteConfig, SqliteStore};

#[tokio::test]
async fn fresh_database_is_at_the_latest_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a").join("b").join("fresh.db");
    let store = SqliteStore::open(&path).await.unwrap();
    assert!(path.exists(), "the file and its folders were not created");
    assert_eq!(latest_schema_version(), 4);
    assert_eq!(
        store.schema_version().await.unwrap(),
        latest_schema_version()
    );
}

#[tokio::test]
async fn opening_twice_does_not_reapply() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("twice.db");
    let ws = Workspace::default();
    let first = SqliteStore::open(&path).await.unwrap();
    first
        .create_run(&ws, "r1", &RunSpec::default())
        .await
        .unwrap();
    first.close().await;
    drop(first);

    let second = SqliteStore::open(&path).await.unwrap();
    let third = SqliteStore::open(&path).await.unwrap();
    assert_eq!(
        second.schema_version().await.unwrap(),
        latest_schema_version()
    );
    assert!(
        second.get_run(&ws, "r1").await.unwrap().is_some(),
        "reopening lost the run"
    );
    assert!(third.get_run(&ws, "r1").await.unwrap().is_some());

    // One row per migration: reopening recorded nothing new.
    let applied: Vec<i64> = {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        let rows = sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&pool)
            .await
            .unwrap();
        pool.close().await;
        rows
    };
    assert_eq!(applied, vec![1, 2, 3, 4]);
}

#[tokio::test]
async fn a_file_that_is_not_sqlite_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    std::fs::write(&path, "these are notes, not a database\n".repeat(200)).unwrap();
    let err = SqliteStore::open(&path).await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Corrupt, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("notes.db"),
        "the error does not name the file: {text}"
    );
    assert!(text.contains("cannot open"), "{text}");
    assert!(text.contains("not a database"), "{text}");
    // The file is left as it was.
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .starts_with("these are notes"));
}

#[tokio::test]
async fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("newer.db");
    SqliteStore::open(&path).await.unwrap().close().await;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from the future', TRUE, X'00', 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let err = SqliteStore::open(&path).await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Corrupt, "{err}");
    assert!(err.message.contains("9999"), "{err}");
}

#[tokio::test]
async fn missing_file_without_create_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = SqliteConfig::new(dir.path().join("absent.db")).create_if_missing(false);
    let err = config.open().await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Config, "{err}");
    assert!(err.message.contains("absent.db"), "{err}");
}

#[tokio::test]
async fn open_dispatches_on_the_url() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        format!("sqlite://{}", dir.path().join("one.db").display()),
        format!("sqlite:{}", dir.path().join("two.db").display()),
        dir.path().join("three.db").display().to_string(),
    ] {
        let store = benchcore_store::open(&url).await.unwrap();
        assert!(store.capabilities().persistent, "{url}");
        store
            .create_run(&Workspace::default(), "r", &RunSpec::default())
            .await
            .unwrap();
    }
    for name in ["one.db", "two.db", "three.db"] {
        assert!(dir.path().join(name).exists(), "{name} was not created");
    }
}

#[tokio::test]
async fn a_version_1_file_upgrades_with_its_runs_kept() {
    use benchcore::agent::cache::{CacheKey, CachedReply};
    use benchcore::{AgentReply, ResponseCache};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    // A file as version 1 left it: only the first migration applied, one run in it.
    let only_first = dir.path().join("migrations");
    std::fs::create_dir_all(&only_first).unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/migrations/sqlite/0001_initial.sql"
        ),
        only_first.join("0001_initial.sql"),
    )
    .unwrap();
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .unwrap();
    sqlx::migrate::Migrator::new(only_first.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO runs (workspace, id, seq, suite, status, created_at_ms, updated_at_ms, spec) \
         VALUES ('default', 'old-run', 1, 's', 'finished', 1, 1, ?1)",
    )
    .bind(serde_json::to_string(&RunSpec::default()).unwrap())
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(store.schema_version().await.unwrap(), 4);
    let ws = Workspace::default();
    assert!(store.get_run(&ws, "old-run").await.unwrap().is_some());
    // Version 4's table: an old run takes quality metrics.
    let metric = benchcore::store::MetricRecord::new(
        benchcore::AttemptKey::new("q1", "a", 0),
        "rapport",
        0.5,
    );
    store
        .record_metrics(&ws, "old-run", std::slice::from_ref(&metric))
        .await
        .unwrap();
    assert_eq!(store.metrics(&ws, "old-run").await.unwrap(), vec![metric]);
    let cache = store.response_cache(&ws);
    let key = CacheKey::from_canonical("request");
    cache
        .put(&key, &CachedReply::from_reply(&AgentReply::text("kept")))
        .await
        .unwrap();
    assert_eq!(cache.get(&key).await.unwrap().unwrap().text, "kept");
}
