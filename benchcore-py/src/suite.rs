//! `benchcore.Suite`: where cases come from — a question set file, cases built from Python
//! dicts, a folder of conversation scenarios or a code-task catalog — with what that kind of
//! benchmark brings along (how an attempt plays out, its evaluators, its transcript tests).

use crate::convert::{to_json, to_py_ser};
use crate::errors;
use crate::factory::PyFactory;
use benchcore::code_task::{AnswerFormat, CodeTaskMode, PromptOptions};
use benchcore::conversation::CONVERSATION;
use benchcore::dataset::{configure, DatasetOptions, Preset, DATASET};
use benchcore::engine::SingleTurn;
use benchcore::kind::{OpenedSuite, SuiteKinds, QUESTION_SET};
use benchcore::{CaseSource, ConfigError, QuestionSet, RunSpec};
use benchcore::{SuiteError, SuiteErrorKind};
use futures::StreamExt;
use pyo3::prelude::*;
use serde_json::Value;
use std::sync::Arc;

/// A suite of cases, ready to run: what its kind opened, and the spec a run of it starts
/// from (the suite's path, its kind and the options its kind records).
#[pyclass(frozen, module = "benchcore._native", name = "Suite")]
#[derive(Clone)]
pub(crate) struct SuiteHandle {
    pub(crate) opened: OpenedSuite,
    pub(crate) spec: RunSpec,
}

impl SuiteHandle {
    /// The cases.
    pub(crate) fn source(&self) -> &Arc<dyn CaseSource> {
        &self.opened.source
    }

    /// A question set.
    pub(crate) fn questions(source: Arc<dyn CaseSource>) -> Self {
        let mut spec = RunSpec::default();
        spec.suite = source.describe();
        Self {
            opened: OpenedSuite::new(source, Arc::new(SingleTurn)),
            spec,
        }
    }

    /// Opens the suite `spec` names with its kind (told from the path when the spec names
    /// none), building the agents it names with `agents`.
    pub(crate) fn open_spec(
        py: Python<'_>,
        mut spec: RunSpec,
        agents: &PyFactory,
    ) -> PyResult<Self> {
        let kinds = SuiteKinds::builtin();
        let kind = kinds
            .for_spec(&spec)
            .map_err(|e| not_found_or_config(py, &spec, e))?;
        kind.name().clone_into(&mut spec.kind);
        let opened = kind
            .open(&spec, agents)
            .map_err(|e| errors::error(py, &e))?;
        Ok(Self { opened, spec })
    }
}

/// A path no kind recognises: missing (`SuiteNotFoundError`) or not a suite.
fn not_found_or_config(py: Python<'_>, spec: &RunSpec, error: ConfigError) -> PyErr {
    match spec.suite.path.as_deref() {
        Some(path) if !std::path::Path::new(path).exists() => errors::suite(
            py,
            &SuiteError::new(SuiteErrorKind::Io, "no such file or folder").at(path, None),
        ),
        _ => errors::config(py, &error),
    }
}

#[pymethods]
impl SuiteHandle {
    /// A question set from a `.jsonl` (`.ndjson`) or `.csv` file, checked line by line.
    #[staticmethod]
    fn question_set(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        let mut spec = RunSpec::for_suite(&path);
        spec.kind = QUESTION_SET.to_owned();
        Self::open_spec(py, spec, &PyFactory::default())
    }

    /// A question set of cases given as dicts, each like a JSONL line: `id`, `input` (or
    /// `messages`), optionally `target` and `metadata`; other keys go into metadata.
    #[staticmethod]
    fn from_cases(py: Python<'_>, name: String, cases: &Bound<'_, PyAny>) -> PyResult<Self> {
        let items = match to_json(cases, "cases")? {
            Value::Array(items) => items,
            _ => {
                return Err(errors::argument(
                    py,
                    "cases",
                    "expected a list of case dicts",
                ))
            }
        };
        let cases = items
            .into_iter()
            .enumerate()
            .map(|(i, item)| crate::cases::case_from_value(py, item, &format!("cases[{i}]")))
            .collect::<PyResult<Vec<_>>>()?;
        let set = QuestionSet::from_cases(name, cases).map_err(|e| errors::suite(py, &e))?;
        Ok(Self::questions(Arc::new(set)))
    }

    /// The suite at `path`, its kind told from what is there: a code-task catalog folder, a
    /// conversation scenario file or folder, else a question-set file.
    #[staticmethod]
    fn open(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        Self::open_spec(py, RunSpec::for_suite(&path), &PyFactory::default())
    }

    /// A conversation suite: a scenario file (`.toml`, `.json`) or a folder of them. Each
    /// scenario's simulated user is `simulated_user` when given (any agent, a callable
    /// included), else built from the scenario's `simulated_user.agent`.
    #[staticmethod]
    #[pyo3(signature = (path, simulated_user = None))]
    fn conversations(
        py: Python<'_>,
        path: std::path::PathBuf,
        simulated_user: Option<&Bound<'_, crate::agents::AgentHandle>>,
    ) -> PyResult<Self> {
        let mut spec = RunSpec::for_suite(&path);
        spec.kind = CONVERSATION.to_owned();
        let mut given = Vec::new();
        if let Some(user) = simulated_user {
            let user = user.get();
            spec.tags = serde_json::json!({ CONVERSATION: { "simulated_user": user.config } });
            given.push((user.config.clone(), Arc::clone(&user.agent)));
        }
        Self::open_spec(py, spec, &PyFactory::with_agents(given))
    }

