//! Reading attempts back: outcomes, whole records, order, filters and pages.

use super::helpers::*;
use super::StoreHarness;
use crate::store::{AttemptQuery, Workspace};
use crate::{AttemptKey, AttemptRecord, Outcome};
use std::sync::Arc;

/// `attempt_outcomes` of an unknown run returns an empty list.
pub async fn attempt_outcomes_of_unknown_run_is_empty(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let ws = Workspace::default();
    assert!(outcomes(&store, &ws, "ghost").await.is_empty());
    create(&store, &ws, "r1", &spec("s", &["a"], 1)).await;
    recorded(&store, &ws, &[record("r1", "q1", "a", 0, Outcome::Passed)]).await;
    assert!(outcomes(&store, &ws, "ghost").await.is_empty());
    assert!(
        all_attempts(&store, &ws, "ghost").await.is_empty(),
        "attempts of an unknown run"
    );
}

/// Recorded attempts read back identical, field by field, with absent values still absent.
pub async fn attempts_round_trip_every_field(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let ws = Workspace::default();
    let agent = "agent 'ü' \"x\"";
    create(&store, &ws, "r1", &spec("s", &[agent], 2)).await;
    let full = full_record("r1", "case/1 — ünïcødé 'quoted'", agent, 7);
    let mut minimal = record("r1", "case/2", agent, 0, Outcome::Skipped);
    minimal.failure = failure("", "");
    recorded(&store, &ws, &[full.clone(), minimal.clone()]).await;
    let got = all_attempts(&store, &ws, "r1").await;
    assert_eq!(got.len(), 2, "expected two records, got {got:#?}");
    assert_eq!(got[0], full, "the full record did not round-trip");
    assert_eq!(got[1], minimal, "the minimal record did not round-trip");
    let got = outcomes(&store, &ws, "r1").await;
    assert_eq!(got.get(&full.key), Some(&Outcome::Failed));
    assert_eq!(got.get(&minimal.key), Some(&Outcome::Skipped));
}

/// `attempts` returns records ordered by case, agent and then sample number.
pub async fn attempts_are_ordered_by_case_agent_sample(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let ws = Workspace::default();
    create(&store, &ws, "r1", &spec("s", &["x", "y"], 2)).await;
    let keys = [
        ("b", "x", 0),
        ("a", "y", 10),
        ("a", "y", 2),
        ("a", "x", 1),
        ("B", "y", 0),
    ];
    let batch: Vec<AttemptRecord> = keys
        .iter()
        .map(|(c, a, s)| record("r1", c, a, *s, Outcome::Passed))
        .collect();
    recorded(&store, &ws, &batch).await;
    let got: Vec<AttemptKey> = all_attempts(&store, &ws, "r1")
        .await
        .into_iter()
        .map(|r| r.key)
        .collect();
    let mut want: Vec<AttemptKey> = keys
        .iter()
        .map(|(c, a, s)| AttemptKey::new(*c, *a, *s))
        .collect();
    want.sort();
    assert_eq!(
        got, want,
        "attempts are not ordered by (case, agent, sample)"
    );
}

/// `attempts` honours the agent and outcome filters, then `offset` and `limit`.
pub async fn attempt_query_filters_and_pages(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let ws = Workspace::default();
    create(&store, &ws, "r1", &spec("s", &["a", "b", "c"], 6)).await;
    let mut batch = Vec::new();
    for (i, agent) in ["a", "b", "c"].into_iter().enumerate() {
        for case in 0..6 {
            let outcome = Outcome::ALL[(i + case) % Outcome::ALL.len()];
            batch.push(record("r1", &format!("q{case}"), agent, 0, outcome));
        }
    }
    recorded(&store, &ws, &batch).await;
    let mut all = batch.clone();
    all.sort_by(|x, y| x.key.cmp(&y.key));
    let read = |q: AttemptQuery| {
        let store = store.clone();
        let ws = ws.clone();
        async move {
            ok(
                store.attempts(&ws, "r1", &q).await,
                &format!("attempts {q:?}"),
            )
        }
    };
    let pick = |f: &dyn Fn(&AttemptRecord) -> bool| {
        all.iter().filter(|r| f(r)).cloned().collect::<Vec<_>>()
    };

    assert_eq!(read(query(None, None, 0, None)).await, all);
    assert_eq!(
        read(query(Some("b"), None, 0, None)).await,
        pick(&|r| r.key.agent == "b")
    );
    assert_eq!(
        read(query(None, Some(Outcome::Failed), 0, None)).await,
        pick(&|r| r.outcome == Outcome::Failed)
    );
    assert_eq!(
        read(query(Some("c"), Some(Outcome::Error), 0, None)).await,
        pick(&|r| r.key.agent == "c" && r.outcome == Outcome::Error)
    );
    assert_eq!(
        read(query(None, None, 4, Some(5))).await,
        all[4..9].to_vec(),
        "offset 4 limit 5"
    );
    assert_eq!(
        read(query(None, None, 15, None)).await,
        all[15..].to_vec(),
        "offset 15"
    );
    assert_eq!(
        read(query(None, None, 0, Some(0))).await,
        Vec::new(),
        "limit 0"
    );
    assert_eq!(
        read(query(None, None, 99, Some(3))).await,
        Vec::new(),
        "offset past the end"
    );
    let b = pick(&|r| r.key.agent == "b");
    assert_eq!(
        read(query(Some("b"), None, 2, Some(2))).await,
        b[2..4].to_vec(),
        "agent b, offset 2, limit 2"
    );
    assert_eq!(read(query(Some("nobody"), None, 0, None)).await, Vec::new());
}

