//! `benchcore.tracing()`: the engine's spans (runs, attempts, requests, evaluations) printed
//! to stderr and/or exported to an OpenTelemetry collector over OTLP/HTTP JSON.
//!
//! The subscriber is process-wide and can be installed once: a second call keeps the first
//! (a notebook re-running its cell must not stack exporters). The export's guard lives in a
//! static so the batch exporter keeps running; the exit hook (`benchcore._exit`) flushes it.

use crate::errors;
use benchcore_providers::telemetry::{self, TraceGuard, TraceOptions};
use pyo3::prelude::*;
use std::sync::Mutex;

/// The guard of the installed export, `None` until `tracing()` succeeds. Kept for the life
/// of the process: dropping it would shut the exporter down.
static GUARD: Mutex<Option<TraceGuard>> = Mutex::new(None);

/// The `-v` count a level name stands for.
fn level_number(level: &str) -> Option<u8> {
    match level.trim().to_ascii_lowercase().as_str() {
        "warn" | "warning" => Some(0),
        "info" => Some(1),
        "debug" => Some(2),
        "trace" => Some(3),
        _ => None,
    }
}

/// Installs the process's trace output; returns whether this call installed it (`false`
/// when an earlier call already had, which stays in place, or when there is nothing to
/// install: no stderr and no OTLP endpoint).
#[pyfunction]
#[pyo3(signature = (level = "info", *, filter = None, otlp_endpoint = None, service_name = None, stderr = true))]
pub(crate) fn install_tracing(
    py: Python<'_>,
    level: &str,
    filter: Option<String>,
    otlp_endpoint: Option<String>,
    service_name: Option<String>,
    stderr: bool,
) -> PyResult<bool> {
    let level = level_number(level).ok_or_else(|| {
        errors::argument(
            py,
            "level",
            format!("{level:?}: expected one of warn, info, debug, trace"),
        )
    })?;
    // The standard OpenTelemetry variable, so a deployment's collector is found unasked.
    let otlp_endpoint = otlp_endpoint.or_else(|| {
        std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT")
            .ok()
            .filter(|e| !e.trim().is_empty())
    });
    let mut options = TraceOptions::verbosity(level)
        .with_filter(filter)
        .with_otlp_endpoint(otlp_endpoint);
    // `with_filter` turns stderr on (the CLI's `RUST_LOG` means "print"); here the caller
    // says whether to print.
    options.stderr = stderr;
    options.service_name = service_name.filter(|s| !s.trim().is_empty());
    let mut slot = GUARD.lock().unwrap_or_else(|p| p.into_inner());
    if slot.is_some() {
        return Ok(false);
    }
    if !options.is_enabled() {
        // Nothing to print or send: installing nothing must not use up the one install.
        return Ok(false);
    }
    let guard = telemetry::install(&options, Some(crate::runtime::handle())).map_err(|e| {
        // The providers crate names fields `trace.<name>`; Python callers know the argument.
        let mut e = e;
        if let Some(field) = e.field.as_mut() {
            if let Some(name) = field.strip_prefix("trace.") {
                *field = name.to_owned();
            }
        }
        errors::config(py, &e)
    })?;
    *slot = Some(guard);
    Ok(true)
}

/// Sends the spans not yet exported, waiting (with the GIL released) until they are.
#[pyfunction]
pub(crate) fn flush_traces(py: Python<'_>) {
    // `TraceGuard::flush` blocks until the exporter's requests, which run on the package's
    // runtime, finish: it runs on this (Python's) thread, never on a runtime worker.
    py.detach(|| {
        if let Some(guard) = GUARD.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            guard.flush();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_names_map_to_verbosity() {
        assert_eq!(level_number("warn"), Some(0));
        assert_eq!(level_number("INFO"), Some(1));
        assert_eq!(level_number("debug"), Some(2));
        assert_eq!(level_number("trace"), Some(3));
        assert_eq!(level_number("loud"), None);
    }
}
