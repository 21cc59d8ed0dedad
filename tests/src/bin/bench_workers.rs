//! Workers benchmark: one run queued in PostgreSQL with `benchcore run --detach`, then done by
//! one and by three `benchcore worker` processes against a loopback provider.
//!
//! ```text
//! cargo build --release -p benchcore-cli -p benchcore-tests
//! target/release/bench-workers            # 5,000 cases, 100 ms latency, 100 in flight per worker
//! target/release/bench-workers --profile  # also the attempts in flight every 20 ms
//! ```
//!
//! The `benchcore` binary is taken from beside this one. PostgreSQL comes from
//! `BENCHCORE_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/test`); each scenario
//! uses a schema of its own, dropped afterwards. The time runs from the `--detach` call to the
//! moment the run is `finished` in the store, with the workers already up and polling (as in
//! a deployment, where workers wait for runs). The run's `-j` is 100 per worker (300 for
//! three), held for the run as a whole on the store's limit board; the ideal is the number of
//! waves (`ceil(cases / (workers × 100))`) times the latency. The last column is the same
//! run done by one `benchcore run` process at the same total concurrency.
//!
//! A second table splits each distributed run's time (see [`Split`]): queuing it, the
//! workers picking it up, the attempts themselves (provider latency, the machine's overhead
//! on each attempt, and slots left idle between attempts: claims, records, limits) and the
//! lag from the last answer to the run being marked finished.

use anyhow::{bail, Context};
use benchcore::store::for_each_page;
use benchcore::{RunStatus, Workspace};
use benchcore_tests::provider_process::ProviderProcess;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

const CASES: usize = 5_000;
const LATENCY_MS: u64 = 100;
const CONCURRENCY: usize = 100;

