//! Run events as dicts, and the progress counts a run keeps for progress bars.

use benchcore::{Outcome, RunEvent};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde::Serialize;

/// Where a run stands, counted from its events.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Progress {
    /// Attempts in all.
    pub(crate) total: u64,
    /// Attempts recorded by an earlier session of the run (a resume).
    pub(crate) already_done: u64,
    /// Attempts finished in this session.
    pub(crate) done: u64,
    /// Attempts in flight.
    pub(crate) running: u64,
    pub(crate) passed: u64,
    pub(crate) failed: u64,
    pub(crate) invalid: u64,
    pub(crate) errors: u64,
    pub(crate) skipped: u64,
    /// Exchanges sent again.
    pub(crate) retries: u64,
}

impl Progress {
    /// Counts one event.
    pub(crate) fn observe(&mut self, event: &RunEvent) {
        match event {
            RunEvent::Started {
                total,
                already_done,
                ..
            } => {
                self.total = *total;
                self.already_done = *already_done;
            }
            RunEvent::AttemptStarted { .. } => self.running += 1,
            RunEvent::AttemptRetried { .. } => self.retries += 1,
            RunEvent::AttemptFinished { outcome, .. } => {
                self.done += 1;
                // Skipped attempts and attempts of a stopped agent finish without starting.
                if !matches!(outcome, Outcome::Skipped) && self.running > 0 {
                    self.running -= 1;
                }
                match outcome {
                    Outcome::Passed => self.passed += 1,
                    Outcome::Failed => self.failed += 1,
                    Outcome::Invalid => self.invalid += 1,
                    Outcome::Error => self.errors += 1,
                    Outcome::Skipped => self.skipped += 1,
                }
            }
            _ => {}
        }
    }
}

/// An event as a dict with a `type` key.
pub(crate) fn event_dict<'py>(
    py: Python<'py>,
    run_id: &str,
    event: &RunEvent,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("run_id", run_id)?;
    let key = |dict: &Bound<'py, PyDict>, key: &benchcore::AttemptKey| -> PyResult<()> {
        dict.set_item("case_id", &key.case_id)?;
        dict.set_item("agent", &key.agent)?;
        dict.set_item("sample", key.sample)
    };
    match event {
        RunEvent::Started {
            total,
            already_done,
            ..
        } => {
            dict.set_item("type", "started")?;
            dict.set_item("total", total)?;
            dict.set_item("already_done", already_done)?;
        }
        RunEvent::AttemptStarted { key: k } => {
            dict.set_item("type", "attempt_started")?;
            key(&dict, k)?;
        }
        RunEvent::AttemptRetried {
            key: k,
            retry,
            kind,
            delay,
        } => {
            dict.set_item("type", "attempt_retried")?;
            key(&dict, k)?;
            dict.set_item("retry", retry)?;
            dict.set_item("kind", kind.as_str())?;
            dict.set_item("delay_s", delay.as_secs_f64())?;
        }
        RunEvent::AttemptFinished {
            key: k,
            outcome,
            score,
            latency_ms,
        } => {
            dict.set_item("type", "attempt_finished")?;
            key(&dict, k)?;
            dict.set_item("outcome", outcome.as_str())?;
            dict.set_item("score", score)?;
            dict.set_item("latency_ms", latency_ms)?;
        }
        RunEvent::Finished { status, summary } => {
            dict.set_item("type", "finished")?;
            dict.set_item("status", status.as_str())?;
            dict.set_item("summary", crate::convert::to_py_ser(py, summary)?)?;
        }
        RunEvent::Batch { agent, batch, note } => {
            dict.set_item("type", "batch")?;
            dict.set_item("agent", agent)?;
            dict.set_item("batch", batch)?;
            dict.set_item("note", note)?;
        }
        _ => dict.set_item("type", "other")?,
    }
    Ok(dict)
}
