//! Rate-limit benchmark: how the engine copes with 429s, over loopback HTTP.
//!
//! ```text
//! cargo run -p benchcore-tests --bin bench-rate-limits            # both tables, about 4 min
//! cargo run -p benchcore-tests --bin bench-rate-limits -- random  # the first only
//! cargo run -p benchcore-tests --bin bench-rate-limits -- real    # the second only
//! ```
//!
//! Two tables. **Random 429s**: a server refusing 30% of requests at random (`Retry-After:
//! 1`) with no real limit behind them, against the same server without faults; throughput
//! should stay at least half the fault-free rate. **Real limit**: a gateway accepting N
//! requests a minute and M at once (429 with `Retry-After` beyond that); after a warm-up the
//! run should hold at least 90% of the allowed rate with few 429s. The runs are long enough
//! (thousands of attempts) that the drain at the end, where the last refused attempts wait
//! out their `Retry-After` with nothing else left to send, does not decide the figure.

use benchcore::{AgentLimits, Case, Engine, MemoryStore, QuestionSet, RetryPolicy, Run};
use benchcore_providers::{build_agent, AgentConfig};
use benchcore_tests::servers::{GatewayLimit, GatewayServer, OpenAiServer, ServerConfig};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Seconds at the start of a real-limit run not counted: the engine is learning the limit.
const WARM_UP: f64 = 5.0;

fn suite(n: usize) -> QuestionSet {
    let cases = (0..n)
        .map(|i| {
            Case::new(format!("q{i:05}"), format!("echo {i}")).with_target(format!("echo {i}"))
        })
        .collect();
    QuestionSet::from_cases("echo", cases).expect("a valid suite")
}

/// Runs `cases` attempts against `base_url` at `concurrency`; returns (seconds, passed,
/// errors, retries).
async fn run(
    base_url: &str,
    cases: usize,
    concurrency: usize,
) -> anyhow::Result<(f64, u64, u64, u64)> {
    let config = AgentConfig::parse_spec(&format!("openai_compatible:bench@{base_url}"))?;
    let agent = build_agent(&config)?;
    let started = Instant::now();
    let report = Engine::new(Arc::new(MemoryStore::new()))
        .run(
            Run::new(suite(cases))
                .agent_with(agent, config.to_stored(), AgentLimits::default())
                .concurrency(concurrency)
                .retry(RetryPolicy::default().with_max_retries(100)),
        )
        .await?;
    let s = &report.summary.agents[0];
    Ok((
        started.elapsed().as_secs_f64(),
        s.passed,
        s.errors,
        s.retries,
    ))
}

async fn random_429s() -> anyhow::Result<()> {
    const CASES: usize = 5_000;
    const CONCURRENCY: usize = 50;
    let latency = Duration::from_millis(250);
    println!("## Random 429s: 30% of requests, Retry-After: 1, no real limit");
    println!(
        "{CASES} attempts, concurrency {CONCURRENCY}, server latency {} ms\n",
        latency.as_millis()
    );
    println!("| server | wall s | attempts/s | passed | errors | 429s |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut rates = Vec::new();
    for (name, rate_429) in [("fault-free", 0.0), ("30% random 429", 0.3)] {
        let server = OpenAiServer::start(ServerConfig {
            latency,
            rate_429,
            retry_after_secs: 1,
            seed: 42,
            ..ServerConfig::default()
        })
        .await?;
        let (wall, passed, errors, _) = run(&server.base_url(), CASES, CONCURRENCY).await?;
        let rate = CASES as f64 / wall;
        rates.push(rate);
        println!(
            "| {name} | {wall:.1} | {rate:.0} | {passed} | {errors} | {} |",
            server.stats().rate_limited
        );
    }
    println!(
        "\nrandom-429 rate / fault-free rate: {:.2} (required: at least 0.50)\n",
        rates[1] / rates[0]
    );
    Ok(())
}

async fn real_limit(
    limit: GatewayLimit,
    cases: usize,
    concurrency: usize,
) -> anyhow::Result<String> {
    let per_second = f64::from(limit.per_minute) / 60.0;
    let by_slots = limit.concurrent as f64 / limit.latency.as_secs_f64();
    let allowed = per_second.min(by_slots);
    let label = format!(
        "{}/min, {} at once, {} ms latency",
        limit.per_minute,
        limit.concurrent,
        limit.latency.as_millis()
    );
    let gateway = GatewayServer::start(limit).await?;
    let (wall, passed, errors, _) = run(&gateway.base_url(), cases, concurrency).await?;
    let stats = gateway.stats();
    let end = stats.accepted_at.iter().copied().fold(0.0, f64::max);
    let achieved = stats.accepted_rate(WARM_UP, end);
    Ok(format!(
        "| {label} | {cases} | {wall:.1} | {allowed:.1} | {achieved:.1} | {:.0}% | {} | {} | {passed} | {errors} |",
        100.0 * achieved / allowed,
        stats.refused_at.len(),
        stats.refused_after(WARM_UP),
    ))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let only = std::env::args().nth(1).unwrap_or_default();
    if only != "real" {
        random_429s().await?;
    }
    if only == "random" {
        return Ok(());
    }
    println!("## Real limit: a gateway enforcing N a minute and M at once, concurrency 50");
    println!("achieved = accepted per second from {WARM_UP} s to the last reply\n");
    println!("| limit | attempts | wall s | allowed/s | achieved/s | of allowed | 429s | 429s after warm-up | passed | errors |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let rate_bound = GatewayLimit {
        per_minute: 600,
        concurrent: 8,
        latency: Duration::from_millis(200),
    };
    println!("{}", real_limit(rate_bound, 600, 50).await?);
    let slot_bound = GatewayLimit {
        per_minute: 3_000,
        concurrent: 8,
        latency: Duration::from_millis(250),
    };
    println!("{}", real_limit(slot_bound, 1_500, 50).await?);
    Ok(())
}
