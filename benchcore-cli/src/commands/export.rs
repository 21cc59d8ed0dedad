//! `benchcore export RUN`: every attempt of a run with its evaluations, as JSON lines or CSV.
//!
//! Memory stays flat whatever the run's size: attempts are read in pages by key
//! ([`AttemptQuery::after`]), so each page costs the store one index seek, and each page is
//! written out before the next is kept. While one page is written the next is already being
//! read.

use crate::args::{ExportArgs, ExportFormat};
use crate::run_ref::find_run;
use anyhow::Context;
use benchcore::{
    AttemptKey, AttemptQuery, AttemptRecord, Evaluation, Outcome, RunInfo, RunStore, TestReport,
    Workspace,
};
use serde::Serialize;
use std::collections::HashSet;
use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::sync::Arc;

pub(crate) async fn export(
    store: Arc<dyn RunStore>,
    workspace: Workspace,
    args: ExportArgs,
) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.page_size > 0, "--page-size must be at least 1");
    let run = find_run(store.as_ref(), &workspace, &args.run).await?;
    // A file is written beside its final name and renamed when complete, so a failed export
    // never leaves a partial file that looks whole.
    let partial = args.out.as_ref().map(|path| {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(".partial");
        path.with_file_name(name)
    });
    let sink: Box<dyn Write> = match &partial {
        Some(path) => Box::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let out = BufWriter::with_capacity(1 << 16, sink);
    let pages = Pages::new(store.clone(), workspace.clone(), &run, args.page_size);
    let written = match args.format {
        ExportFormat::Jsonl => write_jsonl(pages, out).await,
        ExportFormat::Csv => {
            match evaluator_names(&store, &workspace, &run, args.page_size).await {
                Ok(evaluators) => write_csv(pages, out, &evaluators).await,
                Err(e) => Err(e),
            }
        }
    };
    match (&partial, &args.out) {
        (Some(partial), Some(path)) => {
            if let Err(e) = written {
                let _ = std::fs::remove_file(partial);
                return Err(e);
            }
            std::fs::rename(partial, path)
                .with_context(|| format!("cannot move the export into {}", path.display()))?;
        }
        _ => written?,
    }
    Ok(ExitCode::SUCCESS)
}

/// A run's attempts, page by page in key order, each next page read while the caller writes
/// the current one.
struct Pages {
    store: Arc<dyn RunStore>,
    workspace: Workspace,
    run_id: String,
    size: usize,
    next: Option<tokio::task::JoinHandle<anyhow::Result<Vec<AttemptRecord>>>>,
}

impl Pages {
    fn new(store: Arc<dyn RunStore>, workspace: Workspace, run: &RunInfo, size: usize) -> Self {
        let mut pages = Self {
            store,
            workspace,
            run_id: run.id.clone(),
            size,
            next: None,
        };
        pages.fetch(None);
        pages
    }

    fn fetch(&mut self, after: Option<AttemptKey>) {
        let store = self.store.clone();
        let workspace = self.workspace.clone();
        let run_id = self.run_id.clone();
        let query = AttemptQuery::all().limit(self.size).after(after);
        self.next = Some(tokio::spawn(async move {
            store
                .attempts(&workspace, &run_id, &query)
                .await
                .with_context(|| format!("reading the attempts of run {run_id:?}"))
        }));
    }

    /// The next page, or `None` after the last.
    async fn next(&mut self) -> anyhow::Result<Option<Vec<AttemptRecord>>> {
        let Some(pending) = self.next.take() else {
            return Ok(None);
        };
        let page = pending.await.context("reading attempts")??;
        if page.len() == self.size {
            self.fetch(page.last().map(|r| r.key.clone()));
        }
        Ok((!page.is_empty()).then_some(page))
    }
}

/// The evaluator names of the CSV columns, in the spec's order: from the run spec when every
/// evaluator there can be named without building it, else from one pass over the attempts.
async fn evaluator_names(
    store: &Arc<dyn RunStore>,
    workspace: &Workspace,
    run: &RunInfo,
    page_size: usize,
) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    let mut seen = HashSet::new();
    if let Some(from_spec) = spec_evaluator_names(run) {
        for name in from_spec {
            if seen.insert(name.clone()) {
                names.push(name);
            }
        }
        return Ok(names);
    }
    let mut pages = Pages::new(store.clone(), workspace.clone(), run, page_size);
    while let Some(page) = pages.next().await? {
        for evaluation in page.iter().flat_map(|r| &r.evaluations) {
            if seen.insert(evaluation.evaluator.clone()) {
                names.push(evaluation.evaluator.clone());
            }
        }
    }
    Ok(names)
}

