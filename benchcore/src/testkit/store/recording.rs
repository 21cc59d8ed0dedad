//! Recording attempts: unknown runs, repeated keys, the replace rule, atomic batches.

use super::helpers::*;
use super::StoreHarness;
use crate::store::{StoreErrorKind, Workspace};
use crate::{AttemptKey, AttemptRecord, Outcome};
use std::collections::BTreeMap;
use std::sync::Arc;

/// `record_attempts` of an unknown run fails with `NotFound` and records nothing, not even
/// the batch's attempts of known runs.
pub async fn record_for_unknown_run_is_not_found(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let ws = Workspace::default();
    expect_kind(
        store
            .record_attempts(&ws, &[record("ghost", "q1", "a", 0, Outcome::Passed)])
            .await,
        StoreErrorKind::NotFound,
        "record_attempts for an unknown run",
    );
    assert!(
        ok(store.get_run(&ws, "ghost").await, "get_run ghost").is_none(),
        "recording created a run"
    );
    create(&store, &ws, "r1", &spec("s", &["a"], 2)).await;
    let batch = [
        record("r1", "q1", "a", 0, Outcome::Passed),
        record("ghost", "q2", "a", 0, Outcome::Passed),
    ];
    expect_kind(
        store.record_attempts(&ws, &batch).await,
        StoreErrorKind::NotFound,
        "record_attempts of a batch naming an unknown run",
    );
    assert!(
        outcomes(&store, &ws, "r1").await.is_empty(),
        "a refused batch recorded r1's attempt"
    );
    assert!(outcomes(&store, &ws, "ghost").await.is_empty());
}

/// Recording an empty batch succeeds and changes nothing.
pub async fn record_empty_batch_is_ok(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let ws = Workspace::default();
    recorded(&store, &ws, &[]).await;
    create(&store, &ws, "r1", &spec("s", &["a"], 1)).await;
    recorded(&store, &ws, &[]).await;
    assert_eq!(run_info(&store, &ws, "r1").await.recorded, 0);
}

/// Recording the same attempt key twice keeps one record and returns `Ok`.
pub async fn record_attempt_twice_keeps_one(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let ws = Workspace::default();
    create(&store, &ws, "r1", &spec("s", &["a"], 2)).await;
    let passed = full_record("r1", "q1", "a", 0);
    recorded(&store, &ws, std::slice::from_ref(&passed)).await;
    recorded(&store, &ws, std::slice::from_ref(&passed)).await;
    let all = all_attempts(&store, &ws, "r1").await;
    assert_eq!(
        all,
        vec![passed],
        "recording one key twice did not keep exactly one record"
    );
    assert_eq!(outcomes(&store, &ws, "r1").await.len(), 1);
    assert_eq!(run_info(&store, &ws, "r1").await.recorded, 1);
    let summary = ok(store.summarize(&ws, "r1").await, "summarize");
    assert_eq!(summary.recorded(), 1);
}

/// A later record replaces an earlier `error` or `skipped` one, as a whole.
pub async fn error_record_is_replaced_by_later_result(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let ws = Workspace::default();
    create(&store, &ws, "r1", &spec("s", &["a"], 3)).await;
    let mut error = record("r1", "q1", "a", 0, Outcome::Error);
    error.failure = failure("timeout", "first try");
    error.retries = 4;
    recorded(&store, &ws, &[error]).await;
    let mut again = record("r1", "q1", "a", 0, Outcome::Error);
    again.failure = failure("auth", "second try");
    recorded(&store, &ws, std::slice::from_ref(&again)).await;
    assert_eq!(
        all_attempts(&store, &ws, "r1").await,
        vec![again],
        "error not replaced by a later error"
    );
    let mut passed = record("r1", "q1", "a", 0, Outcome::Passed);
    passed.score = Some(1.0);
    recorded(&store, &ws, std::slice::from_ref(&passed)).await;
    assert_eq!(
        all_attempts(&store, &ws, "r1").await,
        vec![passed],
        "error not replaced by a later pass (the whole record, failure and retries included)"
    );

    let mut skipped = record("r1", "q2", "a", 0, Outcome::Skipped);
    skipped.failure = failure("budget", "max_cost_usd reached");
    recorded(&store, &ws, &[skipped]).await;
    let failed = full_record("r1", "q2", "a", 0);
    recorded(&store, &ws, std::slice::from_ref(&failed)).await;
    let q2 = ok(
        store
            .attempts(&ws, "r1", &query(None, Some(Outcome::Failed), 0, None))
            .await,
        "attempts failed",
    );
    assert_eq!(q2, vec![failed], "skipped not replaced by a later result");
    assert_eq!(run_info(&store, &ws, "r1").await.recorded, 2);
}

