//! `benchcore.Agent`: an agent of any provider, built from a config, a spec string or a
//! Python callable; and [`PyAgent`], the adapter that lets a callable answer requests.

use crate::callable::{CallError, Callable};
use crate::convert::{to_json, to_py, type_name};
use crate::errors;
use benchcore::{
    async_trait, Agent, AgentError, AgentErrorKind, AgentLimits, AgentReply, AgentRequest, Usage,
};
use benchcore_providers::{build_agent, AgentConfig};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use serde_json::Value;
use std::sync::Arc;

/// An agent, ready to join runs: built from a config (every provider), a spec string, or a
/// Python callable, with its per-agent limits.
#[pyclass(frozen, module = "benchcore._native", name = "Agent")]
#[derive(Clone)]
pub(crate) struct AgentHandle {
    pub(crate) agent: Arc<dyn Agent>,
    /// The config it was built from (no secrets), stored with runs so they can be resumed;
    /// `{"kind": "python", "name": …}` for a callable, which must be given again to resume.
    pub(crate) config: Value,
    pub(crate) limits: AgentLimits,
    kind: String,
}

impl AgentHandle {
    fn from_agent_config(py: Python<'_>, config: AgentConfig) -> PyResult<Self> {
        config.validate().map_err(|e| errors::config(py, &e))?;
        let agent = build_agent(&config).map_err(|e| errors::config(py, &e))?;
        Ok(Self {
            agent,
            config: config.to_stored(),
            limits: AgentLimits::default(),
            kind: config.kind().to_owned(),
        })
    }
}

#[pymethods]
impl AgentHandle {
    /// An agent from a config dict tagged by `kind` (`openai`, `anthropic`, `openrouter`,
    /// `nvidia`, `lmstudio`, `openai_compatible`, `mcp`, `replay`, `scripted`, `gold`,
    /// `null`), with that provider's keys.
    #[staticmethod]
    fn from_config(py: Python<'_>, config: &Bound<'_, PyAny>) -> PyResult<Self> {
        let value = to_json(config, "agent")?;
        let config: AgentConfig = serde_json::from_value(value)
            .map_err(|e| errors::argument(py, "agent", e.to_string()))?;
        Self::from_agent_config(py, config)
    }

    /// An agent from the CLI's short form: `gold`, `openai:gpt-4o-mini`,
    /// `openai_compatible:MODEL@BASE_URL` …
    #[staticmethod]
    fn from_spec(py: Python<'_>, spec: &str) -> PyResult<Self> {
        let config = AgentConfig::parse_spec(spec).map_err(|e| errors::config(py, &e))?;
        Self::from_agent_config(py, config)
    }

