//! The code-task kind: a catalog of task folders; each attempt is one answer, tested in the
//! sandbox.

use super::check::CatalogCheck;
use super::{is_catalog, CodeTaskEpisode, CodeTaskEvaluator, CodeTaskSummary, PromptOptions};
use super::{TaskCatalog, KIND};
use crate::kind::{AgentFactory, KindSummary, OpenedSuite, SuiteKind, SummaryTable};
use crate::{ConfigError, ContentDigest, Error, RunInfo, RunSpec, RunStore, Workspace};
use crate::{SuiteError, SuiteErrorKind};
use std::path::Path;
use std::sync::Arc;

/// Code-task catalogs. The run spec's `tags.code_task` holds the prompt options
/// ([`PromptOptions::to_json`]), so a resume builds the same prompts. Attempts are judged by
/// the [`CodeTaskEvaluator`]; the summary has pass@k per agent and the catalog check of the
/// reference agents.
#[derive(Debug, Clone, Copy, Default)]
pub struct CodeTaskKind;

impl CodeTaskKind {
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
        let evaluator = CodeTaskEvaluator::new(&catalog);
        let mut opened = OpenedSuite::new(Arc::new(catalog.clone()), Arc::new(CodeTaskEpisode))
            .with_evaluator(Arc::new(evaluator.clone()));
        opened.warnings = evaluator.sandbox().warnings().to_vec();
        let options = catalog.options().to_json();
        if !options.is_null() {
            opened.tags = serde_json::json!({ KIND: options });
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
        let check = CatalogCheck::of(&summary);
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
