//! The one Tokio runtime the extension runs the engine on, and the helper that waits for it
//! with the GIL released.

use pyo3::prelude::*;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::runtime::{Handle, Runtime};

/// How often a wait wakes to let Python handle signals (Ctrl-C).
pub(crate) const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// The runtime and the process it was built in: a forked child gets a fresh one, since the
/// parent's worker threads do not exist in the child.
static RUNTIME: Mutex<Option<(u32, Arc<Runtime>)>> = Mutex::new(None);

/// The extension's multi-threaded runtime, built on first use (again after a fork).
pub(crate) fn handle() -> Handle {
    let mut slot = RUNTIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let pid = std::process::id();
    if let Some((owner, runtime)) = slot.as_ref() {
        if *owner == pid {
            return runtime.handle().clone();
        }
    }
    if let Some((_, inherited)) = slot.take() {
        // The parent's threads are gone in a forked child: dropping would wait for them.
        std::mem::forget(inherited);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(
            std::thread::available_parallelism()
                .map(|n| n.get().max(2))
                .unwrap_or(2),
        )
        .thread_name("benchcore")
        .enable_all()
        .build()
        .expect("the Tokio runtime could not be built");
    let runtime = Arc::new(runtime);
    let handle = runtime.handle().clone();
    *slot = Some((pid, runtime));
    handle
}

/// Runs `future` on the runtime and waits for it with the GIL released, waking every
/// [`SIGNAL_CHECK`] to run Python's signal handlers: a `KeyboardInterrupt` (or any exception
/// a handler raises) drops the future and is returned.
pub(crate) fn block_on<F>(py: Python<'_>, future: F) -> PyResult<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let runtime = handle();
    let mut task = runtime.spawn(future);
    loop {
        let waited = py.detach(|| {
            runtime.block_on(async { tokio::time::timeout(SIGNAL_CHECK, &mut task).await })
        });
        match waited {
            Ok(Ok(output)) => return Ok(output),
            Ok(Err(join)) => {
                return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                    "a benchcore task failed: {join}"
                )))
            }
            Err(_elapsed) => {
                if let Err(signal) = py.check_signals() {
                    task.abort();
                    return Err(signal);
                }
            }
        }
    }
}