    /// Every agent of a JSON or TOML agents file.
    #[staticmethod]
    fn from_file(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Vec<Self>> {
        AgentConfig::from_file(&path)
            .map_err(|e| errors::config(py, &e))?
            .into_iter()
            .map(|config| Self::from_agent_config(py, config))
            .collect()
    }

    /// An agent that calls `func(messages)` (sync or `async def`) and takes the `str` it
    /// returns, or a dict with `text` and optionally `usage`, `cost_usd`, `model`. With
    /// `with_context`, it calls `func(messages, context)`: see [`context_dict`].
    #[staticmethod]
    #[pyo3(signature = (func, name, with_context = false))]
    fn from_callable(
        py: Python<'_>,
        func: Py<PyAny>,
        name: String,
        with_context: bool,
    ) -> PyResult<Self> {
        if !func.bind(py).is_callable() {
            return Err(errors::argument(
                py,
                "agent",
                format!("{} is not callable", type_name(func.bind(py))),
            ));
        }
        crate::errors::check_name(py, &name)?;
        // Called through `benchcore._calls.Recording`, so the benchcore agents it asks while
        // it answers are noted and become steps of the attempt.
        let recording = py
            .import("benchcore._calls")?
            .getattr("Recording")?
            .call1((func,))?
            .unbind();
        Ok(Self {
            agent: Arc::new(PyAgent {
                name: name.clone(),
                call: Callable::new(recording),
                with_context,
            }),
            config: serde_json::json!({ "kind": "python", "name": name }),
            limits: AgentLimits::default(),
            kind: "python".to_owned(),
        })
    }

    /// The same agent with these limits: `concurrency`, `requests_per_minute`,
    /// `tokens_per_minute`, `fixed_concurrency`.
    fn with_limits(&self, py: Python<'_>, limits: &Bound<'_, PyAny>) -> PyResult<Self> {
        let value = to_json(limits, "limits")?;
        let limits: AgentLimits = serde_json::from_value(value)
            .map_err(|e| errors::argument(py, "limits", e.to_string()))?;
        Ok(Self {
            limits,
            ..self.clone()
        })
    }

    /// The agent's name in records.
    #[getter]
    fn name(&self) -> &str {
        self.agent.name()
    }

    /// Its kind: a provider's (`openai` …) or `python` for a callable.
    #[getter]
    fn kind(&self) -> &str {
        &self.kind
    }

    /// The config it was built from, without secrets (`None` for a callable).
    #[getter]
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.config)
    }

    /// Its limits.
    #[getter]
    fn limits<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::convert::to_py_ser(py, &self.limits)
    }

    /// Sends one question (or a list of `{"role", "content"}` messages) and returns the
    /// reply as a dict: `text`, `usage`, `cost_usd`, `model`, `latency_ms`. One exchange,
    /// no retries. `target` makes the question a case with that target, for agents that
    /// answer from the case (`gold`) and callables that read their context. It waits with
    /// the GIL released, so other threads (and a run's agents) go on; inside `async def`
    /// code use `ask_async`, which does not hold up the event loop.
    #[pyo3(signature = (question, timeout = 120.0, target = None))]
    fn ask<'py>(
        &self,
        py: Python<'py>,
        question: &Bound<'py, PyAny>,
        timeout: f64,
        target: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let question = crate::ask::Question::read(py, question, timeout, target)?;
        crate::ask::ask(py, &self.agent, question)
    }

    /// `ask` as an awaitable, for `async def` code (an async agent, a notebook cell): the
    /// exchange runs on the engine's threads and the event loop goes on meanwhile, so many
    /// asks run at once. `await agent.ask_async("…")` returns the same dict as `ask`.
    #[pyo3(signature = (question, timeout = 120.0, target = None))]
    fn ask_async<'py>(
        &self,
        py: Python<'py>,
        question: &Bound<'py, PyAny>,
        timeout: f64,
        target: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let question = crate::ask::Question::read(py, question, timeout, target)?;
        crate::ask::ask_async(py, &self.agent, question)
    }

    fn __repr__(&self) -> String {
        format!("Agent(name={:?}, kind={:?})", self.agent.name(), self.kind)
    }
}

/// A Python callable as an [`Agent`]: `func(messages) -> str | dict`, or
/// `func(messages, context)` when its signature takes a second argument.
struct PyAgent {
    name: String,
    call: Callable,
    /// Whether to pass the [`context_dict`] as a second argument.
    with_context: bool,
}

/// What an agent taking a second argument receives besides the messages: the `case` (as an
/// evaluator sees it: `id`, `input`, `target`, `metadata` …, or `None` outside a run), the
/// `sample` index, and the `sampling` settings (`temperature`, `max_tokens`, `seed`, each
/// `None` when unset) the run asks every agent to honour.
fn context_dict<'py>(py: Python<'py>, parts: &ContextParts) -> PyResult<Bound<'py, PyDict>> {
    let context = PyDict::new(py);
    match &parts.case {
        Some(case) => context.set_item("case", crate::convert::case_dict(py, case)?)?,
        None => context.set_item("case", py.None())?,
    }
    context.set_item("sample", parts.sample)?;
    let sampling = PyDict::new(py);
    sampling.set_item("temperature", parts.sampling.temperature)?;
    sampling.set_item("max_tokens", parts.sampling.max_tokens)?;
    sampling.set_item("seed", parts.sampling.seed)?;
    context.set_item("sampling", sampling)?;
    Ok(context)
}

#[async_trait]
impl Agent for PyAgent {
    fn name(&self) -> &str {
        &self.name
    }

