//! `benchcore run`, and what `resume` shares with it: watching, cancelling, gating.

use crate::args::{Gates, OutputArgs, RunArgs};
use crate::{output, plan, progress, EXIT_CANCELLED, EXIT_GATE, EXIT_OK};
use anyhow::Context;
use benchcore::{Engine, ResponseCache, RunHandle, RunStatus, Workspace};
use benchcore_store::StoreHandle;
use std::process::ExitCode;
use std::sync::Arc;

pub(crate) async fn run(
    store: StoreHandle,
    cache: Option<Arc<dyn ResponseCache>>,
    workspace: Workspace,
    args: RunArgs,
) -> anyhow::Result<ExitCode> {
    let saved =
        super::agents::load_saved(&store, &workspace, &plan::saved_names_in_args(&args)).await?;
    let factory = plan::factory(&args.agent_options, cache, saved)?;
    let run = plan::run_from_args(&args, &factory)?;
    warn(&run);
    check_artifacts_folder(&run)?;
    let engine = Engine::new(store.store()).with_workspace(workspace);
    let handle = engine.start(run).await?;
    let run_id = handle.run_id().to_owned();
    let code = watch(handle, &args.output, &args.gates).await?;
    finish(&engine, &run_id, code, &args.output).await
}

/// `benchcore run --detach`: stores the run and queues its attempts for workers.
pub(crate) async fn detach(
    store: StoreHandle,
    workspace: Workspace,
    args: RunArgs,
) -> anyhow::Result<ExitCode> {
    let queue = store.require_work_queue().context("--detach")?;
    let saved =
        super::agents::load_saved(&store, &workspace, &plan::saved_names_in_args(&args)).await?;
    // Built here only to check every agent and evaluator; workers build their own.
    let factory = plan::factory(&args.agent_options, None, saved)?;
    let run = plan::run_from_args(&args, &factory)?;
    let total =
        run.spec().suite.cases * run.spec().agents.len() as u64 * u64::from(run.spec().samples);
    let engine = Engine::new(store.store()).with_workspace(workspace);
    let run_id = engine.enqueue(run, &*queue).await?;
    if args.output.json {
        let json = serde_json::json!({ "run_id": run_id, "status": "queued", "attempts": total });
        output::print(&format!("{}\n", serde_json::to_string_pretty(&json)?))?;
    } else {
        output::print(&format!("{run_id}\n"))?;
        if !args.output.quiet {
            eprintln!(
                "queued {total} attempts of run {run_id}; work on them with: benchcore worker --store {}",
                redact_url(store.url())
            );
        }
    }
    Ok(ExitCode::from(EXIT_OK))
}

/// A store URL without its password, to print.
pub(super) fn redact_url(url: &str) -> String {
    benchcore_store::redact_url(url)
}

/// Fails, naming the folder, when the run's artifacts folder cannot be written: otherwise
/// every attempt of a kind that writes artifacts would end as an error, one by one, and the
/// summary after them would fail too. Checked before any attempt starts, so nothing is spent.
pub(crate) fn check_artifacts_folder(run: &benchcore::Run) -> anyhow::Result<()> {
    let Some(dir) = run.spec().artifacts_dir.as_deref() else {
        return Ok(());
    };
    let probe = std::path::Path::new(dir).join(format!(".benchcore-check-{}", std::process::id()));
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&probe, b""))
        .and_then(|()| std::fs::remove_file(&probe))
        .with_context(|| format!("artifacts folder {dir}: cannot write to it"))
}

/// Shows what the run's kind cannot guarantee on this machine.
pub(crate) fn warn(run: &benchcore::Run) {
    for warning in run.warnings() {
        eprintln!("{warning}");
    }
}

