//! How long `benchcore report` takes for a run of 10,000 attempts, how big the file is, and
//! how fast Chromium opens it (when chromium and node are installed).
//!
//! ```sh
//! cargo run --release -p benchcore-cli --example report_perf            # 10,000 attempts
//! cargo run --release -p benchcore-cli --example report_perf -- 50000   # another size
//! ```
//!
//! Prints a Markdown table for `docs/performance.md`.

use benchcore::{
    AgentSpec, AttemptKey, AttemptRecord, Evaluation, Outcome, RunSpec, RunStatus, Speaker, Status,
    SuiteRef, TestReport, Transcript, Turn, Usage, Variable, Workspace,
};
use clap::Parser;
use std::path::Path;
use std::time::Instant;

const AGENTS: [&str; 4] = ["gpt-large", "gpt-small", "claude", "local-llama"];

fn record(run: &str, case: usize, agent: usize, sample: u32) -> AttemptRecord {
    let passed = (case * 7 + agent * 3 + sample as usize) % 10 < 6 + agent % 3;
    let mut r = AttemptRecord::new(
        run,
        AttemptKey::new(format!("case-{case:05}"), AGENTS[agent], sample),
        if passed {
            Outcome::Passed
        } else {
            Outcome::Failed
        },
    );
    let latency = 200 + ((case * 37 + agent * 101) % 900) as u64;
    let mut t = Transcript::default();
    t.push(Turn::new(
        Speaker::Participant,
        format!("Question {case}: a train leaves at {} and travels {} km at {} km/h; when does it arrive? Answer with the time only.", case % 24, case % 500, 40 + case % 80),
    ));
    t.push(
        Turn::new(
            Speaker::Agent,
            format!("Let me work it out step by step. The trip takes {} hours, so it arrives at {}:00. <b>{}</b>", case % 7, (case + 3) % 24, if passed { "final" } else { "maybe" }),
        )
        .with_timing(Some(latency), Some(Usage::new(60, 40))),
    );
    r.transcript = t;
    r.evaluations = vec![Evaluation::binary("exact", passed)
        .with_label(if passed { "match" } else { "mismatch" })
        .with_rationale(format!("expected \"{}:00\"", (case + 3) % 24))];
    r.reports = vec![TestReport {
        title: "Reply shape".into(),
        variables: vec![Variable {
            metric: "words".into(),
            value: 22.into(),
            status: Status::Good,
        }],
    }];
    r.score = Some(if passed { 1.0 } else { 0.0 });
    r.latency_ms = Some(latency);
    r.usage = Usage::new(60, 40);
    r.cost_usd = Some(0.0001 * (agent + 1) as f64);
    r
}

fn find(name: &str) -> Option<String> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
            .map(|p| p.display().to_string())
    })
}

/// Opens the report in Chromium through the test driver: load timings, then one drill-down.
fn browser_timings(report: &Path, dir: &Path) -> Option<serde_json::Value> {
    let chromium = std::env::var("CHROMIUM")
        .ok()
        .or_else(|| find("chromium"))?;
    let node = find("node")?;
    let plan = serde_json::json!({
        "chromium": chromium,
        "screenshots": dir.join("shots"),
        "steps": [
            {"goto": format!("file://{}", report.display()), "wait": "window.__benchcoreReady === true", "timeout_ms": 60000},
            {"measure": "load"},
            {"eval": "(async function(){ var t = performance.now(); document.querySelector('#grid-table button.sq').click(); await new Promise(function (r) { setTimeout(r, 0); }); return performance.now() - t; })()", "name": "open attempt ms"},
            {"eval": "(async function(){ var t = performance.now(); document.getElementById('page-next').click(); await new Promise(function (r) { setTimeout(r, 0); }); return performance.now() - t; })()", "name": "next page ms"}
        ]
    });
    let plan_file = dir.join("plan.json");
    std::fs::write(&plan_file, plan.to_string()).ok()?;
    let driver = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/browser/drive.mjs");
    let out = std::process::Command::new(node)
        .arg(driver)
        .arg(&plan_file)
        .output()
        .ok()?;
    let mut result = serde_json::json!({});
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let event: serde_json::Value = serde_json::from_str(line).ok()?;
        match event["event"].as_str() {
            Some("measure") => result["load"] = event["value"].clone(),
            Some("eval") => result[event["name"].as_str()?] = event["value"].clone(),
            Some("done") => result["problems"] = event["problems"].clone(),
            _ => {}
        }
    }
    Some(result)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let attempts: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(10_000);
    let samples = 2u32;
    let cases = attempts.div_ceil(AGENTS.len() * samples as usize);
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("perf.db").display());
    let store = benchcore_store::connect(&url).await?.store();
    let ws = Workspace::default();
    let mut spec = RunSpec::default();
    spec.name = Some("report performance".into());
    let mut suite = SuiteRef::default();
    suite.name = "trains".into();
    suite.cases = cases as u64;
    spec.suite = suite;
    spec.agents = AGENTS.iter().map(|a| AgentSpec::named(*a)).collect();
    spec.samples = samples;
    store.create_run(&ws, "perf", &spec).await?;
    let mut batch = Vec::new();
    for case in 0..cases {
        for agent in 0..AGENTS.len() {
            for sample in 0..samples {
                batch.push(record("perf", case, agent, sample));
            }
        }
        if batch.len() >= 512 {
            store.record_attempts(&ws, &batch).await?;
            batch.clear();
        }
    }
    store.record_attempts(&ws, &batch).await?;
    store
        .set_run_status(&ws, "perf", RunStatus::Finished)
        .await?;
    drop(store);

    let out = dir.path().join("report.html");
    let started = Instant::now();
    let cli = benchcore_cli::Cli::parse_from([
        "benchcore",
        "--store",
        &url,
        "report",
        "perf",
        "--out",
        out.to_str().unwrap_or("report.html"),
    ]);
    benchcore_cli::run(cli).await?;
    let generate = started.elapsed();
    let bytes = std::fs::metadata(&out)?.len();
    let browser = browser_timings(&out, dir.path());

    println!("| attempts | generate s | file MiB | DOMContentLoaded ms | grid ready ms | open an attempt ms | next grid page ms | console problems |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    let ms = |v: &serde_json::Value| v.as_f64().map_or("-".into(), |v| format!("{v:.0}"));
    let b = browser.unwrap_or_default();
    println!(
        "| {} | {:.2} | {:.1} | {} | {} | {} | {} | {} |",
        cases * AGENTS.len() * samples as usize,
        generate.as_secs_f64(),
        bytes as f64 / (1024.0 * 1024.0),
        ms(&b["load"]["dom_content_loaded_ms"]),
        ms(&b["load"]["ready_ms"]),
        ms(&b["open attempt ms"]),
        ms(&b["next page ms"]),
        b["problems"]
            .as_array()
            .map_or("-".into(), |p| p.len().to_string()),
    );
    Ok(())
}
