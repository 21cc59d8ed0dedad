//! Code-task catalogs in the CLI: opening one (with the prompt options of `run`), and what
//! follows a code-task run: `summary.json`, pass@k, and the gold/null catalog check.

use super::OpenedSuite;
use crate::args::RunArgs;
use crate::output;
use anyhow::Context;
use benchcore::code_task::{
    is_catalog, AnswerFormat, CodeTaskEpisode, CodeTaskEvaluator, CodeTaskSummary, PromptOptions,
    TaskCatalog, KIND,
};
use benchcore::{Outcome, Run, RunSpec, RunStore, Workspace};
use std::path::Path;
use std::sync::Arc;

/// The key of the run spec's `tags` under which a code-task run keeps its prompt options.
const TAG: &str = "code_task";

/// Whether `path` is a code-task catalog (or one task folder).
pub(crate) fn is_code_task_path(path: &Path) -> bool {
    is_catalog(path)
}

/// Opens a catalog: its cases, the code-task episode and the tests evaluator. Sandbox
/// warnings (no bubblewrap, no process limit) are printed once.
pub(crate) fn open(path: &Path, options: PromptOptions) -> anyhow::Result<OpenedSuite> {
    let catalog = TaskCatalog::open_with(path, options)
        .with_context(|| format!("opening the task catalog {}", path.display()))?;
    let evaluator = CodeTaskEvaluator::new(&catalog);
    for warning in evaluator.sandbox().warnings() {
        eprintln!("sandbox: {warning}");
    }
    Ok(OpenedSuite {
        source: Arc::new(catalog),
        episode: Some(Arc::new(CodeTaskEpisode)),
        evaluators: vec![Arc::new(evaluator)],
        tests: Vec::new(),
    })
}

/// The prompt options `run` was given, or `None` when it was given none.
pub(crate) fn options_from_args(args: &RunArgs) -> anyhow::Result<Option<PromptOptions>> {
    let mut options = PromptOptions::default();
    if args.include_tests {
        options = options.with_tests(true);
    }
    if let Some(format) = &args.answer_format {
        let format: AnswerFormat = format
            .parse()
            .map_err(|e: String| anyhow::anyhow!("--answer-format: {e}"))?;
        options = options.with_answer_format(format);
    }
    Ok((options != PromptOptions::default()).then_some(options))
}

/// Reopens a code-task suite with `run`'s prompt options, and refuses them for other kinds.
pub(crate) fn with_args(opened: OpenedSuite, args: &RunArgs) -> anyhow::Result<OpenedSuite> {
    let Some(options) = options_from_args(args)? else {
        return Ok(opened);
    };
    if !is_code_task_path(&args.suite) {
        anyhow::bail!("--include-tests and --answer-format apply to code-task catalogs only");
    }
    open(&args.suite, options)
}

/// Records `run`'s prompt options in the spec, so a resume builds the same prompts.
pub(crate) fn record_options(run: &mut Run, args: &RunArgs) -> anyhow::Result<()> {
    if let Some(options) = options_from_args(args)? {
        let tags = &mut run.spec_mut().tags;
        if !tags.is_object() {
            *tags = serde_json::json!({});
        }
        tags[TAG] = options.to_json();
    }
    Ok(())
}

