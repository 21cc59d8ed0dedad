//! [`ScriptedAgent`]: says the lines of a script, one per turn, for conversations that run
//! offline and the same every time.
//!
//! The reply to a request is `lines[k]`, where `k` is the number of `assistant` messages in
//! the request: the turns the agent has already had in the conversation. So in a
//! conversation the agent's first turn is `lines[0]`, its second `lines[1]`, and so on,
//! whatever the other side says; past the last line it replies with nothing (a simulated
//! user that replies with nothing leaves the conversation). When the agent's first turn is a
//! scenario's `opening_line`, `lines[0]` is never asked for.
//!
//! Replies cost nothing and count words as tokens. The agent keeps no state, so concurrent
//! conversations, retries and resumed runs all get the same lines.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use benchcore::{Agent, AgentRequest, Message};
//! use benchcore_providers::scripted::ScriptedConfig;
//! let agent = ScriptedConfig::new(["Hello!", "How are you?"]).build().unwrap();
//! let first = agent.respond(&AgentRequest::new(vec![Message::user("hi")])).await.unwrap();
//! assert_eq!(first.text, "Hello!");
//! let second = agent
//!     .respond(&AgentRequest::new(vec![
//!         Message::user("hi"),
//!         Message::assistant("Hello!"),
//!         Message::user("fine"),
//!     ]))
//!     .await
//!     .unwrap();
//! assert_eq!(second.text, "How are you?");
//! # });
//! ```

use crate::registry::{check_name, field_error, inherent_kind_methods, AgentKind, KindInfo};
use benchcore::{
    async_trait, Agent, AgentError, AgentReply, AgentRequest, ConfigError, Role, Usage,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How to build a [`ScriptedAgent`]: its lines, one per turn.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct ScriptedConfig {
    /// The agent's name in records (default `scripted`); unique within a run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What it says, one line per turn, in order.
    pub lines: Vec<String>,
}

impl ScriptedConfig {
    /// A script of these lines.
    pub fn new<S: Into<String>>(lines: impl IntoIterator<Item = S>) -> Self {
        Self {
            name: None,
            lines: lines.into_iter().map(Into::into).collect(),
        }
    }

    /// Sets the agent's name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The agent's name: `name`, else `scripted`.
    pub fn agent_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| "scripted".to_owned())
    }

    /// Checks every field. Errors name the field as `agents.<name>.<field>`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(name) = &self.name {
            check_name(name).map_err(|why| field_error(&self.agent_name(), "name", why))?;
        }
        if self.lines.is_empty() {
            return Err(field_error(
                &self.agent_name(),
                "lines",
                "is empty: give at least one line",
            ));
        }
        Ok(())
    }

    /// Checks every field and builds the agent.
    pub fn build(self) -> Result<ScriptedAgent, ConfigError> {
        self.validate()?;
        Ok(ScriptedAgent {
            name: self.agent_name(),
            lines: self.lines,
        })
    }
}

impl AgentKind for ScriptedConfig {
    const INFO: KindInfo = KindInfo::LOCAL;
    inherent_kind_methods!();
}

/// Says `lines[k]` when it has had `k` turns (see the [module docs](self)).
#[derive(Debug, Clone)]
pub struct ScriptedAgent {
    name: String,
    lines: Vec<String>,
}

#[async_trait]
impl Agent for ScriptedAgent {
    fn name(&self) -> &str {
        &self.name
    }

    async fn respond(&self, request: &AgentRequest) -> Result<AgentReply, AgentError> {
        let turn = request
            .messages
            .iter()
            .filter(|m| m.role == Role::Assistant)
            .count();
        let text = self.lines.get(turn).cloned().unwrap_or_default();
        let heard: usize = request
            .messages
            .iter()
            .map(|m| m.content.split_whitespace().count())
            .sum();
        let said = text.split_whitespace().count();
        Ok(AgentReply::text(text)
            .with_usage(Usage::new(heard as u64, said as u64))
            .with_cost(0.0)
            .with_model("scripted"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use benchcore::Message;

    #[tokio::test]
    async fn past_the_last_line_it_says_nothing() {
        let agent = ScriptedConfig::new(["only"]).build().unwrap();
        let request = AgentRequest::new(vec![
            Message::user("a"),
            Message::assistant("only"),
            Message::user("b"),
        ]);
        assert_eq!(agent.respond(&request).await.unwrap().text, "");
    }

    #[test]
    fn configs_are_checked() {
        let err = ScriptedConfig::new(Vec::<String>::new())
            .validate()
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("agents.scripted.lines"));
        let err = ScriptedConfig::new(["x"])
            .with_name(" ")
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("not a usable name"), "{err}");
        assert_eq!(
            ScriptedConfig::new(["x"])
                .with_name("bot")
                .build()
                .unwrap()
                .name(),
            "bot"
        );
    }
}
