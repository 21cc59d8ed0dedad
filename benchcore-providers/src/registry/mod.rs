//! [`AgentConfig`]: every agent this crate can build, chosen by `kind` from one table
//! (`table.rs`), and [`build_agent`], which builds one.
//!
//! Each kind is registered once: a line in the table names it, its cargo feature, and its
//! config type, whose [`AgentKind`] implementation carries the rest (its [`KindInfo`]: short
//! spec, key variable, default model and base URL, whether it is remote and priced; how it
//! names, checks and builds its agent). Parsing files and specs, validating, storing,
//! building and the JSON Schema all read that one table.

mod build;
mod config;
mod de;
mod declare;
mod files;
mod kind;
mod spec;
mod table;
#[cfg(test)]
mod test_kind;
#[cfg(test)]
mod tests;

pub use build::{agent_config_schema, build_agent, build_agent_with};
pub(crate) use declare::agent_kinds;
#[cfg(any(
    feature = "openai-compatible",
    feature = "anthropic",
    feature = "realtime"
))]
pub(crate) use kind::model_arg;
pub(crate) use kind::{check_name, field_error, inherent_kind_methods, AgentKind};
pub use kind::{Kind, KindInfo};
pub use table::AgentConfig;
