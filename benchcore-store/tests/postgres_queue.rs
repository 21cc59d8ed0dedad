//! The PostgreSQL work queue: concurrent claims never hand an item out twice, leases run out
//! and are renewed, release gives items back, and recording an attempt completes its item.

mod support;

use benchcore::{
    AgentSpec, AttemptKey, AttemptRecord, Case, Outcome, QueuedAttempt, RunSpec, RunStore,
    WorkQueue, Workspace,
};
use benchcore_store::PostgresStore;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use support::postgres::TestSchema;

const LONG: Duration = Duration::from_secs(60);

async fn store_with_run(schema: &TestSchema, run: &str, n: usize) -> Arc<PostgresStore> {
    let store = Arc::new(PostgresStore::open(&schema.url()).await.unwrap());
    let mut spec = RunSpec::default();
    spec.suite.name = "s".into();
    spec.suite.cases = n as u64;
    spec.agents = vec![AgentSpec::named("a")];
    store
        .create_run(&Workspace::default(), run, &spec)
        .await
        .unwrap();
    store
        .enqueue(&Workspace::default(), &items(run, n))
        .await
        .unwrap();
    store
}

fn items(run: &str, n: usize) -> Vec<QueuedAttempt> {
    (0..n)
        .map(|i| {
            QueuedAttempt::new(
                run,
                Case::new(format!("q{i:04}"), format!("question {i}")).with_target("x"),
                "a",
                0,
            )
        })
        .collect()
}

#[tokio::test]
async fn concurrent_claims_hand_each_item_to_one_worker() {
    let schema = TestSchema::new().await;
    let n = 600;
    let store = store_with_run(&schema, "r", n).await;
    let mut claimers = Vec::new();
    for w in 0..4 {
        let store = Arc::clone(&store);
        claimers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = store
                    .claim(&Workspace::default(), &format!("w{w}"), 25, LONG)
                    .await
                    .unwrap();
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got.into_iter().map(|item| item.key()));
            }
        }));
    }
    let mut seen = HashSet::new();
    let mut total = 0;
    for claimer in claimers {
        for key in claimer.await.unwrap() {
            total += 1;
            assert!(seen.insert(key.clone()), "{key} was handed out twice");
        }
    }
    assert_eq!((total, seen.len()), (n, n));
    // Everything is leased: nothing more to claim, all still pending until recorded.
    let ws = Workspace::default();
    assert!(store.claim(&ws, "late", 10, LONG).await.unwrap().is_empty());
    assert_eq!(store.pending(&ws, Some("r")).await.unwrap(), n as u64);
}

#[tokio::test]
async fn items_come_oldest_first_with_their_cases() {
    let schema = TestSchema::new().await;
    let store = store_with_run(&schema, "r", 5).await;
    let ws = Workspace::default();
    let got = store.claim(&ws, "w", 3, LONG).await.unwrap();
    let ids: Vec<&str> = got.iter().map(|i| i.case.id.as_str()).collect();
    assert_eq!(ids, ["q0000", "q0001", "q0002"]);
    assert_eq!(got[1].case, items("r", 5)[1].case);
    assert_eq!((got[0].run_id.as_str(), got[0].agent.as_str()), ("r", "a"));
    // Enqueueing again is idempotent on the key.
    assert_eq!(store.enqueue(&ws, &items("r", 7)).await.unwrap(), 2);
    assert_eq!(store.pending(&ws, None).await.unwrap(), 7);
}

#[tokio::test]
async fn a_lease_that_runs_out_goes_to_another_worker_unless_renewed() {
    let schema = TestSchema::new().await;
    let store = store_with_run(&schema, "r", 4).await;
    let ws = Workspace::default();
    let short = Duration::from_millis(300);
    assert_eq!(store.claim(&ws, "dies", 2, short).await.unwrap().len(), 2);
    assert_eq!(store.claim(&ws, "lives", 2, short).await.unwrap().len(), 2);
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(store.renew(&ws, "lives", short).await.unwrap(), 2);
    }
    // 600 ms later the dead worker's leases are over; the living one's are not.
    let taken = store.claim(&ws, "other", 10, LONG).await.unwrap();
    let ids: Vec<&str> = taken.iter().map(|i| i.case.id.as_str()).collect();
    assert_eq!(ids, ["q0000", "q0001"]);
    assert_eq!(store.renew(&ws, "dies", short).await.unwrap(), 0);
}

#[tokio::test]
async fn release_gives_items_back_at_once() {
    let schema = TestSchema::new().await;
    let store = store_with_run(&schema, "r", 3).await;
    let ws = Workspace::default();
    assert_eq!(store.claim(&ws, "w", 10, LONG).await.unwrap().len(), 3);
    assert_eq!(store.release(&ws, "w").await.unwrap(), 3);
    assert_eq!(store.claim(&ws, "v", 10, LONG).await.unwrap().len(), 3);
}

#[tokio::test]
async fn recording_an_attempt_completes_its_item() {
    let schema = TestSchema::new().await;
    let store = store_with_run(&schema, "r", 3).await;
    let ws = Workspace::default();
    let claimed = store.claim(&ws, "w", 1, LONG).await.unwrap();
    let key = claimed[0].key();
    store
        .record_attempts(&ws, &[AttemptRecord::new("r", key, Outcome::Passed)])
        .await
        .unwrap();
    // A record of an item that was never claimed completes it just the same (a local
    // resume of a queued run).
    store
        .record_attempts(
            &ws,
            &[AttemptRecord::new(
                "r",
                AttemptKey::new("q0002", "a", 0),
                Outcome::Failed,
            )],
        )
        .await
        .unwrap();
    assert_eq!(store.pending(&ws, Some("r")).await.unwrap(), 1);
    let rest = store.claim(&ws, "w2", 10, LONG).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].case.id, "q0001");
}

#[tokio::test]
async fn workspaces_have_queues_of_their_own() {
    let schema = TestSchema::new().await;
    let store = store_with_run(&schema, "r", 2).await;
    let other = Workspace::new("other").unwrap();
    assert!(store.claim(&other, "w", 10, LONG).await.unwrap().is_empty());
    assert_eq!(store.pending(&other, None).await.unwrap(), 0);
    // A run of another workspace cannot be filled from here: the foreign key refuses it.
    assert!(store.enqueue(&other, &items("r", 1)).await.is_err());
}

#[tokio::test]
async fn a_cancelled_runs_items_wait_until_it_runs_again() {
    let schema = TestSchema::new().await;
    let store = store_with_run(&schema, "r", 5).await;
    let ws = Workspace::default();
    store
        .set_run_status(&ws, "r", benchcore::RunStatus::Cancelled)
        .await
        .unwrap();
    assert!(store.claim(&ws, "w", 10, LONG).await.unwrap().is_empty());
    assert_eq!(store.pending(&ws, Some("r")).await.unwrap(), 5);
    assert_eq!(
        store.pending(&ws, None).await.unwrap(),
        0,
        "no work to wait for"
    );
    store
        .set_run_status(&ws, "r", benchcore::RunStatus::Running)
        .await
        .unwrap();
    assert_eq!(store.pending(&ws, None).await.unwrap(), 5);
    assert_eq!(store.claim(&ws, "w", 10, LONG).await.unwrap().len(), 5);
}
