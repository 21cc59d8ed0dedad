//! [`AnthropicConfig`]: how to reach Anthropic's Messages API.

use crate::http::{self, DEFAULT_MAX_RESPONSE_BYTES};
use benchcore::{ConfigError, Sampling, Secret};
use reqwest::header::{HeaderName, HeaderValue};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// How to reach Anthropic's Messages API (`POST {base_url}/v1/messages`), keyed by
/// `ANTHROPIC_API_KEY`.
///
/// ```
/// use benchcore_providers::AnthropicConfig;
/// let config = AnthropicConfig::new("claude-sonnet-4-5")
///     .with_api_key("sk-ant-…")
///     .with_max_tokens(512)
///     .with_stream(true);
/// let agent = config.build().unwrap();
/// assert_eq!(benchcore::Agent::name(&agent), "claude-sonnet-4-5");
/// assert!(benchcore::Agent::capabilities(&agent).streaming);
/// ```
#[derive(Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct AnthropicConfig {
    /// The agent's name in records and reports; defaults to the model. Must be unique within
    /// a run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The model, as Anthropic names it (`claude-sonnet-4-5`).
    pub model: String,
    /// Overrides the API root (a proxy, a gateway); default `https://api.anthropic.com`.
    /// Requests go to `{base_url}/v1/messages` (a root already ending in `/v1` is not given
    /// a second one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Overrides the environment variable holding the API key (default
    /// `ANTHROPIC_API_KEY`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
    /// The API key itself, for library users who hold it in memory. It wins over the
    /// environment and is never serialized, so it never reaches a stored run spec.
    #[serde(skip_serializing)]
    pub api_key: Option<Secret>,
    /// Extra HTTP headers sent with every request (`anthropic-beta`, a gateway's own). An
    /// `anthropic-version` here replaces the default `2023-06-01`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Default sampling temperature (0 to 1); a request's own sampling wins.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Default largest number of tokens to generate; a request's own sampling wins. The
    /// Messages API requires one, so 1024 is sent when neither sets it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// A client-side limit on each exchange, in milliseconds, on top of the request's
    /// deadline (the shorter wins).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// The largest reply accepted, in bytes (default 8 MiB), streamed or not; a longer one
    /// is a malformed reply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_response_bytes: Option<u64>,
    /// The agent's own system prompt, sent as the start of the `system` field (a case's
    /// own system messages follow it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
    /// Streams each reply as server-sent events, which records the time to the first
    /// token.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stream: bool,
}

impl AnthropicConfig {
    /// The model used when the config names none.
    pub const DEFAULT_MODEL: &str = "claude-sonnet-4-5";

    /// Anthropic's API root.
    pub const BASE_URL: &str = "https://api.anthropic.com";
    /// The environment variable read for the key unless `api_key_env` says otherwise.
    pub const API_KEY_ENV: &str = "ANTHROPIC_API_KEY";
    /// The `anthropic-version` header sent unless `headers` sets another.
    pub const API_VERSION: &str = "2023-06-01";
    /// The `max_tokens` sent when neither the request nor the config sets one.
    pub const DEFAULT_MAX_TOKENS: u32 = 1024;