/// A judged record (`passed`, `failed`, `invalid`) is final: later records of its key are
/// accepted with `Ok` and dropped.
pub async fn judged_record_is_never_replaced(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let ws = Workspace::default();
    create(&store, &ws, "r1", &spec("s", &["a"], 3)).await;
    for (i, judged) in [Outcome::Passed, Outcome::Failed, Outcome::Invalid]
        .into_iter()
        .enumerate()
    {
        let case_id = format!("q{i}");
        let mut first = full_record("r1", &case_id, "a", 0);
        first.outcome = judged;
        recorded(&store, &ws, std::slice::from_ref(&first)).await;
        for later in Outcome::ALL {
            let mut next = record("r1", &case_id, "a", 0, later);
            next.failure = failure("later", "should be dropped");
            ok(
                store.record_attempts(&ws, &[next]).await,
                &format!("recording {later} over {judged}"),
            );
            let stored = ok(
                store
                    .attempts(&ws, "r1", &query(None, Some(judged), 0, None))
                    .await,
                "attempts",
            );
            assert_eq!(
                stored,
                vec![first.clone()],
                "{judged} record changed by a later {later}"
            );
        }
    }
}

/// Within one batch, repeated keys follow the same rule as separate calls, in batch order.
pub async fn repeated_key_in_one_batch_follows_replace_rule(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let ws = Workspace::default();
    create(&store, &ws, "r1", &spec("s", &["a"], 2)).await;
    let batch = [
        record("r1", "q1", "a", 0, Outcome::Error),
        record("r1", "q1", "a", 0, Outcome::Skipped),
        record("r1", "q1", "a", 0, Outcome::Passed),
        record("r1", "q1", "a", 0, Outcome::Failed),
        record("r1", "q2", "a", 0, Outcome::Invalid),
        record("r1", "q2", "a", 0, Outcome::Error),
    ];
    recorded(&store, &ws, &batch).await;
    let got = outcomes(&store, &ws, "r1").await;
    let want = BTreeMap::from([
        (AttemptKey::new("q1", "a", 0), Outcome::Passed),
        (AttemptKey::new("q2", "a", 0), Outcome::Invalid),
    ]);
    assert_eq!(got, want, "repeated keys in one batch");
}

/// `record_attempts` is atomic: a batch that fails stores none of its records and replaces
/// nothing.
pub async fn failed_batch_records_nothing(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let ws = Workspace::default();
    create(&store, &ws, "r1", &spec("s", &["a"], 1000)).await;
    let mut error = record("r1", "q0000", "a", 0, Outcome::Error);
    error.failure = failure("transient", "502");
    recorded(&store, &ws, std::slice::from_ref(&error)).await;
    let mut batch: Vec<AttemptRecord> = (0..700)
        .map(|i| record("r1", &format!("q{i:04}"), "a", 0, Outcome::Passed))
        .collect();
    batch.push(record("ghost", "q9999", "a", 0, Outcome::Passed));
    expect_kind(
        store.record_attempts(&ws, &batch).await,
        StoreErrorKind::NotFound,
        "a 701-record batch whose last record names an unknown run",
    );
    assert_eq!(
        all_attempts(&store, &ws, "r1").await,
        vec![error],
        "a failed batch left some of its records behind"
    );
}

/// Batches recorded at the same time from several tasks all land.
pub async fn concurrent_batches_all_land(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let ws = Workspace::default();
    create(&store, &ws, "r1", &spec("s", &["a", "b"], 512)).await;
    let tasks: Vec<_> = (0..8)
        .map(|task| {
            let (store, ws) = (store.clone(), ws.clone());
            tokio::spawn(async move {
                for batch in 0..4 {
                    let records: Vec<AttemptRecord> = (0..32)
                        .map(|i| {
                            let agent = if task % 2 == 0 { "a" } else { "b" };
                            let case_id = format!("q{:03}", (task / 2) * 128 + batch * 32 + i);
                            record("r1", &case_id, agent, 0, Outcome::Passed)
                        })
                        .collect();
                    ok(
                        store.record_attempts(&ws, &records).await,
                        "concurrent record_attempts",
                    );
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a recording task panicked");
    }
    assert_eq!(outcomes(&store, &ws, "r1").await.len(), 8 * 4 * 32);
    assert_eq!(run_info(&store, &ws, "r1").await.recorded, 8 * 4 * 32);
}