    async fn respond(&self, request: &AgentRequest) -> Result<AgentReply, AgentError> {
        let messages: Vec<(&'static str, String)> = request
            .messages
            .iter()
            .map(|m| (m.role.as_str(), m.content.clone()))
            .collect();
        // The request is borrowed; the context is built under the GIL from an owned copy.
        let context = self.with_context.then(|| ContextParts::of(request));
        let result = self
            .call
            .call(
                move |py| {
                    let list = PyList::empty(py);
                    for (role, content) in messages {
                        let message = PyDict::new(py);
                        message.set_item("role", role)?;
                        message.set_item("content", content)?;
                        list.append(message)?;
                    }
                    match context {
                        Some(parts) => PyTuple::new(
                            py,
                            [list.into_any(), context_dict(py, &parts)?.into_any()],
                        ),
                        None => PyTuple::new(py, [list]),
                    }
                },
                |out: &Bound<'_, PyAny>| crate::inner_calls::read_recorded(out, read_reply),
            )
            .await;
        let who = format!("agent `{}`", self.name);
        result.map_err(|error| {
            match error {
                CallError::Raised(raised) => {
                    let kind = raised
                        .provider
                        .as_ref()
                        .and_then(|(kind, _)| {
                            serde_json::from_value::<AgentErrorKind>(Value::String(kind.clone()))
                                .ok()
                        })
                        .unwrap_or(AgentErrorKind::BadRequest);
                    let retry_after = raised
                        .provider
                        .as_ref()
                        .and_then(|(_, r)| *r)
                        .filter(|r| r.is_finite() && *r >= 0.0)
                        .map(std::time::Duration::from_secs_f64);
                    AgentError::new(kind, raised.describe(&who)).with_retry_after(retry_after)
                }
                CallError::Shape(why) => {
                    AgentError::new(AgentErrorKind::BadRequest, format!("{who} returned {why}"))
                }
                CallError::Lost(why) => AgentError::transient(format!("{who}: {why}")),
            }
            .with_provider("python")
        })
    }
}

/// What [`context_dict`] reads, owned so that it can move to the thread that calls Python.
struct ContextParts {
    case: Option<Arc<benchcore::Case>>,
    sample: u32,
    sampling: benchcore::Sampling,
}

impl ContextParts {
    fn of(request: &AgentRequest) -> Self {
        Self {
            case: request.case.clone(),
            sample: request.sample,
            sampling: request.sampling.clone(),
        }
    }
}

/// Reads what a callable agent returned: a `str`, or a dict with `text` and optionally
/// `usage` (`{"input_tokens", "output_tokens"}`), `cost_usd` and `model`.
fn read_reply(out: &Bound<'_, PyAny>) -> Result<AgentReply, String> {
    if let Ok(text) = out.cast::<PyString>() {
        return text
            .to_str()
            .map(AgentReply::text)
            .map_err(|e| format!("a str that is not UTF-8: {e}"));
    }
    let expected = "expected a str, or a dict with `text` (and optionally `usage`, \
                    `cost_usd`, `model`)";
    let Ok(dict) = out.cast::<PyDict>() else {
        return Err(format!("{}; {expected}", type_name(out)));
    };
    let value = to_json(dict.as_any(), "reply").map_err(|e| e.to_string())?;
    let Value::Object(mut map) = value else {
        return Err(format!("a dict that is not JSON; {expected}"));
    };
    let text = match map.remove("text") {
        Some(Value::String(text)) => text,
        Some(other) => return Err(format!("a dict whose `text` is {other}; {expected}")),
        None => return Err(format!("a dict without `text`; {expected}")),
    };
    let mut reply = AgentReply::text(text);
    match map.remove("usage") {
        None | Some(Value::Null) => {}
        Some(usage) => {
            let usage: Usage = serde_json::from_value(usage).map_err(|e| {
                format!("a dict whose `usage` is not {{\"input_tokens\": int, \"output_tokens\": int}}: {e}")
            })?;
            reply = reply.with_usage(usage);
        }
    }
    match map.remove("cost_usd") {
        None | Some(Value::Null) => {}
        Some(Value::Number(n)) => reply = reply.with_cost(n.as_f64().unwrap_or(0.0)),
        Some(other) => return Err(format!("a dict whose `cost_usd` is {other}; {expected}")),
    }
    match map.remove("model") {
        None | Some(Value::Null) => {}
        Some(Value::String(model)) => reply = reply.with_model(model),
        Some(other) => return Err(format!("a dict whose `model` is {other}; {expected}")),
    }
    if let Some(key) = map.keys().next() {
        return Err(format!("a dict with an unknown key `{key}`; {expected}"));
    }
    Ok(reply)
}
