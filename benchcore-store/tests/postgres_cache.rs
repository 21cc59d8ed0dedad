//! The response cache in the PostgreSQL schema: the `ResponseCache` contract, workspaces,
//! reopening, and sharing between stores.

mod postgres_support;

use benchcore::agent::cache::{CacheKey, CachedReply};
use benchcore::{AgentReply, AgentRequest, Message, ResponseCache, RunStore, Usage, Workspace};
use benchcore_store::PostgresStore;
use postgres_support::TestSchema;
use sqlx::Connection;

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

async fn store(schema: &TestSchema) -> PostgresStore {
    PostgresStore::open(&schema.url()).await.unwrap()
}

#[tokio::test]
async fn the_store_reports_a_response_cache() {
    let schema = TestSchema::new().await;
    assert!(store(&schema).await.capabilities().response_cache);
}

#[tokio::test]
async fn get_of_a_key_never_put_is_none() {
    let schema = TestSchema::new().await;
    let cache = store(&schema).await.response_cache(&Workspace::default());
    assert_eq!(cache.get(&key("q")).await.unwrap(), None);
    assert!(cache.is_empty().await.unwrap());
}

#[tokio::test]
async fn get_after_put_returns_the_reply() {
    let schema = TestSchema::new().await;
    let cache = store(&schema).await.response_cache(&Workspace::default());
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
    let schema = TestSchema::new().await;
    let store = store(&schema).await;
    let cache = store.response_cache(&Workspace::default());
    cache.put(&key("q"), &reply("Paris")).await.unwrap();
    // Same hash, other request text: forged straight into the table.
    let other = CacheKey::from_canonical("another request");
    let mut conn = schema.connection().await;
    sqlx::query("UPDATE response_cache SET key = $1")
        .bind(other.hash() as i64)
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    assert_eq!(cache.get(&other).await.unwrap(), None);
    assert_eq!(cache.get(&key("q")).await.unwrap(), None);
}

#[tokio::test]
async fn put_of_a_stored_key_replaces_it() {
    let schema = TestSchema::new().await;
    let cache = store(&schema).await.response_cache(&Workspace::default());
    cache.put(&key("q"), &reply("old")).await.unwrap();
    cache.put(&key("q"), &reply("new")).await.unwrap();
    assert_eq!(cache.get(&key("q")).await.unwrap().unwrap().text, "new");
    assert_eq!(cache.len().await.unwrap(), 1);
}

#[tokio::test]
async fn workspaces_do_not_share_entries() {
    let schema = TestSchema::new().await;
    let store = store(&schema).await;
    let a = store.response_cache(&Workspace::new("team-a").unwrap());
    let b = store.response_cache(&Workspace::new("team-b").unwrap());
    a.put(&key("q"), &reply("for a")).await.unwrap();
    assert_eq!(b.get(&key("q")).await.unwrap(), None);
    b.put(&key("q"), &reply("for b")).await.unwrap();
    assert_eq!(a.get(&key("q")).await.unwrap().unwrap().text, "for a");
    assert_eq!(b.get(&key("q")).await.unwrap().unwrap().text, "for b");
    assert_eq!((a.len().await.unwrap(), b.len().await.unwrap()), (1, 1));
}

#[tokio::test]
async fn entries_survive_reopening_and_are_shared_between_stores() {
    let schema = TestSchema::new().await;
    let first = store(&schema).await;
    let other = store(&schema).await;
    first
        .response_cache(&Workspace::default())
        .put(&key("q"), &reply("kept"))
        .await
        .unwrap();
    let seen = other.response_cache(&Workspace::default());
    assert_eq!(seen.get(&key("q")).await.unwrap().unwrap().text, "kept");
    first.close().await;
    drop(first);
    let (store, cache) = benchcore_store::open_with_cache(&schema.url(), &Workspace::default())
        .await
        .unwrap();
    assert!(store.capabilities().response_cache);
    assert_eq!(cache.get(&key("q")).await.unwrap().unwrap().text, "kept");
}

#[tokio::test]
async fn a_reply_with_a_nul_character_is_cached() {
    let schema = TestSchema::new().await;
    let cache = store(&schema).await.response_cache(&Workspace::default());
    cache.put(&key("q"), &reply("a\0b")).await.unwrap();
    assert_eq!(
        cache.get(&key("q")).await.unwrap().unwrap().text,
        "a\u{fffd}b"
    );
}
