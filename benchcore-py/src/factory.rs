//! [`PyFactory`]: builds a run's agents from their configs, with the agents Python gave
//! (callables included) matched by the config they record.

use benchcore::evaluator::EvaluatorConfig;
use benchcore::kind::AgentFactory;
use benchcore::{Agent, ConfigError, Evaluator};
use benchcore_providers::ProviderFactory;
use serde_json::Value;
use std::sync::Arc;

/// The agents a Python run was given, each by the config its spec stores, in front of every
/// provider.
#[derive(Default)]
pub(crate) struct PyFactory {
    providers: ProviderFactory,
    given: Vec<(Value, Arc<dyn Agent>)>,
}

impl PyFactory {
    /// A factory that knows these agents by their stored configs.
    pub(crate) fn with_agents(given: Vec<(Value, Arc<dyn Agent>)>) -> Self {
        Self {
            providers: ProviderFactory::new(),
            given,
        }
    }

    fn given(&self, config: &Value) -> Option<&Arc<dyn Agent>> {
        self.given
            .iter()
            .find(|(stored, _)| stored == config)
            .map(|(_, agent)| agent)
    }
}

impl AgentFactory for PyFactory {
    fn agent(&self, config: &Value) -> Result<Arc<dyn Agent>, ConfigError> {
        if let Some(agent) = self.given(config) {
            return Ok(Arc::clone(agent));
        }
        if config["kind"] == "python" {
            return Err(ConfigError::field(
                "agents",
                format!(
                    "the run's agent {} is a Python callable: pass it again to resume",
                    config["name"]
                ),
            ));
        }
        self.providers.agent(config)
    }

    fn stored_config(&self, config: &Value) -> Result<Value, ConfigError> {
        if self.given(config).is_some() || config["kind"] == "python" {
            return Ok(config.clone());
        }
        self.providers.stored_config(config)
    }

    fn evaluator(&self, config: &EvaluatorConfig) -> Result<Arc<dyn Evaluator>, ConfigError> {
        self.providers.evaluator(config)
    }
}
