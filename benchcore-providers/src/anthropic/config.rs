//! [`AnthropicConfig`]: how to reach Anthropic's Messages API.

use super::wire::DEFAULT_MAX_TOKENS;
use super::AnthropicAgent;
use crate::http;
use crate::keys::{config_fields, Keys};
use crate::registry::{field_error, inherent_kind_methods, model_arg, AgentKind, KindInfo};
use benchcore::ConfigError;
use reqwest::header::{HeaderName, HeaderValue};

config_fields! {
    /// How to reach Anthropic's Messages API (`POST {base_url}/v1/messages`), keyed by
    /// `ANTHROPIC_API_KEY`.
    ///
    /// Temperatures run from 0 to 1; there is no seed. An `anthropic-version` among
    /// `headers` replaces the default `2023-06-01` (add `anthropic-beta` and a gateway's own
    /// headers the same way). The Messages API requires `max_tokens`: 1024 is sent when
    /// neither the request nor the config sets it.
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
    pub struct AnthropicConfig {
        name,
        /// The model, as Anthropic names it (`claude-sonnet-4-5`, the default).
        pub model: String,
        /// Overrides the API root (a proxy, a gateway); default `https://api.anthropic.com`.
        /// Requests go to `{base_url}/v1/messages` (a root already ending in `/v1` is not
        /// given a second one).
        pub base_url: Option<String> => with_base_url,
        api_key, headers, temperature, max_tokens, limits, system_prompt, stream,
    }
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
    pub const DEFAULT_MAX_TOKENS: u32 = DEFAULT_MAX_TOKENS;

    /// A config for `model`, with everything else default.
    pub fn new(model: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            ..Self::default()
        }
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
    pub fn build(self) -> Result<AnthropicAgent, ConfigError> {
        let (url, mut headers) = self.check()?;
        let name = self.agent_name();
        let keys = self.keys();
        let key = keys.resolve_key(&name, Some(Self::API_KEY_ENV))?;
        if let Some(key) = &key {
            let value = Keys::key_header(&name, key.secret.expose())?;
            headers.insert(HeaderName::from_static("x-api-key"), value);
        }
        if !headers.contains_key("anthropic-version") {
            headers.insert(
                HeaderName::from_static("anthropic-version"),
                HeaderValue::from_static(Self::API_VERSION),
            );
        }
        let model = self.model_or_default().to_owned();
        Ok(AnthropicAgent::new(
            keys.endpoint(name, url, headers, key)?,
            model,
        ))
    }

    /// Checks every field: the URL requests go to, then the shared keys (returned as the
    /// extra headers).
    fn check(&self) -> Result<(reqwest::Url, reqwest::header::HeaderMap), ConfigError> {
        let name = self.agent_name();
        let base = self.base_url.as_deref().unwrap_or(Self::BASE_URL);
        let segments: &[&str] = if base.trim().trim_end_matches('/').ends_with("/v1") {
            &["messages"]
        } else {
            &["v1", "messages"]
        };
        let url = http::endpoint(base, segments, Self::BASE_URL)
            .map_err(|why| field_error(&name, "base_url", why))?;
        Ok((url, self.keys().check(&name, 1.0)?))
    }
}

impl AgentKind for AnthropicConfig {
    const INFO: KindInfo = KindInfo {
        spec: Some("anthropic:MODEL"),
        key_env: Some(Self::API_KEY_ENV),
        base_url: Some(Self::BASE_URL),
        default_model: Some(Self::DEFAULT_MODEL),
        ..KindInfo::REMOTE
    };

    fn from_spec(arg: Option<&str>) -> Result<Self, String> {
        model_arg(arg, Self::INFO.default_model).map(Self::new)
    }

    inherent_kind_methods!();
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
        assert!(err(base().with_base_url("ftp://x")).starts_with("agents.claude-test.base_url"));
        // The shared keys are checked by `Keys::check`, with Anthropic's temperature range.
        assert_eq!(
            err(base().with_temperature(1.5)),
            "agents.claude-test.temperature: 1.5 is outside 0 to 1"
        );
        assert_eq!(
            err(AnthropicConfig::new("m").with_api_key("")),
            "agents.m.api_key: is empty"
        );
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
