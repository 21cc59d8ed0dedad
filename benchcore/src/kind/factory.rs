//! [`AgentFactory`]: how a stored agent config becomes an agent.

use crate::agent::reference::{Gold, Null};
use crate::evaluator::EvaluatorConfig;
use crate::{Agent, ConfigError, Evaluator};
use std::sync::Arc;

/// Builds agents (and evaluators) from the configs a run spec stores. `benchcore-providers`
/// implements it for every provider; a front end wraps it to add agents of its own (Python
/// callables, saved agents).
///
/// # Contract
/// - `agent` builds from the config alone (secrets come from the environment or a vault,
///   never from the config), and fails with a [`ConfigError`] naming the field when it
///   cannot.
/// - Building the same config twice gives equivalent agents with the same name.
pub trait AgentFactory: Send + Sync {
    /// Builds the agent a stored config describes.
    ///
    /// # Errors
    /// An unknown kind, or a config that does not build.
    fn agent(&self, config: &serde_json::Value) -> Result<Arc<dyn Agent>, ConfigError>;

    /// The form of a config that a run spec stores: checked, defaults filled, secrets left
    /// out. The default keeps it as given.
    ///
    /// # Errors
    /// The config is not one this factory builds.
    fn stored_config(&self, config: &serde_json::Value) -> Result<serde_json::Value, ConfigError> {
        Ok(config.clone())
    }

    /// Builds an evaluator from its config. The default builds the built-ins.
    ///
    /// # Errors
    /// The config does not build (an LLM judge needs a factory that knows providers).
    fn evaluator(&self, config: &EvaluatorConfig) -> Result<Arc<dyn Evaluator>, ConfigError> {
        config.build()
    }
}

const _: fn(&dyn AgentFactory) = |_| {};

/// Builds the reference agents only: `{"kind": "gold"}` answers each case's target,
/// `{"kind": "null"}` answers nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuiltinFactory;

impl AgentFactory for BuiltinFactory {
    fn agent(&self, config: &serde_json::Value) -> Result<Arc<dyn Agent>, ConfigError> {
        match config.get("kind").and_then(serde_json::Value::as_str) {
            Some("gold") => Ok(Arc::new(Gold)),
            Some("null") => Ok(Arc::new(Null)),
            Some(other) => Err(ConfigError::field(
                "kind",
                format!(
                    "agent kind `{other}` needs benchcore-providers (this factory builds `gold` \
                     and `null`)"
                ),
            )),
            None => Err(ConfigError::field("kind", "an agent config needs a `kind`")),
        }
    }
}
