//! [`AgentConfig`]: every agent this crate can build, chosen by `kind`, and
//! [`build_agent`], which builds one.

use benchcore::agent::reference::{Gold, Null};
use benchcore::{Agent, ConfigError};
use schemars::JsonSchema;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

#[cfg(feature = "anthropic")]
use crate::anthropic::AnthropicConfig;
#[cfg(feature = "mcp")]
use crate::mcp::McpConfig;
#[cfg(feature = "openai-compatible")]
use crate::openai_compat::{
    LmStudioConfig, NvidiaConfig, OpenAiCompatConfig, OpenAiConfig, OpenRouterConfig,
};
use crate::pricing::{self, Pricing};
use crate::replay::ReplayConfig;
use crate::scripted::ScriptedConfig;

/// The forms [`AgentConfig::parse_spec`] accepts, for error messages.
const SPEC_FORMS: &str =
    "gold, null, replay:FILE, openai:MODEL, anthropic:MODEL, openrouter:MODEL, \
                          nvidia:MODEL, lmstudio:MODEL (or lmstudio/MODEL) or openai_compatible:MODEL@BASE_URL";

/// The kinds compiled in.
const KINDS: &[&str] = &[
    #[cfg(feature = "openai-compatible")]
    "openai_compatible",
    #[cfg(feature = "openai-compatible")]
    "openai",
    #[cfg(feature = "openai-compatible")]
    "openrouter",
    #[cfg(feature = "openai-compatible")]
    "nvidia",
    #[cfg(feature = "openai-compatible")]
    "lmstudio",
    #[cfg(feature = "anthropic")]
    "anthropic",
    #[cfg(feature = "mcp")]
    "mcp",
    "replay",
    "scripted",
    "gold",
    "null",
];

/// Kinds that exist behind a feature, and the feature.
const FEATURE_KINDS: &[(&str, &str)] = &[
    ("openai_compatible", "openai-compatible"),
    ("openai", "openai-compatible"),
    ("openrouter", "openai-compatible"),
    ("nvidia", "openai-compatible"),
    ("lmstudio", "openai-compatible"),
    ("anthropic", "anthropic"),
];

/// One agent's configuration, tagged by `kind`. This is what agent files hold and what a
/// run spec stores (see [`AgentConfig::to_stored`]).
///
/// ```
/// # #[cfg(feature = "openai-compatible")] {
/// use benchcore_providers::AgentConfig;
/// let config: AgentConfig = serde_json::from_str(
///     r#"{"kind": "openai", "model": "gpt-4o-mini", "temperature": 0}"#,
/// ).unwrap();
/// assert_eq!(config.name(), "gpt-4o-mini");
/// assert_eq!(config.kind(), AgentConfig::parse_spec("openai:gpt-4o-mini").unwrap().kind());
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "kind")]
#[schemars(
    title = "AgentConfig",
    description = "One benchcore agent's configuration, tagged by `kind`."
)]
#[non_exhaustive]
pub enum AgentConfig {
    /// Any server speaking OpenAI Chat Completions (vLLM, Ollama, llama.cpp, gateways).
    #[cfg(feature = "openai-compatible")]
    #[serde(rename = "openai_compatible")]
    OpenAiCompatible(OpenAiCompatConfig),
    /// OpenAI's API.
    #[cfg(feature = "openai-compatible")]
    #[serde(rename = "openai")]
    OpenAi(OpenAiConfig),
    /// OpenRouter.
    #[cfg(feature = "openai-compatible")]
    #[serde(rename = "openrouter")]
    OpenRouter(OpenRouterConfig),
    /// NVIDIA NIM.
    #[cfg(feature = "openai-compatible")]
    #[serde(rename = "nvidia")]
    Nvidia(NvidiaConfig),
    /// LM Studio's local server.
    #[cfg(feature = "openai-compatible")]
    #[serde(rename = "lmstudio")]
    LmStudio(LmStudioConfig),
    /// Anthropic's Messages API.
    #[cfg(feature = "anthropic")]
    #[serde(rename = "anthropic")]
    Anthropic(AnthropicConfig),
    /// An agent exposed as a tool of an MCP server (Streamable HTTP).
    #[cfg(feature = "mcp")]
    #[serde(rename = "mcp")]
    Mcp(McpConfig),
    /// Replies recorded earlier (a JSON Lines file, or attempt records), or one fixed text.
    #[serde(rename = "replay")]
    Replay(ReplayConfig),
    /// Says the lines of a script, one per turn (offline conversations).
    #[serde(rename = "scripted")]
    Scripted(ScriptedConfig),
    /// The reference agent that answers each case's target: a suite run with it should
    /// pass everywhere.
    #[serde(rename = "gold")]
    Gold,
    /// The reference agent that answers nothing: a suite run with it should fail
    /// everywhere.
    #[serde(rename = "null")]
    Null,
}

