//! `benchcore.Store`: where runs and attempts are kept (SQLite, PostgreSQL or memory), and
//! reading them back.

use crate::convert::to_py_ser;
use crate::errors;
use benchcore::{
    AttemptKey, AttemptQuery, AttemptRecord, MemoryStore, Outcome, RunFilter, RunInfo, RunStatus,
    RunStore, Workspace,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::Arc;

/// Attempts read per store call when reading them all.
const PAGE: usize = 1000;

/// A run store in one workspace.
#[pyclass(frozen, module = "benchcore._native", name = "Store")]
#[derive(Clone)]
pub(crate) struct StoreHandle {
    pub(crate) store: Arc<dyn RunStore>,
    pub(crate) workspace: Workspace,
    url: String,
    created: bool,
}

#[pymethods]
impl StoreHandle {
    /// Opens the store a URL names: `sqlite://path`, a bare file path, or
    /// `postgres://user@host:5432/db?schema=name` (created when missing).
    #[staticmethod]
    #[pyo3(signature = (url, workspace = "default"))]
    fn open(py: Python<'_>, url: String, workspace: &str) -> PyResult<Self> {
        let workspace = Workspace::new(workspace).map_err(|e| errors::config(py, &e))?;
        let handle =
            crate::runtime::block_on(py, async move { benchcore_store::connect(&url).await })?
                .map_err(|e| errors::store(py, &e))?;
        Ok(Self {
            store: handle.store(),
            workspace,
            url: handle.url().to_owned(),
            created: handle.created(),
        })
    }

    /// A store in memory: gone when the process ends.
    #[staticmethod]
    #[pyo3(signature = (workspace = "default"))]
    fn memory(py: Python<'_>, workspace: &str) -> PyResult<Self> {
        let workspace = Workspace::new(workspace).map_err(|e| errors::config(py, &e))?;
        Ok(Self {
            store: Arc::new(MemoryStore::new()),
            workspace,
            url: "memory".to_owned(),
            created: true,
        })
    }

    /// The URL it was opened with, password hidden.
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    /// Whether opening created the store (a new file or schema): a mistyped location shows
    /// here.
    #[getter]
    fn created(&self) -> bool {
        self.created
    }

    /// The workspace.
    #[getter]
    fn workspace(&self) -> &str {
        self.workspace.as_str()
    }

    /// Runs, newest first, optionally only those of a suite, an agent or a status.
    #[pyo3(signature = (suite = None, agent = None, status = None, limit = None))]
    fn list_runs<'py>(
        &self,
        py: Python<'py>,
        suite: Option<String>,
        agent: Option<String>,
        status: Option<String>,
        limit: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut filter = RunFilter::default();
        filter.suite = suite;
        filter.agent = agent;
        filter.status = status
            .map(|s| s.parse::<RunStatus>())
            .transpose()
            .map_err(|e| errors::argument(py, "status", e))?;
        filter.limit = limit;
        let (store, workspace) = (Arc::clone(&self.store), self.workspace.clone());
        let runs =
            crate::runtime::block_on(
                py,
                async move { store.list_runs(&workspace, &filter).await },
            )?
            .map_err(|e| errors::store(py, &e))?;
        let list = pyo3::types::PyList::empty(py);
        for run in &runs {
            list.append(run_dict(py, run)?)?;
        }
        Ok(list.into_any())
    }

    /// One run as a dict (`id`, `status`, `spec`, `recorded`, `total` …), or `None`.
    fn get_run<'py>(&self, py: Python<'py>, run_id: String) -> PyResult<Option<Bound<'py, PyAny>>> {
        let (store, workspace) = (Arc::clone(&self.store), self.workspace.clone());
        let run =
            crate::runtime::block_on(py, async move { store.get_run(&workspace, &run_id).await })?
                .map_err(|e| errors::store(py, &e))?;
        run.map(|run| run_dict(py, &run)).transpose()
    }

    /// Replaces a run's tags (a JSON object) and nothing else of its spec. Raises
    /// `StoreError` when the workspace has no such run.
    fn set_run_tags(&self, py: Python<'_>, run_id: String, tags: Bound<'_, PyAny>) -> PyResult<()> {
        let tags = crate::convert::to_json(&tags, "tags")?;
        if !tags.is_object() {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "tags: expected a dict of JSON values",
            ));
        }
        let (store, workspace) = (Arc::clone(&self.store), self.workspace.clone());
        crate::runtime::block_on(py, async move {
            store.set_run_tags(&workspace, &run_id, &tags).await
        })?
        .map_err(|e| errors::store(py, &e))
    }

    /// Per-agent results of a run, computed from its stored attempts.
    fn summary<'py>(&self, py: Python<'py>, run_id: String) -> PyResult<Bound<'py, PyAny>> {
        let (store, workspace) = (Arc::clone(&self.store), self.workspace.clone());
        let summary =
            crate::runtime::block_on(
                py,
                async move { store.summarize(&workspace, &run_id).await },
            )?
            .map_err(|e| errors::store(py, &e))?;
        to_py_ser(py, &summary)
    }

    /// The run's summary as its kind makes it, as `summary.json` holds it: `document` (the
    /// per-agent results with pass and error rates; pass@k, pass^k and flaky tasks for a
    /// code-task run), `table` (`{"header", "rows"}` of the kind's own figures, or `None`),
    /// `notes` and `problems`.
    fn kind_summary<'py>(&self, py: Python<'py>, run_id: String) -> PyResult<Bound<'py, PyAny>> {
        let (store, workspace) = (Arc::clone(&self.store), self.workspace.clone());
        let summary = crate::runtime::block_on(py, async move {
            let run = store
                .get_run(&workspace, &run_id)
                .await?
                .ok_or_else(|| benchcore::StoreError::run_not_found(&workspace, &run_id))?;
            match benchcore::kind::SuiteKinds::builtin().get(&run.spec.kind) {
                Some(kind) => kind.summarize(&*store, &workspace, &run).await,
                None => benchcore::kind::KindSummary::generic(&*store, &workspace, &run).await,
            }
        })?
        .map_err(|e| errors::error(py, &e))?;
        let out = PyDict::new(py);
        out.set_item("document", crate::convert::to_py(py, &summary.document)?)?;
        match &summary.table {
            Some(table) => {
                let dict = PyDict::new(py);
                dict.set_item("header", &table.header)?;
                dict.set_item("rows", &table.rows)?;
                out.set_item("table", dict)?;
            }
            None => out.set_item("table", py.None())?,
        }
        out.set_item("notes", &summary.notes)?;
        out.set_item("problems", &summary.problems)?;
        Ok(out.into_any())
    }

    /// A run's attempts as dicts, ordered by case, agent and sample; optionally only one
    /// agent's or one outcome's (`passed`, `failed`, `invalid`, `error`, `skipped`).
    #[pyo3(signature = (run_id, agent = None, outcome = None, limit = None, offset = 0))]
    fn attempts<'py>(
        &self,
        py: Python<'py>,
        run_id: String,
        agent: Option<String>,
        outcome: Option<String>,
        limit: Option<usize>,
        offset: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        let outcome = outcome
            .map(|o| o.parse::<Outcome>())
            .transpose()
            .map_err(|e| errors::argument(py, "outcome", e))?;
        let (store, workspace) = (Arc::clone(&self.store), self.workspace.clone());
        let records = crate::runtime::block_on(py, async move {
            read_attempts(
                store.as_ref(),
                &workspace,
                &run_id,
                agent,
                outcome,
                limit,
                offset,
            )
            .await
        })?
        .map_err(|e| errors::store(py, &e))?;
        to_py_ser(py, &records)
    }

    /// The leaderboard: per agent, its best-accuracy run (optionally of one suite).
    #[pyo3(signature = (suite = None))]
    fn leaderboard<'py>(
        &self,
        py: Python<'py>,
        suite: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut filter = RunFilter::default();
        filter.suite = suite;
        let (store, workspace) = (Arc::clone(&self.store), self.workspace.clone());
        let entries =
            crate::runtime::block_on(
                py,
                async move { store.leaderboard(&workspace, &filter).await },
            )?
            .map_err(|e| errors::store(py, &e))?;
        to_py_ser(py, &entries)
    }

    fn __repr__(&self) -> String {
        format!(
            "Store(url={:?}, workspace={:?})",
            self.url,
            self.workspace.as_str()
        )
    }
}

