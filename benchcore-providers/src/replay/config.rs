//! [`ReplayConfig`]: which recorded replies to replay, or the one text to answer with.

use super::agent::{ReplayAgent, Source};
use super::recordings::Recordings;
use crate::registry::{check_name, field_error, inherent_kind_methods, AgentKind, KindInfo};
use benchcore::ConfigError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// How to build a [`ReplayAgent`]: a file of recorded replies, or one fixed text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct ReplayConfig {
    /// The agent's name in records (default `replay`); unique within a run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The JSON Lines file of recorded replies. Exactly one of `file` and `text` is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// A fixed reply to every request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Which recorded agent to replay, when the file holds several agents' replies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
}

impl ReplayConfig {
    /// Replays the replies recorded in `file`.
    pub fn from_file(file: impl Into<PathBuf>) -> Self {
        Self {
            file: Some(file.into()),
            ..Self::default()
        }
    }

    /// Answers every request with `text`.
    pub fn from_text(text: impl Into<String>) -> Self {
        Self {
            text: Some(text.into()),
            ..Self::default()
        }
    }

    /// Sets the agent's name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Replays the replies of this recorded agent.
    pub fn with_agent(mut self, agent: impl Into<String>) -> Self {
        self.agent = Some(agent.into());
        self
    }

    /// The agent's name: `name`, else `replay`.
    pub fn agent_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| "replay".to_owned())
    }

    fn field_error(&self, field: &str, message: &str) -> ConfigError {
        field_error(&self.agent_name(), field, message)
    }

    /// Checks every field without reading the file. Errors name the field as
    /// `agents.<name>.<field>`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(name) = &self.name {
            check_name(name).map_err(|why| self.field_error("name", &why))?;
        }
        match (&self.file, &self.text) {
            (Some(_), Some(_)) => Err(self.field_error("text", "set `file` or `text`, not both")),
            (None, None) => Err(self.field_error(
                "file",
                "is required (a JSON Lines file of recorded replies), or set `text`",
            )),
            (Some(file), None) if file.as_os_str().is_empty() => {
                Err(self.field_error("file", "is empty"))
            }
            _ => Ok(()),
        }
    }

    /// Checks every field and reads the file; a malformed line is an error naming the file
    /// and the line.
    pub fn build(self) -> Result<ReplayAgent, ConfigError> {
        self.validate()?;
        let name = self.agent_name();
        let source = match (&self.file, &self.text) {
            (_, Some(text)) => Source::Fixed(text.clone()),
            (Some(file), None) => Source::Recorded(Recordings::load(file, self.agent.as_deref())?),
            (None, None) => unreachable!("validate requires file or text"),
        };
        Ok(ReplayAgent::new(name, source))
    }
}

impl AgentKind for ReplayConfig {
    const INFO: KindInfo = KindInfo {
        spec: Some("replay:FILE"),
        ..KindInfo::LOCAL
    };

    fn from_spec(arg: Option<&str>) -> Result<Self, String> {
        arg.map(str::trim)
            .filter(|file| !file.is_empty())
            .map(Self::from_file)
            .ok_or_else(|| "the file is missing: replay:FILE".to_owned())
    }

    inherent_kind_methods!();
}