/// Reads the `kind` tag, then the rest of the object straight into that kind's config when
/// `kind` comes first (so errors keep their exact line and column), else from a buffered
/// copy.
impl<'de> Deserialize<'de> for AgentConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(AgentConfigVisitor)
    }
}

struct AgentConfigVisitor;

impl<'de> Visitor<'de> for AgentConfigVisitor {
    type Value = AgentConfig;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an agent config: an object with a `kind`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AgentConfig, A::Error> {
        let Some(first) = map.next_key::<String>()? else {
            return Err(de::Error::missing_field("kind"));
        };
        if first == "kind" {
            let kind: String = map.next_value()?;
            return AgentConfig::deserialize_kind(&kind, MapAccessDeserializer::new(map));
        }
        let mut buffered = serde_json::Map::new();
        buffered.insert(first, map.next_value()?);
        while let Some((key, value)) = map.next_entry::<String, serde_json::Value>()? {
            buffered.insert(key, value);
        }
        let kind = match buffered.remove("kind") {
            Some(serde_json::Value::String(kind)) => kind,
            Some(other) => {
                return Err(de::Error::custom(format!(
                    "`kind` must be a string, not {other}"
                )))
            }
            None => return Err(de::Error::missing_field("kind")),
        };
        AgentConfig::deserialize_kind(&kind, serde_json::Value::Object(buffered))
            .map_err(de::Error::custom)
    }
}

/// The fields of a kind that takes none.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoFields {}

/// A list of agents under an `agents` key, as a TOML file writes it (`[[agents]]`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentsFile {
    agents: Vec<AgentConfig>,
}

impl AgentConfig {
    /// Reads the config of `kind` from the rest of its object.
    fn deserialize_kind<'de, D: Deserializer<'de>>(
        kind: &str,
        rest: D,
    ) -> Result<AgentConfig, D::Error> {
        Ok(match kind {
            #[cfg(feature = "openai-compatible")]
            "openai_compatible" => {
                AgentConfig::OpenAiCompatible(OpenAiCompatConfig::deserialize(rest)?)
            }
            #[cfg(feature = "openai-compatible")]
            "openai" => AgentConfig::OpenAi(OpenAiConfig::deserialize(rest)?),
            #[cfg(feature = "openai-compatible")]
            "openrouter" => AgentConfig::OpenRouter(OpenRouterConfig::deserialize(rest)?),
            #[cfg(feature = "openai-compatible")]
            "nvidia" => AgentConfig::Nvidia(NvidiaConfig::deserialize(rest)?),
            #[cfg(feature = "openai-compatible")]
            "lmstudio" => AgentConfig::LmStudio(LmStudioConfig::deserialize(rest)?),
            #[cfg(feature = "anthropic")]
            "anthropic" => AgentConfig::Anthropic(AnthropicConfig::deserialize(rest)?),
            #[cfg(feature = "mcp")]
            "mcp" => AgentConfig::Mcp(McpConfig::deserialize(rest)?),
            "replay" => AgentConfig::Replay(ReplayConfig::deserialize(rest)?),
            "scripted" => AgentConfig::Scripted(ScriptedConfig::deserialize(rest)?),
            "gold" => {
                NoFields::deserialize(rest)?;
                AgentConfig::Gold
            }
            "null" => {
                NoFields::deserialize(rest)?;
                AgentConfig::Null
            }
            other => return Err(de::Error::unknown_variant(other, KINDS)),
        })
    }

