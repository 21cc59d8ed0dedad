//! Calling Python callables from the engine's threads.
//!
//! A call takes the GIL only while Python runs: a plain function runs on one of Tokio's
//! blocking threads; when it returns an awaitable (an `async def`), the coroutine runs on a
//! private asyncio loop in its own thread (`benchcore._aio`) and the engine waits for it
//! without holding the GIL or a thread. An exception comes back as [`Raised`], with its
//! Python traceback as text; dropping the call (a timeout, a cancelled run) cancels the
//! coroutine. Every call goes through [`crate::shutdown::attach`], so that none is left
//! running Python when the interpreter exits.

use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// The module that runs coroutines on a private event loop.
const AIO: &str = "benchcore._aio";

/// A Python exception raised by a callable, as text.
#[derive(Debug, Clone)]
pub(crate) struct Raised {
    /// The exception's class name (`ValueError`).
    pub(crate) type_name: String,
    /// `str(exception)`.
    pub(crate) message: String,
    /// The formatted traceback, ending with the exception line.
    pub(crate) traceback: String,
    /// For a `benchcore.ProviderError`: its `kind` and `retry_after` (seconds).
    pub(crate) provider: Option<(String, Option<f64>)>,
}

impl Raised {
    /// `Type: message`.
    pub(crate) fn headline(&self) -> String {
        if self.message.is_empty() {
            self.type_name.clone()
        } else {
            format!("{}: {}", self.type_name, self.message)
        }
    }

    /// What a record keeps: the headline, then the traceback.
    pub(crate) fn describe(&self, who: &str) -> String {
        format!(
            "{who} raised {}\n{}",
            self.headline(),
            self.traceback.trim_end()
        )
    }

    /// Reads a Python exception.
    pub(crate) fn capture(py: Python<'_>, err: &PyErr) -> Raised {
        let value = err.value(py);
        let type_name = crate::convert::type_name(value.as_any());
        let message = value.str().map(|s| s.to_string()).unwrap_or_default();
        let traceback = py
            .import("traceback")
            .and_then(|tb| {
                let trace = err
                    .traceback(py)
                    .map(|t| t.into_any())
                    .unwrap_or_else(|| py.None().into_bound(py));
                tb.call_method1("format_exception", (err.get_type(py), value, trace))
            })
            .and_then(|lines| lines.extract::<Vec<String>>())
            .map(|lines| lines.concat())
            .unwrap_or_else(|_| format!("{type_name}: {message}\n"));
        let provider = py
            .import("benchcore._errors")
            .and_then(|m| m.getattr("ProviderError"))
            .ok()
            .filter(|cls| value.is_instance(cls).unwrap_or(false))
            .map(|_| {
                let kind = value
                    .getattr("kind")
                    .and_then(|k| k.extract::<String>())
                    .unwrap_or_else(|_| "bad_request".to_owned());
                let retry_after = value
                    .getattr("retry_after")
                    .and_then(|r| r.extract::<Option<f64>>())
                    .unwrap_or(None);
                (kind, retry_after)
            });
        Raised {
            type_name,
            message,
            traceback,
            provider,
        }
    }
}

/// Why a call gave no value.
#[derive(Debug, Clone)]
pub(crate) enum CallError {
    /// The callable raised.
    Raised(Raised),
    /// It returned something of the wrong shape; the text says what was expected.
    Shape(String),
    /// The call could not be made or finished (a panicked thread, a closed event loop).
    Lost(String),
}

/// A Python callable the engine can call from any thread.
#[derive(Debug, Clone)]
pub(crate) struct Callable {
    func: Arc<Py<PyAny>>,
}

/// How the first step of a call ended.
enum Step<T> {
    Ready(Result<T, CallError>),
    Pending(Py<PyAny>, oneshot::Receiver<()>),
}

impl Callable {
    /// Wraps a callable.
    pub(crate) fn new(func: Py<PyAny>) -> Self {
        Self {
            func: Arc::new(func),
        }
    }

