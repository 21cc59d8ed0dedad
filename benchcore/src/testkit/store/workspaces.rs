//! Listing runs, and keeping workspaces apart.

use super::helpers::*;
use super::StoreHarness;
use crate::store::{RunFilter, RunStatus, StoreErrorKind, Workspace};
use crate::Outcome;
use std::sync::Arc;

/// `list_runs` returns newest first (creation order breaks ties) and honours every filter
/// field.
pub async fn list_runs_newest_first_and_filters(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let ws = Workspace::default();
    // Ids that do not sort in creation order, created within a millisecond or two.
    create(&store, &ws, "r-c", &spec("s1", &["a", "b"], 1)).await;
    create(&store, &ws, "r-a", &spec("s2", &["b"], 1)).await;
    create(&store, &ws, "r-d", &spec("s1", &["c"], 1)).await;
    create(&store, &ws, "r-b", &spec("s2", &["a", "c"], 1)).await;
    ok(
        store.set_run_status(&ws, "r-a", RunStatus::Finished).await,
        "set_run_status r-a",
    );
    ok(
        store.set_run_status(&ws, "r-d", RunStatus::Failed).await,
        "set_run_status r-d",
    );
    recorded(&store, &ws, &[record("r-c", "q1", "a", 0, Outcome::Passed)]).await;

    let filter = |suite: Option<&str>,
                  agent: Option<&str>,
                  status: Option<RunStatus>,
                  limit: Option<usize>| {
        RunFilter {
            suite: suite.map(str::to_owned),
            agent: agent.map(str::to_owned),
            status,
            limit,
        }
    };
    let cases: [(RunFilter, &[&str]); 12] = [
        (
            filter(None, None, None, None),
            &["r-b", "r-d", "r-a", "r-c"],
        ),
        (filter(Some("s1"), None, None, None), &["r-d", "r-c"]),
        (filter(None, Some("a"), None, None), &["r-b", "r-c"]),
        (filter(None, Some("b"), None, None), &["r-a", "r-c"]),
        (filter(Some("s2"), Some("b"), None, None), &["r-a"]),
        (
            filter(None, None, Some(RunStatus::Running), None),
            &["r-b", "r-c"],
        ),
        (
            filter(None, None, Some(RunStatus::Finished), None),
            &["r-a"],
        ),
        (filter(None, None, Some(RunStatus::Cancelled), None), &[]),
        (filter(None, None, None, Some(2)), &["r-b", "r-d"]),
        (filter(None, Some("c"), None, Some(1)), &["r-b"]),
        (filter(Some("s3"), None, None, None), &[]),
        (filter(None, None, None, Some(0)), &[]),
    ];
    for (f, want) in cases {
        assert_eq!(listed(&store, &ws, &f).await, want, "list_runs {f:?}");
    }
    let runs = ok(
        store.list_runs(&ws, &RunFilter::default()).await,
        "list_runs",
    );
    let r_c = runs.iter().find(|r| r.id == "r-c").expect("r-c listed");
    assert_eq!(
        (r_c.recorded, r_c.status),
        (1, RunStatus::Running),
        "list_runs shows r-c's state"
    );
    assert_eq!(r_c.spec, spec("s1", &["a", "b"], 1));
}

/// Nothing in one workspace can be read, listed, summarized or written from another.
pub async fn workspace_a_cannot_see_workspace_b(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let (a, b) = (workspace("a"), workspace("b"));
    create(&store, &a, "r1", &spec("s", &["x"], 2)).await;
    let attempt = full_record("r1", "q1", "x", 0);
    recorded(&store, &a, std::slice::from_ref(&attempt)).await;
    let what = "workspace b reading workspace a's run";

    assert!(
        ok(store.get_run(&b, "r1").await, what).is_none(),
        "{what}: get_run"
    );
    assert!(
        listed(&store, &b, &RunFilter::default()).await.is_empty(),
        "{what}: list_runs"
    );
    assert!(
        outcomes(&store, &b, "r1").await.is_empty(),
        "{what}: attempt_outcomes"
    );
    assert!(
        all_attempts(&store, &b, "r1").await.is_empty(),
        "{what}: attempts"
    );
    expect_kind(
        store.summarize(&b, "r1").await,
        StoreErrorKind::NotFound,
        "summarize from b",
    );
    expect_kind(
        store.set_run_status(&b, "r1", RunStatus::Cancelled).await,
        StoreErrorKind::NotFound,
        "set_run_status from b",
    );
    let mut overwrite = record("r1", "q2", "x", 0, Outcome::Error);
    overwrite.failure = failure("x", "from b");
    expect_kind(
        store.record_attempts(&b, &[overwrite]).await,
        StoreErrorKind::NotFound,
        "record_attempts from b into a's run",
    );

    let info = run_info(&store, &a, "r1").await;
    assert_eq!(
        (info.status, info.recorded),
        (RunStatus::Running, 1),
        "b changed a's run"
    );
    assert_eq!(all_attempts(&store, &a, "r1").await, vec![attempt]);
    assert_eq!(listed(&store, &a, &RunFilter::default()).await, ["r1"]);
    assert!(listed(&store, &workspace("default"), &RunFilter::default())
        .await
        .is_empty());
}
