//! Measures how fast a `SqliteStore` records attempts, the engine's hot path.
//!
//! ```text
//! cargo run --release -p benchcore-store --example insert_throughput [ATTEMPTS] [BATCH]
//! ```
//!
//! Records realistic attempts (a two-turn transcript, one evaluation) into a new temp file in
//! batches as the engine's writer sends them, then re-records the whole run (every key hits
//! the conflict path), and prints rows per second for both.

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

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let total: usize = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let batch: usize = args.next().map_or(Ok(512), |a| a.parse())?;
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(dir.path().join("bench.db")).await?;
    let ws = Workspace::default();
    let mut spec = RunSpec::default();
    spec.suite.cases = (total / 4) as u64;
    spec.agents = (0..4)
        .map(|a| AgentSpec::named(format!("agent-{a}")))
        .collect();
    store.create_run(&ws, "run-1", &spec).await?;
    let records: Vec<AttemptRecord> = (0..total).map(attempt).collect();

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
    store.close().await;
    Ok(())
}
