//! PostgreSQL-specific store behaviour beyond the shared suite: batches larger than one
//! statement, writers racing on the same keys, text PostgreSQL cannot hold, and summaries
//! that agree with SQLite row for row.

mod support;

use benchcore::{
    AgentSpec, AttemptKey, AttemptQuery, AttemptRecord, Outcome, RunSpec, RunStore, StoreErrorKind,
    Workspace,
};
use benchcore_store::postgres::UPSERT_ROWS;
use benchcore_store::PostgresStore;
use support::postgres::TestSchema;

fn spec(agents: &[&str], cases: u64) -> RunSpec {
    let mut spec = RunSpec::default();
    spec.suite.name = "s".to_owned();
    spec.suite.cases = cases;
    spec.agents = agents.iter().map(|a| AgentSpec::named(*a)).collect();
    spec
}

fn record(run: &str, case: usize, agent: &str, outcome: Outcome) -> AttemptRecord {
    AttemptRecord::new(
        run,
        AttemptKey::new(format!("q{case:05}"), agent, 0),
        outcome,
    )
}

#[tokio::test]
async fn a_batch_larger_than_one_statement_is_one_transaction() {
    let schema = TestSchema::new().await;
    let store = PostgresStore::open(&schema.url()).await.unwrap();
    let ws = Workspace::default();
    let n = UPSERT_ROWS * 2 + 17;
    store
        .create_run(&ws, "r1", &spec(&["a"], n as u64))
        .await
        .unwrap();
    let mut batch: Vec<AttemptRecord> = (0..n)
        .map(|i| record("r1", i, "a", Outcome::Passed))
        .collect();
    batch.push(record("ghost", 0, "a", Outcome::Passed));
    let err = store.record_attempts(&ws, &batch).await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::NotFound, "{err}");
    assert!(err.message.contains("\"ghost\""), "{err}");
    assert!(
        store.attempt_outcomes(&ws, "r1").await.unwrap().is_empty(),
        "a failed multi-statement batch left records behind"
    );

    // Without the ghost, and with every key repeated in the second half of the batch
    // (errors first, then results), the batch lands whole.
    batch.pop();
    let mut errors: Vec<AttemptRecord> = (0..n)
        .map(|i| record("r1", i, "a", Outcome::Error))
        .collect();
    errors.extend(batch);
    store.record_attempts(&ws, &errors).await.unwrap();
    let outcomes = store.attempt_outcomes(&ws, "r1").await.unwrap();
    assert_eq!(outcomes.len(), n);
    assert!(outcomes.iter().all(|(_, o)| *o == Outcome::Passed));
}

/// Several stores (as several machines would) record overlapping batches of the same keys
/// at once, each in its own order: none deadlocks, and each key ends with one record,
/// judged outcomes never replaced.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writers_racing_on_the_same_keys_never_deadlock() {
    let schema = TestSchema::new().await;
    let ws = Workspace::default();
    let n = 1500;
    let first = PostgresStore::open(&schema.url()).await.unwrap();
    first
        .create_run(&ws, "r1", &spec(&["a"], n as u64))
        .await
        .unwrap();
    let mut writers = Vec::new();
    for w in 0..4usize {
        let store = PostgresStore::open(&schema.url()).await.unwrap();
        let ws = ws.clone();
        writers.push(tokio::spawn(async move {
            let mut order: Vec<usize> = (0..n).collect();
            // Each writer walks the keys in its own order.
            order.rotate_left(w * n / 4);
            if w % 2 == 1 {
                order.reverse();
            }
            for chunk in order.chunks(250) {
                let batch: Vec<AttemptRecord> = chunk
                    .iter()
                    .map(|&i| {
                        let outcome = if (i + w) % 3 == 0 {
                            Outcome::Error
                        } else {
                            Outcome::Passed
                        };
                        record("r1", i, "a", outcome)
                    })
                    .collect();
                store.record_attempts(&ws, &batch).await.unwrap();
            }
        }));
    }
    for writer in writers {
        writer.await.expect("a writer failed");
    }
    let outcomes = first.attempt_outcomes(&ws, "r1").await.unwrap();
    assert_eq!(outcomes.len(), n);
    // Every key had a `passed` record from at least one writer; once recorded it is final.
    assert!(
        outcomes.iter().all(|(_, o)| *o == Outcome::Passed),
        "an error replaced a judged record"
    );
}

#[tokio::test]
async fn text_with_nul_characters_is_stored_with_replacement_characters() {
    let schema = TestSchema::new().await;
    let store = PostgresStore::open(&schema.url()).await.unwrap();
    let ws = Workspace::default();
    let mut spec = spec(&["a"], 1);
    spec.tags = serde_json::json!({"note": "x\0y"});
    store.create_run(&ws, "r1", &spec).await.unwrap();
    let mut r = record("r1", 0, "a", Outcome::Error);
    r.failure = Some(benchcore::AttemptFailure {
        kind: "malformed\0".to_owned(),
        message: "got \0 in the body".to_owned(),
    });
    r.model = Some("m\0".to_owned());
    r.transcript.push(benchcore::Turn::new(
        benchcore::Speaker::Agent,
        "nul \0 here, and a literal \\u0000",
    ));
    store.record_attempts(&ws, &[r]).await.unwrap();
    let got = store
        .attempts(&ws, "r1", &AttemptQuery::default())
        .await
        .unwrap()
        .remove(0);
    let failure = got.failure.unwrap();
    assert_eq!(failure.kind, "malformed\u{fffd}");
    assert_eq!(failure.message, "got \u{fffd} in the body");
    assert_eq!(got.model.as_deref(), Some("m\u{fffd}"));
    let text = serde_json::to_string(&got.transcript).unwrap();
    assert!(
        text.contains("nul \u{fffd} here, and a literal \\\\u0000"),
        "{text}"
    );
    let run = store.get_run(&ws, "r1").await.unwrap().unwrap();
    assert_eq!(run.spec.tags, serde_json::json!({"note": "x\u{fffd}y"}));

    // An id with U+0000 cannot be stored as it is: refused, never altered.
    let err = store
        .record_attempts(&ws, &[record("r1", 0, "a\0", Outcome::Passed)])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Backend, "{err}");
}

