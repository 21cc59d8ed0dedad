//! The tool-task summary: per agent, pass^k over the samples (the chance that all k tries
//! at a task pass, τ-bench's measure of reliability) beside the generic figures.

use crate::code_task::{mean_over_tasks, report_ks, PassAtK};
use crate::kind::{KindSummary, SummaryTable};
use crate::{AttemptQuery, Error, Outcome, RunInfo, RunStore, Workspace};
use serde_json::json;
use std::collections::BTreeMap;

/// The summary of a tool-task run.
///
/// # Errors
/// The store cannot be read.
pub(crate) async fn summarize(
    store: &dyn RunStore,
    workspace: &Workspace,
    run: &RunInfo,
) -> Result<KindSummary, Error> {
    let mut summary = KindSummary::generic(store, workspace, run).await?;
    let attempts = store
        .attempts(workspace, &run.id, &AttemptQuery::all())
        .await?;
    // (agent, case) → (judged, passed)
    let mut counts: BTreeMap<&str, BTreeMap<&str, (u64, u64)>> = BTreeMap::new();
    for attempt in &attempts {
        if !matches!(attempt.outcome, Outcome::Passed | Outcome::Failed) {
            continue;
        }
        let entry = counts
            .entry(&attempt.key.agent)
            .or_default()
            .entry(&attempt.key.case_id)
            .or_default();
        entry.0 += 1;
        entry.1 += u64::from(attempt.outcome == Outcome::Passed);
    }
    let ks = report_ks(u64::from(run.spec.samples.max(1)));
    let mut rows = Vec::new();
    let mut by_agent = serde_json::Map::new();
    for (agent, cases) in &counts {
        let tasks: Vec<PassAtK> = cases.values().map(|(n, c)| PassAtK::new(*n, *c)).collect();
        let mut row = vec![agent.to_string(), tasks.len().to_string()];
        let mut figures = serde_json::Map::new();
        for k in &ks {
            let value = mean_over_tasks(&tasks, *k, true);
            row.push(value.map_or("-".into(), |v| format!("{:.1}%", v * 100.0)));
            figures.insert(format!("pass^{k}"), json!(value));
        }
        rows.push(row);
        by_agent.insert(agent.to_string(), serde_json::Value::Object(figures));
    }
    let mut header = vec!["agent".to_owned(), "tasks".to_owned()];
    header.extend(ks.iter().map(|k| format!("pass^{k}")));
    summary.document["pass_hat_k"] = serde_json::Value::Object(by_agent);
    summary.table = Some(SummaryTable::new(header, rows));
    Ok(summary)
}