    /// A config for `model`, with everything else default.
    pub fn new(model: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            ..Self::default()
        }
    }

    /// Sets the agent's name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the agent's own system prompt.
    pub fn with_system_prompt(mut self, prompt: impl Into<String>) -> Self {
        self.system_prompt = Some(prompt.into());
        self
    }

    /// Overrides the API root.
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// Sets the API key itself.
    pub fn with_api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(Secret::new(key));
        self
    }

    /// Overrides the environment variable holding the API key.
    pub fn with_api_key_env(mut self, var: impl Into<String>) -> Self {
        self.api_key_env = Some(var.into());
        self
    }

    /// Adds an HTTP header sent with every request.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.insert(name.into(), value.into());
        self
    }

    /// Sets the default temperature.
    pub fn with_temperature(mut self, temperature: f64) -> Self {
        self.temperature = Some(temperature);
        self
    }

    /// Sets the default largest number of tokens to generate.
    pub fn with_max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }

    /// Sets the client-side limit on each exchange.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout_ms = Some(timeout.as_millis().try_into().unwrap_or(u64::MAX));
        self
    }

    /// Sets the largest reply accepted.
    pub fn with_max_response_bytes(mut self, bytes: u64) -> Self {
        self.max_response_bytes = Some(bytes);
        self
    }

    /// Turns streaming on or off.
    pub fn with_stream(mut self, stream: bool) -> Self {
        self.stream = stream;
        self
    }

    /// The agent's name: `name`, else the model.
    pub fn agent_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| self.model_or_default().to_owned())
    }

    /// The model requests name: `model`, else [`Self::DEFAULT_MODEL`].
    pub fn model_or_default(&self) -> &str {
        match self.model.trim() {
            "" => Self::DEFAULT_MODEL,
            model => model,
        }
    }

    /// Checks every field without reading the environment. Errors name the field as
    /// `agents.<name>.<field>`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.check().map(|_| ())
    }

    /// Checks every field, resolves the key and builds the agent.
    pub fn build(self) -> Result<super::AnthropicAgent, ConfigError> {
        let checked = self.check()?;
        let (api_key, key_source) = self.resolve_key()?;
        let mut headers = checked.headers;
        let key = http::secret_header(api_key.expose())
            .ok_or_else(|| self.field_error("api_key", "is not a valid HTTP header value"))?;
        headers.insert(HeaderName::from_static("x-api-key"), key);
        if !headers.contains_key("anthropic-version") {
            headers.insert(
                HeaderName::from_static("anthropic-version"),
                HeaderValue::from_static(Self::API_VERSION),
            );
        }
        let accept = if self.stream {
            "text/event-stream"
        } else {
            "application/json"
        };
        headers.insert(reqwest::header::ACCEPT, HeaderValue::from_static(accept));
        let mut defaults = Sampling::default();
        defaults.temperature = self.temperature;
        defaults.max_tokens = self.max_tokens;
        Ok(super::AnthropicAgent::new(super::agent::Parts {
            name: self.agent_name(),
            endpoint: checked.endpoint,
            model: self.model_or_default().to_owned(),
            api_key,
            key_source,
            defaults,
            timeout: self.timeout_ms.map(Duration::from_millis),
            max_response_bytes: self
                .max_response_bytes
                .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
            stream: self.stream,
            system_prompt: self.system_prompt.clone(),
            client: http::client(headers)?,
        }))
    }

    fn field_error(&self, field: &str, message: impl fmt::Display) -> ConfigError {
        let name = self.agent_name();
        let name = if name.is_empty() { "<unnamed>" } else { &name };
        ConfigError::field(format!("agents.{name}.{field}"), message.to_string())
    }

    fn check(&self) -> Result<Checked, ConfigError> {
        if let Some(name) = &self.name {
            if name.trim().is_empty() || name.chars().any(char::is_control) {
                return Err(self.field_error("name", format!("`{name}` is not a usable name")));
            }
        }
        let base = self.base_url.as_deref().unwrap_or(Self::BASE_URL);
        let segments: &[&str] = if base.trim().trim_end_matches('/').ends_with("/v1") {
            &["messages"]
        } else {
            &["v1", "messages"]
        };
        let endpoint = http::endpoint(base, segments, Self::BASE_URL)
            .map_err(|why| self.field_error("base_url", why))?;
        if let Some(var) = &self.api_key_env {
            http::check_env_name(var).map_err(|why| self.field_error("api_key_env", why))?;
        }
        if let Some(key) = &self.api_key {
            http::check_key(key).map_err(|why| self.field_error("api_key", why))?;
        }
        let headers =
            http::header_map(&self.headers).map_err(|why| self.field_error("headers", why))?;
        if let Some(t) = self.temperature {
            if !(0.0..=1.0).contains(&t) {
                return Err(self.field_error("temperature", format!("{t} is outside 0 to 1")));
            }
        }
        if self.max_tokens == Some(0) {
            return Err(self.field_error("max_tokens", "must be at least 1"));
        }
        if self.timeout_ms == Some(0) {
            return Err(self.field_error("timeout_ms", "must be at least 1"));
        }
        if self.max_response_bytes == Some(0) {
            return Err(self.field_error("max_response_bytes", "must be at least 1"));
        }
        Ok(Checked { endpoint, headers })
    }

    /// The key (`api_key`, else the variable named by `api_key_env`, else
    /// `ANTHROPIC_API_KEY`) and where it came from, for auth errors. The Messages API always
    /// needs one.
    fn resolve_key(&self) -> Result<(Secret, String), ConfigError> {
        if let Some(key) = &self.api_key {
            return Ok((key.clone(), "the API key given as api_key".to_owned()));
        }
        let var = self.api_key_env.as_deref().unwrap_or(Self::API_KEY_ENV);
        let key = http::key_from_env(var).map_err(|why| self.field_error("api_key_env", why))?;
        Ok((
            key,
            format!("the API key from the environment variable {var}"),
        ))
    }
}

struct Checked {
    endpoint: reqwest::Url,
    headers: reqwest::header::HeaderMap,
}

