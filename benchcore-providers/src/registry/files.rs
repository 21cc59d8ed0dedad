//! Agent files: one config, a list of them, or a list under `agents`, in JSON or TOML,
//! read through the one config loader ([`benchcore::config`]).

use super::AgentConfig;
use benchcore::config::{ConfigText, Format};
use benchcore::ConfigError;
use serde::Deserialize;
use std::collections::HashSet;
use std::path::Path;

/// A list of agents under an `agents` key, as a TOML file writes it (`[[agents]]`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentsFile {
    agents: Vec<AgentConfig>,
}

impl AgentConfig {
    /// Reads agent configs from a file: JSON (`.json` or any other extension) or TOML
    /// (`.toml`). The file holds one config, a list of them (a JSON array), or a list under
    /// an `agents` key (`[[agents]]` in TOML). Every config is checked, and names must be
    /// unique; errors name the file, the line when known, and the field.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Vec<AgentConfig>, ConfigError> {
        Self::from_config_text(&ConfigText::read(path, "agent file")?)
    }

    /// Reads agent configs from JSON text: one object, an array, or `{"agents": [...]}`.
    /// Checks them as [`AgentConfig::from_file`] does.
    pub fn from_json(text: &str) -> Result<Vec<AgentConfig>, ConfigError> {
        Self::from_config_text(&ConfigText::new(text, Format::Json))
    }

    /// Reads agent configs from TOML text: one config as the top-level table, or a list as
    /// `[[agents]]` tables. Checks them as [`AgentConfig::from_file`] does.
    pub fn from_toml(text: &str) -> Result<Vec<AgentConfig>, ConfigError> {
        Self::from_config_text(&ConfigText::new(text, Format::Toml))
    }

    fn from_config_text(text: &ConfigText) -> Result<Vec<AgentConfig>, ConfigError> {
        let configs = match text.parse::<serde_json::Value>()? {
            serde_json::Value::Array(_) => text.parse::<Vec<AgentConfig>>()?,
            serde_json::Value::Object(map)
                if map.contains_key("agents") && !map.contains_key("kind") =>
            {
                text.parse::<AgentsFile>()?.agents
            }
            serde_json::Value::Object(_) => vec![text.parse::<AgentConfig>()?],
            _ => {
                return Err(text.locate(ConfigError::new(
                    "expected an agent config object or a list of them",
                )))
            }
        };
        check_all(&configs).map_err(|err| text.locate(err))?;
        Ok(configs)
    }
}

/// Validates each config and refuses duplicate names.
fn check_all(configs: &[AgentConfig]) -> Result<(), ConfigError> {
    let mut names = HashSet::new();
    for (i, config) in configs.iter().enumerate() {
        config.validate()?;
        let name = config.name();
        if !names.insert(name.clone()) {
            return Err(ConfigError::field(
                format!("agents.{i}.name"),
                format!("`{name}` names two agents; give each a unique `name`"),
            ));
        }
    }
    Ok(())
}