    /// The `kind` tag (`openai`, `gold` …).
    pub fn kind(&self) -> &'static str {
        match self {
            #[cfg(feature = "openai-compatible")]
            AgentConfig::OpenAiCompatible(_) => "openai_compatible",
            #[cfg(feature = "openai-compatible")]
            AgentConfig::OpenAi(_) => "openai",
            #[cfg(feature = "openai-compatible")]
            AgentConfig::OpenRouter(_) => "openrouter",
            #[cfg(feature = "openai-compatible")]
            AgentConfig::Nvidia(_) => "nvidia",
            #[cfg(feature = "openai-compatible")]
            AgentConfig::LmStudio(_) => "lmstudio",
            #[cfg(feature = "anthropic")]
            AgentConfig::Anthropic(_) => "anthropic",
            #[cfg(feature = "mcp")]
            AgentConfig::Mcp(_) => "mcp",
            AgentConfig::Replay(_) => "replay",
            AgentConfig::Scripted(_) => "scripted",
            AgentConfig::Gold => "gold",
            AgentConfig::Null => "null",
        }
    }

    /// The agent's name in records: its `name`, else its model, else its kind for the
    /// reference agents.
    pub fn name(&self) -> String {
        match self {
            #[cfg(feature = "openai-compatible")]
            AgentConfig::OpenAiCompatible(c) => c.agent_name(),
            #[cfg(feature = "openai-compatible")]
            AgentConfig::OpenAi(c) => c.agent_name(),
            #[cfg(feature = "openai-compatible")]
            AgentConfig::OpenRouter(c) => c.agent_name(),
            #[cfg(feature = "openai-compatible")]
            AgentConfig::Nvidia(c) => c.agent_name(),
            #[cfg(feature = "openai-compatible")]
            AgentConfig::LmStudio(c) => c.agent_name(),
            #[cfg(feature = "anthropic")]
            AgentConfig::Anthropic(c) => c.agent_name(),
            #[cfg(feature = "mcp")]
            AgentConfig::Mcp(c) => c.agent_name(),
            AgentConfig::Replay(c) => c.agent_name(),
            AgentConfig::Scripted(c) => c.agent_name(),
            AgentConfig::Gold => "gold".to_owned(),
            AgentConfig::Null => "null".to_owned(),
        }
    }

    /// Checks every field without reading the environment. Errors name the field as
    /// `agents.<name>.<field>`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match self {
            #[cfg(feature = "openai-compatible")]
            AgentConfig::OpenAiCompatible(c) => c.validate(),
            #[cfg(feature = "openai-compatible")]
            AgentConfig::OpenAi(c) => c.validate(),
            #[cfg(feature = "openai-compatible")]
            AgentConfig::OpenRouter(c) => c.validate(),
            #[cfg(feature = "openai-compatible")]
            AgentConfig::Nvidia(c) => c.validate(),
            #[cfg(feature = "openai-compatible")]
            AgentConfig::LmStudio(c) => c.validate(),
            #[cfg(feature = "anthropic")]
            AgentConfig::Anthropic(c) => c.validate(),
            #[cfg(feature = "mcp")]
            AgentConfig::Mcp(c) => c.validate(),
            AgentConfig::Replay(c) => c.validate(),
            AgentConfig::Scripted(c) => c.validate(),
            AgentConfig::Gold | AgentConfig::Null => Ok(()),
        }
    }

    /// The config as JSON for a stored run spec, from which [`build_agent`] rebuilds the
    /// agent on resume. Secrets stay out: a literal `api_key` is never serialized (the key
    /// is read again from its environment variable), and headers whose names mark them as
    /// credentials (`Authorization`, `X-Api-Key`, `Cookie`, `…Token…`) are dropped.
    pub fn to_stored(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(headers) = value.get_mut("headers").and_then(|h| h.as_object_mut()) {
            headers.retain(|name, _| !crate::http::is_sensitive_header(name));
        }
        value
    }

    /// Reads the CLI's short form: `gold`, `null`, `replay:FILE`, `openai:MODEL`,
    /// `anthropic:MODEL`, `openrouter:MODEL`, `nvidia:MODEL`, `lmstudio:MODEL` or
    /// `openai_compatible:MODEL@BASE_URL`. The model
    /// may itself hold colons (`lmstudio:qwen2.5:7b`).
    pub fn parse_spec(spec: &str) -> Result<AgentConfig, ConfigError> {
        let spec = spec.trim();
        // LM Studio model ids are written `lmstudio/<id>`, and that form names the agent too.
        if let Some(id) = spec.strip_prefix("lmstudio/") {
            return Self::parse_spec(&format!("lmstudio:{id}"));
        }
        let bad = |why: &str| {
            ConfigError::new(format!(
                "`{spec}` is not an agent spec{why}: use {SPEC_FORMS}"
            ))
        };
        let (kind, rest) = match spec.split_once(':') {
            Some((kind, rest)) => (kind, Some(rest)),
            None => (spec, None),
        };
        match (kind, rest) {
            ("gold", None) => return Ok(AgentConfig::Gold),
            ("replay", file) => {
                let file = file
                    .map(str::trim)
                    .filter(|f| !f.is_empty())
                    .ok_or_else(|| bad(" (the file is missing: replay:FILE)"))?;
                return Ok(AgentConfig::Replay(ReplayConfig::from_file(file)));
            }
            ("null", None) => return Ok(AgentConfig::Null),
            ("gold" | "null", Some(_)) => return Err(bad(" (the reference agents take no model)")),
            _ => {}
        }
        let Some(feature) = FEATURE_KINDS
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, f)| *f)
        else {
            return Err(bad(""));
        };
        // These kinds have a default model, so the kind alone is a spec.
        let has_default_model = matches!(kind, "openrouter" | "nvidia" | "anthropic");
        let model = match rest.map(str::trim).filter(|m| !m.is_empty()) {
            Some(model) => model,
            None if has_default_model => "",
            None => return Err(bad(" (the model is missing)")),
        };
        if kind == "anthropic" {
            return Self::anthropic_spec(model, feature).map_err(|why| bad(&why));
        }
        Self::spec_with_model(kind, model, feature).map_err(|why| bad(&why))
    }

    #[cfg(feature = "anthropic")]
    fn anthropic_spec(model: &str, _feature: &str) -> Result<AgentConfig, String> {
        Ok(AgentConfig::Anthropic(AnthropicConfig::new(model)))
    }

    #[cfg(not(feature = "anthropic"))]
    fn anthropic_spec(_model: &str, feature: &str) -> Result<AgentConfig, String> {
        Err(format!(
            " (kind `anthropic` needs the `{feature}` feature of benchcore-providers)"
        ))
    }

    #[cfg(feature = "openai-compatible")]
    fn spec_with_model(kind: &str, model: &str, _feature: &str) -> Result<AgentConfig, String> {
        Ok(match kind {
            "openai" => AgentConfig::OpenAi(OpenAiConfig::new(model)),
            "openrouter" => AgentConfig::OpenRouter(OpenRouterConfig::new(model)),
            "nvidia" => AgentConfig::Nvidia(NvidiaConfig::new(model)),
            "lmstudio" => AgentConfig::LmStudio(LmStudioConfig::new(model)),
            _ => {
                let at = model
                    .rfind("@http://")
                    .or_else(|| model.rfind("@https://"))
                    .ok_or(
                        " (openai_compatible needs a base URL: openai_compatible:MODEL@BASE_URL)",
                    )?;
                let (model, base_url) = (&model[..at], &model[at + 1..]);
                if model.is_empty() {
                    return Err(" (the model is missing)".to_owned());
                }
                AgentConfig::OpenAiCompatible(OpenAiCompatConfig::new(model, base_url))
            }
        })
    }

    #[cfg(not(feature = "openai-compatible"))]
    fn spec_with_model(kind: &str, _model: &str, feature: &str) -> Result<AgentConfig, String> {
        Err(format!(
            " (kind `{kind}` needs the `{feature}` feature of benchcore-providers)"
        ))
    }

    /// Reads agent configs from a file: JSON (`.json` or any other extension) or TOML
    /// (`.toml`). The file holds one config, a list of them (a JSON array), or a list under
    /// an `agents` key (`[[agents]]` in TOML). Every config is checked, and names must be
    /// unique; errors name the file, the line when known, and the field.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Vec<AgentConfig>, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|err| {
            ConfigError::new(format!("cannot read the agent file: {err}")).in_file(path, None)
        })?;
        let is_toml = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
        let parsed = if is_toml {
            Self::from_toml(&text)
        } else {
            Self::from_json(&text)
        };
        parsed.map_err(|err| {
            let line = err.line;
            err.in_file(path, line)
        })
    }

    /// Reads agent configs from JSON text: one object, an array, or `{"agents": [...]}`.
    /// Checks them as [`AgentConfig::from_file`] does.
    pub fn from_json(text: &str) -> Result<Vec<AgentConfig>, ConfigError> {
        let shape: serde_json::Value = serde_json::from_str(text).map_err(json_error)?;
        let configs = match &shape {
            serde_json::Value::Array(_) => {
                serde_json::from_str::<Vec<AgentConfig>>(text).map_err(json_error)?
            }
            serde_json::Value::Object(map)
                if map.contains_key("agents") && !map.contains_key("kind") =>
            {
                serde_json::from_str::<AgentsFile>(text)
                    .map_err(json_error)?
                    .agents
            }
            serde_json::Value::Object(_) => {
                vec![serde_json::from_str::<AgentConfig>(text).map_err(json_error)?]
            }
            _ => {
                return Err(ConfigError::new(
                    "expected an agent config object or a list of them",
                ))
            }
        };
        check_all(configs)
    }

    /// Reads agent configs from TOML text: one config as the top-level table, or a list as
    /// `[[agents]]` tables. Checks them as [`AgentConfig::from_file`] does.
    pub fn from_toml(text: &str) -> Result<Vec<AgentConfig>, ConfigError> {
        let is_list = toml::from_str::<toml::Table>(text)
            .map_err(|err| toml_error(text, &err))?
            .get("agents")
            .is_some_and(toml::Value::is_array);
        let configs = if is_list {
            toml::from_str::<AgentsFile>(text)
                .map_err(|err| toml_error(text, &err))?
                .agents
        } else {
            vec![toml::from_str::<AgentConfig>(text).map_err(|err| toml_error(text, &err))?]
        };
        check_all(configs)
    }
}

