//! Naming a run on the command line: its id, or `latest` for the workspace's newest run.
//!
//! One resolver for every command and the viewer, so that `latest` means the same run to
//! `show`, `export`, `report`, `metrics`, `resume` and the viewer's URLs.

use benchcore::{RunFilter, RunInfo, RunStore, StoreError, Workspace};

/// The name that stands for the newest run of the workspace.
pub(crate) const LATEST: &str = "latest";

/// The run `run` names (an id, or [`LATEST`]), if there is one.
pub(crate) async fn lookup(
    store: &dyn RunStore,
    workspace: &Workspace,
    run: &str,
) -> Result<Option<RunInfo>, StoreError> {
    if run != LATEST {
        return store.get_run(workspace, run).await;
    }
    let mut filter = RunFilter::default();
    filter.limit = Some(1);
    Ok(store
        .list_runs(workspace, &filter)
        .await?
        .into_iter()
        .next())
}

/// As [`lookup`], with a missing run an error naming the workspace.
pub(crate) async fn find_run(
    store: &dyn RunStore,
    workspace: &Workspace,
    run: &str,
) -> Result<RunInfo, StoreError> {
    lookup(store, workspace, run)
        .await?
        .ok_or_else(|| StoreError::run_not_found(workspace, run))
}
