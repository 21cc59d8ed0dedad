//! `RunStore::delete_run` on every SQL backend, checked behind the store's back: after a run
//! is deleted, no table with a `run_id` column (found in the schema's catalog, so a table
//! added later is checked too) holds a row of it, while the run of the same id in another
//! workspace keeps every row. On PostgreSQL the run also has queued attempts and limit
//! holdings. The behaviour suite checks the same through the trait alone.
#![cfg(any(feature = "sqlite", feature = "postgres"))]

mod support;

use benchcore::store::MetricRecord;
use benchcore::{
    AgentSpec, AttemptKey, AttemptRecord, Case, Outcome, QueuedAttempt, RunSpec, Workspace,
};
use std::time::Duration;
use support::Place;

/// How many rows of `(workspace, run)` each table keyed by run holds (`runs` by its `id`).
async fn rows_of<P: Place>(
    place: &P,
    tables: &[String],
    workspace: &str,
    run: &str,
) -> Vec<(String, i64)> {
    let mut counts = Vec::new();
    for table in tables {
        let column = if table == "runs" { "id" } else { "run_id" };
        let sql = format!(
            "SELECT CAST(COUNT(*) AS TEXT) FROM {table} \
             WHERE workspace = '{workspace}' AND {column} = '{run}'"
        );
        let count = place.rows(&sql).await[0][0]
            .as_deref()
            .unwrap()
            .parse()
            .unwrap();
        counts.push((table.clone(), count));
    }
    counts
}

async fn no_row_of_a_deleted_run_is_left<P: Place>(catalog: &str) {
    let place = P::new().await;
    let handle = place.open().await;
    let store = handle.store();
    let (a, b) = (
        Workspace::new("team-a").unwrap(),
        Workspace::new("team-b").unwrap(),
    );
    let mut spec = RunSpec::default();
    spec.suite.name = "s".to_owned();
    spec.suite.cases = 4;
    spec.agents = vec![AgentSpec::named("x")];
    for ws in [&a, &b] {
        store.create_run(ws, "r1", &spec).await.unwrap();
        let records = [
            AttemptRecord::new("r1", AttemptKey::new("q1", "x", 0), Outcome::Passed),
            AttemptRecord::new("r1", AttemptKey::new("q2", "x", 0), Outcome::Failed),
        ];
        store.record_attempts(ws, &records).await.unwrap();
        let metric = MetricRecord::new(AttemptKey::new("q1", "x", 0), "rapport", 0.5);
        store.record_metrics(ws, "r1", &[metric]).await.unwrap();
        if let Some(queue) = handle.work_queue() {
            let pending: Vec<_> = ["q3", "q4"]
                .into_iter()
                .map(|id| QueuedAttempt::new("r1", Case::new(id, "question"), "x", 0))
                .collect();
            queue.enqueue(ws, &pending).await.unwrap();
        }
        if let Some(board) = handle.limit_board() {
            let lease = Duration::from_secs(60);
            board
                .hold(ws, "r1", "run", "worker-1", 2, 4, lease)
                .await
                .unwrap();
            board.take(ws, "r1", "rpm", 60.0, 1.0).await.unwrap();
        }
    }
    let tables: Vec<String> = place
        .rows(catalog)
        .await
        .into_iter()
        .map(|row| row[0].clone().unwrap())
        .chain(["runs".to_owned()])
        .collect();
    for table in ["attempts", "attempt_metrics", "run_agents"] {
        assert!(
            tables.iter().any(|t| t == table),
            "{table} not in {tables:?}"
        );
    }
    let before = rows_of(&place, &tables, "team-b", "r1").await;
    let queued = handle.work_queue().is_some();
    for (table, count) in &before {
        let empty_here = !queued && matches!(table.as_str(), "work_queue" | "run_limits");
        assert!(
            empty_here || *count > 0,
            "nothing in {table} to delete: {before:?}"
        );
    }
    assert_eq!(rows_of(&place, &tables, "team-a", "r1").await, before);

    assert!(store.delete_run(&a, "r1").await.unwrap());
    let left = rows_of(&place, &tables, "team-a", "r1").await;
    assert!(
        left.iter().all(|(_, count)| *count == 0),
        "rows of the deleted run are left: {left:?}"
    );
    assert_eq!(
        rows_of(&place, &tables, "team-b", "r1").await,
        before,
        "team-b's run of the same id lost rows"
    );
    assert!(!store.delete_run(&a, "r1").await.unwrap());
    if let Some(queue) = handle.work_queue() {
        assert_eq!(queue.pending(&a, None).await.unwrap(), 0);
        assert_eq!(queue.pending(&b, Some("r1")).await.unwrap(), 2);
    }
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn sqlite_no_row_of_a_deleted_run_is_left() {
    let catalog = "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) p \
                   WHERE m.type = 'table' AND p.name = 'run_id' ORDER BY m.name";
    no_row_of_a_deleted_run_is_left::<support::sqlite::SqliteFile>(catalog).await;
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_no_row_of_a_deleted_run_is_left() {
    let catalog = "SELECT CAST(table_name AS TEXT) FROM information_schema.columns \
                   WHERE table_schema = current_schema() AND column_name = 'run_id' \
                   ORDER BY table_name";
    no_row_of_a_deleted_run_is_left::<support::postgres::TestSchema>(catalog).await;
}
