//! Creating runs, reading them back and moving them between states.

use super::helpers::*;
use super::StoreHarness;
use crate::store::{MetricRecord, RunFilter, RunStatus, StoreErrorKind, Workspace};
use crate::{AttemptKey, Outcome};
use std::sync::Arc;

/// `create_run` with an id that exists in the workspace fails with `Conflict` and leaves the
/// first run as it was.
pub async fn create_run_twice_conflicts(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let ws = Workspace::default();
    let first = spec("suite-1", &["a"], 3);
    create(&store, &ws, "r1", &first).await;
    expect_kind(
        store
            .create_run(&ws, "r1", &spec("suite-2", &["b"], 5))
            .await,
        StoreErrorKind::Conflict,
        "creating run r1 a second time",
    );
    let info = run_info(&store, &ws, "r1").await;
    assert_eq!(
        info.spec, first,
        "a refused create_run changed the stored spec"
    );
    assert_eq!(
        ok(
            store.list_runs(&ws, &RunFilter::default()).await,
            "list_runs"
        )
        .len(),
        1
    );
}

/// The same run id in another workspace is a different run.
pub async fn same_run_id_in_two_workspaces_are_different_runs(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let (a, b) = (workspace("team-a"), workspace("team-b"));
    create(&store, &a, "r1", &spec("suite-a", &["x"], 1)).await;
    create(&store, &b, "r1", &spec("suite-b", &["y"], 2)).await;
    assert_eq!(run_info(&store, &a, "r1").await.spec.suite.name, "suite-a");
    assert_eq!(run_info(&store, &b, "r1").await.spec.suite.name, "suite-b");
    recorded(&store, &a, &[record("r1", "q1", "x", 0, Outcome::Passed)]).await;
    assert!(
        outcomes(&store, &b, "r1").await.is_empty(),
        "team-b's r1 shows team-a's attempt"
    );
    assert_eq!(run_info(&store, &b, "r1").await.recorded, 0);
    assert_eq!(run_info(&store, &a, "r1").await.recorded, 1);
    ok(
        store.set_run_status(&b, "r1", RunStatus::Failed).await,
        "set_run_status in team-b",
    );
    assert_eq!(run_info(&store, &a, "r1").await.status, RunStatus::Running);
}

/// A new run reads back in state `running` with exactly the spec it was created with.
pub async fn created_run_reads_back_running_with_its_spec(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let ws = Workspace::default();
    let mut spec = spec("gsm8k ✓", &["gpt", "claude"], 1319);
    spec.name = Some("nightly \"quoted\"".to_owned());
    spec.samples = 3;
    spec.concurrency = 7;
    spec.timeout_ms = 5_000;
    spec.max_run_ms = Some(60_000);
    spec.max_cost_usd = Some(2.5);
    spec.artifacts_dir = Some("/tmp/artifacts".to_owned());
    spec.suite.path = Some("suites/gsm8k.jsonl".to_owned());
    spec.tags = serde_json::json!({"branch": "main", "n": [1, 2]});
    spec.agents[0].config = serde_json::json!({"kind": "openai", "api_key_env": "OPENAI_API_KEY"});
    spec.evaluators = vec!["numeric:0.01".parse().expect("evaluator config")];
    let before = crate::now_ms();
    create(&store, &ws, "20260101-000000-abcdef", &spec).await;
    let after = crate::now_ms();
    let info = run_info(&store, &ws, "20260101-000000-abcdef").await;
    assert_eq!(info.id, "20260101-000000-abcdef");
    assert_eq!(info.workspace, ws);
    assert_eq!(
        info.spec, spec,
        "the stored spec differs from the one created"
    );
    assert_eq!(info.status, RunStatus::Running);
    assert_eq!(info.recorded, 0);
    assert_eq!(info.total(), 1319 * 2 * 3);
    assert!(
        (before..=after).contains(&info.created_at_ms),
        "created_at_ms {} is not between {before} and {after}",
        info.created_at_ms
    );
    assert!(info.updated_at_ms >= info.created_at_ms);
}

