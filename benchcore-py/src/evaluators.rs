//! `benchcore.Evaluator`: a built-in evaluator by spec or config (the LLM judge included),
//! or a Python callable `(case, reply) -> float | bool | dict`; and [`PyEvaluator`], the
//! adapter that lets a callable judge attempts.

use crate::callable::{CallError, Callable};
use crate::convert::{case_dict, to_json, type_name};
use crate::errors;
use benchcore::evaluator::EvaluatorConfig;
use benchcore::{async_trait, EvalContext, EvalError, Evaluation, Evaluator, Transcript};
use benchcore_providers::build_evaluator;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyTuple};
use serde_json::Value;
use std::sync::Arc;

/// An evaluator, ready to join runs.
#[pyclass(frozen, module = "benchcore._native", name = "Evaluator")]
#[derive(Clone)]
pub(crate) struct EvaluatorHandle {
    pub(crate) evaluator: Arc<dyn Evaluator>,
    /// The config a run spec stores (built-ins and judges); `None` for a callable.
    pub(crate) config: Option<EvaluatorConfig>,
    /// The callable and its pass threshold, for a callable evaluator: a resume compares
    /// them (by name and source) with what the run started with.
    callable: Option<(Arc<Py<PyAny>>, f64)>,
}

impl EvaluatorHandle {
    fn from_evaluator_config(py: Python<'_>, config: EvaluatorConfig) -> PyResult<Self> {
        let evaluator = build_evaluator(&config).map_err(|e| errors::config(py, &e))?;
        Ok(Self {
            evaluator,
            config: Some(config),
            callable: None,
        })
    }
}

#[pymethods]
impl EvaluatorHandle {
    /// A built-in evaluator from its short form: `exact`, `exact:ignore_case`, `includes`,
    /// `regex:PATTERN`, `numeric`, `numeric:0.01`, `numeric:2%`, `choice`.
    #[staticmethod]
    fn from_spec(py: Python<'_>, spec: &str) -> PyResult<Self> {
        let config: EvaluatorConfig = spec.parse().map_err(|e| errors::config(py, &e))?;
        Self::from_evaluator_config(py, config)
    }

    /// An evaluator from a config dict tagged by `kind` (`exact`, `includes`, `regex`,
    /// `numeric`, `choice`, or `judge` with the judge's `config`).
    #[staticmethod]
    fn from_config(py: Python<'_>, config: &Bound<'_, PyAny>) -> PyResult<Self> {
        let value = to_json(config, "evaluator")?;
        let config: EvaluatorConfig = serde_json::from_value(value)
            .map_err(|e| errors::argument(py, "evaluator", e.to_string()))?;
        Self::from_evaluator_config(py, config)
    }

    /// An evaluator that calls `func(case, reply)` (sync or `async def`): a `bool` passes or
    /// fails, a number in [0, 1] is a score that passes at `pass_threshold`, a dict gives
    /// `score` and/or `passed` with optional `label`, `rationale`, `details`; `None` means
    /// it could not judge.
    #[staticmethod]
    #[pyo3(signature = (func, name, pass_threshold = 0.5))]
    fn from_callable(
        py: Python<'_>,
        func: Py<PyAny>,
        name: String,
        pass_threshold: f64,
    ) -> PyResult<Self> {
        if !func.bind(py).is_callable() {
            return Err(errors::argument(
                py,
                "evaluator",
                format!("{} is not callable", type_name(func.bind(py))),
            ));
        }
        crate::errors::check_name(py, &name)?;
        if !(0.0..=1.0).contains(&pass_threshold) {
            return Err(errors::argument(
                py,
                "pass_threshold",
                format!("{pass_threshold} is outside 0 to 1"),
            ));
        }
        let kept = Arc::new(func.clone_ref(py));
        Ok(Self {
            evaluator: Arc::new(PyEvaluator {
                name,
                pass_threshold,
                call: Callable::new(func),
            }),
            config: None,
            callable: Some((kept, pass_threshold)),
        })
    }

    /// The evaluator's name.
    #[getter]
    fn name(&self) -> &str {
        self.evaluator.name()
    }

    /// The Python callable it calls (`None` for a built-in).
    #[getter]
    fn func(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.callable.as_ref().map(|(func, _)| func.clone_ref(py))
    }

    /// The pass threshold of a callable evaluator (`None` for a built-in: see `config`).
    #[getter]
    fn pass_threshold(&self) -> Option<f64> {
        self.callable.as_ref().map(|(_, threshold)| *threshold)
    }

    /// The stored config (`None` for a callable).
    #[getter]
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match &self.config {
            Some(config) => crate::convert::to_py_ser(py, config),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// Judges one reply to one case (a dict as in `benchcore.from_cases`), returning the
    /// evaluation as a dict.
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        case: &Bound<'py, PyAny>,
        reply: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let case = crate::cases::case_from_value(py, to_json(case, "case")?, "case")?;
        let evaluator = Arc::clone(&self.evaluator);
        let judged = crate::runtime::block_on(py, async move {
            let transcript = Transcript::default();
            let cx = EvalContext::new(&case, &reply, &transcript);
            evaluator.evaluate(&cx).await
        })?;
        let evaluation = judged.map_err(|e| errors::eval(py, &e))?;
        crate::convert::to_py_ser(py, &evaluation)
    }

