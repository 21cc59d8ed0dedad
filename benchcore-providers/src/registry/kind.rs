//! What the kind table knows about each kind: [`KindInfo`] (defaults, key variable, short
//! spec, whether it is remote), and [`AgentKind`], which each kind's config implements.

use benchcore::{Agent, ConfigError};
use serde::Deserialize;
use std::fmt;
use std::sync::Arc;

/// What the kind table knows about a kind besides its name and config type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct KindInfo {
    /// The CLI's short form (`openai:MODEL`); `None` when the kind is written in files only.
    pub spec: Option<&'static str>,
    /// A prefix that names the kind in a short spec by itself (`lmstudio/` in
    /// `lmstudio/ID`, which reads as `lmstudio:ID`).
    pub spec_prefix: Option<&'static str>,
    /// The environment variable read for the API key when the config names none.
    pub key_env: Option<&'static str>,
    /// The API root used when the config names none.
    pub base_url: Option<&'static str>,
    /// The model used when the config names none; the kind alone is then a short spec.
    pub default_model: Option<&'static str>,
    /// Whether it calls a remote service: its replies are priced from the price table when
    /// the service reports usage but no cost.
    pub remote: bool,
}

impl KindInfo {
    /// A kind that runs in the process: no spec, no key, no defaults, not priced.
    pub const LOCAL: Self = Self {
        spec: None,
        spec_prefix: None,
        key_env: None,
        base_url: None,
        default_model: None,
        remote: false,
    };

    /// A kind that calls a remote service, priced; no spec, key or defaults.
    pub const REMOTE: Self = Self {
        remote: true,
        ..Self::LOCAL
    };
}

/// One row of the kind table, as [`AgentConfig::kinds`](crate::AgentConfig::kinds) lists
/// it: every kind this version knows, compiled in or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Kind {
    /// The `kind` tag (`openai`, `gold` …).
    pub name: &'static str,
    /// The cargo feature of `benchcore-providers` it needs, if any.
    pub feature: Option<&'static str>,
    /// Its defaults and short form; `None` when its feature is off.
    pub info: Option<KindInfo>,
}

/// A kind's config, as the table registers it: its [`KindInfo`], its short spec, and how it
/// names, checks and builds its agent. A kind without a config (`gold`) implements it on a
/// unit struct.
pub(crate) trait AgentKind: Sized + Send + Sync + 'static {
    /// What the table knows about the kind.
    const INFO: KindInfo;

    /// The config the CLI's short form describes: `arg` is what follows `kind:` (`None`
    /// for the kind alone). The error is the reason the spec is wrong, or empty for a kind
    /// without a short form.
    fn from_spec(arg: Option<&str>) -> Result<Self, String> {
        let _ = arg;
        Err(String::new())
    }

    /// The agent's name in records.
    fn agent_name(&self) -> String;

    /// Checks every field without reading the environment.
    fn validate(&self) -> Result<(), ConfigError>;

    /// Builds the agent, reading its key from the environment when the config names one.
    fn build(&self) -> Result<Arc<dyn Agent>, ConfigError>;
}

/// [`AgentKind`] as a trait object, for the dispatch the table generates.
pub(crate) trait DynKind: Send + Sync {
    fn info(&self) -> KindInfo;
    fn agent_name(&self) -> String;
    fn validate(&self) -> Result<(), ConfigError>;
    fn build(&self) -> Result<Arc<dyn Agent>, ConfigError>;
}

impl<K: AgentKind> DynKind for K {
    fn info(&self) -> KindInfo {
        K::INFO
    }

    fn agent_name(&self) -> String {
        AgentKind::agent_name(self)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        AgentKind::validate(self)
    }

    fn build(&self) -> Result<Arc<dyn Agent>, ConfigError> {
        AgentKind::build(self)
    }
}

/// The error about `field` of the agent named `agent`: `agents.<agent>.<field>`, an
/// unnamed agent being `<unnamed>`.
pub(crate) fn field_error(agent: &str, field: &str, message: impl fmt::Display) -> ConfigError {
    let agent = if agent.is_empty() { "<unnamed>" } else { agent };
    ConfigError::field(format!("agents.{agent}.{field}"), message.to_string())
}

/// Checks an agent's `name`: not blank, no control characters.
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() || name.chars().any(char::is_control) {
        return Err(format!("`{name}` is not a usable name"));
    }
    Ok(())
}

/// The fields of a kind that takes none: any field is refused, by name.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoFields {}

/// The model of a short spec `kind:MODEL`: what follows the colon, trimmed; empty when the
/// kind has a default model and the spec names none.
#[cfg(any(
    feature = "openai-compatible",
    feature = "anthropic",
    feature = "realtime"
))]
pub(crate) fn model_arg<'a>(
    arg: Option<&'a str>,
    default_model: Option<&str>,
) -> Result<&'a str, String> {
    match arg.map(str::trim).filter(|m| !m.is_empty()) {
        Some(model) => Ok(model),
        None if default_model.is_some() => Ok(""),
        None => Err("the model is missing".to_owned()),
    }
}

/// Implements [`AgentKind`]'s `agent_name`, `validate` and `build` with the config's own
/// methods of those names (`build(self)` returning its concrete agent).
macro_rules! inherent_kind_methods {
    () => {
        fn agent_name(&self) -> String {
            self.agent_name()
        }

        fn validate(&self) -> Result<(), benchcore::ConfigError> {
            self.validate()
        }

        fn build(&self) -> Result<std::sync::Arc<dyn benchcore::Agent>, benchcore::ConfigError> {
            Ok(std::sync::Arc::new(self.clone().build()?))
        }
    };
}

pub(crate) use inherent_kind_methods;