/// `get_run` of an unknown id returns `Ok(None)`.
pub async fn get_unknown_run_is_none(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let ws = Workspace::default();
    assert!(ok(
        store.get_run(&ws, "nope").await,
        "get_run on an empty store"
    )
    .is_none());
    create(&store, &ws, "r1", &spec("s", &["a"], 1)).await;
    assert!(ok(store.get_run(&ws, "r2").await, "get_run r2").is_none());
    assert!(
        ok(store.get_run(&ws, "R1").await, "get_run R1").is_none(),
        "run ids are case-sensitive"
    );
}

/// `set_run_status` moves a run to any state and stamps `updated_at_ms`.
pub async fn set_status_changes_status_and_updated_time(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let ws = Workspace::default();
    create(&store, &ws, "r1", &spec("s", &["a"], 1)).await;
    let created = run_info(&store, &ws, "r1").await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    for status in [
        RunStatus::Cancelled,
        RunStatus::Running,
        RunStatus::Failed,
        RunStatus::Finished,
    ] {
        ok(
            store.set_run_status(&ws, "r1", status).await,
            &format!("set_run_status {status}"),
        );
        let info = run_info(&store, &ws, "r1").await;
        assert_eq!(info.status, status);
        assert_eq!(
            info.created_at_ms, created.created_at_ms,
            "set_run_status changed created_at_ms"
        );
        assert!(
            info.updated_at_ms > created.created_at_ms,
            "updated_at_ms {} not after created_at_ms {} following a status change 5 ms later",
            info.updated_at_ms,
            created.created_at_ms
        );
    }
}

/// `set_run_status` of an unknown run fails with `NotFound` and creates nothing.
pub async fn set_status_of_unknown_run_is_not_found(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let ws = Workspace::default();
    expect_kind(
        store
            .set_run_status(&ws, "ghost", RunStatus::Finished)
            .await,
        StoreErrorKind::NotFound,
        "set_run_status of an unknown run",
    );
    assert!(ok(store.get_run(&ws, "ghost").await, "get_run ghost").is_none());
}

/// `set_run_tags` replaces the tags and nothing else of the spec; the new tags read back
/// whole, also after the store is reopened.
pub async fn set_tags_replaces_only_the_tags(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let ws = Workspace::default();
    let mut created = spec("s", &["a", "b"], 4);
    created.samples = 2;
    created.tags = serde_json::json!({"branch": "main"});
    create(&store, &ws, "r1", &created).await;
    let tags = serde_json::json!({
        "branch": "main",
        "forced_resumes": [{"at_ms": 1, "changes": ["evaluator `exact` \"quoted\" ✓ was x"]}],
    });
    ok(
        store.set_run_tags(&ws, "r1", &tags).await,
        "set_run_tags r1",
    );
    let mut expected = created.clone();
    expected.tags = tags;
    assert_eq!(
        run_info(&store, &ws, "r1").await.spec,
        expected,
        "set_run_tags changed more than the tags, or did not store them"
    );
    if let Some(reopened) = harness.reopen(&store).await {
        assert_eq!(run_info(&reopened, &ws, "r1").await.spec, expected);
    }
}

/// `set_run_tags` of an unknown run, or of a run in another workspace, fails with
/// `NotFound` and changes nothing.
pub async fn set_tags_of_unknown_run_is_not_found(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let (a, b) = (workspace("team-a"), workspace("team-b"));
    let created = spec("s", &["a"], 1);
    create(&store, &a, "r1", &created).await;
    let tags = serde_json::json!({"x": 1});
    expect_kind(
        store.set_run_tags(&a, "ghost", &tags).await,
        StoreErrorKind::NotFound,
        "set_run_tags of an unknown run",
    );
    expect_kind(
        store.set_run_tags(&b, "r1", &tags).await,
        StoreErrorKind::NotFound,
        "set_run_tags of team-a's run from team-b",
    );
    assert_eq!(run_info(&store, &a, "r1").await.spec, created);
    assert!(ok(store.get_run(&b, "r1").await, "get_run in team-b").is_none());
}

