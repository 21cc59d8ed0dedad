//! Measures how fast the stores record attempts, the engine's hot path.
//!
//! ```text
//! cargo run --release -p benchcore-store --example insert_throughput [ATTEMPTS] [BATCH]
//! cargo run --release -p benchcore-store --features postgres --example insert_throughput \
//!     -- [ATTEMPTS] [BATCH] --postgres[=URL]
//! ```
//!
//! Records realistic attempts (a two-turn transcript, one evaluation) in batches as the
//! engine's writer sends them, then re-records the whole run (every key hits the conflict
//! path), and prints rows per second for both, then the time to summarize and to list the
//! completed keys. SQLite runs on a new temp file. With `--postgres`, the same runs on
//! PostgreSQL too, in a new schema dropped afterwards, on the server at URL (default: env
//! `BENCHCORE_TEST_POSTGRES`, else `postgres://postgres@127.0.0.1:5432/test`).

use benchcore::{
    AgentSpec, AttemptKey, AttemptRecord, Evaluation, Outcome, RunSpec, RunStore, Speaker,
    Transcript, Turn, Usage, Workspace,
};
use benchcore_store::SqliteStore;
use std::time::Instant;

fn attempt(i: usize) -> AttemptRecord {
    let mut r = AttemptRecord::new(
        "run-1",
        AttemptKey::new(format!("case-{:06}", i / 4), format!("agent-{}", i % 4), 0),
        if i % 7 == 0 {
            Outcome::Failed
        } else {
            Outcome::Passed
        },
    );
    let mut t = Transcript::default();
    t.push(Turn::new(
        Speaker::Participant,
        "What is the capital of France? Answer in one word.",
    ));
    t.push(Turn::new(Speaker::Agent, "Paris").with_timing(Some(420), Some(Usage::new(21, 2))));
    r.transcript = t;
    r.evaluations = vec![Evaluation::binary("exact", i % 7 != 0)];
    r.score = Some(if i % 7 == 0 { 0.0 } else { 1.0 });
    r.usage = Usage::new(21, 2);
    r.cost_usd = Some(0.000_042);
    r.model = Some("model-x".to_owned());
    r.latency_ms = Some(420);
    r.wall_ms = 431;
    r.work_ms = 425;
    r.started_at_ms = 1_700_000_000_000 + i as u64;
    r.finished_at_ms = r.started_at_ms + 431;
    r
}

/// Records `records` into a new run of `store` in batches of `batch`, twice, and prints the
/// figures under `name`.
async fn measure(
    name: &str,
    store: &dyn RunStore,
    records: &[AttemptRecord],
    batch: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let total = records.len();
    let ws = Workspace::default();
    let mut spec = RunSpec::default();
    spec.suite.cases = (total / 4) as u64;
    spec.agents = (0..4)
        .map(|a| AgentSpec::named(format!("agent-{a}")))
        .collect();
    store.create_run(&ws, "run-1", &spec).await?;
    println!("{name}:");
    for pass in ["insert", "re-record (conflicts)"] {
        let start = Instant::now();
        for chunk in records.chunks(batch) {
            store.record_attempts(&ws, chunk).await?;
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{pass:>22}: {total} attempts in batches of {batch}: {secs:.2} s, {:.0} rows/s",
            total as f64 / secs
        );
    }
    let start = Instant::now();
    let summary = store.summarize(&ws, "run-1").await?;
    println!(
        "{:>22}: {:.0} ms for {} attempts",
        "summarize",
        start.elapsed().as_secs_f64() * 1e3,
        summary.recorded()
    );
    let start = Instant::now();
    let outcomes = store.attempt_outcomes(&ws, "run-1").await?;
    println!(
        "{:>22}: {:.0} ms for {} keys",
        "attempt_outcomes",
        start.elapsed().as_secs_f64() * 1e3,
        outcomes.len()
    );
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut positional = Vec::new();
    let mut postgres: Option<String> = None;
    for arg in std::env::args().skip(1) {
        if arg == "--postgres" {
            postgres = Some(
                std::env::var("BENCHCORE_TEST_POSTGRES")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned()),
            );
        } else if let Some(url) = arg.strip_prefix("--postgres=") {
            postgres = Some(url.to_owned());
        } else {
            positional.push(arg);
        }
    }
    let mut positional = positional.into_iter();
    let total: usize = positional.next().map_or(Ok(100_000), |a| a.parse())?;
    let batch: usize = positional.next().map_or(Ok(512), |a| a.parse())?;
    let records: Vec<AttemptRecord> = (0..total).map(attempt).collect();

    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(dir.path().join("bench.db")).await?;
    measure("sqlite (temp file)", &store, &records, batch).await?;
    store.close().await;

    if let Some(url) = postgres {
        measure_postgres(&url, &records, batch).await?;
    }
    Ok(())
}

/// The same on PostgreSQL, in a schema of its own dropped afterwards.
#[cfg(feature = "postgres")]
async fn measure_postgres(
    url: &str,
    records: &[AttemptRecord],
    batch: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    use benchcore_store::PostgresConfig;
    use sqlx::Connection;

    let schema = format!("bench_throughput_{}", std::process::id());
    let config = PostgresConfig::from_url(url)?.schema(&schema);
    let label = config.label();
    let store = config.open().await?;
    let measured = measure(&label, &store, records, batch).await;
    store.close().await;
    let mut conn = sqlx::postgres::PgConnection::connect(url).await?;
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    measured
}

#[cfg(not(feature = "postgres"))]
#[allow(clippy::unused_async)]
async fn measure_postgres(
    _url: &str,
    _records: &[AttemptRecord],
    _batch: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    Err(
        "--postgres needs feature `postgres`: cargo run --release -p benchcore-store \
         --features postgres --example insert_throughput -- --postgres"
            .into(),
    )
}