/// Reopens a stored code-task run's suite with the prompt options it was started with.
pub(crate) fn with_stored_options(
    opened: OpenedSuite,
    spec: &RunSpec,
) -> anyhow::Result<OpenedSuite> {
    let (Some(path), Some(options)) = (spec.suite.path.as_deref(), spec.tags.get(TAG)) else {
        return Ok(opened);
    };
    if spec.kind != KIND {
        return Ok(opened);
    }
    open(Path::new(path), PromptOptions::from_json(options))
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

/// After a code-task run (or resume): writes `summary.json` and `latest_summary.json` to
/// the run's artifacts folder, prints pass@k, and when the run has the `gold` or `null`
/// agent checks the catalog (gold passes every task, null fails every task as shipped).
/// Returns `false` when the catalog check found a task that breaks it.
pub(crate) async fn after_run(
    store: &Arc<dyn RunStore>,
    workspace: &Workspace,
    run_id: &str,
    json: bool,
) -> anyhow::Result<bool> {
    let summary = CodeTaskSummary::load(&**store, workspace, run_id).await?;
    let run = store
        .get_run(workspace, run_id)
        .await?
        .with_context(|| format!("run {run_id}"))?;
    let say = |text: &str| -> anyhow::Result<()> {
        if json {
            eprint!("{text}");
            Ok(())
        } else {
            Ok(output::print(text)?)
        }
    };
    if let Some(root) = &run.spec.artifacts_dir {
        let path = summary
            .write(Path::new(root))
            .with_context(|| format!("writing the run summary under {root}"))?;
        say(&format!("summary: {}\n", path.display()))?;
    }
    let ks: Vec<u64> = summary
        .agents
        .iter()
        .flat_map(|a| a.pass_at_k.keys().copied())
        .filter(|k| *k > 1)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let k_max = ks.last().copied().unwrap_or(1);
    let at_k = format!("pass@{k_max}");
    let all_k = format!("pass^{k_max}");
    let mut header = vec!["agent", "tasks", "pass@1"];
    if k_max > 1 {
        header.extend([at_k.as_str(), all_k.as_str()]);
    }
    header.extend(["solved", "flaky", "errors"]);
    let rows: Vec<Vec<String>> = summary
        .agents
        .iter()
        .map(|a| {
            let mut row = vec![a.agent.clone(), a.tasks.to_string(), pct(a.pass_at_1)];
            if k_max > 1 {
                row.push(pct(a.pass_at_k.get(&k_max).copied()));
                row.push(pct(a.pass_all_k.get(&k_max).copied()));
            }
            row.extend([
                format!("{}/{}", a.solved.len(), a.tasks),
                a.flaky.len().to_string(),
                a.errors.to_string(),
            ]);
            row
        })
        .collect();
    say(&output::table(&header, &rows))?;
    for agent in &summary.agents {
        if !agent.flaky.is_empty() {
            say(&format!(
                "flaky for {}: {}\n",
                agent.agent,
                agent.flaky.join(", ")
            ))?;
        }
    }
    check_reference_agents(&summary, &say)
}

/// The catalog check of a run with `gold` and/or `null`.
fn check_reference_agents(
    summary: &CodeTaskSummary,
    say: &dyn Fn(&str) -> anyhow::Result<()>,
) -> anyhow::Result<bool> {
    let mut problems = Vec::new();
    let mut checked = std::collections::BTreeSet::new();
    let mut agents = Vec::new();
    for attempt in &summary.attempts {
        let why = match attempt.agent.as_str() {
            "gold" if attempt.outcome != Outcome::Passed => Some(format!(
                "does not pass with its gold answer ({})",
                attempt.label.as_deref().unwrap_or(attempt.outcome.as_str())
            )),
            "null" if attempt.outcome == Outcome::Error => Some(format!(
                "could not be tested as shipped: {}",
                attempt.failure.as_deref().unwrap_or("error")
            )),
            "null" if attempt.tests_passed != Some(false) => {
                Some("passes as shipped: its starter workspace must fail the tests".to_owned())
            }
            "gold" | "null" => None,
            _ => continue,
        };
        if !agents.contains(&attempt.agent) {
            agents.push(attempt.agent.clone());
        }
        checked.insert(attempt.task.clone());
        if let Some(why) = why {
            let logs = attempt
                .artifacts_dir
                .as_deref()
                .map(|d| format!(" (logs: {d})"))
                .unwrap_or_default();
            problems.push(format!("  {}: {why}{logs}\n", attempt.task));
        }
    }
    if checked.is_empty() {
        return Ok(true);
    }
    let rule = match (
        agents.contains(&"gold".into()),
        agents.contains(&"null".into()),
    ) {
        (true, true) => "fails as shipped and passes with its gold answer",
        (true, false) => "passes with its gold answer",
        _ => "fails as shipped",
    };
    if problems.is_empty() {
        say(&format!(
            "catalog check: ok, each of the {} tasks {rule}\n",
            checked.len()
        ))?;
        Ok(true)
    } else {
        say(&format!(
            "catalog check: FAILED, {} problem(s); every task must be one that {rule}\n",
            problems.len()
        ))?;
        for p in &problems {
            say(p)?;
        }
        Ok(false)
    }
}

/// Whether a stored run is a code-task run.
pub(crate) fn is_code_task_run(spec: &RunSpec) -> bool {
    spec.kind == KIND
}

/// What follows a finished `run` or `resume`: for a code-task run that was not cancelled,
/// [`after_run`]; a failed catalog check turns the exit code into 1.
pub(crate) async fn finish(
    engine: &benchcore::Engine,
    run_id: &str,
    code: std::process::ExitCode,
    json: bool,
) -> anyhow::Result<std::process::ExitCode> {
    let Some(run) = engine.store().get_run(engine.workspace(), run_id).await? else {
        return Ok(code);
    };
    if !is_code_task_run(&run.spec) || run.status == benchcore::RunStatus::Cancelled {
        return Ok(code);
    }
    if after_run(engine.store(), engine.workspace(), run_id, json).await? {
        Ok(code)
    } else {
        Ok(std::process::ExitCode::from(crate::EXIT_GATE))
    }
}
