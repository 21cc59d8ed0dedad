//! `benchcore.Tool`: a Python function the agent under test may call during an agent loop,
//! with its definition (name, description, JSON Schema of the arguments, made from the
//! function's type hints and docstring by `benchcore._tools`); and [`PyTool`], the adapter
//! that lets the engine's [`ToolLoop`](benchcore::tools::ToolLoop) call it.

use crate::callable::{CallError, Callable};
use crate::convert::{to_json, to_py};
use crate::errors;
use benchcore::agent::ToolSpec;
use benchcore::async_trait;
use benchcore::tools::{LoopLimits, Tool, ToolError, ToolLoop, Toolbox};
use benchcore::Run;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};
use serde_json::Value;
use std::sync::Arc;

/// Kinds whose cases an agent loop can play: one question, one answer, scored as usual.
const LOOP_KINDS: [&str; 2] = ["question_set", "dataset"];

/// The run as an agent loop offering `tools`, when there are any: each attempt is model →
/// tool calls → results … until an answer or `max_steps`. The run keeps its suite's kind, so
/// it resumes as that kind (with the same tools given again).
pub(crate) fn with_tools(
    py: Python<'_>,
    run: Run,
    tools: &[Bound<'_, ToolHandle>],
    max_steps: Option<u32>,
    tool_timeout: Option<f64>,
) -> PyResult<Run> {
    if tools.is_empty() {
        for (field, set) in [
            ("max_steps", max_steps.is_some()),
            ("tool_timeout", tool_timeout.is_some()),
        ] {
            if set {
                return Err(errors::argument(py, field, "applies only with tools="));
            }
        }
        return Ok(run);
    }
    let kind = run.spec().kind.clone();
    if !LOOP_KINDS.contains(&kind.as_str()) {
        return Err(errors::argument(
            py,
            "tools",
            format!(
                "a {kind} run cannot offer tools: only question sets and datasets run as \
                 agent loops"
            ),
        ));
    }
    let mut toolbox = Toolbox::new();
    let mut names = std::collections::BTreeSet::new();
    for tool in tools {
        let tool = Arc::clone(&tool.get().tool);
        let name = tool.spec().name;
        if !names.insert(name.clone()) {
            return Err(errors::argument(
                py,
                "tools",
                format!("two tools are named {name:?}"),
            ));
        }
        toolbox = toolbox.with_arc(tool);
    }
    if let Some(timeout) = tool_timeout {
        toolbox = toolbox.with_timeout(errors::seconds(py, "tool_timeout", timeout)?);
    }
    let mut limits = LoopLimits::default();
    if let Some(steps) = max_steps {
        if steps == 0 {
            return Err(errors::argument(py, "max_steps", "must be at least 1"));
        }
        limits = limits.with_max_steps(steps);
    }
    Ok(run.episode(ToolLoop::new(toolbox).with_limits(limits).with_kind(kind)))
}

/// A tool, ready to join runs.
#[pyclass(frozen, module = "benchcore._native", name = "Tool")]
#[derive(Clone)]
pub(crate) struct ToolHandle {
    pub(crate) tool: Arc<PyTool>,
    /// The function the tool was made from, when it was: a resume compares its source.
    func: Option<Arc<Py<PyAny>>>,
}

#[pymethods]
impl ToolHandle {
    /// A tool called `name`, described to the model by `description` and `parameters` (the
    /// JSON Schema of its arguments, an object schema). `invoke(arguments: dict)` runs one
    /// call and returns the text the model reads (or an awaitable of it); what it raises
    /// goes back to the model as an error result.
    #[new]
    #[pyo3(signature = (name, description, parameters, invoke, func = None))]
    fn new(
        py: Python<'_>,
        name: String,
        description: String,
        parameters: Bound<'_, PyAny>,
        invoke: Bound<'_, PyAny>,
        func: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let valid_name = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid_name {
            return Err(errors::argument(
                py,
                "name",
                format!(
                    "{name:?}: a tool name is 1 to 64 letters, digits, `_` or `-` (what \
                     providers accept)"
                ),
            ));
        }
        let parameters = to_json(&parameters, "parameters")?;
        if parameters.get("type").and_then(Value::as_str) != Some("object") {
            return Err(errors::argument(
                py,
                "parameters",
                "must be a JSON Schema of type \"object\"",
            ));
        }
        if !invoke.is_callable() {
            return Err(errors::argument(py, "invoke", "must be callable"));
        }
        Ok(Self {
            tool: Arc::new(PyTool {
                spec: ToolSpec::new(name, description, parameters),
                invoke: Callable::new(invoke.unbind()),
            }),
            func: func.map(Arc::new),
        })
    }

    /// The tool's name, as the model calls it.
    #[getter]
    fn name(&self) -> String {
        self.tool.spec.name.clone()
    }

    /// What the model reads about the tool.
    #[getter]
    fn description(&self) -> String {
        self.tool.spec.description.clone()
    }

    /// The JSON Schema of the arguments, as sent to the model.
    #[getter]
    fn parameters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.tool.spec.parameters)
    }

    /// The function the tool was made from (`benchcore.tool`), or `None`.
    #[getter]
    fn func(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.func.as_ref().map(|f| f.clone_ref(py))
    }

    fn __repr__(&self) -> String {
        format!("Tool({:?})", self.tool.spec.name)
    }
}

/// A Python callable as a [`Tool`].
pub(crate) struct PyTool {
    spec: ToolSpec,
    invoke: Callable,
}

#[async_trait]
impl Tool for PyTool {
    fn spec(&self) -> ToolSpec {
        self.spec.clone()
    }

    async fn call(&self, arguments: &Value) -> Result<String, ToolError> {
        let arguments = arguments.clone();
        let result = self
            .invoke
            .call(
                move |py| PyTuple::new(py, [to_py(py, &arguments)?]),
                |out| {
                    out.cast::<PyString>()
                        .map(|s| s.to_string())
                        .map_err(|_| "the tool's invoker returned no text".to_owned())
                },
            )
            .await;
        match result {
            Ok(text) => Ok(text),
            // The model reads the exception, not the traceback: it names what to fix.
            Err(CallError::Raised(raised)) => Err(ToolError::new(raised.headline())),
            Err(CallError::Shape(why) | CallError::Lost(why)) => Err(ToolError::new(why)),
        }
    }
}