/// The same attempts recorded in SQLite and in PostgreSQL read back, list and summarize
/// identically: counts, rates, sums and the latency percentile picked by
/// `percentile_rank`, row for row.
#[cfg(feature = "sqlite")]
#[tokio::test]
async fn summaries_agree_with_sqlite_row_for_row() {
    use benchcore::{RunFilter, Usage};
    use std::sync::Arc;
    let schema = TestSchema::new().await;
    let dir = tempfile::tempdir().unwrap();
    let stores: [Arc<dyn RunStore>; 2] = [
        Arc::new(
            benchcore_store::SqliteStore::open(dir.path().join("a.db"))
                .await
                .unwrap(),
        ),
        Arc::new(PostgresStore::open(&schema.url()).await.unwrap()),
    ];
    let agents = ["zeta", "alpha", "mid", "never"];
    let ws = Workspace::new("agree").unwrap();
    // A small deterministic generator: the same "random" attempts for both stores.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |m: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % m
    };
    let mut batch = Vec::new();
    for i in 0..997 {
        let agent = agents[next(3) as usize];
        let outcome = Outcome::ALL[next(5) as usize];
        let mut r = record("r1", i, agent, outcome);
        r.key.sample = next(3) as u32;
        r.score = (outcome.is_judged() && next(4) > 0).then(|| next(9) as f64 / 8.0);
        r.latency_ms = (next(10) > 1).then(|| next(5_000));
        r.usage = Usage::new(next(1_000), next(300));
        r.cost_usd = (next(3) > 0).then(|| next(64) as f64 / 1024.0);
        r.retries = next(3) as u32;
        batch.push(r);
    }
    for store in &stores {
        store
            .create_run(&ws, "r1", &spec(&agents, 400))
            .await
            .unwrap();
        store.create_run(&ws, "r0", &spec(&["x"], 1)).await.unwrap();
        for chunk in batch.chunks(100) {
            store.record_attempts(&ws, chunk).await.unwrap();
        }
    }
    let [sqlite, postgres] = &stores;
    let (a, b) = (
        sqlite.summarize(&ws, "r1").await.unwrap(),
        postgres.summarize(&ws, "r1").await.unwrap(),
    );
    assert_eq!(a.agents.len(), 3);
    assert_eq!(a, b, "SQLite and PostgreSQL summaries differ");
    assert!(a.agents.iter().all(|s| s.latency_p95_ms.is_some()));
    let mut paged = AttemptQuery::default();
    paged.agent = Some("mid".to_owned());
    paged.outcome = Some(Outcome::Passed);
    paged.offset = 3;
    paged.limit = Some(40);
    for query in [AttemptQuery::default(), paged] {
        assert_eq!(
            sqlite.attempts(&ws, "r1", &query).await.unwrap(),
            postgres.attempts(&ws, "r1", &query).await.unwrap(),
            "{query:?}"
        );
    }
    assert_eq!(
        sqlite.attempt_outcomes(&ws, "r1").await.unwrap(),
        postgres.attempt_outcomes(&ws, "r1").await.unwrap()
    );
    let ids = |runs: Vec<benchcore::RunInfo>| runs.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids(sqlite.list_runs(&ws, &RunFilter::default()).await.unwrap()),
        ids(postgres
            .list_runs(&ws, &RunFilter::default())
            .await
            .unwrap()),
    );
}

/// The engine runs a benchmark into PostgreSQL through `benchcore_store::connect`, and a store
/// opened afterwards (as another process would) reads the same results.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_records_a_run_in_postgres() {
    use benchcore::agent::reference::{Gold, Null};
    use benchcore::{Case, Engine, QuestionSet, Run, RunStatus};
    let schema = TestSchema::new().await;
    let store = benchcore_store::connect(&schema.url())
        .await
        .unwrap()
        .store();
    let cases = (0..150)
        .map(|i| Case::new(format!("c{i:04}"), format!("{i}")).with_target(format!("{i}")))
        .collect();
    let suite = QuestionSet::from_cases("numbers", cases).unwrap();
    let ws = Workspace::new("e2e").unwrap();
    let report = Engine::new(store)
        .with_workspace(ws.clone())
        .run(
            Run::new(suite)
                .agent(Gold)
                .agent(Null)
                .samples(2)
                .concurrency(16),
        )
        .await
        .unwrap();
    assert_eq!(report.status, RunStatus::Finished);
    assert_eq!(report.summary.recorded(), 600);
    let again = PostgresStore::open(&schema.url()).await.unwrap();
    let run = again.get_run(&ws, &report.run_id).await.unwrap().unwrap();
    assert_eq!((run.status, run.recorded), (RunStatus::Finished, 600));
    assert_eq!(
        again.summarize(&ws, &report.run_id).await.unwrap(),
        report.summary
    );
    let gold = &report.summary.agents[0];
    assert_eq!((gold.agent.as_str(), gold.passed), ("gold", 300));
}
