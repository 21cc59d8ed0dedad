//! `benchcore show RUN`.

use crate::args::ShowArgs;
use crate::output;
use benchcore::{AttemptQuery, RunFilter, RunInfo, RunStore, StoreError, Workspace};
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
        store
            .attempts(&workspace, &run.id, &AttemptQuery::default())
            .await?
    } else {
        Vec::new()
    };
    if args.json {
        let mut json = serde_json::json!({ "run": run, "summary": summary });
        if args.attempts {
            json["attempts"] = serde_json::to_value(&attempts)?;
        }
        output::print(&format!("{}\n", serde_json::to_string_pretty(&json)?))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = output::run_header(&run);
    text.push('\n');
    text.push_str(&output::summary_table(&summary));
    if args.attempts {
        text.push('\n');
        text.push_str(&output::attempts_table(&attempts));
    }
    output::print(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// A run by id, or the newest one for `latest`.
pub(super) async fn find_run(
    store: &dyn RunStore,
    workspace: &Workspace,
    run: &str,
) -> Result<RunInfo, StoreError> {
    let found = if run == "latest" {
        let mut filter = RunFilter::default();
        filter.limit = Some(1);
        store
            .list_runs(workspace, &filter)
            .await?
            .into_iter()
            .next()
    } else {
        store.get_run(workspace, run).await?
    };
    found.ok_or_else(|| StoreError::run_not_found(workspace, run))
}
