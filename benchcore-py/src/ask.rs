//! `Agent.ask` and `Agent.ask_async`: one exchange with an agent outside a run, waited for
//! with the GIL released, or awaited on the caller's event loop.

use crate::convert::to_json;
use crate::errors;
use benchcore::{Agent, AgentError, AgentReply, AgentRequest, Case, Message};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One question, ready to send: its messages, the case built from `target=`, and the time it
/// may take.
pub(crate) struct Question {
    messages: Vec<Message>,
    case: Option<Arc<Case>>,
    timeout: Duration,
}

impl Question {
    /// Reads `question` (a string, or a list of `{"role", "content"}` messages) and the
    /// optional `target`.
    pub(crate) fn read(
        py: Python<'_>,
        question: &Bound<'_, PyAny>,
        timeout: f64,
        target: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let messages = if let Ok(text) = question.cast::<PyString>() {
            vec![Message::user(text.to_str()?)]
        } else {
            let value = to_json(question, "messages")?;
            serde_json::from_value::<Vec<Message>>(value)
                .map_err(|e| errors::argument(py, "messages", e.to_string()))?
        };
        let case = match target {
            Some(target) => {
                let value = serde_json::json!({
                    "id": "ask",
                    "messages": messages,
                    "target": to_json(target, "target")?,
                });
                Some(Arc::new(crate::cases::case_from_value(
                    py, value, "target",
                )?))
            }
            None => None,
        };
        Ok(Self {
            messages,
            case,
            timeout: Duration::from_secs_f64(timeout.max(0.001)),
        })
    }

    /// Sends the question once (no retries) and returns the reply with the time it took.
    async fn send(self, agent: Arc<dyn Agent>) -> Result<(AgentReply, Duration), AskError> {
        let has_target = self.case.is_some();
        let mut request =
            AgentRequest::new(self.messages).with_deadline(Instant::now() + self.timeout);
        if let Some(case) = self.case {
            request = request.with_case(case, 0);
        }
        let started = Instant::now();
        match tokio::time::timeout(self.timeout, agent.respond(&request)).await {
            Ok(Ok(reply)) => Ok((reply, started.elapsed())),
            Ok(Err(error)) => Err(AskError { error, has_target }),
            Err(_) => Err(AskError {
                error: AgentError::timeout(format!(
                    "no reply within {:.1} s",
                    self.timeout.as_secs_f64()
                )),
                has_target,
            }),
        }
    }
}

/// A failed ask, with whether a target was given (for the hint).
struct AskError {
    error: AgentError,
    has_target: bool,
}

impl AskError {
    fn into_py(mut self, py: Python<'_>) -> PyErr {
        // Agents that answer from the case (gold, replay) have none outside a run.
        if !self.has_target && self.error.message.contains("needs the case") {
            self.error
                .message
                .push_str(": pass target= to ask() to give it one");
        }
        errors::agent(py, &self.error)
    }
}

/// The reply as Python sees it: `text`, `usage`, `cost_usd`, `model`, `latency_ms`.
fn reply_dict<'py>(
    py: Python<'py>,
    reply: AgentReply,
    elapsed: Duration,
) -> PyResult<Bound<'py, PyAny>> {
    let out = PyDict::new(py);
    out.set_item("text", &reply.text)?;
    out.set_item(
        "usage",
        match reply.usage {
            Some(u) => crate::convert::to_py_ser(py, &u)?,
            None => py.None().into_bound(py),
        },
    )?;
    out.set_item("cost_usd", reply.cost_usd)?;
    out.set_item("model", reply.model)?;
    out.set_item(
        "latency_ms",
        reply.latency.unwrap_or(elapsed).as_millis() as u64,
    )?;
    Ok(out.into_any())
}

/// What an ask inside a Python agent notes for the attempt: the list to note it in, the
/// agent's name and the messages sent.
struct Noting {
    calls: Py<PyList>,
    agent: String,
    messages: serde_json::Value,
}

impl Noting {
    /// `None` outside a Python agent.
    fn of(py: Python<'_>, agent: &Arc<dyn Agent>, question: &Question) -> PyResult<Option<Self>> {
        Ok(crate::inner_calls::current(py)?.map(|calls| Self {
            calls,
            agent: agent.name().to_owned(),
            messages: serde_json::to_value(&question.messages).unwrap_or_default(),
        }))
    }

    fn note(
        self,
        py: Python<'_>,
        result: &Result<(AgentReply, Duration), AskError>,
        took: Duration,
    ) -> PyResult<()> {
        let (outcome, usage, cost_usd, latency) = match result {
            Ok((reply, elapsed)) => (
                Ok(reply.text.as_str()),
                reply.usage,
                reply.cost_usd,
                reply.latency.unwrap_or(*elapsed),
            ),
            Err(failed) => (Err(failed.error.to_string()), None, None, took),
        };
        crate::inner_calls::note(
            py,
            &self.calls,
            crate::inner_calls::Noted {
                agent: &self.agent,
                messages: self.messages,
                result: outcome,
                usage,
                cost_usd,
                latency,
            },
        )
    }
}

/// Asks and waits, with the GIL released (Ctrl-C stops the wait).
pub(crate) fn ask<'py>(
    py: Python<'py>,
    agent: &Arc<dyn Agent>,
    question: Question,
) -> PyResult<Bound<'py, PyAny>> {
    let noting = Noting::of(py, agent, &question)?;
    let started = Instant::now();
    let sent = question.send(Arc::clone(agent));
    let result = crate::runtime::block_on(py, sent)?;
    if let Some(noting) = noting {
        noting.note(py, &result, started.elapsed())?;
    }
    let (reply, elapsed) = result.map_err(|e| e.into_py(py))?;
    reply_dict(py, reply, elapsed)
}

/// Asks without waiting: returns an `asyncio.Future` of the caller's running loop, settled
/// from the engine's runtime when the reply comes. The loop goes on meanwhile, so many asks
/// from `async def` code run at once; cancelling the future drops nothing but its result.
pub(crate) fn ask_async<'py>(
    py: Python<'py>,
    agent: &Arc<dyn Agent>,
    question: Question,
) -> PyResult<Bound<'py, PyAny>> {
    let event_loop = py
        .import("asyncio")?
        .call_method0("get_running_loop")
        .map_err(|_| {
            errors::argument(
                py,
                "ask_async",
                "needs a running event loop: await it inside `async def` code (outside one, \
                 call ask())"
                    .to_owned(),
            )
        })?;
    let future = event_loop.call_method0("create_future")?;
    let (event_loop, settled) = (event_loop.unbind(), future.clone().unbind());
    let noting = Noting::of(py, agent, &question)?;
    let started = Instant::now();
    let sent = question.send(Arc::clone(agent));
    crate::runtime::handle().spawn(async move {
        let result = sent.await;
        Python::attach(|py| {
            if let Some(noting) = noting {
                if let Err(error) = noting.note(py, &result, started.elapsed()) {
                    error.write_unraisable(py, None);
                }
            }
            let outcome = match result {
                Ok((reply, elapsed)) => reply_dict(py, reply, elapsed).map(Bound::unbind),
                Err(error) => Err(error.into_py(py)),
            };
            let (value, error) = match outcome {
                Ok(value) => (value, py.None()),
                Err(error) => (py.None(), error.into_value(py).into_any()),
            };
            let settle = py
                .import("benchcore._aio")
                .and_then(|aio| aio.call_method1("settle", (event_loop, settled, value, error)));
            if let Err(error) = settle {
                // The loop is gone or Python is shutting down: nobody awaits the answer.
                error.write_unraisable(py, None);
            }
        });
    });
    Ok(future)
}