/// Names of the spec's evaluators, or `None` when the spec lists none (evaluators passed in
/// code) or one cannot be named (a judge config without a `name`).
fn spec_evaluator_names(run: &RunInfo) -> Option<Vec<String>> {
    if run.spec.evaluators.is_empty() {
        return None;
    }
    run.spec
        .evaluators
        .iter()
        .map(|config| match config {
            benchcore::evaluator::EvaluatorConfig::Judge { config } => {
                config.get("name")?.as_str().map(str::to_owned)
            }
            other => other.build().ok().map(|e| e.name().to_owned()),
        })
        .collect()
}

/// One evaluation as exported: every field present, `null` when absent.
#[derive(Serialize)]
struct ExportedEvaluation<'a> {
    evaluator: &'a str,
    score: Option<f64>,
    passed: Option<bool>,
    label: Option<&'a str>,
    rationale: Option<&'a str>,
    error: Option<&'a str>,
}

impl<'a> From<&'a Evaluation> for ExportedEvaluation<'a> {
    fn from(e: &'a Evaluation) -> Self {
        Self {
            evaluator: &e.evaluator,
            score: e.score,
            passed: e.passed,
            label: e.label.as_deref(),
            rationale: e.rationale.as_deref(),
            error: e.error.as_deref(),
        }
    }
}

/// One attempt as a JSON line.
#[derive(Serialize)]
struct JsonRow<'a> {
    run_id: &'a str,
    case_id: &'a str,
    agent: &'a str,
    sample: u32,
    outcome: Outcome,
    score: Option<f64>,
    failure_kind: Option<&'a str>,
    failure_message: Option<&'a str>,
    input_tokens: u64,
    output_tokens: u64,
    cost_usd: Option<f64>,
    model: Option<&'a str>,
    stop_reason: Option<&'static str>,
    latency_ms: Option<u64>,
    ttft_ms: Option<u64>,
    wall_ms: u64,
    work_ms: u64,
    retries: u32,
    cached: bool,
    started_at_ms: u64,
    finished_at_ms: u64,
    artifacts_dir: Option<&'a str>,
    reply: &'a str,
    transcript: String,
    evaluations: Vec<ExportedEvaluation<'a>>,
    reports: &'a [TestReport],
}

impl<'a> From<&'a AttemptRecord> for JsonRow<'a> {
    fn from(r: &'a AttemptRecord) -> Self {
        Self {
            run_id: &r.run_id,
            case_id: &r.key.case_id,
            agent: &r.key.agent,
            sample: r.key.sample,
            outcome: r.outcome,
            score: r.score,
            failure_kind: r.failure.as_ref().map(|f| f.kind.as_str()),
            failure_message: r.failure.as_ref().map(|f| f.message.as_str()),
            input_tokens: r.usage.input_tokens,
            output_tokens: r.usage.output_tokens,
            cost_usd: r.cost_usd,
            model: r.model.as_deref(),
            stop_reason: r.stop_reason().map(|s| s.as_str()),
            latency_ms: r.latency_ms,
            ttft_ms: r.ttft_ms,
            wall_ms: r.wall_ms,
            work_ms: r.work_ms,
            retries: r.retries,
            cached: r.cached,
            started_at_ms: r.started_at_ms,
            finished_at_ms: r.finished_at_ms,
            artifacts_dir: r.artifacts_dir.as_deref(),
            reply: r.reply(),
            transcript: r.transcript.render(),
            evaluations: r.evaluations.iter().map(ExportedEvaluation::from).collect(),
            reports: &r.reports,
        }
    }
}

