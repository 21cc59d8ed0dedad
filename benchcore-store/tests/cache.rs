//! The response cache of every SQL store: the `ResponseCache` contract, workspaces, reopening
//! and sharing between stores. `sqlite::…` runs each case on a new temp file, `postgres::…`
//! in a new schema of the test server.
#![cfg(any(feature = "sqlite", feature = "postgres"))]

#[macro_use]
mod support;

use benchcore::agent::cache::{CacheKey, CachedReply};
use benchcore::{AgentReply, AgentRequest, Message, ResponseCache, Usage, Workspace};
use std::sync::Arc;
use support::{Bind, Place};

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

/// The cache of `workspace` in the store on `place`.
async fn cache<P: Place>(place: &P, workspace: &Workspace) -> Arc<dyn ResponseCache> {
    place
        .open()
        .await
        .require_response_cache(workspace)
        .unwrap()
}

/// How many entries `workspace` has, as the store's own cache counts them.
async fn count<P: Place>(place: &P, workspace: &Workspace) -> u64 {
    let store = place.sql_store().await;
    let cache = store.response_cache(workspace);
    assert_eq!(
        cache.is_empty().await.unwrap(),
        cache.len().await.unwrap() == 0
    );
    cache.len().await.unwrap()
}

async fn the_store_reports_a_response_cache<P: Place>() {
    let place = P::new().await;
    let handle = place.open().await;
    assert!(handle.capabilities().response_cache);
    assert!(handle.store().capabilities().response_cache);
}

async fn get_of_a_key_never_put_is_none<P: Place>() {
    let place = P::new().await;
    let ws = Workspace::default();
    assert_eq!(cache(&place, &ws).await.get(&key("q")).await.unwrap(), None);
    assert_eq!(count(&place, &ws).await, 0);
}

async fn get_after_put_returns_the_reply<P: Place>() {
    let place = P::new().await;
    let cache = cache(&place, &Workspace::default()).await;
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

async fn a_colliding_request_is_a_miss<P: Place>() {
    let place = P::new().await;
    let cache = cache(&place, &Workspace::default()).await;
    cache.put(&key("q"), &reply("Paris")).await.unwrap();
    // Same hash, other request text: forged straight into the table.
    let other = CacheKey::from_canonical("another request");
    let forged = [Bind::Int(other.hash() as i64)];
    place
        .execute("UPDATE response_cache SET key = $1", &forged)
        .await;
    assert_eq!(cache.get(&other).await.unwrap(), None);
    assert_eq!(cache.get(&key("q")).await.unwrap(), None);
}

async fn put_of_a_stored_key_replaces_it<P: Place>() {
    let place = P::new().await;
    let ws = Workspace::default();
    let cache = cache(&place, &ws).await;
    cache.put(&key("q"), &reply("old")).await.unwrap();
    cache.put(&key("q"), &reply("new")).await.unwrap();
    assert_eq!(cache.get(&key("q")).await.unwrap().unwrap().text, "new");
    assert_eq!(count(&place, &ws).await, 1);
}

async fn workspaces_do_not_share_entries<P: Place>() {
    let place = P::new().await;
    let (wa, wb) = (
        Workspace::new("team-a").unwrap(),
        Workspace::new("team-b").unwrap(),
    );
    let handle = place.open().await;
    let a = handle.response_cache(&wa).unwrap();
    let b = handle.response_cache(&wb).unwrap();
    a.put(&key("q"), &reply("for a")).await.unwrap();
    assert_eq!(b.get(&key("q")).await.unwrap(), None);
    b.put(&key("q"), &reply("for b")).await.unwrap();
    assert_eq!(a.get(&key("q")).await.unwrap().unwrap().text, "for a");
    assert_eq!(b.get(&key("q")).await.unwrap().unwrap().text, "for b");
    assert_eq!((count(&place, &wa).await, count(&place, &wb).await), (1, 1));
}

async fn entries_survive_reopening_and_are_shared_between_stores<P: Place>() {
    let place = P::new().await;
    let ws = Workspace::default();
    let first = place.open().await;
    let other = cache(&place, &ws).await;
    let cache = first.response_cache(&ws).unwrap();
    cache.put(&key("q"), &reply("kept")).await.unwrap();
    assert_eq!(other.get(&key("q")).await.unwrap().unwrap().text, "kept");
    first.close().await;
    drop((first, cache));
    let again = place.open().await;
    assert!(again.capabilities().response_cache);
    let cache = again.response_cache(&ws).unwrap();
    assert_eq!(cache.get(&key("q")).await.unwrap().unwrap().text, "kept");
}

/// PostgreSQL cannot hold U+0000: it comes back as U+FFFD. SQLite keeps it.
async fn a_reply_with_a_nul_character_is_cached<P: Place>() {
    let place = P::new().await;
    let cache = cache(&place, &Workspace::default()).await;
    cache.put(&key("q"), &reply("a\0b")).await.unwrap();
    let want = if P::HOLDS_NUL { "a\0b" } else { "a\u{fffd}b" };
    assert_eq!(cache.get(&key("q")).await.unwrap().unwrap().text, want);
}

place_tests!(
    the_store_reports_a_response_cache,
    get_of_a_key_never_put_is_none,
    get_after_put_returns_the_reply,
    a_colliding_request_is_a_miss,
    put_of_a_stored_key_replaces_it,
    workspaces_do_not_share_entries,
    entries_survive_reopening_and_are_shared_between_stores,
    a_reply_with_a_nul_character_is_cached
);
