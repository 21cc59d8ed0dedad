//! End-to-end tests, loopback wire servers and benchmarks for benchcore.
//!
//! [`servers`] holds servers that speak each provider's documented wire format on
//! 127.0.0.1, scriptable per request, so agents are tested over real HTTP without calling a
//! real provider or needing a key.

pub mod provider_process;
pub mod servers;
pub mod tools;

pub use tools::{require_python_module, require_tool};
