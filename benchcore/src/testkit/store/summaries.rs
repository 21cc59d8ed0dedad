//! Per-agent summaries computed from the stored attempts.

use super::helpers::*;
use super::StoreHarness;
use crate::store::{StoreErrorKind, Workspace};
use crate::{Outcome, Usage};
use std::sync::Arc;

/// `summarize` counts outcomes, tokens, cost and retries per agent, takes nearest-rank
/// latency percentiles and orders agents as the spec does.
pub async fn summarize_counts_and_percentiles(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let ws = Workspace::default();
    create(
        &store,
        &ws,
        "r1",
        &spec("s", &["zeta", "alpha", "idle"], 20),
    )
    .await;
    let mut batch = Vec::new();
    for i in 0..20u32 {
        let outcome = match i {
            0..=9 => Outcome::Passed,
            10..=14 => Outcome::Failed,
            15..=16 => Outcome::Invalid,
            17..=18 => Outcome::Error,
            _ => Outcome::Skipped,
        };
        let mut r = record("r1", &format!("q{i:02}"), "zeta", 0, outcome);
        r.score = match outcome {
            Outcome::Passed => Some(1.0),
            Outcome::Failed => Some(0.25),
            _ => None,
        };
        r.usage = Usage::new(10, 5);
        r.cost_usd = Some(0.25);
        r.retries = 1;
        // The skipped attempt has no latency: percentiles are over 1..=19.
        r.latency_ms = (outcome != Outcome::Skipped).then_some(u64::from(i) + 1);
        batch.push(r);
    }
    let mut alpha = record("r1", "q00", "alpha", 0, Outcome::Passed);
    alpha.score = Some(0.5);
    batch.push(alpha);
    recorded(&store, &ws, &batch).await;

    let summary = ok(store.summarize(&ws, "r1").await, "summarize");
    assert_eq!(summary.run_id, "r1");
    assert_eq!(summary.total, 60);
    assert_eq!(summary.recorded(), 21);
    let names: Vec<&str> = summary.agents.iter().map(|a| a.agent.as_str()).collect();
    assert_eq!(
        names,
        ["zeta", "alpha"],
        "agents not in spec order (agents without attempts are left out)"
    );
    let z = &summary.agents[0];
    assert_eq!(
        (z.n, z.passed, z.failed, z.invalid, z.errors, z.skipped),
        (20, 10, 5, 2, 2, 1),
        "zeta's counts"
    );
    assert!(
        close_to(z.accuracy, 10.0 / 17.0),
        "zeta's accuracy {:?}",
        z.accuracy
    );
    assert!(
        close_to(z.mean_score, (10.0 + 5.0 * 0.25) / 15.0),
        "zeta's mean score {:?}",
        z.mean_score
    );
    assert_eq!((z.input_tokens, z.output_tokens, z.retries), (200, 100, 20));
    assert!(
        (z.cost_usd - 5.0).abs() < 1e-9,
        "zeta's cost {}",
        z.cost_usd
    );
    assert_eq!(
        (z.latency_p50_ms, z.latency_p95_ms),
        (Some(10), Some(19)),
        "zeta's latency percentiles"
    );
    let a = &summary.agents[1];
    assert_eq!((a.n, a.passed), (1, 1));
    assert!(close_to(a.accuracy, 1.0) && close_to(a.mean_score, 0.5));
    assert_eq!((a.latency_p50_ms, a.cost_usd), (None, 0.0));
}

/// `summarize` computes from the stored attempts: replaced records count as their
/// replacement, refused ones not at all.
pub async fn summarize_reads_stored_attempts(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let ws = Workspace::default();
    create(&store, &ws, "r1", &spec("s", &["a"], 2)).await;
    let empty = ok(
        store.summarize(&ws, "r1").await,
        "summarize of a run without attempts",
    );
    assert_eq!((empty.total, empty.recorded()), (2, 0));
    recorded(
        &store,
        &ws,
        &[
            record("r1", "q1", "a", 0, Outcome::Error),
            record("r1", "q2", "a", 0, Outcome::Passed),
        ],
    )
    .await;
    recorded(
        &store,
        &ws,
        &[
            record("r1", "q1", "a", 0, Outcome::Failed),
            record("r1", "q2", "a", 0, Outcome::Error),
        ],
    )
    .await;
    let summary = ok(store.summarize(&ws, "r1").await, "summarize");
    let a = &summary.agents[0];
    assert_eq!(
        (a.n, a.passed, a.failed, a.errors),
        (2, 1, 1, 0),
        "the summary does not match the stored attempts"
    );
}

/// `summarize` of an unknown run fails with `NotFound`.
pub async fn summarize_of_unknown_run_is_not_found(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    expect_kind(
        store.summarize(&Workspace::default(), "ghost").await,
        StoreErrorKind::NotFound,
        "summarize of an unknown run",
    );
}

/// `latency_counts` counts each agent's distinct latencies from the stored attempts, in agent
/// then latency order; another workspace and an unknown run see none; `summarize_with_latencies`
/// gives the same counts and summary as the two asked alone.
pub async fn latency_counts_match_the_stored_attempts(harness: Arc<dyn StoreHarness>) {
    use crate::store::LatencyCount;
    let store = harness.fresh().await;
    let ws = Workspace::default();
    create(&store, &ws, "r1", &spec("s", &["b", "a"], 5)).await;
    let mut batch = Vec::new();
    for (case, agent, latency) in [
        ("q1", "b", Some(7)),
        ("q2", "b", Some(5)),
        ("q3", "b", Some(7)),
        ("q4", "b", None),
        ("q1", "a", Some(3)),
    ] {
        let mut r = record("r1", case, agent, 0, Outcome::Passed);
        r.latency_ms = latency;
        batch.push(r);
    }
    recorded(&store, &ws, &batch).await;
    let counts = ok(store.latency_counts(&ws, "r1").await, "latency_counts");
    assert_eq!(
        counts,
        [
            LatencyCount::new("a", 3, 1),
            LatencyCount::new("b", 5, 1),
            LatencyCount::new("b", 7, 2),
        ],
        "latency counts of r1"
    );
    // Together with the summary: each the same as asked alone.
    let (summary, together) = ok(
        store.summarize_with_latencies(&ws, "r1").await,
        "summarize_with_latencies",
    );
    assert_eq!(together, counts, "latency counts asked with the summary");
    let alone = ok(store.summarize(&ws, "r1").await, "summarize");
    assert_eq!(summary, alone, "the summary asked with the latency counts");
    let other = workspace("other");
    let hidden = ok(store.latency_counts(&other, "r1").await, "latency_counts");
    assert!(hidden.is_empty(), "another workspace sees {hidden:?}");
    let ghost = ok(store.latency_counts(&ws, "ghost").await, "latency_counts");
    assert!(ghost.is_empty(), "an unknown run has {ghost:?}");
}
