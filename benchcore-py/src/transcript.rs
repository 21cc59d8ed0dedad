//! `benchcore.TranscriptTest`: a built-in transcript test by name, or a Python callable with
//! the contract `run(transcript: str) -> dict`; and [`PyTranscriptTest`], the adapter.

use crate::callable::Raised;
use crate::convert::{to_json, to_py, type_name};
use crate::errors;
use benchcore::transcript::TranscriptTestsConfig;
use benchcore::{Status, TestReport, Transcript, TranscriptTest, Variable};
use pyo3::prelude::*;
use serde_json::{json, Value};
use std::sync::Arc;

/// A transcript test, run after every attempt of the runs it joins.
#[pyclass(frozen, module = "benchcore._native", name = "TranscriptTest")]
#[derive(Clone)]
pub(crate) struct TranscriptTestHandle {
    pub(crate) test: Arc<dyn TranscriptTest>,
    /// A built-in's thresholds as given, or the callable: what a resume compares.
    config: Option<Value>,
    func: Option<Arc<Py<PyAny>>>,
}

#[pymethods]
impl TranscriptTestHandle {
    /// A built-in test by name (`conversation_flow`, `question_quality`, `active_listening`,
    /// `pacing`), with its thresholds from `config` (the keys of its section in a
    /// `transcript_tests` file).
    #[staticmethod]
    #[pyo3(signature = (name, config = None))]
    fn builtin(py: Python<'_>, name: &str, config: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let mut value = json!({ "builtin": [name] });
        let given = config.map(|c| to_json(c, name)).transpose()?;
        if let Some(given) = &given {
            value[name] = given.clone();
        }
        let config: TranscriptTestsConfig = serde_json::from_value(value)
            .map_err(|e| errors::argument(py, "transcript_tests", e.to_string()))?;
        config
            .validate("transcript_tests")
            .map_err(|e| errors::config(py, &e))?;
        let test = config.builtin_tests().into_iter().next().ok_or_else(|| {
            errors::argument(py, "transcript_tests", format!("no built-in test `{name}`"))
        })?;
        Ok(Self {
            test,
            config: given,
            func: None,
        })
    }

    /// A test that calls `func(transcript)` with the transcript as `AGENT: …` /
    /// `PARTICIPANT: …` lines and reads `{"title", "variables": [{"metric", "value",
    /// "status": "good" | "warning" | "poor"}]}`.
    #[staticmethod]
    fn from_callable(py: Python<'_>, func: Py<PyAny>, name: String) -> PyResult<Self> {
        if !func.bind(py).is_callable() {
            return Err(errors::argument(
                py,
                "transcript_test",
                format!("{} is not callable", type_name(func.bind(py))),
            ));
        }
        crate::errors::check_name(py, &name)?;
        let kept = Arc::new(func.clone_ref(py));
        Ok(Self {
            test: Arc::new(PyTranscriptTest { name, func }),
            config: None,
            func: Some(kept),
        })
    }

    /// A built-in's thresholds as given (`None` when none were, or for a callable).
    #[getter]
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match &self.config {
            Some(config) => to_py(py, config),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// The Python callable it calls (`None` for a built-in).
    #[getter]
    fn func(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.func.as_ref().map(|func| func.clone_ref(py))
    }

    /// The test's name.
    #[getter]
    fn name(&self) -> &str {
        self.test.name()
    }

    /// Runs the test on a rendered transcript and returns its report as a dict.
    fn run<'py>(&self, py: Python<'py>, transcript: &str) -> PyResult<Bound<'py, PyAny>> {
        let transcript = Transcript::parse(transcript);
        let test = Arc::clone(&self.test);
        let report = py.detach(move || test.run(&transcript));
        crate::convert::to_py_ser(py, &report)
    }

    fn __repr__(&self) -> String {
        format!("TranscriptTest(name={:?})", self.test.name())
    }
}

/// A Python callable as a [`TranscriptTest`].
struct PyTranscriptTest {
    name: String,
    func: Py<PyAny>,
}

impl TranscriptTest for PyTranscriptTest {
    fn name(&self) -> &str {
        &self.name
    }

    fn run(&self, transcript: &Transcript) -> TestReport {
        let text = transcript.render() + "\n";
        let call = || {
            crate::shutdown::attach(|py| self.call(py, &text)).unwrap_or_else(|| {
                error_report(
                    &self.name,
                    "the Python interpreter is exiting".to_owned(),
                    None,
                )
            })
        };
        // On the engine's threads, let the runtime move other work elsewhere while Python runs.
        match tokio::runtime::Handle::try_current() {
            Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(call)
            }
            _ => call(),
        }
    }
}

impl PyTranscriptTest {
    fn call(&self, py: Python<'_>, text: &str) -> TestReport {
        let who = format!("transcript test `{}`", self.name);
        let out = match self.func.bind(py).call1((text,)) {
            Ok(out) => out,
            Err(err) => {
                let raised = Raised::capture(py, &err);
                return error_report(
                    &self.name,
                    format!("{who} raised {}", raised.headline()),
                    Some(raised.traceback),
                );
            }
        };
        let expected = "expected {\"title\": str, \"variables\": [{\"metric\": str, \"value\": …, \
                        \"status\": \"good\"|\"warning\"|\"poor\"}]}";
        if out.hasattr("__await__").unwrap_or(false) {
            return error_report(
                &self.name,
                format!("{who} returned an awaitable: transcript tests are plain functions"),
                None,
            );
        }
        let value = match to_json(&out, "report") {
            Ok(value) => value,
            Err(err) => {
                return error_report(
                    &self.name,
                    format!("{who} returned {err}; {expected}"),
                    None,
                )
            }
        };
        if !value.is_object() {
            return error_report(
                &self.name,
                format!("{who} returned {}; {expected}", type_name(&out)),
                None,
            );
        }
        match serde_json::from_value::<TestReport>(value) {
            Ok(report) => report,
            Err(err) => error_report(
                &self.name,
                format!("{who} returned a bad shape: {err}; {expected}"),
                None,
            ),
        }
    }
}

/// The report of a test that failed: titled with its name, the message in `error`, the
/// traceback (when any) in `traceback`, both `poor`.
fn error_report(name: &str, message: String, traceback: Option<String>) -> TestReport {
    let mut variables = vec![Variable {
        metric: "error".into(),
        value: Value::String(message),
        status: Status::Poor,
    }];
    if let Some(traceback) = traceback.filter(|t| !t.is_empty()) {
        variables.push(Variable {
            metric: "traceback".into(),
            value: Value::String(traceback),
            status: Status::Poor,
        });
    }
    TestReport {
        title: name.to_owned(),
        variables,
    }
}
