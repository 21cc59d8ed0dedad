//! The response cache in the SQLite file: the `ResponseCache` contract, workspaces, reopening.

use benchcore::agent::cache::{CacheKey, CachedReply};
use benchcore::{AgentReply, AgentRequest, Message, ResponseCache, RunStore, Usage, Workspace};
use benchcore_store::SqliteStore;

fn reply(text: &str) -> CachedReply {
    CachedReply::from_reply(
        &AgentReply::text(text)
            .with_usage(Usage::new(7, 3))
            .with_model("m-1")
            .with_cost(0.25),
    )
}

fn key(question: &str) -> CacheKey {
    CacheKey::new(
        &serde_json::json!({"kind": "openai", "model": "m"}),
        &AgentRequest::new(vec![Message::user(question)]),
    )
}

async fn store(dir: &tempfile::TempDir) -> SqliteStore {
    SqliteStore::open(dir.path().join("cache.db"))
        .await
        .unwrap()
}

#[tokio::test]
async fn the_store_reports_a_response_cache() {
    let dir = tempfile::tempdir().unwrap();
    assert!(store(&dir).await.capabilities().response_cache);
}

#[tokio::test]
async fn get_of_a_key_never_put_is_none() {
    let dir = tempfile::tempdir().unwrap();
    let cache = store(&dir).await.response_cache(&Workspace::default());
    assert_eq!(cache.get(&key("q")).await.unwrap(), None);
    assert!(cache.is_empty().await.unwrap());
}

#[tokio::test]
async fn get_after_put_returns_the_reply() {
    let dir = tempfile::tempdir().unwrap();
    let cache = store(&dir).await.response_cache(&Workspace::default());
    let stored = reply("Paris");
    cache.put(&key("q"), &stored).await.unwrap();
    let got = cache.get(&key("q")).await.unwrap().unwrap();
    assert_eq!(got, stored);
    assert_eq!(got.usage, Some(Usage::new(7, 3)));
    assert_eq!(got.cost_usd, Some(0.25));
    let hit = got.to_reply();
    assert!(hit.cached);
    assert_eq!(hit.cost_usd, Some(0.0));
}

#[tokio::test]
async fn a_colliding_request_is_a_miss() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let cache = store.response_cache(&Workspace::default());
    cache.put(&key("q"), &reply("Paris")).await.unwrap();
    // Same hash, other request text: forged straight into the table.
    let path = store.path().to_owned();
    let other = CacheKey::from_canonical("another request");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE response_cache SET key = ?1")
        .bind(other.hash() as i64)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert_eq!(cache.get(&other).await.unwrap(), None);
    assert_eq!(cache.get(&key("q")).await.unwrap(), None);
}

#[tokio::test]
async fn put_of_a_stored_key_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let cache = store(&dir).await.response_cache(&Workspace::default());
    cache.put(&key("q"), &reply("old")).await.unwrap();
    cache.put(&key("q"), &reply("new")).await.unwrap();
    assert_eq!(cache.get(&key("q")).await.unwrap().unwrap().text, "new");
    assert_eq!(cache.len().await.unwrap(), 1);
}

#[tokio::test]
async fn workspaces_do_not_share_entries() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let a = store.response_cache(&Workspace::new("team-a").unwrap());
    let b = store.response_cache(&Workspace::new("team-b").unwrap());
    a.put(&key("q"), &reply("for a")).await.unwrap();
    assert_eq!(b.get(&key("q")).await.unwrap(), None);
    b.put(&key("q"), &reply("for b")).await.unwrap();
    assert_eq!(a.get(&key("q")).await.unwrap().unwrap().text, "for a");
    assert_eq!(b.get(&key("q")).await.unwrap().unwrap().text, "for b");
}

#[tokio::test]
async fn entries_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let first = store(&dir).await;
    first
        .response_cache(&Workspace::default())
        .put(&key("q"), &reply("kept"))
        .await
        .unwrap();
    first.close().await;
    drop(first);
    let url = format!("sqlite://{}", dir.path().join("cache.db").display());
    let (store, cache) = benchcore_store::open_with_cache(&url, &Workspace::default())
        .await
        .unwrap();
    assert!(store.capabilities().response_cache);
    assert_eq!(cache.get(&key("q")).await.unwrap().unwrap().text, "kept");
}

#[tokio::test]
async fn open_with_cache_refuses_what_open_refuses() {
    let err = benchcore_store::open_with_cache("mysql://h/db", &Workspace::default())
        .await
        .err()
        .unwrap();
    assert!(err.message.contains("`mysql`"), "{err}");
}