    fn __repr__(&self) -> String {
        format!("Evaluator(name={:?})", self.evaluator.name())
    }
}

/// A Python callable as an [`Evaluator`].
struct PyEvaluator {
    name: String,
    pass_threshold: f64,
    call: Callable,
}

/// What a callable evaluator said.
enum Judgement {
    Judged(Evaluation),
    CouldNotJudge,
}

#[async_trait]
impl Evaluator for PyEvaluator {
    fn name(&self) -> &str {
        &self.name
    }

    async fn evaluate(&self, cx: &EvalContext<'_>) -> Result<Evaluation, EvalError> {
        let case = cx.case.clone();
        let reply = cx.reply.to_owned();
        let name = self.name.clone();
        let threshold = self.pass_threshold;
        let who = format!("evaluator `{}`", self.name);
        let result = self
            .call
            .call(
                move |py| {
                    PyTuple::new(
                        py,
                        [
                            case_dict(py, &case)?.into_any(),
                            reply.into_pyobject(py)?.into_any(),
                        ],
                    )
                },
                move |out| read_judgement(out, &name, threshold),
            )
            .await;
        match result {
            Ok(Judgement::Judged(evaluation)) => Ok(evaluation),
            Ok(Judgement::CouldNotJudge) => Err(EvalError::new(format!(
                "{who} returned None: it could not judge"
            ))),
            // A failing evaluator says nothing of the answer: the attempt is an `error`,
            // rerun by a resume with retry_errors once the evaluator is fixed.
            Err(CallError::Raised(raised)) => Err(EvalError::infrastructure(raised.describe(&who))),
            Err(CallError::Shape(why)) => {
                Err(EvalError::infrastructure(format!("{who} returned {why}")))
            }
            Err(CallError::Lost(why)) => Err(EvalError::infrastructure(format!("{who}: {why}"))),
        }
    }
}

fn read_judgement(out: &Bound<'_, PyAny>, name: &str, threshold: f64) -> Result<Judgement, String> {
    let expected = "expected a bool, a score in [0, 1], a dict with `score` and/or `passed` \
                    (and optionally `label`, `rationale`, `details`), or None";
    if out.is_none() {
        return Ok(Judgement::CouldNotJudge);
    }
    if let Ok(b) = out.cast::<PyBool>() {
        return Ok(Judgement::Judged(Evaluation::binary(name, b.is_true())));
    }
    if out.is_instance_of::<PyInt>() || out.is_instance_of::<PyFloat>() {
        let score: f64 = out.extract().map_err(|e: PyErr| e.to_string())?;
        return scored(name, score, threshold, None).map(Judgement::Judged);
    }
    let Ok(dict) = out.cast::<PyDict>() else {
        return Err(format!("{}; {expected}", type_name(out)));
    };
    let value = to_json(dict.as_any(), "evaluation").map_err(|e| e.to_string())?;
    let Value::Object(mut map) = value else {
        return Err(format!("a dict that is not JSON; {expected}"));
    };
    let passed = match map.remove("passed") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(b),
        Some(other) => return Err(format!("a dict whose `passed` is {other}; {expected}")),
    };
    let score = match map.remove("score") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_f64(),
        Some(other) => return Err(format!("a dict whose `score` is {other}; {expected}")),
    };
    let mut evaluation = match (score, passed) {
        (Some(score), passed) => scored(name, score, threshold, passed)?,
        (None, Some(passed)) => Evaluation::binary(name, passed),
        (None, None) => {
            return Err(format!(
                "a dict with neither `score` nor `passed`; {expected}"
            ))
        }
    };
    for key in ["label", "rationale"] {
        match map.remove(key) {
            None | Some(Value::Null) => {}
            Some(Value::String(text)) if key == "label" => evaluation = evaluation.with_label(text),
            Some(Value::String(text)) => evaluation = evaluation.with_rationale(text),
            Some(other) => return Err(format!("a dict whose `{key}` is {other}; {expected}")),
        }
    }
    if let Some(details) = map.remove("details") {
        evaluation = evaluation.with_details(details);
    }
    if let Some(key) = map.keys().next() {
        return Err(format!("a dict with an unknown key `{key}`; {expected}"));
    }
    Ok(Judgement::Judged(evaluation))
}

fn scored(
    name: &str,
    score: f64,
    threshold: f64,
    passed: Option<bool>,
) -> Result<Evaluation, String> {
    if !(score.is_finite() && (0.0..=1.0).contains(&score)) {
        return Err(format!("the score {score}, outside 0 to 1"));
    }
    let mut evaluation = Evaluation::scored(name, score, threshold);
    if let Some(passed) = passed {
        evaluation.passed = Some(passed);
    }
    Ok(evaluation)
}
