//! The code-task kind: a catalog of task folders; each attempt is one answer (or, in agent
//! mode, an agent loop whose final workspace is the answer), tested in the sandbox.

use super::check::CatalogCheck;
use super::{is_catalog, CodeTaskEpisode, CodeTaskEvaluator, CodeTaskSummary, PromptOptions};
use super::{tasks_to_skip, DepsCache, Isolation, Sandbox};
use super::{CodeTaskAgentEpisode, CodeTaskMode, TaskCatalog, KIND};
use crate::engine::Episode;
use crate::kind::{AgentFactory, KindSummary, OpenedSuite, SuiteKind, SummaryTable};
use crate::tools::LoopLimits;
use crate::{ConfigError, ContentDigest, Error, RunInfo, RunSpec, RunStore, Workspace};
use crate::{SuiteError, SuiteErrorKind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The key of `tags.code_task` listing the tasks left out because they cannot run here.
const SKIPPED: &str = "skipped";

/// How a front end runs code tasks on this machine: the sandbox mode (`--sandbox`), whether
/// task dependencies are installed (`--install-deps`), what test commands must never see
/// (the SQLite file of the store), and whether anything runs at all (a dry run only builds
/// prompts, so it needs no sandbox).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CodeTaskSettings {
    /// How test commands are isolated.
    pub isolation: Isolation,
    /// Install the dependencies tasks declare, in a setup phase.
    pub install_deps: bool,
    /// Files and folders hidden from test commands.
    pub hidden: Vec<PathBuf>,
    /// Build prompts only: no sandbox is made.
    pub dry_run: bool,
}

/// Code-task catalogs. The run spec's `tags.code_task` holds the prompt options
/// ([`PromptOptions::to_json`]: tests shown, answer format, mode and agent-mode step limit),
/// so a resume builds the same prompts and episode, and the tasks left out
/// because they cannot run here (`skipped`). Attempts are judged by the
/// [`CodeTaskEvaluator`] in the sandbox the [`CodeTaskSettings`] ask for; the summary has
/// pass@k per agent and the catalog check of the reference agents.
#[derive(Debug, Clone, Default)]
pub struct CodeTaskKind {
    settings: CodeTaskSettings,
}

impl CodeTaskKind {
    /// The kind with these settings (register it over the built-in one with
    /// [`SuiteKinds::register`](crate::kind::SuiteKinds::register)).
    pub fn new(settings: CodeTaskSettings) -> Self {
        Self { settings }
    }

    /// The settings.
    pub fn settings(&self) -> &CodeTaskSettings {
        &self.settings
    }

    /// Opens a catalog with the prompt options a spec records.
    ///
    /// # Errors
    /// The catalog cannot be read or has a malformed task.
    pub fn catalog(spec: &RunSpec) -> Result<TaskCatalog, Error> {
        let path = spec.suite.path.as_deref().ok_or_else(|| {
            ConfigError::field("suite.path", "a code-task catalog is read from its folder")
        })?;
        if !Path::new(path).exists() {
            return Err(SuiteError::new(SuiteErrorKind::Io, "no such task catalog")
                .at(path, None)
                .into());
        }
        let options = PromptOptions::from_json(&spec.tags[KIND]);
        TaskCatalog::open_with(path, options)
            .map_err(|e| SuiteError::new(SuiteErrorKind::Malformed, e.to_string()).into())
    }
}

#[async_trait::async_trait]
impl SuiteKind for CodeTaskKind {
    fn name(&self) -> &str {
        KIND
    }

    fn recognizes(&self, path: &Path) -> bool {
        is_catalog(path)
    }

