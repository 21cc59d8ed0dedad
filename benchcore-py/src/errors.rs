//! Rust errors as the Python exceptions of `benchcore._errors`: `BenchcoreError` and its
//! subclasses, each carrying the fields callers branch on (`path`, `line`, `field`, `kind`).

use benchcore::{
    AgentError, ConfigError, Error, EvalError, StoreError, StoreErrorKind, SuiteError,
};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::{json, Value};
use std::time::Duration;

/// The module that defines the exception classes.
const MODULE: &str = "benchcore._errors";

/// An exception of class `class` (from `benchcore._errors`) with `message` and attributes.
pub(crate) fn raise(py: Python<'_>, class: &str, message: String, attrs: Value) -> PyErr {
    let built = (|| -> PyResult<PyErr> {
        let cls = py.import(MODULE)?.getattr(class)?;
        let kwargs = PyDict::new(py);
        if let Value::Object(map) = &attrs {
            for (key, value) in map {
                kwargs.set_item(key, crate::convert::to_py(py, value)?)?;
            }
        }
        let instance = cls.call((message.clone(),), Some(&kwargs))?;
        Ok(PyErr::from_value(instance))
    })();
    built.unwrap_or_else(|_| PyRuntimeError::new_err(message))
}

/// The message with the error's sources appended, as `{:#}` would print an `anyhow` chain.
fn with_sources(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// A [`ConfigError`] as `benchcore.ConfigError`.
pub(crate) fn config(py: Python<'_>, error: &ConfigError) -> PyErr {
    raise(
        py,
        "ConfigError",
        error.to_string(),
        json!({
            "path": error.path.as_ref().map(|p| p.display().to_string()),
            "line": error.line,
            "field": error.field,
        }),
    )
}

/// A [`SuiteError`] as `benchcore.SuiteError` (`benchcore.SuiteNotFoundError`, also a
/// `FileNotFoundError`, when the file does not exist).
pub(crate) fn suite(py: Python<'_>, error: &SuiteError) -> PyErr {
    let missing = error.path.as_ref().is_some_and(|p| !p.exists());
    raise(
        py,
        if missing {
            "SuiteNotFoundError"
        } else {
            "SuiteError"
        },
        error.to_string(),
        json!({
            "kind": format!("{:?}", error.kind()).to_lowercase(),
            "path": error.path.as_ref().map(|p| p.display().to_string()),
            "line": error.line,
        }),
    )
}

/// A [`StoreError`] as `benchcore.StoreError` (`benchcore.RunNotFoundError`, also a
/// `LookupError`, for an unknown run).
pub(crate) fn store(py: Python<'_>, error: &StoreError) -> PyErr {
    let kind = error.kind.to_string().replace(' ', "_");
    let class = if error.kind == StoreErrorKind::NotFound {
        "RunNotFoundError"
    } else {
        "StoreError"
    };
    raise(py, class, with_sources(error), json!({ "kind": kind }))
}

/// An [`AgentError`] as `benchcore.ProviderError` (`benchcore.RateLimitedError` for a rate
/// limit).
pub(crate) fn agent(py: Python<'_>, error: &AgentError) -> PyErr {
    let class = if error.kind == benchcore::AgentErrorKind::RateLimited {
        "RateLimitedError"
    } else {
        "ProviderError"
    };
    raise(
        py,
        class,
        error.to_string(),
        json!({
            "kind": error.kind.as_str(),
            "provider": error.provider,
            "http_status": error.http_status,
            "retry_after": error.retry_after.map(|d| d.as_secs_f64()),
        }),
    )
}

/// An [`EvalError`] as `benchcore.EvalError`.
pub(crate) fn eval(py: Python<'_>, error: &EvalError) -> PyErr {
    raise(py, "EvalError", error.to_string(), json!({}))
}

/// Any benchcore error as its Python exception.
pub(crate) fn error(py: Python<'_>, error: &Error) -> PyErr {
    match error {
        Error::Config(e) => config(py, e),
        Error::Suite(e) => suite(py, e),
        Error::Store(e) => store(py, e),
        Error::Agent(e) => agent(py, e),
        Error::Eval(e) => eval(py, e),
        other => raise(py, "RunError", with_sources(other), json!({})),
    }
}

/// A `benchcore.ConfigError` about an argument (`field`), for bad values given from Python.
pub(crate) fn argument(py: Python<'_>, field: &str, message: impl Into<String>) -> PyErr {
    config(py, &ConfigError::field(field, message))
}

/// Refuses names that cannot key records.
pub(crate) fn check_name(py: Python<'_>, name: &str) -> PyResult<()> {
    if name.trim().is_empty() {
        return Err(argument(py, "name", "must not be empty"));
    }
    Ok(())
}

/// `value` seconds as a duration, or an argument error naming `field` unless it is a
/// positive finite number.
pub(crate) fn seconds(py: Python<'_>, field: &str, value: f64) -> PyResult<Duration> {
    if value.is_finite() && value > 0.0 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(argument(
            py,
            field,
            format!("must be a positive number of seconds, got {value}"),
        ))
    }
}