/// What follows a `run` or `resume` that was not cancelled: the run's summary, written
/// beside its artifacts by its kind (`summary.json`), with the kind's table and notes
/// (pass@k and the catalog check of a code-task run). A problem the kind's checks found
/// turns the exit code into 1.
pub(crate) async fn finish(
    engine: &Engine,
    run_id: &str,
    code: ExitCode,
    output: &OutputArgs,
) -> anyhow::Result<ExitCode> {
    let Some(run) = engine.store().get_run(engine.workspace(), run_id).await? else {
        return Ok(code);
    };
    if run.status == RunStatus::Cancelled {
        return Ok(code);
    }
    let written = benchcore::kind::write_summary(
        &**engine.store(),
        engine.workspace(),
        run_id,
        &crate::kinds::kinds(),
    )
    .await?;
    let say = |text: &str| -> anyhow::Result<()> {
        if output.json {
            eprint!("{text}");
            Ok(())
        } else {
            Ok(output::print(text)?)
        }
    };
    let summary = &written.summary;
    if summary.table.is_some() || !summary.notes.is_empty() {
        if let Some(path) = &written.path {
            say(&format!("summary: {}\n", path.display()))?;
        }
    }
    if let Some(table) = &summary.table {
        let header: Vec<&str> = table.header.iter().map(String::as_str).collect();
        say(&output::table(&header, &table.rows))?;
    }
    for note in &summary.notes {
        say(&format!("{note}\n"))?;
    }
    Ok(if summary.problems.is_empty() {
        code
    } else {
        ExitCode::from(EXIT_GATE)
    })
}

/// Shows progress, turns Ctrl-C into a clean cancel, prints the summary and applies the gates;
/// a run left with attempts without a verdict exits 3 (see [`super::incomplete`]).
pub(crate) async fn watch(
    mut handle: RunHandle,
    output: &OutputArgs,
    gates: &Gates,
) -> anyhow::Result<ExitCode> {
    let run_id = handle.run_id().to_owned();
    let shown = tokio::spawn(progress::show(handle.events(), output.quiet || output.json));
    let cancel = handle.cancel_token();
    let interrupt = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("cancelling: finished attempts are kept (Ctrl-C again to quit at once)");
            cancel.cancel();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(i32::from(EXIT_CANCELLED));
            }
        }
    });
    let report = handle.wait().await;
    interrupt.abort();
    let _ = shown.await;
    let report = report?;

    if output.json {
        let json = serde_json::json!({
            "run_id": report.run_id,
            "status": report.status,
            "summary": report.summary,
            "pass_rate": report.summary.pass_rate(),
            "error_rate": report.summary.error_rate(),
            "errors": report.summary.errors(),
            "skipped": report.summary.skipped(),
            "unrecorded": report.summary.unrecorded(),
            "stopped_agents": report.stopped_agents,
        });
        output::print(&format!("{}\n", serde_json::to_string_pretty(&json)?))?;
    } else {
        output::print(&format!("run {run_id} {}\n", report.status))?;
        output::print(&output::summary_table(&report.summary))?;
    }
    // One line per agent the breaker stopped, whatever the output mode: the reason its
    // attempts were left pending.
    for stopped in &report.stopped_agents {
        eprintln!("{}", stopped.reason);
    }
    if report.status == RunStatus::Cancelled {
        eprintln!("resume it with: benchcore resume {run_id}");
        return Ok(ExitCode::from(EXIT_CANCELLED));
    }
    // A failed gate keeps its code; the count of attempts without a verdict is printed anyway.
    let gated = gate(&report.summary, gates);
    let incomplete = super::incomplete::check(&report.summary, &run_id);
    Ok(ExitCode::from(if gated == EXIT_OK {
        incomplete
    } else {
        gated
    }))
}

fn gate(summary: &benchcore::RunSummary, gates: &Gates) -> u8 {
    let mut code = EXIT_OK;
    if let Some(min) = gates.min_pass_rate {
        let rate = summary.pass_rate().unwrap_or(0.0);
        if rate < min {
            eprintln!(
                "gate failed: pass rate {:.2}% is below --min-pass-rate {:.2}%",
                rate * 100.0,
                min * 100.0
            );
            code = EXIT_GATE;
        }
    }
    if let Some(max) = gates.max_error_rate {
        let rate = summary.error_rate().unwrap_or(0.0);
        if rate > max {
            eprintln!(
                "gate failed: error rate {:.2}% is above --max-error-rate {:.2}%",
                rate * 100.0,
                max * 100.0
            );
            code = EXIT_GATE;
        }
    }
    code
}