/// Validates each config and refuses duplicate names.
fn check_all(configs: Vec<AgentConfig>) -> Result<Vec<AgentConfig>, ConfigError> {
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
    Ok(configs)
}

fn json_error(err: serde_json::Error) -> ConfigError {
    let text = err.to_string();
    let message = match text.rfind(" at line ") {
        Some(at) if err.line() > 0 => format!("{} (column {})", &text[..at], err.column()),
        _ => text,
    };
    let mut config_error = ConfigError::new(with_feature_hint(message));
    config_error.line = (err.line() > 0).then_some(err.line());
    config_error
}

fn toml_error(text: &str, err: &toml::de::Error) -> ConfigError {
    let line = err
        .span()
        .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
    let mut config_error = ConfigError::new(with_feature_hint(err.message().trim().to_owned()));
    config_error.line = line;
    config_error
}

/// Adds which feature to enable when a parse error is about a kind compiled out.
fn with_feature_hint(message: String) -> String {
    let off = FEATURE_KINDS
        .iter()
        .find(|(kind, _)| message.contains(&format!("unknown variant `{kind}`")));
    match off {
        Some((kind, feature)) => format!(
            "{message} (kind `{kind}` needs the `{feature}` feature of benchcore-providers)"
        ),
        None => message,
    }
}

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

