//! Engine benchmark: suite → engine → OpenAI-compatible agent over loopback HTTP → SQLite.
//!
//! ```text
//! cargo run --release -p benchcore-tests --bin bench-engine            # standard table
//! cargo run --release -p benchcore-tests --bin bench-engine -- --full  # adds the 1,000,000-case runs
//! cargo run --release -p benchcore-tests --bin bench-engine -- --ten-million [--keep DIR]
//! ```
//!
//! `--ten-million` runs 1,000,000 and then 10,000,000 cases at 0 ms latency (the per-attempt
//! rate of both, and the peak memory of both); `--keep DIR` leaves the suites and SQLite
//! stores there, to time `benchcore report` and `benchcore view` on them.
//!
//! The resume rows stop a run halfway (cancelled once half its attempts are recorded) in one
//! process, then resume it in another: the second one's peak memory is a resume's.
//!
//! Each scenario runs in a child process of its own, so its CPU time and peak memory are the
//! engine's alone; the mock provider runs in another process (this binary with `--serve`).

use anyhow::{bail, Context};
use benchcore::{AgentLimits, Engine, QuestionSet, ResumeOptions, RetryPolicy, Run, RunEvent};
use benchcore_providers::{build_agent, AgentConfig};
use benchcore_tests::provider_process::ProviderProcess;
use benchcore_tests::servers::{OpenAiServer, ServerConfig};
use futures::StreamExt;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Scenario {
    name: &'static str,
    cases: usize,
    latency_ms: u64,
    concurrency: usize,
    /// Stop at half, then measure the resume of the other half.
    resume: bool,
}

const STANDARD: &[Scenario] = &[
    Scenario {
        name: "5k cases, 100 ms latency, concurrency 100",
        cases: 5_000,
        latency_ms: 100,
        concurrency: 100,
        resume: false,
    },
    Scenario {
        name: "20k cases, 0 ms latency, concurrency 64",
        cases: 20_000,
        latency_ms: 0,
        concurrency: 64,
        resume: false,
    },
    Scenario {
        name: "100k cases, resumed at half",
        cases: 100_000,
        latency_ms: 0,
        concurrency: 64,
        resume: true,
    },
    Scenario {
        name: "10k cases, 0 ms latency (memory base)",
        cases: 10_000,
        latency_ms: 0,
        concurrency: 64,
        resume: false,
    },
];

const FULL: &[Scenario] = &[
    Scenario {
        name: "1M cases, 0 ms latency (memory at scale)",
        cases: 1_000_000,
        latency_ms: 0,
        concurrency: 64,
        resume: false,
    },
    Scenario {
        name: "1M cases, resumed at half (memory of a resume)",
        cases: 1_000_000,
        latency_ms: 0,
        concurrency: 64,
        resume: true,
    },
];

/// Run after the first of [`FULL`], so the two rates sit side by side.
const TEN_MILLION: Scenario = Scenario {
    name: "10M cases, 0 ms latency",
    cases: 10_000_000,
    latency_ms: 0,
    concurrency: 64,
    resume: false,
};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some(mode @ ("--child" | "--child-half" | "--child-resume")) => {
            return child(mode, &args[1..])
        }
        Some("--serve") => return serve(&args[1..]),
        _ => {}
    }
    let full = args.iter().any(|a| a == "--full");
    let ten_million = args.iter().any(|a| a == "--ten-million");
    let kept = args
        .iter()
        .position(|a| a == "--keep")
        .map(|i| args.get(i + 1).context("--keep needs a folder"))
        .transpose()?;
    let temporary = tempfile::tempdir()?;
    let dir = match kept {
        Some(kept) => {
            std::fs::create_dir_all(kept)?;
            Path::new(kept).to_path_buf()
        }
        None => temporary.path().to_path_buf(),
    };
    println!(
        "| scenario | attempts | wall s | ideal s | wall / ideal | attempts/s | CPU s | peak MiB |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let scenarios: Vec<&Scenario> = if ten_million {
        vec![&FULL[0], &TEN_MILLION]
    } else {
        STANDARD
            .iter()
            .chain(if full { FULL } else { &[] })
            .collect()
    };
    for scenario in scenarios {
        let suite = dir.join(format!("suite-{}.jsonl", scenario.cases));
        if !suite.exists() {
            write_suite(&suite, scenario.cases)?;
        }
        let server = ProviderProcess::start(&std::env::current_exe()?, scenario.latency_ms)?;
        let db = dir.join(format!("store-{}-{}.db", scenario.cases, scenario.resume));
        // A kept folder may hold an earlier round's store: each round starts from none.
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        let child = |mode: &str, extra: Option<&str>| -> anyhow::Result<serde_json::Value> {
            let mut command = Command::new(std::env::current_exe()?);
            command
                .arg(mode)
                .arg(&suite)
                .arg(&server.base_url)
                .arg(scenario.concurrency.to_string())
                .arg(&db);
            if let Some(extra) = extra {
                command.arg(extra);
            }
            let out = command.stderr(Stdio::inherit()).output()?;
            if !out.status.success() {
                bail!("scenario `{}` failed ({mode})", scenario.name);
            }
            Ok(serde_json::from_slice(&out.stdout)?)
        };
        let m = if scenario.resume {
            let half = child("--child-half", None)?;
            let run_id = half["run_id"].as_str().context("no run id")?.to_owned();
            let mut resumed = child("--child-resume", Some(&run_id))?;
            // The attempts this process made: the run's, less those of the first half.
            let before = half["attempts"].as_u64().unwrap_or_default();
            let all = resumed["attempts"].as_u64().unwrap_or_default();
            resumed["attempts"] = (all - before).into();
            resumed
        } else {
            child("--child", None)?
        };
        drop(server);
        let wall = m["wall_s"].as_f64().unwrap_or_default();
        let attempts = m["attempts"].as_u64().unwrap_or_default();
        let ideal = scenario.cases as f64 * scenario.latency_ms as f64
            / 1000.0
            / scenario.concurrency as f64;
        let ratio = if ideal > 0.0 {
            format!("{:.3}×", wall / ideal)
        } else {
            "-".into()
        };
        println!(
            "| {} | {} | {:.2} | {} | {} | {:.0} | {:.2} | {:.1} |",
            scenario.name,
            attempts,
            wall,
            if ideal > 0.0 {
                format!("{ideal:.2}")
            } else {
                "-".into()
            },
            ratio,
            attempts as f64 / wall,
            m["cpu_s"].as_f64().unwrap_or_default(),
            m["peak_kib"].as_f64().unwrap_or_default() / 1024.0,
        );
    }
    Ok(())
}

