//! A kind registered for tests only, through the same table line every kind has
//! (`#[cfg(test)] "test_echo" => TestEcho(…)` in `table.rs`): proof that a new kind is one
//! new file plus one line. `tests.rs` checks that every path (files, specs, the schema,
//! stored configs, building) then knows it.

use super::{check_name, field_error, AgentKind, KindInfo};
use benchcore::{async_trait, Agent, AgentError, AgentReply, AgentRequest, ConfigError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Echoes the last user message, after a prefix.
#[allow(unreachable_pub)]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct EchoConfig {
    /// The agent's name (default `echo`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    /// Put before every reply.
    pub(crate) prefix: String,
}

impl AgentKind for EchoConfig {
    const INFO: KindInfo = KindInfo {
        spec: Some("test_echo:PREFIX"),
        key_env: Some("BENCHCORE_TEST_ECHO_KEY"),
        ..KindInfo::LOCAL
    };

    fn from_spec(arg: Option<&str>) -> Result<Self, String> {
        Ok(Self {
            name: None,
            prefix: arg.ok_or("the prefix is missing")?.to_owned(),
        })
    }

    fn agent_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| "echo".to_owned())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if let Some(name) = &self.name {
            check_name(name).map_err(|why| field_error(&self.agent_name(), "name", why))?;
        }
        Ok(())
    }

    fn build(&self) -> Result<Arc<dyn Agent>, ConfigError> {
        self.validate()?;
        Ok(Arc::new(Echo {
            name: self.agent_name(),
            prefix: self.prefix.clone(),
        }))
    }
}

#[derive(Debug)]
struct Echo {
    name: String,
    prefix: String,
}

#[async_trait]
impl Agent for Echo {
    fn name(&self) -> &str {
        &self.name
    }

    async fn respond(&self, request: &AgentRequest) -> Result<AgentReply, AgentError> {
        let heard = request.last_user_text().unwrap_or_default();
        Ok(AgentReply::text(format!("{}{heard}", self.prefix)))
    }
}