/// Reads attempts page by page (keyset paging), so any number of them is read in bounded
/// store calls.
async fn read_attempts(
    store: &dyn RunStore,
    workspace: &Workspace,
    run_id: &str,
    agent: Option<String>,
    outcome: Option<Outcome>,
    limit: Option<usize>,
    offset: usize,
) -> Result<Vec<AttemptRecord>, benchcore::StoreError> {
    let mut out: Vec<AttemptRecord> = Vec::new();
    let mut after: Option<AttemptKey> = None;
    let mut skip = offset;
    loop {
        let want = match limit {
            Some(limit) if out.len() >= limit => break,
            Some(limit) => (limit - out.len() + skip).min(PAGE),
            None => PAGE,
        };
        let mut query = AttemptQuery::all().limit(want).after(after.take());
        query.agent = agent.clone();
        query.outcome = outcome;
        let page = store.attempts(workspace, run_id, &query).await?;
        let full = page.len() == want;
        after = page.last().map(|r| r.key.clone());
        for record in page {
            if skip > 0 {
                skip -= 1;
            } else if limit.is_none_or(|l| out.len() < l) {
                out.push(record);
            }
        }
        if !full {
            break;
        }
    }
    Ok(out)
}

/// A run as a dict, with its total number of attempts.
pub(crate) fn run_dict<'py>(py: Python<'py>, run: &RunInfo) -> PyResult<Bound<'py, PyAny>> {
    let value = to_py_ser(py, run)?;
    if let Ok(dict) = value.cast::<PyDict>() {
        dict.set_item("total", run.total())?;
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use benchcore_store::redact_url as redact;

    #[test]
    fn passwords_are_hidden_in_store_urls() {
        assert_eq!(
            redact("postgres://bench:s3cret@db:5432/runs"),
            "postgres://bench:***@db:5432/runs"
        );
        assert_eq!(
            redact("postgres://bench@db/runs"),
            "postgres://bench@db/runs"
        );
        assert_eq!(redact("sqlite://bench.db"), "sqlite://bench.db");
        assert_eq!(
            redact("postgres://bench:p@ss:w/rd%21@db/runs"),
            "postgres://bench:***@db/runs"
        );
    }
}