/// The measured side: one run in this process (`--child`), its first half (`--child-half`,
/// cancelled once half its attempts are recorded), or the resume of a stored run
/// (`--child-resume … RUN_ID`); then its figures as JSON on stdout.
fn child(mode: &str, args: &[String]) -> anyhow::Result<()> {
    let (suite, base_url, concurrency, db, run_id) = match args {
        [suite, base_url, concurrency, db] => (suite, base_url, concurrency, db, None),
        [suite, base_url, concurrency, db, run_id] => {
            (suite, base_url, concurrency, db, Some(run_id))
        }
        _ => bail!("usage: {mode} SUITE BASE_URL CONCURRENCY DB [RUN_ID]"),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let cpu_before = cpu_seconds()?;
    let started = Instant::now();
    let report = runtime.block_on(async {
        let store = benchcore_store::connect(&format!("sqlite://{db}"))
            .await?
            .store();
        let config = AgentConfig::parse_spec(&format!("openai_compatible:bench@{base_url}"))?;
        let agent = build_agent(&config)?;
        let opening = Instant::now();
        let suite_set = QuestionSet::open(suite)?;
        eprintln!(
            "{mode}: opening and checking the suite took {:.2} s",
            opening.elapsed().as_secs_f64()
        );
        let run = Run::new(suite_set)
            .agent_with(agent, config.to_stored(), AgentLimits::default())
            .concurrency(concurrency.parse()?)
            .timeout(Duration::from_secs(30))
            .retry(RetryPolicy::default());
        let engine = Engine::new(store);
        let mut handle = match run_id {
            Some(run_id) => engine.resume(run_id, run, ResumeOptions::default()).await?,
            None => engine.start(run).await?,
        };
        if mode == "--child-half" {
            let total = std::fs::read_to_string(suite)?.lines().count();
            let mut events = handle.events();
            let mut finished = 0;
            while let Some(event) = events.next().await {
                if matches!(event, RunEvent::AttemptFinished { .. }) {
                    finished += 1;
                    if finished == total / 2 {
                        handle.cancel();
                        break;
                    }
                }
            }
        }
        anyhow::Ok(handle.wait().await?)
    })?;
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds()? - cpu_before;
    let summary = &report.summary.agents[0];
    if summary.passed != summary.n {
        bail!("not every attempt passed: {summary:?}");
    }
    let json = serde_json::json!({
        "run_id": report.run_id,
        "attempts": summary.n,
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_kib": peak_rss_kib()?,
    });
    println!("{json}");
    Ok(())
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

/// User plus system CPU time of this process, from `/proc/self/stat`.
fn cpu_seconds() -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // Fields after the command name (which may hold spaces) start at field 3.
    let rest = stat
        .rsplit_once(')')
        .context("malformed /proc/self/stat")?
        .1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
    Ok(ticks / 100.0) // USER_HZ is 100 on Linux
}

/// Peak resident memory of this process, from `/proc/self/status` (VmHWM).
fn peak_rss_kib() -> anyhow::Result<f64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .context("no VmHWM in /proc/self/status")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .context("malformed VmHWM")?
        .parse()?)
}

/// The provider side: the loopback OpenAI server on one thread, until killed.
fn serve(args: &[String]) -> anyhow::Result<()> {
    let latency_ms: u64 = args.first().context("usage: --serve LATENCY_MS")?.parse()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let config = ServerConfig::default().with_latency(Duration::from_millis(latency_ms));
        let server = OpenAiServer::start(config).await?;
        println!("listening {}", server.base_url());
        std::io::stdout().flush()?;
        std::future::pending::<anyhow::Result<()>>().await
    })
}