/// `delete_run` removes the run and everything of it (attempts, metrics, agents), returns
/// `true` once and `false` after; other runs of the workspace keep all of theirs, and a run
/// created again under the same id starts from nothing.
pub async fn delete_run_removes_the_run_and_everything_of_it(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let ws = Workspace::default();
    for id in ["r1", "r2"] {
        create(&store, &ws, id, &spec("s", &["a", "b"], 2)).await;
        let records = [
            record(id, "q1", "a", 0, Outcome::Passed),
            record(id, "q2", "b", 0, Outcome::Failed),
        ];
        recorded(&store, &ws, &records).await;
        let metric = MetricRecord::new(AttemptKey::new("q1", "a", 0), "rapport", 0.5);
        ok(
            store.record_metrics(&ws, id, &[metric]).await,
            &format!("record_metrics of {id}"),
        );
    }
    assert!(
        ok(store.delete_run(&ws, "r1").await, "delete_run r1"),
        "delete_run of an existing run returned false"
    );
    assert!(ok(store.get_run(&ws, "r1").await, "get_run r1").is_none());
    assert!(outcomes(&store, &ws, "r1").await.is_empty());
    assert!(all_attempts(&store, &ws, "r1").await.is_empty());
    assert!(ok(store.metrics(&ws, "r1").await, "metrics of r1").is_empty());
    let agent_a = RunFilter {
        agent: Some("a".to_owned()),
        ..RunFilter::default()
    };
    assert_eq!(listed(&store, &ws, &agent_a).await, ["r2"]);
    assert!(
        !ok(store.delete_run(&ws, "r1").await, "delete_run r1 again"),
        "deleting a deleted run returned true"
    );
    // The other run keeps everything.
    assert_eq!(run_info(&store, &ws, "r2").await.recorded, 2);
    assert_eq!(outcomes(&store, &ws, "r2").await.len(), 2);
    assert_eq!(ok(store.metrics(&ws, "r2").await, "metrics of r2").len(), 1);
    if let Some(reopened) = harness.reopen(&store).await {
        assert!(ok(reopened.get_run(&ws, "r1").await, "get_run r1").is_none());
        assert_eq!(run_info(&reopened, &ws, "r2").await.recorded, 2);
    }
    // The same id again is a new run: nothing of the deleted one comes back.
    create(&store, &ws, "r1", &spec("s", &["c"], 1)).await;
    assert_eq!(run_info(&store, &ws, "r1").await.recorded, 0);
    assert!(outcomes(&store, &ws, "r1").await.is_empty());
    assert!(ok(store.metrics(&ws, "r1").await, "metrics of new r1").is_empty());
    assert_eq!(listed(&store, &ws, &agent_a).await, ["r2"]);
}

/// `delete_run` of a run id the workspace does not have returns `false` and changes
/// nothing, even when another workspace has a run of that id.
pub async fn delete_run_of_another_workspace_is_false(harness: Arc<dyn StoreHarness>) {
    let store = harness.fresh().await;
    let (a, b) = (workspace("team-a"), workspace("team-b"));
    let created = spec("s", &["x"], 2);
    create(&store, &a, "r1", &created).await;
    recorded(&store, &a, &[record("r1", "q1", "x", 0, Outcome::Passed)]).await;
    let metric = MetricRecord::new(AttemptKey::new("q1", "x", 0), "rapport", 0.5);
    ok(
        store.record_metrics(&a, "r1", &[metric]).await,
        "record_metrics",
    );
    assert!(
        !ok(store.delete_run(&b, "r1").await, "delete_run in team-b"),
        "team-b deleted team-a's run"
    );
    assert!(!ok(store.delete_run(&a, "ghost").await, "delete_run ghost"));
    let intact = |what: &'static str| {
        let store = Arc::clone(&store);
        let a = a.clone();
        let created = created.clone();
        async move {
            let info = run_info(&store, &a, "r1").await;
            assert_eq!(info.spec, created, "{what}: team-a's run changed");
            assert_eq!(info.recorded, 1, "{what}: team-a's attempts are gone");
            assert_eq!(outcomes(&store, &a, "r1").await.len(), 1, "{what}");
            assert_eq!(ok(store.metrics(&a, "r1").await, what).len(), 1, "{what}");
        }
    };
    intact("after team-b deleted r1").await;
    // team-b's own run of the same id goes alone.
    create(&store, &b, "r1", &spec("s", &["y"], 1)).await;
    recorded(&store, &b, &[record("r1", "q1", "y", 0, Outcome::Failed)]).await;
    assert!(ok(
        store.delete_run(&b, "r1").await,
        "delete_run of team-b's r1"
    ));
    assert!(ok(store.get_run(&b, "r1").await, "get_run in team-b").is_none());
    intact("after team-b deleted its own r1").await;
}