impl fmt::Debug for AnthropicConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnthropicConfig")
            .field("name", &self.name)
            .field("model", &self.model)
            .field("base_url", &self.base_url)
            .field("api_key_env", &self.api_key_env)
            .field("api_key", &self.api_key)
            .field("headers", &http::RedactedHeaders(&self.headers))
            .field("temperature", &self.temperature)
            .field("max_tokens", &self.max_tokens)
            .field("timeout_ms", &self.timeout_ms)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("system_prompt", &self.system_prompt)
            .field("stream", &self.stream)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> AnthropicConfig {
        AnthropicConfig::new("claude-test").with_api_key("sk-ant-test")
    }

    fn err(config: AnthropicConfig) -> String {
        config.build().unwrap_err().to_string()
    }

    #[test]
    fn the_endpoint_is_under_v1() {
        let endpoint = |base: Option<&str>| {
            let mut config = base_config();
            config.base_url = base.map(str::to_owned);
            config.build().unwrap().endpoint().to_owned()
        };
        fn base_config() -> AnthropicConfig {
            AnthropicConfig::new("m").with_api_key("k")
        }
        assert_eq!(endpoint(None), "https://api.anthropic.com/v1/messages");
        assert_eq!(
            endpoint(Some("http://127.0.0.1:9")),
            "http://127.0.0.1:9/v1/messages"
        );
        assert_eq!(
            endpoint(Some("https://gw.example/anthropic/v1/")),
            "https://gw.example/anthropic/v1/messages"
        );
    }

    #[test]
    fn every_field_is_checked() {
        let unset = AnthropicConfig::new("").with_api_key("k");
        assert!(unset.validate().is_ok());
        assert_eq!(unset.agent_name(), AnthropicConfig::DEFAULT_MODEL);
        assert!(err(base().with_name(" ")).starts_with("agents. .name"));
        assert_eq!(
            err(base().with_temperature(1.5)),
            "agents.claude-test.temperature: 1.5 is outside 0 to 1"
        );
        assert_eq!(
            err(base().with_max_tokens(0)),
            "agents.claude-test.max_tokens: must be at least 1"
        );
        assert_eq!(
            err(base().with_timeout(Duration::ZERO)),
            "agents.claude-test.timeout_ms: must be at least 1"
        );
        assert_eq!(
            err(base().with_max_response_bytes(0)),
            "agents.claude-test.max_response_bytes: must be at least 1"
        );
        assert!(err(base().with_base_url("ftp://x")).starts_with("agents.claude-test.base_url"));
        assert!(
            err(base().with_header("bad header", "v")).starts_with("agents.claude-test.headers")
        );
        assert_eq!(
            err(AnthropicConfig::new("m").with_api_key("")),
            "agents.m.api_key: is empty"
        );
        assert!(err(base().with_api_key_env("A=B")).starts_with("agents.claude-test.api_key_env"));
    }

    #[test]
    fn a_missing_key_variable_is_named() {
        let config =
            AnthropicConfig::new("m").with_api_key_env("BENCHCORE_TEST_SURELY_UNSET_ANTHROPIC");
        assert_eq!(
            err(config),
            "agents.m.api_key_env: the environment variable BENCHCORE_TEST_SURELY_UNSET_ANTHROPIC is not set; set it to the API key"
        );
        // Validation alone does not read the environment.
        AnthropicConfig::new("m")
            .with_api_key_env("BENCHCORE_TEST_SURELY_UNSET_ANTHROPIC")
            .validate()
            .unwrap();
    }

    #[test]
    fn debug_and_serialization_hide_the_key() {
        let config = base()
            .with_api_key("sk-ant-very-secret")
            .with_header("x-api-key", "sk-ant-other-secret")
            .with_header("anthropic-beta", "tools-2024");
        let debug = format!("{config:?}");
        assert!(
            !debug.contains("sk-ant-very-secret") && !debug.contains("sk-ant-other-secret"),
            "{debug}"
        );
        assert!(debug.contains("tools-2024"), "{debug}");
        let json = serde_json::to_string(&config).unwrap();
        assert!(!json.contains("sk-ant-very-secret"), "{json}");
        let agent = config.build().unwrap();
        assert!(!format!("{agent:?}").contains("sk-ant-very-secret"));
    }

    #[test]
    fn unknown_fields_are_refused_and_defaults_are_not_written() {
        let err =
            serde_json::from_str::<AnthropicConfig>(r#"{"model": "m", "modle": "x"}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `modle`"), "{err}");
        let json = serde_json::to_value(AnthropicConfig::new("m")).unwrap();
        assert_eq!(json, serde_json::json!({"model": "m"}));
        let json = serde_json::to_value(AnthropicConfig::new("m").with_stream(true)).unwrap();
        assert_eq!(json, serde_json::json!({"model": "m", "stream": true}));
    }
}
