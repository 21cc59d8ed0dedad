//! Building the agent a config describes, priced when its kind is remote, and the JSON
//! Schema of every config.

use super::AgentConfig;
use crate::pricing::{self, Pricing};
use benchcore::{Agent, ConfigError};
use std::sync::Arc;

/// Builds the agent a config describes, reading its API key from the environment when the
/// config names a variable.
///
/// ```
/// use benchcore_providers::{build_agent, AgentConfig};
/// let agent = build_agent(&AgentConfig::parse_spec("gold").unwrap()).unwrap();
/// assert_eq!(agent.name(), "gold");
/// ```
///
/// A remote agent's replies are priced from the built-in table, overlaid with the file
/// `BENCHCORE_PRICING` names (see [`pricing`](crate::pricing)), when the provider reports
/// usage but no cost.
pub fn build_agent(config: &AgentConfig) -> Result<Arc<dyn Agent>, ConfigError> {
    build_agent_with(config, Arc::new(Pricing::from_env()?))
}

/// Builds the agent a config describes, pricing a remote kind's replies from `pricing`
/// (wrapped in [`Priced`](crate::Priced), by the reply's model, else the config's).
pub fn build_agent_with(
    config: &AgentConfig,
    pricing: Arc<Pricing>,
) -> Result<Arc<dyn Agent>, ConfigError> {
    let agent = config.as_kind().build()?;
    Ok(if config.info().remote {
        pricing::priced(agent, &config.to_stored(), pricing)
    } else {
        agent
    })
}

/// The JSON Schema of [`AgentConfig`], for editors and `benchcore schema`.
pub fn agent_config_schema() -> serde_json::Value {
    schemars::schema_for!(AgentConfig).to_value()
}