    fn open(&self, spec: &RunSpec, _agents: &dyn AgentFactory) -> Result<OpenedSuite, Error> {
        let catalog = Self::catalog(spec)?;
        let settings = &self.settings;
        let mut warnings = Vec::new();
        let mut skipped_ids = Vec::new();
        let (catalog, evaluator) = if settings.dry_run {
            let evaluator = CodeTaskEvaluator::new(&catalog);
            (catalog, evaluator)
        } else {
            let mut sandbox = Sandbox::new(settings.isolation).map_err(|e| {
                Error::Run(format!(
                    "code tasks need a sandbox (`--sandbox none` runs test commands without \
                     isolation): {e}"
                ))
            })?;
            for path in &settings.hidden {
                sandbox = sandbox.hide(path);
            }
            warnings.extend(sandbox.warnings().iter().map(|w| format!("sandbox: {w}")));
            let cache = DepsCache::new(DepsCache::default_root());
            for task in tasks_to_skip(&catalog, &cache, settings.install_deps) {
                warnings.push(format!("skipped {}: {}", task.task, task.reason));
                skipped_ids.push(task.task);
            }
            let catalog = catalog.without(&skipped_ids);
            let evaluator = CodeTaskEvaluator::new_with_sandbox(&catalog, sandbox)
                .install_deps(settings.install_deps);
            (catalog, evaluator)
        };
        let episode: Arc<dyn Episode> = match catalog.options().mode() {
            CodeTaskMode::Answer => Arc::new(CodeTaskEpisode),
            CodeTaskMode::Agent => {
                let mut limits = LoopLimits::default();
                if let Some(steps) = catalog.options().max_steps {
                    limits = limits.with_max_steps(steps);
                }
                Arc::new(CodeTaskAgentEpisode::new(evaluator.clone()).with_limits(limits))
            }
        };
        let mut opened = OpenedSuite::new(Arc::new(catalog.clone()), episode)
            .with_evaluator(Arc::new(evaluator));
        opened.warnings = warnings;
        let mut recorded = catalog.options().to_json();
        if !skipped_ids.is_empty() {
            if !recorded.is_object() {
                recorded = serde_json::json!({});
            }
            recorded[SKIPPED] = serde_json::json!(skipped_ids);
        }
        if !recorded.is_null() {
            opened.tags = serde_json::json!({ KIND: recorded });
        }
        Ok(opened)
    }

    async fn summarize(
        &self,
        store: &dyn RunStore,
        workspace: &Workspace,
        run: &RunInfo,
    ) -> Result<KindSummary, Error> {
        let summary = CodeTaskSummary::load(store, workspace, &run.id).await?;
        let agent_mode =
            PromptOptions::from_json(&run.spec.tags[KIND]).mode() == CodeTaskMode::Agent;
        let mut check = if agent_mode {
            // The reference agents answer in text, which agent mode never applies.
            CatalogCheck::default()
        } else {
            CatalogCheck::of(&summary)
        };
        check.skipped = run.spec.tags[KIND][SKIPPED].as_array().map_or(0, Vec::len);
        let mut out = KindSummary::new(
            serde_json::to_value(&summary)
                .map_err(|e| Error::Run(format!("cannot encode the run summary: {e}")))?,
        );
        out.table = Some(pass_at_k_table(&summary));
        for agent in &summary.agents {
            if !agent.flaky.is_empty() {
                out.notes.push(format!(
                    "flaky for {}: {}",
                    agent.agent,
                    agent.flaky.join(", ")
                ));
            }
        }
        out.notes.extend(check.verdict());
        out.notes
            .extend(check.problems.iter().map(|p| format!("  {p}")));
        out.problems = check.problems;
        Ok(out)
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

/// Per agent: tasks, pass@1, pass@k and pass^k for the largest k sampled, solved, flaky and
/// errors.
fn pass_at_k_table(summary: &CodeTaskSummary) -> SummaryTable {
    let k_max = summary
        .agents
        .iter()
        .flat_map(|a| a.pass_at_k.keys().copied())
        .filter(|k| *k > 1)
        .max()
        .unwrap_or(1);
    let mut header = vec!["agent".to_owned(), "tasks".into(), "pass@1".into()];
    if k_max > 1 {
        header.extend([format!("pass@{k_max}"), format!("pass^{k_max}")]);
    }
    header.extend(["solved".into(), "flaky".into(), "errors".into()]);
    let rows = summary
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
    SummaryTable::new(header, rows)
}

impl TaskCatalog {
    /// A digest of the catalog: every task's prompt and every file of its folder (tests,
    /// workspace, solution, metadata), so a resume notices any change.
    pub fn digest(&self) -> String {
        let mut digest = ContentDigest::new();
        for task in self.tasks() {
            digest.part(task.id().as_bytes());
            let mut files = Vec::new();
            collect_files(task.dir(), &mut files);
            files.sort();
            for file in files {
                digest.part(file.to_string_lossy().as_bytes());
                if digest.file(&file).is_err() {
                    digest.part(b"unreadable");
                }
            }
        }
        for case in self.cases_in_memory() {
            digest.part(serde_json::to_string(case).unwrap_or_default().as_bytes());
        }
        digest.finish()
    }
}

fn collect_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => collect_files(&path, out),
            Ok(t) if t.is_file() => out.push(path),
            _ => {}
        }
    }
}
