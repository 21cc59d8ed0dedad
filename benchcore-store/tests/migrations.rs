//! The schema of every SQL store: created on first open (and announced as created), applied
//! once, upgraded from version 1 with its data kept, refused when newer or changed by hand.
//! `sqlite::…` runs each case on a new temp file, `postgres::…` in a new schema; each
//! backend's own cases follow.
#![cfg(any(feature = "sqlite", feature = "postgres"))]

#[macro_use]
mod support;

use benchcore::agent::cache::{CacheKey, CachedReply};
use benchcore::store::MetricRecord;
use benchcore::{AgentReply, AttemptKey, RunSpec, StoreErrorKind, Workspace};
use support::{Bind, Place};

async fn a_fresh_store_is_created_at_the_latest_version<P: Place>() {
    let place = P::new().await;
    let handle = place.open().await;
    assert!(handle.created(), "a new store was not reported as created");
    let store = place.sql_store().await;
    assert!(
        !store.created(),
        "an existing store was reported as created"
    );
    assert_eq!(store.schema_version().await.unwrap(), P::LATEST);
    assert_eq!(place.versions().await, (1..=P::LATEST).collect::<Vec<_>>());
}

async fn opening_twice_does_not_reapply<P: Place>() {
    let place = P::new().await;
    let ws = Workspace::default();
    let first = place.open().await;
    first
        .store()
        .create_run(&ws, "r1", &RunSpec::default())
        .await
        .unwrap();
    first.close().await;
    drop(first);
    let (second, third) = (place.open().await, place.open().await);
    assert!(!second.created() && !third.created());
    for handle in [&second, &third] {
        let run = handle.store().get_run(&ws, "r1").await.unwrap();
        assert!(run.is_some(), "reopening lost the run");
    }
    // One row per migration: reopening recorded nothing new.
    assert_eq!(place.versions().await, (1..=P::LATEST).collect::<Vec<_>>());
}

async fn a_newer_schema_is_refused<P: Place>() {
    let place = P::new().await;
    place.open().await.close().await;
    let future = [
        Bind::Int(9999),
        Bind::Text("from the future".into()),
        Bind::Bytes(vec![0]),
    ];
    let sql = "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
               execution_time) VALUES ($1, $2, TRUE, $3, 0)";
    place.execute(sql, &future).await;
    let err = benchcore_store::connect(&place.url()).await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Corrupt, "{err}");
    assert!(err.message.contains("9999"), "{err}");
}

async fn a_migration_changed_after_it_was_applied_is_refused<P: Place>() {
    let place = P::new().await;
    place.open().await.close().await;
    let sql = "UPDATE _sqlx_migrations SET checksum = $1 WHERE version = 1";
    place.execute(sql, &[Bind::Bytes(vec![0])]).await;
    let err = benchcore_store::connect(&place.url()).await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Corrupt, "{err}");
    assert!(err.message.contains("migration 1 was changed"), "{err}");
}

async fn a_version_1_store_upgrades_with_its_runs_kept<P: Place>() {
    let place = P::new().await;
    place
        .at_version_1(&serde_json::to_string(&RunSpec::default()).unwrap())
        .await;
    let handle = place.open().await;
    assert!(!handle.created(), "an old store was reported as created");
    assert_eq!(
        place.sql_store().await.schema_version().await.unwrap(),
        P::LATEST
    );
    let (ws, store) = (Workspace::default(), handle.store());
    let run = store.get_run(&ws, "old-run").await.unwrap().unwrap();
    assert_eq!(run.spec, RunSpec::default());
    // Version 4's table: an old run takes quality metrics.
    let metric = MetricRecord::new(AttemptKey::new("q1", "a", 0), "rapport", 0.5);
    let metrics = std::slice::from_ref(&metric);
    store.record_metrics(&ws, "old-run", metrics).await.unwrap();
    assert_eq!(store.metrics(&ws, "old-run").await.unwrap(), vec![metric]);
    // Version 2's table: the response cache.
    let cache = handle.require_response_cache(&ws).unwrap();
    let key = CacheKey::from_canonical("request");
    let kept = CachedReply::from_reply(&AgentReply::text("kept"));
    cache.put(&key, &kept).await.unwrap();
    assert_eq!(cache.get(&key).await.unwrap().unwrap().text, "kept");
    // The accounts' tables (SQLite's version 5, PostgreSQL's 8): an old store takes users.
    let accounts = handle.accounts().unwrap();
    assert_eq!(accounts.user_count().await.unwrap(), 0);
    let admin = benchcore_store::User::new("u1", "admin@example.com", "Admin", true);
    accounts.create_user(&admin, "hash").await.unwrap();
    assert_eq!(accounts.user("u1").await.unwrap(), Some(admin));
}

place_tests!(
    a_fresh_store_is_created_at_the_latest_version,
    opening_twice_does_not_reapply,
    a_newer_schema_is_refused,
    a_migration_changed_after_it_was_applied_is_refused,
    a_version_1_store_upgrades_with_its_runs_kept
);

#[cfg(feature = "sqlite")]
#[path = "migrations/sqlite.rs"]
mod sqlite_only;

#[cfg(feature = "postgres")]
#[path = "migrations/postgres.rs"]
mod postgres_only;
