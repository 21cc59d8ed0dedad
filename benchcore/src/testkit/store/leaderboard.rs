//! The leaderboard read back from stored runs.

use super::helpers::*;
use super::StoreHarness;
use crate::store::{RunFilter, RunStatus, Workspace};
use crate::{Outcome, Usage};
use std::sync::Arc;

fn scored(run: &str, case: &str, agent: &str, outcome: Outcome, cost: f64) -> crate::AttemptRecord {
    let mut r = record(run, case, agent, 0, outcome);
    r.score = Some(if outcome == Outcome::Passed { 1.0 } else { 0.0 });
    r.cost_usd = Some(cost);
    r.usage = Usage::new(100, 10);
    r
}

/// `leaderboard` gives each agent the run with its best accuracy, with that run's own cost,
/// tokens and duration (not averages over its runs); runs without judged attempts for an
/// agent do not count for it; rows are best first; the filter's suite and agent apply.
pub async fn leaderboard_takes_each_agents_best_run(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let ws = Workspace::default();
    create(&store, &ws, "r1", &spec("s1", &["a", "b"], 2)).await;
    recorded(
        &store,
        &ws,
        &[
            scored("r1", "q1", "a", Outcome::Passed, 0.5),
            scored("r1", "q2", "a", Outcome::Failed, 0.5),
            scored("r1", "q1", "b", Outcome::Passed, 0.25),
            scored("r1", "q2", "b", Outcome::Passed, 0.25),
        ],
    )
    .await;
    ok(
        store.set_run_status(&ws, "r1", RunStatus::Finished).await,
        "finish r1",
    );
    create(&store, &ws, "r2", &spec("s1", &["a", "b"], 2)).await;
    recorded(
        &store,
        &ws,
        &[
            scored("r2", "q1", "a", Outcome::Passed, 2.0),
            scored("r2", "q2", "a", Outcome::Passed, 2.0),
            record("r2", "q1", "b", 0, Outcome::Error),
        ],
    )
    .await;
    ok(
        store.set_run_status(&ws, "r2", RunStatus::Finished).await,
        "finish r2",
    );
    create(&store, &ws, "r3", &spec("s2", &["a"], 1)).await;
    recorded(
        &store,
        &ws,
        &[scored("r3", "q1", "a", Outcome::Failed, 9.0)],
    )
    .await;

    let board = ok(
        store.leaderboard(&ws, &RunFilter::default()).await,
        "leaderboard",
    );
    let rows: Vec<(&str, &str, u64)> = board
        .iter()
        .map(|e| (e.agent.as_str(), e.run_id.as_str(), e.runs))
        .collect();
    assert_eq!(
        rows,
        [("b", "r1", 1), ("a", "r2", 3)],
        "best run per agent, ties in accuracy by cost"
    );
    let a = &board[1];
    assert!(
        (a.accuracy - 1.0).abs() < 1e-9,
        "a's accuracy {}",
        a.accuracy
    );
    assert!(
        (a.cost_usd - 4.0).abs() < 1e-9,
        "a's cost is r2's own: {}",
        a.cost_usd
    );
    assert_eq!(
        (a.passed, a.judged, a.input_tokens, a.output_tokens),
        (2, 2, 200, 20)
    );
    assert_eq!((a.suite.as_str(), a.kind.as_str()), ("s1", "question_set"));
    let r2 = run_info(&store, &ws, "r2").await;
    assert_eq!(
        a.duration_ms,
        r2.updated_at_ms - r2.created_at_ms,
        "r2's own duration"
    );
    let b = &board[0];
    assert_eq!((b.passed, b.judged, b.errors), (2, 2, 0));
    assert!((b.cost_usd - 0.5).abs() < 1e-9);

    let only_s2 = RunFilter {
        suite: Some("s2".into()),
        ..RunFilter::default()
    };
    let board = ok(store.leaderboard(&ws, &only_s2).await, "leaderboard of s2");
    assert_eq!(board.len(), 1);
    assert_eq!((board[0].run_id.as_str(), board[0].accuracy), ("r3", 0.0));

    let only_b = RunFilter {
        agent: Some("b".into()),
        ..RunFilter::default()
    };
    let board = ok(store.leaderboard(&ws, &only_b).await, "leaderboard of b");
    assert_eq!(
        board.iter().map(|e| e.agent.as_str()).collect::<Vec<_>>(),
        ["b"]
    );

    let other = ok(
        store
            .leaderboard(&workspace("elsewhere"), &RunFilter::default())
            .await,
        "leaderboard of another workspace",
    );
    assert!(
        other.is_empty(),
        "another workspace sees nothing: {other:?}"
    );
}
