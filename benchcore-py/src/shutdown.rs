//! Python calls from Rust threads, made safe at interpreter exit.
//!
//! Agents, evaluators and transcript tests written in Python run on the engine's threads.
//! When a run ends early (a per-request timeout, Ctrl-C), such a call can still be running
//! when the interpreter exits. A thread that then needs the GIL after finalization began is
//! ended by CPython with `pthread_exit`, whose forced unwind through Rust frames aborts the
//! process (`FATAL: exception not rethrown`, exit 134). So every such call registers here,
//! and an `atexit` hook (`benchcore._exit`) refuses new calls, asks the running ones to stop
//! (an asynchronous `SystemExit` in their thread) and waits for them before finalization.

use pyo3::prelude::*;
use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The calls running now, by a private id, with the Python thread ident of each (`0` until
/// it is known); and whether the interpreter is exiting.
struct Calls {
    exiting: bool,
    next_id: u64,
    running: BTreeMap<u64, u64>,
}

static CALLS: Mutex<Calls> = Mutex::new(Calls {
    exiting: false,
    next_id: 0,
    running: BTreeMap::new(),
});
static CALL_ENDED: Condvar = Condvar::new();

fn calls() -> MutexGuard<'static, Calls> {
    CALLS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Unregisters a call once its thread has left Python (the guard outlives `attach`).
struct Registered(u64);

impl Drop for Registered {
    fn drop(&mut self) {
        calls().running.remove(&self.0);
        CALL_ENDED.notify_all();
    }
}

/// Runs `f` with the GIL held, as a call the exit hook waits for; `None` once the
/// interpreter is exiting (no Python may start then).
pub(crate) fn attach<R>(f: impl for<'py> FnOnce(Python<'py>) -> R) -> Option<R> {
    let registered = {
        let mut calls = calls();
        if calls.exiting {
            return None;
        }
        calls.next_id += 1;
        let id = calls.next_id;
        calls.running.insert(id, 0);
        Registered(id)
    };
    let out = Python::attach(|py| {
        // The ident lets the exit hook interrupt this thread's Python code.
        if let Ok(ident) = py
            .import("threading")
            .and_then(|t| t.call_method0("get_ident"))
            .and_then(|i| i.extract::<u64>())
        {
            if let Some(slot) = calls().running.get_mut(&registered.0) {
                *slot = ident;
            }
        }
        f(py)
    });
    drop(registered);
    Some(out)
}

/// The exit hook's first step: refuses new calls and returns the Python thread idents of
/// the calls still running, for the hook to interrupt.
#[pyfunction]
pub(crate) fn begin_exit() -> Vec<u64> {
    let mut calls = calls();
    calls.exiting = true;
    calls
        .running
        .values()
        .copied()
        .filter(|&i| i != 0)
        .collect()
}

/// The exit hook's second step: waits, with the GIL released, up to `timeout` seconds for
/// the running calls to return; returns how many are still running.
#[pyfunction]
pub(crate) fn wait_for_calls(py: Python<'_>, timeout: f64) -> usize {
    let deadline = Instant::now() + Duration::from_secs_f64(timeout.clamp(0.0, 86_400.0));
    py.detach(|| {
        let mut calls = calls();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if calls.running.is_empty() || left.is_zero() {
                return calls.running.len();
            }
            calls = CALL_ENDED
                .wait_timeout(calls, left)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
    })
}
