//! The calls a Python agent makes to benchcore agents (`Agent.ask`, `Agent.ask_async`) while
//! it answers: noted by the ask as it ends, in the list `benchcore._calls` keeps for the
//! agent's context, and turned into the reply's steps (the attempt's trajectory) and into its
//! tokens and cost.

use benchcore::agent::ToolCall;
use benchcore::{AgentReply, AgentStep, Usage};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde_json::Value;
use std::time::Duration;

const CALLS: &str = "benchcore._calls";

/// The list the calls of the agent running in the caller's context go to, if any.
pub(crate) fn current(py: Python<'_>) -> PyResult<Option<Py<PyList>>> {
    let list = py.import(CALLS)?.call_method0("current")?;
    if list.is_none() {
        return Ok(None);
    }
    Ok(Some(list.cast_into::<PyList>()?.unbind()))
}

/// How one ask ended, as it is noted.
pub(crate) struct Noted<'a> {
    pub(crate) agent: &'a str,
    pub(crate) messages: Value,
    /// The reply's text, or the error's message.
    pub(crate) result: Result<&'a str, String>,
    pub(crate) usage: Option<Usage>,
    pub(crate) cost_usd: Option<f64>,
    pub(crate) latency: Duration,
}

/// Appends one ask to `calls`.
pub(crate) fn note(py: Python<'_>, calls: &Py<PyList>, noted: Noted<'_>) -> PyResult<()> {
    let call = PyDict::new(py);
    call.set_item("agent", noted.agent)?;
    call.set_item("messages", crate::convert::to_py(py, &noted.messages)?)?;
    match noted.result {
        Ok(text) => call.set_item("text", text)?,
        Err(error) => call.set_item("error", error)?,
    }
    if let Some(usage) = noted.usage {
        call.set_item("usage", crate::convert::to_py_ser(py, &usage)?)?;
    }
    call.set_item("cost_usd", noted.cost_usd)?;
    call.set_item("latency_ms", noted.latency.as_millis() as u64)?;
    calls.bind(py).append(call)
}

/// Reads what a recorded agent function returned: its own reply (read by `read`) with the
/// calls it made as steps, their tokens and cost added to the reply's.
pub(crate) fn read_recorded(
    out: &Bound<'_, PyAny>,
    read: impl Fn(&Bound<'_, PyAny>) -> Result<AgentReply, String>,
) -> Result<AgentReply, String> {
    let inner = out
        .getattr("out")
        .map_err(|e| format!("an unreadable result: {e}"))?;
    let mut reply = read(&inner)?;
    let calls = out
        .getattr("calls")
        .and_then(|calls| crate::convert::to_json(&calls, "calls"))
        .map_err(|e| format!("unreadable inner calls: {e}"))?;
    let Value::Array(calls) = calls else {
        return Ok(reply);
    };
    let mut steps = Vec::with_capacity(calls.len());
    for (i, call) in calls.iter().enumerate() {
        if let Some(cost) = call.get("cost_usd").and_then(Value::as_f64) {
            reply.cost_usd = Some(reply.cost_usd.unwrap_or(0.0) + cost);
        }
        let step = step_of(i, call);
        if let Some(usage) = step.usage {
            let mut total = reply.usage.unwrap_or_default();
            total += usage;
            reply.usage = Some(total);
        }
        steps.push(step);
    }
    Ok(reply.with_steps(steps))
}

/// One noted ask as a step: a call of the tool `ask` with the agent and the messages, and
/// the reply's text (or the error) as its result.
fn step_of(index: usize, call: &Value) -> AgentStep {
    let agent = call.get("agent").cloned().unwrap_or(Value::Null);
    let messages = call.get("messages").cloned().unwrap_or(Value::Null);
    let tool_call = ToolCall::new(
        format!("ask_{}", index + 1),
        "ask",
        serde_json::json!({ "agent": agent, "messages": messages }),
    );
    let latency = call
        .get("latency_ms")
        .and_then(Value::as_u64)
        .map(Duration::from_millis);
    let usage = call
        .get("usage")
        .and_then(|usage| serde_json::from_value::<Usage>(usage.clone()).ok());
    let step = match (call.get("text"), call.get("error")) {
        (_, Some(error)) => AgentStep::new(tool_call, error.as_str().unwrap_or_default()).failed(),
        (Some(text), None) => AgentStep::new(tool_call, text.as_str().unwrap_or_default()),
        (None, None) => AgentStep::new(tool_call, ""),
    };
    step.with_timing(latency, usage)
}
