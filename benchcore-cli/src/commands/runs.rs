//! `benchcore runs`.

use crate::args::{RunsArgs, StatusArg};
use crate::output;
use benchcore::{RunFilter, RunStatus, RunStore, Workspace};
use std::process::ExitCode;
use std::sync::Arc;

pub(crate) async fn runs(
    store: Arc<dyn RunStore>,
    workspace: Workspace,
    args: RunsArgs,
) -> anyhow::Result<ExitCode> {
    let mut filter = RunFilter::default();
    filter.suite = args.suite;
    filter.agent = args.agent;
    filter.status = args.status.map(|s| match s {
        StatusArg::Running => RunStatus::Running,
        StatusArg::Finished => RunStatus::Finished,
        StatusArg::Cancelled => RunStatus::Cancelled,
        StatusArg::Failed => RunStatus::Failed,
    });
    filter.limit = Some(args.limit);
    let runs = store.list_runs(&workspace, &filter).await?;
    if args.json {
        let mut text = String::new();
        for run in &runs {
            text.push_str(&serde_json::to_string(run)?);
            text.push('\n');
        }
        output::print(&text)?;
    } else if runs.is_empty() {
        eprintln!("no runs in workspace {workspace}");
    } else {
        output::print(&output::runs_table(&runs))?;
    }
    Ok(ExitCode::SUCCESS)
}