    /// Calls it with the arguments `args` builds and reads the result with `read` (both run
    /// with the GIL held); awaits the result when the callable returns an awaitable.
    pub(crate) async fn call<T, A, R>(&self, args: A, read: R) -> Result<T, CallError>
    where
        T: Send + 'static,
        A: for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, PyTuple>> + Send + 'static,
        R: for<'py> Fn(&Bound<'py, PyAny>) -> Result<T, String> + Send + Sync + 'static,
    {
        let func = Arc::clone(&self.func);
        let read = Arc::new(read);
        let read_first = Arc::clone(&read);
        let first = tokio::task::spawn_blocking(move || {
            crate::shutdown::attach(|py| -> Step<T> {
                let out = match args(py).and_then(|args| func.bind(py).call1(args)) {
                    Ok(out) => out,
                    Err(err) => {
                        return Step::Ready(Err(CallError::Raised(Raised::capture(py, &err))))
                    }
                };
                if out.is_instance_of::<PyString>() || !is_awaitable(&out) {
                    return Step::Ready(read_first(&out).map_err(CallError::Shape));
                }
                match submit(py, &out) {
                    Ok((future, done)) => Step::Pending(future, done),
                    Err(err) => Step::Ready(Err(CallError::Raised(Raised::capture(py, &err)))),
                }
            })
            .unwrap_or_else(|| Step::Ready(Err(exiting())))
        })
        .await
        .map_err(|join| CallError::Lost(format!("the Python call failed: {join}")))?;
        let (future, done) = match first {
            Step::Ready(result) => return result,
            Step::Pending(future, done) => (future, done),
        };
        let mut guard = CancelOnDrop(Some(future));
        // The sender lives in the done-callback; a dropped callback means the loop is gone.
        let _ = done.await;
        let future = guard.0.take().expect("the future is held until now");
        tokio::task::spawn_blocking(move || {
            crate::shutdown::attach(|py| match future.bind(py).call_method0("result") {
                Ok(out) => read(&out).map_err(CallError::Shape),
                Err(err) => Err(CallError::Raised(Raised::capture(py, &err))),
            })
            .unwrap_or_else(|| Err(exiting()))
        })
        .await
        .map_err(|join| CallError::Lost(format!("the Python call failed: {join}")))?
    }
}

/// Why no call starts once the interpreter is exiting.
fn exiting() -> CallError {
    CallError::Lost("the Python interpreter is exiting".to_owned())
}

fn is_awaitable(out: &Bound<'_, PyAny>) -> bool {
    out.hasattr("__await__").unwrap_or(false)
}

/// Hands an awaitable to the private event loop; the receiver fires when it is done.
fn submit(
    py: Python<'_>,
    awaitable: &Bound<'_, PyAny>,
) -> PyResult<(Py<PyAny>, oneshot::Receiver<()>)> {
    let (tx, rx) = oneshot::channel();
    let done = Bound::new(
        py,
        Done {
            tx: Mutex::new(Some(tx)),
        },
    )?;
    let future = py.import(AIO)?.call_method1("submit", (awaitable, done))?;
    Ok((future.unbind(), rx))
}

/// The done-callback of a submitted coroutine: wakes the waiting call.
#[pyclass(frozen)]
pub(crate) struct Done {
    tx: Mutex<Option<oneshot::Sender<()>>>,
}

#[pymethods]
impl Done {
    fn __call__(&self, _future: &Bound<'_, PyAny>) {
        let sender = self
            .tx
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(tx) = sender {
            let _ = tx.send(());
        }
    }
}

/// Cancels a submitted coroutine when the call is dropped before it finished.
struct CancelOnDrop(Option<Py<PyAny>>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(future) = self.0.take() {
            crate::shutdown::attach(|py| {
                let _ = future.bind(py).call_method0("cancel");
            });
        }
    }
}