/// `attempts` with `after` returns only keys that sort after it, stored or not, with the
/// filters and `limit` still applying; paging by the last key reads every attempt once.
pub async fn attempt_query_after_a_key_pages_by_key(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let ws = Workspace::default();
    create(&store, &ws, "r1", &spec("s", &["a", "b"], 3)).await;
    let mut batch = Vec::new();
    for case in ["B", "a", "a/1", "b"] {
        for agent in ["a", "b"] {
            for sample in [0, 2, 10] {
                let outcome = Outcome::ALL[(batch.len()) % Outcome::ALL.len()];
                batch.push(record("r1", case, agent, sample, outcome));
            }
        }
    }
    recorded(&store, &ws, &batch).await;
    let mut all = batch.clone();
    all.sort_by(|x, y| x.key.cmp(&y.key));
    let read = |q: AttemptQuery| {
        let store = store.clone();
        let ws = ws.clone();
        async move {
            ok(
                store.attempts(&ws, "r1", &q).await,
                &format!("attempts {q:?}"),
            )
        }
    };
    let after = |key: AttemptKey| all.iter().filter(move |r| r.key > key);

    // A stored key: the page starts right after it, sample 10 sorting after sample 2.
    let key = AttemptKey::new("a", "b", 2);
    let want: Vec<AttemptRecord> = after(key.clone()).cloned().collect();
    assert_eq!(
        read(AttemptQuery::all().after(Some(key.clone()))).await,
        want,
        "after {key}"
    );
    // A key that is not stored.
    let key = AttemptKey::new("a/0", "zzz", 99);
    let want: Vec<AttemptRecord> = after(key.clone()).take(4).cloned().collect();
    assert_eq!(
        read(AttemptQuery::all().limit(4).after(Some(key.clone()))).await,
        want,
        "after unstored {key}, limit 4"
    );
    // With a filter.
    let key = AttemptKey::new("a", "a", 0);
    let mut q = AttemptQuery::all().after(Some(key.clone()));
    q.agent = Some("b".to_owned());
    let want: Vec<AttemptRecord> = after(key).filter(|r| r.key.agent == "b").cloned().collect();
    assert_eq!(read(q).await, want, "after a key, agent b");
    // Past the end.
    let key = all.last().map(|r| r.key.clone());
    assert_eq!(read(AttemptQuery::all().after(key)).await, Vec::new());

    // Paging by the last key of each page reads every attempt exactly once, in order.
    let mut paged = Vec::new();
    let mut last = None;
    loop {
        let page = read(AttemptQuery::all().limit(5).after(last.clone())).await;
        let Some(tail) = page.last() else { break };
        last = Some(tail.key.clone());
        paged.extend(page);
    }
    assert_eq!(paged, all, "paging by key");
}

/// `case_outcomes` returns every recorded attempt of the listed cases and nothing of other
/// cases, other runs or other workspaces; of an unknown run, nothing.
pub async fn case_outcomes_returns_only_the_cases_asked(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let (ws, other) = (Workspace::default(), workspace("team-b"));
    let cases = ["c1", "c1x", "c2 'quoted' ü", "c3"];
    create(&store, &ws, "r1", &spec("s", &["a", "b"], 4)).await;
    create(&store, &ws, "r2", &spec("s", &["a"], 4)).await;
    create(&store, &other, "r1", &spec("s", &["a"], 4)).await;
    let mut batch = Vec::new();
    for case in cases {
        for (agent, sample, outcome) in [
            ("a", 0, Outcome::Passed),
            ("a", 1, Outcome::Error),
            ("b", 0, Outcome::Failed),
        ] {
            batch.push(record("r1", case, agent, sample, outcome));
        }
    }
    recorded(&store, &ws, &batch).await;
    recorded(&store, &ws, &[record("r2", "c1", "a", 0, Outcome::Passed)]).await;
    recorded(
        &store,
        &other,
        &[record("r1", "c1", "a", 3, Outcome::Passed)],
    )
    .await;
    let asked = vec![
        "c1".to_owned(),
        "c2 'quoted' ü".to_owned(),
        "nope".to_owned(),
    ];
    let mut found = ok(
        store.case_outcomes(&ws, "r1", &asked).await,
        "case_outcomes of r1",
    );
    found.sort_by(|x, y| x.0.cmp(&y.0));
    let mut expected: Vec<_> = batch
        .iter()
        .filter(|r| r.key.case_id == "c1" || r.key.case_id == "c2 'quoted' ü")
        .map(|r| (r.key.clone(), r.outcome))
        .collect();
    expected.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(found, expected, "case_outcomes returned other attempts");
    assert!(ok(store.case_outcomes(&ws, "ghost", &asked).await, "ghost").is_empty());
    assert!(ok(store.case_outcomes(&ws, "r1", &[]).await, "no cases").is_empty());
}
