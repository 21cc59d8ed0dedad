//! Tables and JSON for people and scripts.

use benchcore::{AgentSummary, AttemptRecord, RunInfo, RunSummary};
use std::io::Write;

/// A plain text table: a header row, then rows, columns padded to fit.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push('\n');
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out.push('\n');
    out
}

fn pct(value: Option<f64>) -> String {
    value.map_or("-".into(), |v| format!("{:.1}%", v * 100.0))
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map_or("-".into(), |v| v.to_string())
}

/// The per-agent summary table.
pub(crate) fn summary_table(summary: &RunSummary) -> String {
    let rows: Vec<Vec<String>> = summary.agents.iter().map(agent_row).collect();
    table(
        &[
            "agent",
            "n",
            "passed",
            "failed",
            "invalid",
            "errors",
            "skipped",
            "accuracy",
            "mean score",
            "tokens in",
            "tokens out",
            "cost $",
            "p50 ms",
            "p95 ms",
            "retries",
        ],
        &rows,
    )
}

fn agent_row(a: &AgentSummary) -> Vec<String> {
    vec![
        a.agent.clone(),
        a.n.to_string(),
        a.passed.to_string(),
        a.failed.to_string(),
        a.invalid.to_string(),
        a.errors.to_string(),
        a.skipped.to_string(),
        pct(a.accuracy),
        a.mean_score.map_or("-".into(), |s| format!("{s:.3}")),
        a.input_tokens.to_string(),
        a.output_tokens.to_string(),
        format!("{:.4}", a.cost_usd),
        opt(a.latency_p50_ms),
        opt(a.latency_p95_ms),
        a.retries.to_string(),
    ]
}

/// One line describing a run.
pub(crate) fn run_header(run: &RunInfo) -> String {
    let spec = &run.spec;
    format!(
        "run {}  {}  suite {} ({} cases × {} agents × {} samples)  recorded {}/{}",
        run.id,
        run.status,
        spec.suite.name,
        spec.suite.cases,
        spec.agents.len(),
        spec.samples,
        run.recorded,
        run.total()
    )
}

/// The runs list.
pub(crate) fn runs_table(runs: &[RunInfo]) -> String {
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                r.status.to_string(),
                r.spec.suite.name.clone(),
                r.spec
                    .agents
                    .iter()
                    .map(|a| a.name.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                format!("{}/{}", r.recorded, r.total()),
                r.spec.name.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(
        &["run", "status", "suite", "agents", "recorded", "name"],
        &rows,
    )
}

/// The attempts list. With an extractor, an `extracted` column beside the reply shows what
/// the evaluators compared (`-` when nothing could be extracted).
pub(crate) fn attempts_table(attempts: &[AttemptRecord]) -> String {
    let with_extracted = attempts.iter().any(|a| extracted(a).is_some());
    let rows: Vec<Vec<String>> = attempts
        .iter()
        .map(|a| {
            let reply: String = a.reply().chars().take(60).collect();
            let mut row = vec![
                a.key.case_id.clone(),
                a.key.agent.clone(),
                a.key.sample.to_string(),
                a.outcome.to_string(),
                a.score.map_or("-".into(), |s| format!("{s:.2}")),
                opt(a.latency_ms),
                a.retries.to_string(),
                a.stop_reason().map_or("-".into(), |s| s.to_string()),
            ];
            if with_extracted {
                let text = extracted(a).flatten().unwrap_or_else(|| "-".into());
                row.push(one_line(&text.chars().take(40).collect::<String>()));
            }
            // One line per attempt, whatever the reply or the error holds.
            row.push(one_line(
                &a.failure
                    .as_ref()
                    .map_or(reply, |f| format!("[{}] {}", f.kind, f.message)),
            ));
            row
        })
        .collect();
    let mut header = vec![
        "case", "agent", "sample", "outcome", "score", "ms", "retries", "stop",
    ];
    if with_extracted {
        header.push("extracted");
    }
    header.push("reply / error");
    table(&header, &rows)
}

/// What the run's extractor took out of the attempt's reply: `None` without an extractor,
/// `Some(None)` when it found nothing.
fn extracted(attempt: &AttemptRecord) -> Option<Option<String>> {
    let details = &attempt.evaluations.first()?.details;
    let value = details.get("extracted")?;
    Some(value.as_str().map(str::to_owned))
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Writes to stdout, turning a closed pipe into an error the caller exits quietly on.
pub(crate) fn print(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}
