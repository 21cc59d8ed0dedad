//! [`ProviderFactory`]: the [`AgentFactory`] that builds every provider's agents, priced and
//! behind the response cache when there is one.

use crate::judge::JudgeConfig;
use crate::pricing::Pricing;
use crate::registry::{build_agent_with, AgentConfig};
use benchcore::evaluator::EvaluatorConfig;
use benchcore::kind::AgentFactory;
use benchcore::{Agent, Cached, ConfigError, Evaluator, ResponseCache};
use std::collections::HashMap;
use std::sync::Arc;

/// The `kind` of a stored agent config that refers to a saved agent by name.
pub const SAVED_KIND: &str = "saved";

/// Builds agents from stored configs: every provider of this crate, prices from a table,
/// the response cache in front when one is given, and saved agents (`{"kind": "saved",
/// "name": …}`, whose configs the front end loaded from the store's vault).
///
/// ```
/// use benchcore::kind::AgentFactory;
/// use benchcore_providers::ProviderFactory;
/// let factory = ProviderFactory::new();
/// let gold = factory.agent(&serde_json::json!({"kind": "gold"})).unwrap();
/// assert_eq!(gold.name(), "gold");
/// let err = factory.agent(&serde_json::json!({"kind": "nope"})).err().unwrap();
/// assert!(err.to_string().contains("nope"));
/// ```
#[derive(Clone)]
pub struct ProviderFactory {
    pricing: Arc<Pricing>,
    cache: Option<Arc<dyn ResponseCache>>,
    saved: HashMap<String, AgentConfig>,
}

impl std::fmt::Debug for ProviderFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderFactory")
            .field("cache", &self.cache.is_some())
            .field("saved", &self.saved.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Default for ProviderFactory {
    fn default() -> Self {
        Self::new()
    }
}

impl ProviderFactory {
    /// Built-in prices, no cache, no saved agents.
    pub fn new() -> Self {
        Self {
            pricing: Arc::new(Pricing::builtin()),
            cache: None,
            saved: HashMap::new(),
        }
    }

    /// Prices replies from this table.
    pub fn with_pricing(mut self, pricing: Pricing) -> Self {
        self.pricing = Arc::new(pricing);
        self
    }

    /// Puts this response cache in front of every agent built.
    pub fn with_cache(mut self, cache: Option<Arc<dyn ResponseCache>>) -> Self {
        self.cache = cache;
        self
    }

    /// Knows these saved agents' configs (secrets included), by name.
    pub fn with_saved(mut self, saved: HashMap<String, AgentConfig>) -> Self {
        self.saved = saved;
        self
    }

    /// What a run spec stores for a saved agent: its name, never its config or secrets.
    pub fn saved_reference(name: &str) -> serde_json::Value {
        serde_json::json!({ "kind": SAVED_KIND, "name": name })
    }

    /// The saved agent a stored config refers to, if it is such a reference.
    pub fn saved_name(config: &serde_json::Value) -> Option<&str> {
        if config.get("kind")?.as_str()? != SAVED_KIND {
            return None;
        }
        config.get("name")?.as_str()
    }

    /// Builds the agent a parsed config describes, priced, behind the cache when there is
    /// one (its stored config identifies it in cache keys).
    ///
    /// # Errors
    /// The config does not build.
    pub fn build(&self, config: &AgentConfig) -> Result<Arc<dyn Agent>, ConfigError> {
        let agent = build_agent_with(config, Arc::clone(&self.pricing))?;
        Ok(match &self.cache {
            Some(cache) => {
                Arc::new(Cached::new(agent, Arc::clone(cache)).with_identity(config.to_stored()))
            }
            None => agent,
        })
    }

    fn parse(&self, config: &serde_json::Value) -> Result<AgentConfig, ConfigError> {
        if let Some(name) = Self::saved_name(config) {
            return self.saved.get(name).cloned().ok_or_else(|| {
                ConfigError::field("name", format!("saved agent `{name}` was not loaded"))
            });
        }
        let parsed: AgentConfig = benchcore::config::from_value(config).map_err(|mut e| {
            e.message = format!("not an agent config: {}", e.message);
            e
        })?;
        parsed.validate()?;
        Ok(parsed)
    }
}

impl AgentFactory for ProviderFactory {
    fn agent(&self, config: &serde_json::Value) -> Result<Arc<dyn Agent>, ConfigError> {
        self.build(&self.parse(config)?)
    }

    fn stored_config(&self, config: &serde_json::Value) -> Result<serde_json::Value, ConfigError> {
        if Self::saved_name(config).is_some() {
            return Ok(config.clone());
        }
        Ok(self.parse(config)?.to_stored())
    }

    fn evaluator(&self, config: &EvaluatorConfig) -> Result<Arc<dyn Evaluator>, ConfigError> {
        match config {
            EvaluatorConfig::Judge { config } => {
                let judge = JudgeConfig::from_value(config)?;
                let agent = self.build(&judge.agent)?;
                Ok(Arc::new(judge.build_with(agent)?))
            }
            other => other.build(),
        }
    }
}