/// Builds the agent a config describes, pricing a remote agent's replies from `pricing`
/// (wrapped in [`Priced`](crate::Priced), by the reply's model, else the config's).
pub fn build_agent_with(
    config: &AgentConfig,
    pricing: Arc<Pricing>,
) -> Result<Arc<dyn Agent>, ConfigError> {
    let agent = build_unpriced(config)?;
    Ok(if agent.capabilities().remote {
        pricing::priced(agent, &config.to_stored(), pricing)
    } else {
        agent
    })
}

/// The agent a config describes, as its provider builds it.
fn build_unpriced(config: &AgentConfig) -> Result<Arc<dyn Agent>, ConfigError> {
    Ok(match config {
        #[cfg(feature = "openai-compatible")]
        AgentConfig::OpenAiCompatible(c) => Arc::new(c.clone().build()?),
        #[cfg(feature = "openai-compatible")]
        AgentConfig::OpenAi(c) => Arc::new(c.clone().build()?),
        #[cfg(feature = "openai-compatible")]
        AgentConfig::OpenRouter(c) => Arc::new(c.clone().build()?),
        #[cfg(feature = "openai-compatible")]
        AgentConfig::Nvidia(c) => Arc::new(c.clone().build()?),
        #[cfg(feature = "openai-compatible")]
        AgentConfig::LmStudio(c) => Arc::new(c.clone().build()?),
        #[cfg(feature = "anthropic")]
        AgentConfig::Anthropic(c) => Arc::new(c.clone().build()?),
        #[cfg(feature = "mcp")]
        AgentConfig::Mcp(c) => Arc::new(c.clone().build()?),
        AgentConfig::Replay(c) => Arc::new(c.clone().build()?),
        AgentConfig::Scripted(c) => Arc::new(c.clone().build()?),
        AgentConfig::Gold => Arc::new(Gold),
        AgentConfig::Null => Arc::new(Null),
    })
}

