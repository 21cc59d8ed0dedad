//! A run's summary file: `summary.json` beside its artifacts, written by every front end the
//! same way, with what the run's kind adds.

use super::SuiteKinds;
use crate::{Error, RunInfo, RunStore, StoreError, Workspace};
use serde_json::json;
use std::path::{Path, PathBuf};

/// A table for people: a header and rows of cells.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SummaryTable {
    /// Column names.
    pub header: Vec<String>,
    /// One row a line.
    pub rows: Vec<Vec<String>>,
}

impl SummaryTable {
    /// A table with this header and these rows.
    pub fn new(header: Vec<String>, rows: Vec<Vec<String>>) -> Self {
        Self { header, rows }
    }
}

/// What a kind makes of a finished run.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct KindSummary {
    /// The `summary.json` document.
    pub document: serde_json::Value,
    /// A table of the kind's own figures (pass@k of a code-task run), for people.
    pub table: Option<SummaryTable>,
    /// Lines to show below the table (flaky tasks, the catalog check's verdict).
    pub notes: Vec<String>,
    /// What a check of the kind found wrong (a task that fails with its gold answer); a
    /// front end turns any into a failed gate.
    pub problems: Vec<String>,
}

impl KindSummary {
    /// A summary of this document and nothing else.
    pub fn new(document: serde_json::Value) -> Self {
        Self {
            document,
            ..Self::default()
        }
    }

    /// The summary every kind has: the run, its spec and the per-agent results with pass and
    /// error rates.
    ///
    /// # Errors
    /// The store cannot be read.
    pub async fn generic(
        store: &dyn RunStore,
        workspace: &Workspace,
        run: &RunInfo,
    ) -> Result<Self, Error> {
        let summary = store.summarize(workspace, &run.id).await?;
        Ok(Self::new(json!({
            "run_id": run.id,
            "name": run.spec.name,
            "kind": run.spec.kind,
            "suite": run.spec.suite.name,
            "status": run.status,
            "samples": run.spec.samples,
            "created_at_ms": run.created_at_ms,
            "updated_at_ms": run.updated_at_ms,
            "total": summary.total,
            "pass_rate": summary.pass_rate(),
            "error_rate": summary.error_rate(),
            "agents": summary.agents,
        })))
    }
}

/// A written summary.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SummaryFile {
    /// `<artifacts>/<run>/summary.json`, when the run keeps artifacts.
    pub path: Option<PathBuf>,
    /// What the run's kind made of it.
    pub summary: KindSummary,
}

/// Summarises a run with its kind and, when its spec names an artifacts folder, writes
/// `<folder>/<run>/summary.json` and `<folder>/latest_summary.json`.
///
/// # Errors
/// The run is not in the workspace, the store cannot be read, or a file cannot be written
/// (named with its path).
pub async fn write_summary(
    store: &dyn RunStore,
    workspace: &Workspace,
    run_id: &str,
    kinds: &SuiteKinds,
) -> Result<SummaryFile, Error> {
    let run = store
        .get_run(workspace, run_id)
        .await?
        .ok_or_else(|| StoreError::run_not_found(workspace, run_id))?;
    let summary = match kinds.get(&run.spec.kind) {
        Some(kind) => kind.summarize(store, workspace, &run).await?,
        None => KindSummary::generic(store, workspace, &run).await?,
    };
    let path = match &run.spec.artifacts_dir {
        Some(root) => Some(write_files(Path::new(root), run_id, &summary.document)?),
        None => None,
    };
    Ok(SummaryFile { path, summary })
}

fn write_files(root: &Path, run_id: &str, document: &serde_json::Value) -> Result<PathBuf, Error> {
    let named = |path: &Path, e: std::io::Error| {
        Error::Run(format!(
            "cannot write the run summary {}: {e}",
            path.display()
        ))
    };
    let json = serde_json::to_vec_pretty(document)
        .map_err(|e| Error::Run(format!("cannot encode the run summary: {e}")))?;
    let dir = root.join(run_id);
    std::fs::create_dir_all(&dir).map_err(|e| named(&dir, e))?;
    let path = dir.join("summary.json");
    std::fs::write(&path, &json).map_err(|e| named(&path, e))?;
    let latest = root.join("latest_summary.json");
    std::fs::write(&latest, &json).map_err(|e| named(&latest, e))?;
    Ok(path)
}