fn main() -> anyhow::Result<()> {
    let here = std::env::current_exe()?;
    let bin_dir = here.parent().context("no folder for this binary")?;
    let benchcore = bin_dir.join("benchcore");
    let engine_bench = bin_dir.join("bench-engine");
    for needed in [&benchcore, &engine_bench] {
        if !needed.exists() {
            bail!(
                "{} is missing: build it first with \
                 `cargo build --release -p benchcore-cli -p benchcore-tests`",
                needed.display()
            );
        }
    }
    let base = std::env::var("BENCHCORE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let dir = tempfile::tempdir()?;
    let suite = dir.path().join("suite.jsonl");
    write_suite(&suite, CASES)?;
    let server = ProviderProcess::start(&engine_bench, LATENCY_MS)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;

    println!(
        "| workers | attempts | wall s | ideal s | wall / ideal | attempts/s | one process at the same total concurrency, s |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let mut splits = Vec::new();
    for workers in [1usize, 3] {
        let schema = format!("bench_workers_{}_{workers}", std::process::id());
        let url = format!("{base}?schema={schema}");
        let measured = runtime.block_on(measure(
            &benchcore,
            &url,
            &suite,
            &server.base_url,
            workers,
            dir.path(),
        ));
        let _ = Command::new("psql")
            .args([
                base.as_str(),
                "-qc",
                &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
            ])
            .output();
        let (wall, split) = measured?;
        splits.push((workers, split));
        let local_url = format!("{base}?schema={schema}_local");
        let local = runtime.block_on(measure_local(
            &benchcore,
            &local_url,
            &suite,
            &server.base_url,
            workers * CONCURRENCY,
            dir.path(),
        ));
        let _ = Command::new("psql")
            .args([
                base.as_str(),
                "-qc",
                &format!("DROP SCHEMA IF EXISTS {schema}_local CASCADE"),
            ])
            .output();
        let local = local?;
        let waves = CASES.div_ceil(workers * CONCURRENCY) as f64;
        let ideal = waves * LATENCY_MS as f64 / 1000.0;
        println!(
            "| {workers} | {CASES} | {wall:.2} | {ideal:.2} | {:.3}× | {:.0} | {local:.2} |",
            wall / ideal,
            CASES as f64 / wall
        );
    }
    println!();
    Split::print_header();
    for (workers, split) in &splits {
        split.print(*workers);
    }
    Ok(())
}

/// Where a distributed run's time goes, from the clock around it and the attempts' own
/// start and finish times in the store (milliseconds since the epoch, one machine's clock).
#[derive(Debug, Clone, Copy)]
struct Split {
    /// `run --detach` from start to exit: process start, connect, create the run, queue it.
    queue_ms: f64,
    /// From the detach's exit to the first attempt starting: polling, claiming, the first
    /// share of the run-wide limits.
    pickup_ms: f64,
    /// From the first attempt starting to the last one finishing.
    body_ms: f64,
    /// What the body would take with every slot always busy and no overhead.
    ideal_body_ms: f64,
    /// Mean time of an attempt beyond the provider's latency: HTTP, parsing, scoring, on a
    /// machine the provider, the store and the workers share.
    overhead_per_attempt_ms: f64,
    /// Share of the run's slots left empty during the body: between an attempt's end and the
    /// next one's start (claims, records, limit shares) and in the last, partial wave.
    idle_share: f64,
    /// From the last attempt finishing to the run being seen `finished`.
    finish_ms: f64,
}

impl Split {
    fn of(
        detach: (SystemTime, SystemTime),
        seen_finished: SystemTime,
        spans: &[(u64, u64)],
        concurrency: usize,
    ) -> anyhow::Result<Self> {
        let ms = |t: SystemTime| -> anyhow::Result<f64> {
            Ok(t.duration_since(SystemTime::UNIX_EPOCH)?.as_secs_f64() * 1000.0)
        };
        let (start, detached, end) = (ms(detach.0)?, ms(detach.1)?, ms(seen_finished)?);
        let first = spans.iter().map(|s| s.0).min().context("no attempts")? as f64;
        let last = spans.iter().map(|s| s.1).max().context("no attempts")? as f64;
        let busy: f64 = spans.iter().map(|(a, b)| b.saturating_sub(*a) as f64).sum();
        let n = spans.len() as f64;
        let body = last - first;
        Ok(Self {
            queue_ms: detached - start,
            pickup_ms: first - detached,
            body_ms: body,
            ideal_body_ms: spans.len().div_ceil(concurrency) as f64 * LATENCY_MS as f64,
            overhead_per_attempt_ms: busy / n - LATENCY_MS as f64,
            idle_share: 1.0 - busy / (body * concurrency as f64),
            finish_ms: end - last,
        })
    }

    fn print_header() {
        println!(
            "| workers | queue ms | pickup ms | body ms | ideal body ms | overhead per attempt ms | idle slots | finish ms |"
        );
        println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    }

    fn print(&self, workers: usize) {
        println!(
            "| {workers} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} | {:.1}% | {:.0} |",
            self.queue_ms,
            self.pickup_ms,
            self.body_ms,
            self.ideal_body_ms,
            self.overhead_per_attempt_ms,
            self.idle_share * 100.0,
            self.finish_ms
        );
    }
}

/// Queues the run, starts the workers, and returns the seconds until the run is finished
/// with where they went.
async fn measure(
    benchcore: &Path,
    url: &str,
    suite: &Path,
    base_url: &str,
    workers: usize,
    dir: &Path,
) -> anyhow::Result<(f64, Split)> {
    // Create the schema before the clock starts: migrations are not the run's time.
    let store = benchcore_store::connect(url).await?.store();
    // Workers are long-lived: they are up and polling when a run is queued, as in a
    // deployment.
    let mut children: Vec<Child> = (0..workers)
        .map(|i| {
            Command::new(benchcore)
                .args(["worker", "-q", "--poll", "0.05"])
                .args(["--id", &format!("bench-{i}")])
                .env("BENCHCORE_STORE", url)
                .current_dir(dir)
                .stdout(Stdio::null())
                .spawn()
        })
        .collect::<Result<_, _>>()?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let agent = format!("openai_compatible:bench@{base_url}");
    let started = Instant::now();
    let detach_started = SystemTime::now();
    let out = Command::new(benchcore)
        .args(["run"])
        .arg(suite)
        .args([
            "-a",
            &agent,
            "-j",
            &(workers * CONCURRENCY).to_string(),
            "--detach",
            "-q",
        ])
        .env("BENCHCORE_STORE", url)
        .current_dir(dir)
        .output()?;
    let detach_ended = SystemTime::now();
    if !out.status.success() {
        bail!("--detach failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let run_id = String::from_utf8(out.stdout)?.trim().to_owned();
    let ws = Workspace::default();
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let run = store
            .get_run(&ws, &run_id)
            .await?
            .context("the run vanished")?;
        if run.status == RunStatus::Finished {
            break;
        }
        if Instant::now() > deadline {
            bail!("the run did not finish within 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let wall = started.elapsed().as_secs_f64();
    let seen_finished = SystemTime::now();
    for child in &mut children {
        // SIGTERM: a worker stops cleanly and exits 130.
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()?;
        if child.wait()?.code() != Some(130) {
            bail!("a worker failed");
        }
    }
    let summary = store.summarize(&ws, &run_id).await?;
    let agent = &summary.agents[0];
    if (agent.n, agent.passed) != (CASES as u64, CASES as u64) {
        bail!("not every attempt passed once: {agent:?}");
    }
    let mut spans = Vec::with_capacity(CASES);
    for_each_page(store.as_ref(), &ws, &run_id, 1000, |page| {
        spans.extend(page.iter().map(|r| (r.started_at_ms, r.finished_at_ms)));
    })
    .await?;
    if std::env::args().any(|a| a == "--profile") {
        eprintln!(
            "attempts in flight, {workers} worker(s): {}",
            in_flight(&spans)
        );
    }
    let split = Split::of(
        (detach_started, detach_ended),
        seen_finished,
        &spans,
        workers * CONCURRENCY,
    )?;
    Ok((wall, split))
}

/// Attempts in flight every 20 ms from the first start, as `ms:count` pairs: where the slots
/// were full and where they were not (the start, the tail).
fn in_flight(spans: &[(u64, u64)]) -> String {
    let first = spans.iter().map(|s| s.0).min().unwrap_or(0);
    let last = spans.iter().map(|s| s.1).max().unwrap_or(0);
    let mut line = String::new();
    for t in (first..last).step_by(20) {
        let busy = spans.iter().filter(|(a, b)| *a <= t && *b > t).count();
        line.push_str(&format!("{}:{busy} ", t - first));
    }
    line
}

/// The same run done by one `benchcore run` process at `concurrency`: what distribution costs.
async fn measure_local(
    benchcore: &Path,
    url: &str,
    suite: &Path,
    base_url: &str,
    concurrency: usize,
    dir: &Path,
) -> anyhow::Result<f64> {
    drop(benchcore_store::connect(url).await?);
    let agent = format!("openai_compatible:bench@{base_url}");
    let started = Instant::now();
    let out = Command::new(benchcore)
        .args(["run"])
        .arg(suite)
        .args(["-a", &agent, "-j", &concurrency.to_string(), "-q"])
        .env("BENCHCORE_STORE", url)
        .current_dir(dir)
        .output()?;
    if !out.status.success() {
        bail!(
            "the local run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(started.elapsed().as_secs_f64())
}

fn write_suite(path: &Path, cases: usize) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for i in 0..cases {
        writeln!(
            out,
            "{{\"id\": \"case-{i:07}\", \"input\": \"echo {i}\", \"target\": \"echo {i}\"}}"
        )?;
    }
    out.flush()?;
    Ok(())
}