/// The JSON Schema of [`AgentConfig`], for editors and `benchcore schema`.
pub fn agent_config_schema() -> serde_json::Value {
    schemars::schema_for!(AgentConfig).to_value()
}

#[cfg(all(test, feature = "openai-compatible"))]
mod tests {
    use super::*;

    #[test]
    fn kinds_with_a_default_model_need_none_in_a_spec() {
        assert_eq!(
            AgentConfig::parse_spec("openrouter").unwrap().name(),
            "openrouter/auto"
        );
        assert_eq!(
            AgentConfig::parse_spec("nvidia:").unwrap().name(),
            "meta/llama-3.1-8b-instruct"
        );
        assert!(AgentConfig::parse_spec("openai").is_err());
    }

    #[test]
    fn lmstudio_ids_with_their_prefix_are_specs() {
        let config = AgentConfig::parse_spec("lmstudio/liquid/lfm2.5-1.2b").unwrap();
        assert_eq!(config.kind(), "lmstudio");
        assert_eq!(config.name(), "lmstudio/liquid/lfm2.5-1.2b");
        assert_eq!(
            AgentConfig::parse_spec("lmstudio:liquid/lfm2.5-1.2b")
                .unwrap()
                .name(),
            "lmstudio/liquid/lfm2.5-1.2b"
        );
    }