    /// A code-task catalog folder (or one task folder): each task's prompt, the answer
    /// applied to a copy of its workspace, and its tests run in a sandbox.
    /// `include_tests` shows the tests in the prompt; `answer_format` is `files` or
    /// `diff` (default: each task's own). `mode` is `answer` (one reply, applied) or
    /// `agent` (a loop with sandboxed tools on the attempt's own copy of the workspace, at
    /// most `max_steps` replies; the final workspace is judged).
    #[staticmethod]
    #[pyo3(signature = (path, include_tests = false, answer_format = None, mode = None, max_steps = None))]
    fn code_tasks(
        py: Python<'_>,
        path: std::path::PathBuf,
        include_tests: bool,
        answer_format: Option<String>,
        mode: Option<String>,
        max_steps: Option<u32>,
    ) -> PyResult<Self> {
        let mut options = PromptOptions::default();
        let mode: CodeTaskMode = match mode {
            Some(mode) => mode
                .parse()
                .map_err(|e: String| errors::argument(py, "mode", e))?,
            None => CodeTaskMode::Answer,
        };
        match (mode, max_steps) {
            (_, Some(0)) => return Err(errors::argument(py, "max_steps", "must be at least 1")),
            (CodeTaskMode::Answer, Some(_)) => {
                return Err(errors::argument(
                    py,
                    "max_steps",
                    "applies only with mode=\"agent\"",
                ))
            }
            (CodeTaskMode::Agent, steps) => {
                options = options.with_mode(CodeTaskMode::Agent);
                if let Some(steps) = steps {
                    options = options.with_max_steps(steps);
                }
            }
            (CodeTaskMode::Answer, None) => {}
        }
        if include_tests {
            options = options.with_tests(true);
        }
        if let Some(format) = answer_format {
            let format: AnswerFormat = format
                .parse()
                .map_err(|e: String| errors::argument(py, "answer_format", e))?;
            options = options.with_answer_format(format);
        }
        let mut spec = RunSpec::for_suite(&path);
        spec.kind = benchcore::code_task::KIND.to_owned();
        let options = options.to_json();
        if !options.is_null() {
            spec.tags = serde_json::json!({ benchcore::code_task::KIND: options });
        }
        Self::open_spec(py, spec, &PyFactory::default())
    }

    /// A published dataset (Parquet, JSONL, JSON, CSV, TSV, gzip or not, a Hugging Face
    /// folder) read through `options` (a dict of `benchcore::dataset::DatasetOptions`
    /// fields), under a preset's when `preset` names one.
    #[staticmethod]
    #[pyo3(signature = (path, options, preset = None))]
    fn dataset(
        py: Python<'_>,
        path: std::path::PathBuf,
        options: &Bound<'_, PyAny>,
        preset: Option<String>,
    ) -> PyResult<Self> {
        let value = to_json(options, "options")?;
        let options: DatasetOptions = serde_path_to_error::deserialize(value).map_err(|e| {
            let field = e.path().to_string();
            errors::argument(py, &field, e.into_inner().to_string())
        })?;
        let preset = match preset {
            Some(name) => Some(name.parse::<Preset>().map_err(|e| errors::config(py, &e))?),
            None => None,
        };
        let mut spec = RunSpec::for_suite(&path);
        spec.kind = DATASET.to_owned();
        configure(&mut spec, preset, &options).map_err(|e| errors::config(py, &e))?;
        Self::open_spec(py, spec, &PyFactory::default())
    }

    /// The suite's name.
    #[getter]
    fn name(&self) -> String {
        self.source().describe().name
    }

    /// The kind of benchmark: `question_set`, `conversation`, `code_task`.
    #[getter]
    fn kind(&self) -> &str {
        &self.spec.kind
    }

    /// The file or folder it was read from.
    #[getter]
    fn path(&self) -> Option<String> {
        self.source().describe().path
    }

    fn __len__(&self) -> usize {
        self.source().len() as usize
    }

    /// The first `limit` cases (all when `None`) as dicts.
    #[pyo3(signature = (limit = None))]
    fn cases<'py>(&self, py: Python<'py>, limit: Option<usize>) -> PyResult<Bound<'py, PyAny>> {
        let source = Arc::clone(self.source());
        let read = crate::runtime::block_on(py, async move {
            let mut cases = Vec::new();
            let mut stream = source.cases();
            while let Some(case) = stream.next().await {
                cases.push(case?);
                if limit.is_some_and(|l| cases.len() >= l) {
                    break;
                }
            }
            Ok::<_, benchcore::SuiteError>(cases)
        })?;
        let cases = read.map_err(|e| errors::suite(py, &e))?;
        to_py_ser(py, &cases)
    }

    fn __repr__(&self) -> String {
        let described = self.source().describe();
        format!(
            "Suite(name={:?}, kind={:?}, cases={})",
            described.name, self.spec.kind, described.cases
        )
    }
}
