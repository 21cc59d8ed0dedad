//! The `benchcore._native` extension module: the benchcore engine for Python. The
//! `benchcore` package (`python/benchcore/`) wraps it in the API people use.

mod agents;
mod ask;
mod callable;
mod cases;
mod convert;
mod engine;
mod errors;
mod evaluators;
mod events;
mod factory;
mod inner_calls;
mod runtime;
mod shutdown;
mod store;
mod suite;
mod tools;
mod tracing;
mod transcript;

use pyo3::prelude::*;

/// The native half of the `benchcore` package.
#[pymodule]
mod _native {
    #[pymodule_export]
    use super::agents::AgentHandle;
    #[pymodule_export]
    use super::engine::{start, RunHandle};
    #[pymodule_export]
    use super::evaluators::EvaluatorHandle;
    #[pymodule_export]
    use super::shutdown::{begin_exit, wait_for_calls};
    #[pymodule_export]
    use super::store::StoreHandle;
    #[pymodule_export]
    use super::suite::SuiteHandle;
    #[pymodule_export]
    use super::tools::ToolHandle;
    #[pymodule_export]
    use super::tracing::{flush_traces, install_tracing};
    #[pymodule_export]
    use super::transcript::TranscriptTestHandle;

    use pyo3::prelude::*;

    /// The package version.
    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))
    }
}