    #[test]
    fn specs_parse() {
        assert_eq!(AgentConfig::parse_spec("gold").unwrap(), AgentConfig::Gold);
        assert_eq!(
            AgentConfig::parse_spec(" null ").unwrap(),
            AgentConfig::Null
        );
        let AgentConfig::LmStudio(c) = AgentConfig::parse_spec("lmstudio:qwen2.5:7b").unwrap()
        else {
            panic!()
        };
        assert_eq!(c.model, "qwen2.5:7b");
        let AgentConfig::OpenRouter(c) =
            AgentConfig::parse_spec("openrouter:meta-llama/llama-3-8b:free").unwrap()
        else {
            panic!()
        };
        assert_eq!(c.model, "meta-llama/llama-3-8b:free");
        assert_eq!(
            AgentConfig::parse_spec("nvidia:meta/llama").unwrap().kind(),
            "nvidia"
        );
        let AgentConfig::OpenAiCompatible(c) =
            AgentConfig::parse_spec("openai_compatible:org/model@v2@http://127.0.0.1:8000/v1")
                .unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (c.model.as_str(), c.base_url.as_str()),
            ("org/model@v2", "http://127.0.0.1:8000/v1")
        );
    }

    #[test]
    fn bad_specs_say_what_is_accepted() {
        for spec in [
            "gpt-4o",
            "openai:",
            "openai_compatible:model",
            "gold:x",
            "anthropc:claude",
            "",
        ] {
            let err = AgentConfig::parse_spec(spec).unwrap_err().to_string();
            assert!(
                err.contains("openai_compatible:MODEL@BASE_URL"),
                "{spec}: {err}"
            );
        }
        let err = AgentConfig::parse_spec("openai_compatible:model")
            .unwrap_err()
            .to_string();
        assert!(err.contains("needs a base URL"), "{err}");
    }

    #[test]
    fn stored_configs_hold_no_secret_and_rebuild() {
        let config = AgentConfig::OpenAi(
            OpenAiConfig::new("gpt-4o")
                .with_api_key("sk-literal-secret")
                .with_header("Authorization", "Bearer sk-header-secret")
                .with_header("X-Title", "bench")
                .with_temperature(0.5),
        );
        let stored = config.to_stored();
        let text = stored.to_string();
        assert!(
            !text.contains("sk-literal-secret") && !text.contains("sk-header-secret"),
            "{text}"
        );
        assert_eq!(stored["kind"], "openai");
        assert_eq!(stored["headers"]["X-Title"], "bench");
        let back: AgentConfig = serde_json::from_value(stored).unwrap();
        assert_eq!(back.name(), "gpt-4o");
        let AgentConfig::OpenAi(back) = back else {
            panic!()
        };
        assert_eq!(back.temperature, Some(0.5));
        assert_eq!(back.api_key, None);
    }

    #[test]
    fn json_files_hold_one_config_or_a_list() {
        let one = AgentConfig::from_json(r#"{"kind": "gold"}"#).unwrap();
        assert_eq!(one, vec![AgentConfig::Gold]);
        let list = AgentConfig::from_json(
            r#"[{"kind": "null"}, {"kind": "openai_compatible", "model": "m", "base_url": "http://127.0.0.1:1/v1"}]"#,
        )
        .unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[1].name(), "m");
        let wrapped = AgentConfig::from_json(r#"{"agents": [{"kind": "gold"}]}"#).unwrap();
        assert_eq!(wrapped, vec![AgentConfig::Gold]);
    }

    #[test]
    fn json_errors_name_the_line_and_field() {
        let err = AgentConfig::from_json("[\n  {\"kind\": \"gold\"},\n  {\"kind\": \"openai\", \"model\": \"m\", \"bse_url\": \"x\"}\n]")
            .unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        assert!(err.message.contains("unknown field `bse_url`"), "{err}");
        let err = AgentConfig::from_json(r#"{"kind": "anthropc"}"#).unwrap_err();
        assert!(err.message.contains("unknown variant `anthropc`"), "{err}");
        // `kind` need not come first.
        let list =
            AgentConfig::from_json(r#"[{"model": "m", "kind": "nvidia"}, {"kind": "gold"}]"#)
                .unwrap();
        assert_eq!(list[0].kind(), "nvidia");
        let err =
            AgentConfig::from_json(r#"{"model": "m", "kind": "nvidia", "modle": 1}"#).unwrap_err();
        assert!(err.message.contains("unknown field `modle`"), "{err}");
        let err = AgentConfig::from_json(r#"{"kind": "gold", "model": "m"}"#).unwrap_err();
        assert!(err.message.contains("unknown field `model`"), "{err}");
        let err = AgentConfig::from_json(r#"{"model": "m"}"#).unwrap_err();
        assert!(err.message.contains("missing field `kind`"), "{err}");
        let err = AgentConfig::from_json(
            r#"{"kind": "openai_compatible", "model": "m", "base_url": "nope"}"#,
        )
        .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("agents.m.base_url"), "{err}");
        let err = AgentConfig::from_json(r#"[{"kind": "gold"}, {"kind": "gold"}]"#).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("agents.1.name"), "{err}");
    }

    #[test]
    fn toml_files_hold_one_config_or_a_list() {
        let one = AgentConfig::from_toml(
            "kind = \"openai\"\nmodel = \"gpt-4o\"\nmax_tokens = 256\ntemperature = 0\n",
        )
        .unwrap();
        let AgentConfig::OpenAi(c) = &one[0] else {
            panic!()
        };
        assert_eq!((c.max_tokens, c.temperature), (Some(256), Some(0.0)));
        let list = AgentConfig::from_toml(
            "[[agents]]\nkind = \"gold\"\n\n[[agents]]\nkind = \"lmstudio\"\nmodel = \"qwen\"\n[agents.headers]\nX-Title = \"t\"\n",
        )
        .unwrap();
        assert_eq!(list.len(), 2);
        let err = AgentConfig::from_toml(
            "[[agents]]\nkind = \"gold\"\n\n[[agents]]\nkind = \"nvidia\"\nmodle = \"m\"\n",
        )
        .unwrap_err();
        assert!(err.message.contains("modle"), "{err}");
        assert!(err.line.is_some(), "{err}");
    }

    #[test]
    fn files_name_themselves_in_errors() {
        let dir =
            std::env::temp_dir().join(format!("benchcore-providers-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("agents.json");
        std::fs::write(&path, "{\n  \"kind\": \"openai\",\n  \"model\": 5\n}").unwrap();
        let err = AgentConfig::from_file(&path).unwrap_err();
        assert_eq!(err.path.as_deref(), Some(path.as_path()));
        assert_eq!(err.line, Some(3), "{err}");
        assert!(
            err.to_string()
                .contains("agents.json:3: invalid type: integer `5`"),
            "{err}"
        );
        let missing = AgentConfig::from_file(dir.join("missing.toml")).unwrap_err();
        assert!(
            missing.to_string().contains("missing.toml: cannot read"),
            "{missing}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn reference_agents_build() {
        assert_eq!(build_agent(&AgentConfig::Gold).unwrap().name(), "gold");
        assert_eq!(build_agent(&AgentConfig::Null).unwrap().name(), "null");
        let agent = build_agent(
            &AgentConfig::parse_spec("openai_compatible:m@http://127.0.0.1:1/v1").unwrap(),
        )
        .unwrap();
        assert!(agent.capabilities().remote);
    }

    #[test]
    fn the_schema_lists_every_kind() {
        let schema = agent_config_schema().to_string();
        for kind in [
            "openai_compatible",
            "openai",
            "openrouter",
            "nvidia",
            "lmstudio",
            "gold",
            "null",
        ] {
            assert!(
                schema.contains(&format!("\"{kind}\"")),
                "{kind} missing from {schema}"
            );
        }
    }
}

#[cfg(all(test, feature = "anthropic"))]
mod anthropic_tests {
    use super::*;

    #[test]
    fn anthropic_specs_files_and_stored_configs() {
        let AgentConfig::Anthropic(c) =
            AgentConfig::parse_spec("anthropic:claude-sonnet-4-5").unwrap()
        else {
            panic!()
        };
        assert_eq!(c.model, "claude-sonnet-4-5");
        // The kind alone takes the default model.
        let bare = AgentConfig::parse_spec("anthropic:").unwrap();
        assert_eq!(bare.name(), AnthropicConfig::DEFAULT_MODEL);
        let list = AgentConfig::from_toml(
            "[[agents]]\nkind = \"anthropic\"\nmodel = \"claude-x\"\nstream = true\nmax_tokens = 64\n",
        )
        .unwrap();
        assert_eq!(
            (list[0].kind(), list[0].name()),
            ("anthropic", "claude-x".into())
        );
        let err =
            AgentConfig::from_json(r#"{"kind": "anthropic", "model": "m", "temperature": 2}"#)
                .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("agents.m.temperature"), "{err}");
        let config = AgentConfig::Anthropic(
            AnthropicConfig::new("claude-x")
                .with_api_key("sk-ant-literal")
                .with_header("x-api-key", "sk-ant-header")
                .with_stream(true),
        );
        let stored = config.to_stored();
        let text = stored.to_string();
        assert!(!text.contains("sk-ant-"), "{text}");
        assert_eq!(stored["kind"], "anthropic");
        assert_eq!(stored["stream"], true);
        let agent = build_agent(&config).unwrap();
        assert!(agent.capabilities().streaming);
        assert!(agent_config_schema().to_string().contains("\"anthropic\""));
    }
}

#[cfg(all(test, not(feature = "anthropic")))]
mod without_anthropic {
    use super::*;

    #[test]
    fn anthropic_names_its_feature() {
        let err = AgentConfig::parse_spec("anthropic:claude").unwrap_err();
        assert!(
            err.message.contains("needs the `anthropic` feature"),
            "{err}"
        );
        let err = AgentConfig::from_json(r#"{"kind": "anthropic", "model": "m"}"#).unwrap_err();
        assert!(
            err.message.contains("needs the `anthropic` feature"),
            "{err}"
        );
    }
}

#[cfg(all(test, not(feature = "openai-compatible")))]
mod without_features {
    use super::*;

    #[test]
    fn a_kind_compiled_out_names_its_feature() {
        let err = AgentConfig::from_json(r#"{"kind": "openai", "model": "m"}"#).unwrap_err();
        assert!(
            err.message
                .contains("needs the `openai-compatible` feature"),
            "{err}"
        );
        let err = AgentConfig::parse_spec("openai:m").unwrap_err();
        assert!(
            err.message
                .contains("needs the `openai-compatible` feature"),
            "{err}"
        );
        assert_eq!(AgentConfig::parse_spec("gold").unwrap(), AgentConfig::Gold);
    }
}
