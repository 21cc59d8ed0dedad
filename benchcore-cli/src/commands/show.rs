//! `benchcore show RUN`: the run's header and per-agent table with 95% intervals, and its
//! attempts on request (filtered by agent and outcome).

use crate::args::{OutcomeArg, ShowArgs};
use crate::output;
use crate::report::wilson;
use crate::run_ref::find_run;
use benchcore::{AttemptQuery, Outcome, RunStore, RunSummary, Workspace};
use std::process::ExitCode;
use std::sync::Arc;

pub(crate) async fn show(
    store: Arc<dyn RunStore>,
    workspace: Workspace,
    args: ShowArgs,
) -> anyhow::Result<ExitCode> {
    let run = find_run(store.as_ref(), &workspace, &args.run).await?;
    let summary = store.summarize(&workspace, &run.id).await?;
    let attempts = if args.attempts {
        let mut query = AttemptQuery::default();
        query.agent = args.agent.clone();
        query.outcome = args.outcome.map(outcome);
        query.limit = args.limit;
        store.attempts(&workspace, &run.id, &query).await?
    } else {
        Vec::new()
    };
    // Only conversations speak: other runs (a question set of millions) are not read twice.
    let voice = if run.spec.kind == benchcore::conversation::CONVERSATION {
        crate::voice_table::voice_means(store.as_ref(), &workspace, &run.id).await?
    } else {
        Vec::new()
    };
    if args.json {
        let mut json =
            serde_json::json!({ "run": run, "summary": summary, "intervals": intervals(&summary) });
        if !voice.is_empty() {
            json["voice"] = serde_json::to_value(&voice)?;
        }
        if args.attempts {
            json["attempts"] = serde_json::to_value(&attempts)?;
        }
        output::print(&format!("{}\n", serde_json::to_string_pretty(&json)?))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = output::run_header(&run);
    text.push('\n');
    text.push_str(&with_intervals(&output::summary_table(&summary), &summary));
    if !voice.is_empty() {
        text.push('\n');
        text.push_str(&crate::voice_table::voice_table(&voice));
    }
    if args.attempts {
        text.push('\n');
        text.push_str(&output::attempts_table(&attempts));
    }
    output::print(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn outcome(arg: OutcomeArg) -> Outcome {
    match arg {
        OutcomeArg::Passed => Outcome::Passed,
        OutcomeArg::Failed => Outcome::Failed,
        OutcomeArg::Invalid => Outcome::Invalid,
        OutcomeArg::Error => Outcome::Error,
        OutcomeArg::Skipped => Outcome::Skipped,
    }
}

/// Each agent's 95% Wilson interval of accuracy, for `--json`.
fn intervals(summary: &RunSummary) -> serde_json::Value {
    summary
        .agents
        .iter()
        .map(|a| {
            let judged = a.passed + a.failed + a.invalid;
            serde_json::json!({ "agent": a.agent, "judged": judged, "ci95": wilson(a.passed, judged) })
        })
        .collect()
}

/// The summary table with a `95% CI` column after `accuracy`.
fn with_intervals(table: &str, summary: &RunSummary) -> String {
    let mut lines = table.lines();
    let Some(header) = lines.next() else {
        return table.to_owned();
    };
    let Some(at) = header.find("accuracy").map(|i| i + "accuracy".len()) else {
        return table.to_owned();
    };
    let cells: Vec<String> = std::iter::once("95% CI".to_owned())
        .chain(summary.agents.iter().map(|a| {
            wilson(a.passed, a.passed + a.failed + a.invalid).map_or_else(
                || "-".to_owned(),
                |(lo, hi)| format!("{:.1}–{:.1}%", lo * 100.0, hi * 100.0),
            )
        }))
        .collect();
    let width = cells.iter().map(|c| c.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for (line, cell) in std::iter::once(header).chain(lines).zip(&cells) {
        // Columns are padded to the header's width, so `at` falls between two columns on every
        // line (counted in characters: agent names may be wider than one byte each).
        let split = line
            .char_indices()
            .nth(header[..at].chars().count())
            .map_or(line.len(), |(i, _)| i);
        out.push_str(&line[..split]);
        out.push_str(&format!("  {cell:<width$}"));
        out.push_str(&line[split..]);
        out.push('\n');
    }
    out
}