async fn write_jsonl(mut pages: Pages, mut out: impl Write) -> anyhow::Result<()> {
    while let Some(page) = pages.next().await? {
        for record in &page {
            serde_json::to_writer(&mut out, &JsonRow::from(record)).map_err(io_error)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok(())
}

/// The scalar CSV columns, before the evaluator columns; `reply` comes last.
const CSV_COLUMNS: [&str; 21] = [
    "run_id",
    "case_id",
    "agent",
    "sample",
    "outcome",
    "score",
    "failure_kind",
    "failure_message",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "model",
    "latency_ms",
    "ttft_ms",
    "wall_ms",
    "work_ms",
    "retries",
    "cached",
    "started_at_ms",
    "finished_at_ms",
    "stop_reason",
];

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(String::new, |v| v.to_string())
}

fn csv_row(r: &AttemptRecord, evaluators: &[String]) -> Vec<String> {
    let mut row = vec![
        r.run_id.clone(),
        r.key.case_id.clone(),
        r.key.agent.clone(),
        r.key.sample.to_string(),
        r.outcome.to_string(),
        opt(r.score),
        opt(r.failure.as_ref().map(|f| &f.kind)),
        opt(r.failure.as_ref().map(|f| &f.message)),
        r.usage.input_tokens.to_string(),
        r.usage.output_tokens.to_string(),
        opt(r.cost_usd),
        opt(r.model.as_ref()),
        opt(r.latency_ms),
        opt(r.ttft_ms),
        r.wall_ms.to_string(),
        r.work_ms.to_string(),
        r.retries.to_string(),
        r.cached.to_string(),
        r.started_at_ms.to_string(),
        r.finished_at_ms.to_string(),
        opt(r.stop_reason()),
    ];
    for name in evaluators {
        let evaluation = r.evaluations.iter().find(|e| &e.evaluator == name);
        row.push(opt(evaluation.and_then(|e| e.score)));
        row.push(opt(evaluation.and_then(|e| e.passed)));
    }
    row.push(r.reply().to_owned());
    row
}

async fn write_csv(mut pages: Pages, out: impl Write, evaluators: &[String]) -> anyhow::Result<()> {
    let mut csv = csv::Writer::from_writer(out);
    let mut header: Vec<String> = CSV_COLUMNS.iter().map(|c| (*c).to_owned()).collect();
    for name in evaluators {
        header.push(format!("eval.{name}.score"));
        header.push(format!("eval.{name}.passed"));
    }
    header.push("reply".to_owned());
    csv.write_record(&header).map_err(csv_error)?;
    while let Some(page) = pages.next().await? {
        for record in &page {
            csv.write_record(csv_row(record, evaluators))
                .map_err(csv_error)?;
        }
    }
    csv.flush()?;
    Ok(())
}

/// A write error, keeping an I/O cause as `std::io::Error` so a closed pipe exits quietly.
fn io_error(e: serde_json::Error) -> anyhow::Error {
    match e.io_error_kind() {
        Some(_) => anyhow::Error::from(std::io::Error::from(e)),
        None => anyhow::Error::from(e),
    }
}

/// As [`io_error`], for the CSV writer.
fn csv_error(e: csv::Error) -> anyhow::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => anyhow::Error::from(io),
        other => anyhow::anyhow!("cannot write CSV: {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use benchcore::evaluator::EvaluatorConfig;
    use benchcore::{RunSpec, RunStatus};

    fn run_with(evaluators: Vec<EvaluatorConfig>) -> RunInfo {
        let mut spec = RunSpec::default();
        spec.evaluators = evaluators;
        RunInfo::new(Workspace::default(), "r", spec, RunStatus::Finished)
    }

    #[test]
    fn evaluator_names_come_from_the_spec_when_it_can_name_them() {
        let numeric: EvaluatorConfig = "numeric:0.5".parse().unwrap();
        let includes: EvaluatorConfig = "includes".parse().unwrap();
        let judge = EvaluatorConfig::Judge {
            config: serde_json::json!({ "name": "tone" }),
        };
        let run = run_with(vec![numeric, includes, judge]);
        assert_eq!(
            spec_evaluator_names(&run),
            Some(vec!["numeric".into(), "includes".into(), "tone".into()])
        );
    }

    #[test]
    fn evaluator_names_need_a_pass_when_the_spec_cannot_name_them() {
        assert_eq!(spec_evaluator_names(&run_with(Vec::new())), None);
        let unnamed = EvaluatorConfig::Judge {
            config: serde_json::json!({ "rubric": "be nice" }),
        };
        assert_eq!(spec_evaluator_names(&run_with(vec![unnamed])), None);
    }

    #[tokio::test]
    async fn a_first_pass_collects_names_in_order_of_appearance() {
        let store: Arc<dyn RunStore> = Arc::new(benchcore::MemoryStore::new());
        let ws = Workspace::default();
        let run = run_with(Vec::new());
        store.create_run(&ws, "r", &run.spec).await.unwrap();
        let mut records = Vec::new();
        for (case, names) in [("a", &["x", "y"][..]), ("b", &["z", "x"][..])] {
            let key = AttemptKey::new(case, "agent", 0);
            let mut record = AttemptRecord::new("r", key, Outcome::Passed);
            record.evaluations = names.iter().map(|n| Evaluation::binary(*n, true)).collect();
            records.push(record);
        }
        store.record_attempts(&ws, &records).await.unwrap();
        let names = evaluator_names(&store, &ws, &run, 1).await.unwrap();
        assert_eq!(names, ["x", "y", "z"]);
    }
}
