//! `benchcore resume RUN|latest`.

use crate::args::ResumeArgs;
use crate::plan;
use anyhow::Context;
use benchcore::{Engine, ResponseCache, ResumeOptions, Run, Workspace};
use benchcore_store::StoreHandle;
use std::process::ExitCode;
use std::sync::Arc;

pub(crate) async fn resume(
    handle: StoreHandle,
    cache: Option<Arc<dyn ResponseCache>>,
    workspace: Workspace,
    args: ResumeArgs,
) -> anyhow::Result<ExitCode> {
    let store = handle.store();
    let stored = crate::run_ref::find_run(store.as_ref(), &workspace, &args.run).await?;
    let run_id = stored.id;
    let saved = super::agents::load_saved(
        &handle,
        &workspace,
        &plan::saved_names_in_spec(&stored.spec),
    )
    .await
    .with_context(|| format!("rebuilding run {run_id}"))?;
    let factory = plan::factory(&args.agent_options, cache, saved)?;
    let run = Run::from_spec_in(stored.spec, &factory, &crate::kinds::kinds())
        .with_context(|| format!("rebuilding run {run_id}"))?;
    super::run::warn(&run);
    super::run::check_artifacts_folder(&run)?;
    let options = if args.retry_errors {
        ResumeOptions::retry_errors()
    } else {
        ResumeOptions::default()
    };
    let engine = Engine::new(store).with_workspace(workspace);
    let handle = engine.resume(&run_id, run, options).await?;
    let code = super::run::watch(handle, &args.output, &args.gates).await?;
    super::run::finish(&engine, &run_id, code, &args.output).await
}
