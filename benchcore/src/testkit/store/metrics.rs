//! Quality metrics kept with a run: recorded on request, read back without recomputing.

use super::helpers::*;
use super::StoreHarness;
use crate::store::{MetricRecord, RunStore, StoreErrorKind, Workspace};
use crate::AttemptKey;
use std::sync::Arc;

/// A metric with every field set to something other than its default.
fn full_metric(case_id: &str, agent: &str, metric: &str, score: f64) -> MetricRecord {
    MetricRecord::new(AttemptKey::new(case_id, agent, 0), metric, score)
        .with_label(format!("{}/10", (score * 10.0).round()))
        .with_rationale("Asks open questions — ünïcødé ✓ \"quoted\"\n")
        .with_details(
            serde_json::json!({"judge": "j", "usage": {"input_tokens": 9}, "n": [1, 2.5]}),
        )
        .computed_at(1_700_000_000_123)
}

async fn stored(store: &Arc<dyn RunStore>, ws: &Workspace, run_id: &str) -> Vec<MetricRecord> {
    ok(store.metrics(ws, run_id).await, "metrics")
}

/// Metrics of an unknown run (or one of another workspace) are refused with `NotFound`, and
/// nothing is stored.
pub async fn record_metrics_of_unknown_run_is_not_found(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let (ws, other) = (workspace("metrics-a"), workspace("metrics-b"));
    create(&store, &other, "r1", &spec("s", &["a"], 1)).await;
    let metrics = [full_metric("q1", "a", "rapport", 0.5)];
    expect_kind(
        store.record_metrics(&ws, "r1", &metrics).await,
        StoreErrorKind::NotFound,
        "record_metrics of a run of another workspace",
    );
    expect_kind(
        store.record_metrics(&ws, "nope", &metrics).await,
        StoreErrorKind::NotFound,
        "record_metrics of an unknown run",
    );
    assert!(stored(&store, &other, "r1").await.is_empty());
}

/// The metrics of an unknown run are an empty list.
pub async fn metrics_of_unknown_run_is_empty(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    assert!(stored(&store, &workspace("metrics"), "nope")
        .await
        .is_empty());
}

/// Every field reads back as recorded, ordered by case, agent, sample and metric; recording
/// a metric again replaces it and keeps the others; workspaces and runs do not mix.
pub async fn metrics_round_trip_and_replace_per_metric(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let (ws, other) = (workspace("metrics-a"), workspace("metrics-b"));
    for w in [&ws, &other] {
        create(&store, w, "r1", &spec("s", &["a", "b"], 2)).await;
    }
    create(&store, &ws, "r2", &spec("s", &["a"], 1)).await;
    let first = vec![
        full_metric("q2", "a", "rapport", 0.25),
        full_metric("q1", "b", "rapport", 0.5),
        full_metric("q1", "a", "rapport", 0.75),
        full_metric("q1", "a", "coverage", 1.0),
    ];
    ok(
        store.record_metrics(&ws, "r1", &first).await,
        "record_metrics",
    );
    ok(
        store.record_metrics(&ws, "r1", &[]).await,
        "record_metrics of nothing",
    );
    let mut expected = first.clone();
    expected.sort_by(|x, y| (&x.key, &x.metric).cmp(&(&y.key, &y.metric)));
    assert_eq!(
        stored(&store, &ws, "r1").await,
        expected,
        "metrics read back differently"
    );

    let mut again = full_metric("q1", "a", "rapport", 0.0);
    again.label = None;
    again.rationale = None;
    again.details = serde_json::Value::Null;
    ok(
        store.record_metrics(&ws, "r1", &[again.clone()]).await,
        "record_metrics again",
    );
    let after = stored(&store, &ws, "r1").await;
    assert_eq!(
        after.len(),
        4,
        "recording a metric again added a row: {after:?}"
    );
    let rapport = after
        .iter()
        .find(|m| m.key.case_id == "q1" && m.key.agent == "a" && m.metric == "rapport")
        .expect("the replaced metric");
    assert_eq!(
        rapport, &again,
        "the later record must replace the earlier one"
    );
    assert!(
        after.iter().any(|m| m.metric == "coverage"),
        "other metrics must be kept"
    );

    assert!(
        stored(&store, &other, "r1").await.is_empty(),
        "metrics crossed workspaces"
    );
    assert!(
        stored(&store, &ws, "r2").await.is_empty(),
        "metrics crossed runs"
    );
}

/// Stored metrics survive closing and reopening a persistent store.
pub async fn metrics_survive_reopen(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let ws = workspace("metrics");
    create(&store, &ws, "r1", &spec("s", &["a"], 1)).await;
    let metrics = vec![
        full_metric("q1", "a", "coverage", 0.5),
        full_metric("q1", "a", "rapport", 0.75),
    ];
    ok(
        store.record_metrics(&ws, "r1", &metrics).await,
        "record_metrics",
    );
    let again = harness
        .reopen(&store)
        .await
        .expect("a persistent store's harness must implement reopen");
    drop(store);
    assert_eq!(
        stored(&again, &ws, "r1").await,
        metrics,
        "metrics changed across reopen"
    );
}
