//! What persistent stores keep across reopening, and sharing one store between handles.

use super::helpers::*;
use super::StoreHarness;
use crate::store::{RunStatus, RunStore, Workspace};
use crate::{AttemptRecord, Outcome};
use std::sync::Arc;

/// Runs, statuses and recorded attempts survive closing and reopening a persistent store.
pub async fn completed_keys_survive_reopen(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let ws = workspace("persist");
    create(&store, &ws, "r1", &spec("s", &["a", "b"], 2)).await;
    let records = vec![
        full_record("r1", "q1", "a", 0),
        record("r1", "q1", "b", 0, Outcome::Error),
        record("r1", "q2", "a", 0, Outcome::Passed),
    ];
    recorded(&store, &ws, &records).await;
    ok(
        store.set_run_status(&ws, "r1", RunStatus::Cancelled).await,
        "set_run_status",
    );
    let before = run_info(&store, &ws, "r1").await;
    let keys = outcomes(&store, &ws, "r1").await;
    let summary = ok(store.summarize(&ws, "r1").await, "summarize");

    let again = harness
        .reopen(&store)
        .await
        .expect("a persistent store's harness must implement reopen");
    drop(store);
    assert_eq!(
        run_info(&again, &ws, "r1").await,
        before,
        "the run changed across reopen"
    );
    assert_eq!(
        outcomes(&again, &ws, "r1").await,
        keys,
        "completed keys changed across reopen"
    );
    let mut sorted = records;
    sorted.sort_by(|x, y| x.key.cmp(&y.key));
    assert_eq!(
        all_attempts(&again, &ws, "r1").await,
        sorted,
        "attempts changed across reopen"
    );
    assert_eq!(
        ok(again.summarize(&ws, "r1").await, "summarize after reopen"),
        summary
    );
    recorded(&again, &ws, &[record("r1", "q2", "b", 0, Outcome::Passed)]).await;
    assert_eq!(run_info(&again, &ws, "r1").await.recorded, 4);
}

/// Two handles on the same data can record into one run at once, and each sees the other's
/// attempts.
pub async fn two_handles_write_concurrently(harness: Arc<dyn StoreHarness>) {
    let first = harness.fresh().await;
    let ws = Workspace::default();
    create(&first, &ws, "r1", &spec("s", &["a", "b"], 400)).await;
    let second = harness
        .reopen(&first)
        .await
        .expect("a persistent store's harness must implement reopen");
    let write = |store: Arc<dyn RunStore>, agent: &'static str| {
        let ws = ws.clone();
        tokio::spawn(async move {
            for batch in 0..10 {
                let records: Vec<AttemptRecord> = (0..40)
                    .map(|i| {
                        record(
                            "r1",
                            &format!("q{:03}", batch * 40 + i),
                            agent,
                            0,
                            Outcome::Passed,
                        )
                    })
                    .collect();
                ok(
                    store.record_attempts(&ws, &records).await,
                    "record_attempts from two handles",
                );
            }
        })
    };
    let (x, y) = (write(first.clone(), "a"), write(second.clone(), "b"));
    x.await.expect("writer a panicked");
    y.await.expect("writer b panicked");
    assert_eq!(outcomes(&first, &ws, "r1").await.len(), 800);
    assert_eq!(outcomes(&second, &ws, "r1").await.len(), 800);
}
