//! [`OpenAiCompatConfig`]: how to reach a server that speaks OpenAI Chat Completions.

use super::agent::Api;
use crate::http::{self, DEFAULT_MAX_RESPONSE_BYTES};
use benchcore::{ConfigError, Sampling, Secret};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::Url;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// How to reach any server that speaks OpenAI Chat Completions (`POST
/// {base_url}/chat/completions`): vLLM, Ollama, llama.cpp, TGI, LiteLLM, a corporate gateway.
///
/// The named presets (`openai`, `openrouter`, `nvidia`, `lmstudio`) fill in the base URL and
/// the key's environment variable for you.
///
/// ```
/// use benchcore_providers::OpenAiCompatConfig;
/// let config = OpenAiCompatConfig::new("qwen2.5-7b", "http://127.0.0.1:8000/v1")
///     .with_temperature(0.0)
///     .with_max_tokens(256);
/// let agent = config.build().unwrap();
/// assert_eq!(benchcore::Agent::name(&agent), "qwen2.5-7b");
/// ```
#[derive(Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct OpenAiCompatConfig {
    /// The agent's name in records and reports; defaults to the model. Must be unique within
    /// a run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The API root, up to and including the version (`http://127.0.0.1:8000/v1`); requests
    /// go to `{base_url}/chat/completions`.
    pub base_url: String,
    /// The model, as the server names it.
    pub model: String,
    /// The environment variable holding the API key (`MY_GATEWAY_KEY`). When neither this
    /// nor `api_key` is set, no key is sent, as a local server may need none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
    /// The API key itself, for library users who hold it in memory. It wins over
    /// `api_key_env` and is never serialized, so it never reaches a stored run spec.
    #[serde(skip_serializing)]
    pub api_key: Option<Secret>,
    /// Extra HTTP headers sent with every request.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Default sampling temperature (0 to 2); a request's own sampling wins.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Default largest number of tokens to generate; a request's own sampling wins.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Default sampling seed; a request's own sampling wins.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// A client-side limit on each exchange, in milliseconds, on top of the request's
    /// deadline (the shorter wins).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// The largest reply body accepted, in bytes (default 8 MiB), streamed or not; a longer
    /// one is a malformed reply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_response_bytes: Option<u64>,
    /// The agent's own system prompt, sent before each conversation (a case's own system
    /// messages follow it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
    /// Streams each reply as server-sent events (`"stream": true` with
    /// `stream_options.include_usage`), which records the time to the first token.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stream: bool,
    /// OpenAI's managed prompts, set by [`OpenAiConfig`](super::OpenAiConfig) only: `Some`
    /// means the server is OpenAI's platform, and a prompt id there sends requests to the
    /// Responses API.
    #[serde(skip)]
    #[schemars(skip)]
    pub(crate) platform_prompt: Option<PlatformPrompt>,
}

/// A prompt managed on OpenAI's platform, as an [`OpenAiConfig`](super::OpenAiConfig) sets
/// it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PlatformPrompt {
    /// The prompt's id (`pmpt_…`); `None` when the config names no prompt.
    pub(crate) id: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) variables: BTreeMap<String, String>,
}

impl OpenAiCompatConfig {
    /// A config for `model` at `base_url`, with everything else default.
    pub fn new(model: impl Into<String>, base_url: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            base_url: base_url.into(),
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

    /// Sets the API key itself.
    pub fn with_api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(Secret::new(key));
        self
    }

    /// Sets the environment variable holding the API key.
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

    /// Sets the default seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Sets the client-side limit on each exchange.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout_ms = Some(timeout.as_millis().try_into().unwrap_or(u64::MAX));
        self
    }

    /// Sets the largest reply body accepted.
    pub fn with_max_response_bytes(mut self, bytes: u64) -> Self {
        self.max_response_bytes = Some(bytes);
        self
    }

    /// Turns streaming on or off.
    pub fn with_stream(mut self, stream: bool) -> Self {
        self.stream = stream;
        self
    }

    /// The agent's name: `name`, else the model, else the managed prompt's id.
    pub fn agent_name(&self) -> String {
        if let Some(name) = &self.name {
            return name.clone();
        }
        match self.prompt_id() {
            Some(id) if self.model.trim().is_empty() => id.to_owned(),
            _ => self.model.clone(),
        }
    }

    /// The managed prompt's id, when requests go to the Responses API.
    fn prompt_id(&self) -> Option<&str> {
        self.platform_prompt.as_ref().and_then(|p| p.id.as_deref())
    }

    /// Checks every field without reading the environment. Errors name the field as
    /// `agents.<name>.<field>`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.check().map(|_| ())
    }

    /// Checks every field, resolves the key and builds the agent.
    pub fn build(self) -> Result<super::OpenAiCompatAgent, ConfigError> {
        self.build_as("openai_compatible")
    }

    /// Builds the agent, recording which preset (`provider`) built it.
    pub(crate) fn build_as(
        self,
        provider: &'static str,
    ) -> Result<super::OpenAiCompatAgent, ConfigError> {
        let checked = self.check()?;
        let api_key = self.resolve_key()?;
        let mut headers = checked.headers;
        if let Some(key) = &api_key {
            let value = http::secret_header(&format!("Bearer {}", key.expose()))
                .ok_or_else(|| self.field_error("api_key", "is not a valid HTTP header value"))?;
            headers.insert(reqwest::header::AUTHORIZATION, value);
        }
        let accept = if self.stream {
            "text/event-stream"
        } else {
            "application/json"
        };
        headers.insert(reqwest::header::ACCEPT, HeaderValue::from_static(accept));
        Ok(super::OpenAiCompatAgent::new(super::agent::Parts {
            name: self.agent_name(),
            provider,
            endpoint: checked.endpoint,
            api: checked.api,
            model: self.model.clone(),
            key_source: match (&api_key, &self.api_key, &self.api_key_env) {
                (None, _, _) => "no API key: none is configured".to_owned(),
                (Some(_), Some(_), _) => "the API key given as api_key".to_owned(),
                (Some(_), None, var) => format!(
                    "the API key from the environment variable {}",
                    var.as_deref().unwrap_or("?")
                ),
            },
            api_key,
            defaults: self.sampling(),
            timeout: self.timeout_ms.map(Duration::from_millis),
            max_response_bytes: self
                .max_response_bytes
                .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
            stream: self.stream,
            system_prompt: self.system_prompt.clone(),
            client: http::client(headers)?,
        }))
    }

    /// The default sampling settings.
    fn sampling(&self) -> Sampling {
        let mut sampling = Sampling::default();
        sampling.temperature = self.temperature;
        sampling.max_tokens = self.max_tokens;
        sampling.seed = self.seed;
        sampling
    }

    fn field_error(&self, field: &str, message: impl fmt::Display) -> ConfigError {
        let name = self.agent_name();
        let name = if name.is_empty() { "<unnamed>" } else { &name };
        ConfigError::field(format!("agents.{name}.{field}"), message.to_string())
    }

    fn check(&self) -> Result<Checked, ConfigError> {
        let api = self.check_api()?;
        if let Some(name) = &self.name {
            if name.trim().is_empty() || name.chars().any(char::is_control) {
                return Err(self.field_error("name", format!("`{name}` is not a usable name")));
            }
        }
        let endpoint = self.endpoint(&api)?;
        if let Some(var) = &self.api_key_env {
            http::check_env_name(var).map_err(|why| self.field_error("api_key_env", why))?;
        }
        if let Some(key) = &self.api_key {
            http::check_key(key).map_err(|why| self.field_error("api_key", why))?;
        }
        let headers =
            http::header_map(&self.headers).map_err(|why| self.field_error("headers", why))?;
        if let Some(t) = self.temperature {
            if !(0.0..=2.0).contains(&t) {
                return Err(self.field_error("temperature", format!("{t} is outside 0 to 2")));
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
        Ok(Checked {
            endpoint,
            headers,
            api,
        })
    }

    /// Which API requests go to, checking the fields that decide it: the model, and for
    /// OpenAI's platform the managed prompt.
    fn check_api(&self) -> Result<Api, ConfigError> {
        let has_model = !self.model.trim().is_empty();
        let Some(prompt) = &self.platform_prompt else {
            if !has_model {
                return Err(
                    self.field_error("model", "is required (the model as the server names it)")
                );
            }
            return Ok(Api::ChatCompletions);
        };
        let Some(id) = &prompt.id else {
            if !has_model {
                return Err(self.field_error(
                    "model",
                    "is required unless prompt_id names a managed prompt",
                ));
            }
            for (field, set) in [
                ("prompt_version", prompt.version.is_some()),
                ("prompt_variables", !prompt.variables.is_empty()),
            ] {
                if set {
                    return Err(
                        self.field_error(field, "needs prompt_id (the prompt it belongs to)")
                    );
                }
            }
            return Ok(Api::ChatCompletions);
        };
        if id.trim().is_empty() || id.chars().any(char::is_whitespace) {
            return Err(self.field_error("prompt_id", format!("`{id}` is not a prompt id")));
        }
        if prompt
            .version
            .as_deref()
            .is_some_and(|v| v.trim().is_empty())
        {
            return Err(self.field_error("prompt_version", "is empty"));
        }
        Ok(Api::Responses(super::agent::Prompt {
            id: id.clone(),
            version: prompt.version.clone(),
            variables: prompt.variables.clone(),
        }))
    }

    /// `{base_url}/chat/completions`, or `{base_url}/responses` for a managed prompt,
    /// keeping any query string of the base.
    fn endpoint(&self, api: &Api) -> Result<Url, ConfigError> {
        let segments: &[&str] = match api {
            Api::ChatCompletions => &["chat", "completions"],
            Api::Responses(_) => &["responses"],
        };
        http::endpoint(&self.base_url, segments, "http://127.0.0.1:8000/v1")
            .map_err(|why| self.field_error("base_url", why))
    }

    /// The key: `api_key`, else the variable named by `api_key_env`, else none.
    fn resolve_key(&self) -> Result<Option<Secret>, ConfigError> {
        if let Some(key) = &self.api_key {
            return Ok(Some(key.clone()));
        }
        let Some(var) = &self.api_key_env else {
            return Ok(None);
        };
        http::key_from_env(var)
            .map(Some)
            .map_err(|why| self.field_error("api_key_env", why))
    }
}

struct Checked {
    endpoint: Url,
    headers: HeaderMap,
    api: Api,
}

impl fmt::Debug for OpenAiCompatConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiCompatConfig")
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key_env", &self.api_key_env)
            .field("api_key", &self.api_key)
            .field("headers", &http::RedactedHeaders(&self.headers))
            .field("temperature", &self.temperature)
            .field("max_tokens", &self.max_tokens)
            .field("seed", &self.seed)
            .field("timeout_ms", &self.timeout_ms)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("system_prompt", &self.system_prompt)
            .field("stream", &self.stream)
            .field("platform_prompt", &self.platform_prompt)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(config: OpenAiCompatConfig) -> String {
        config.build().unwrap_err().to_string()
    }

    #[test]
    fn base_url_must_be_an_http_url() {
        let config = OpenAiCompatConfig::new("m", "not a url").with_name("x");
        assert!(err(config).starts_with("agents.x.base_url: not a URL"));
        let config = OpenAiCompatConfig::new("m", "ftp://example.com/v1");
        assert_eq!(
            err(config),
            "agents.m.base_url: not an http(s) URL: `ftp://example.com/v1`"
        );
        let config = OpenAiCompatConfig::new("m", "");
        assert!(err(config).starts_with("agents.m.base_url: is required"));
    }

    #[test]
    fn endpoint_appends_the_path_and_keeps_the_query() {
        let endpoint = |base: &str| {
            OpenAiCompatConfig::new("m", base)
                .endpoint(&Api::ChatCompletions)
                .unwrap()
                .to_string()
        };
        assert_eq!(endpoint("http://h:1/v1"), "http://h:1/v1/chat/completions");
        assert_eq!(endpoint("http://h:1/v1/"), "http://h:1/v1/chat/completions");
        assert_eq!(endpoint("https://h"), "https://h/chat/completions");
        assert_eq!(
            endpoint("https://h/openai?api-version=1"),
            "https://h/openai/chat/completions?api-version=1"
        );
    }

    #[test]
    fn every_field_is_checked() {
        let base = || OpenAiCompatConfig::new("m", "http://127.0.0.1:1/v1");
        assert_eq!(
            err(OpenAiCompatConfig::new("", "http://h/v1")),
            "agents.<unnamed>.model: is required (the model as the server names it)"
        );
        assert!(err(base().with_name(" ")).starts_with("agents. .name"));
        assert_eq!(
            err(base().with_temperature(3.0)),
            "agents.m.temperature: 3 is outside 0 to 2"
        );
        assert_eq!(
            err(base().with_max_tokens(0)),
            "agents.m.max_tokens: must be at least 1"
        );
        assert_eq!(
            err(base().with_max_response_bytes(0)),
            "agents.m.max_response_bytes: must be at least 1"
        );
        assert_eq!(
            err(base().with_timeout(Duration::ZERO)),
            "agents.m.timeout_ms: must be at least 1"
        );
        assert!(err(base().with_header("bad header", "v"))
            .starts_with("agents.m.headers: `bad header`"));
        assert!(err(base().with_header("x-a", "line\nbreak"))
            .starts_with("agents.m.headers: the value of `x-a`"));
        assert_eq!(err(base().with_api_key("")), "agents.m.api_key: is empty");
        assert!(err(base().with_api_key_env("A=B")).starts_with("agents.m.api_key_env"));
    }

    #[test]
    fn a_missing_key_variable_is_named() {
        let config = OpenAiCompatConfig::new("m", "http://127.0.0.1:1/v1")
            .with_api_key_env("BENCHCORE_TEST_SURELY_UNSET_KEY");
        assert_eq!(
            err(config),
            "agents.m.api_key_env: the environment variable BENCHCORE_TEST_SURELY_UNSET_KEY is not set; set it to the API key"
        );
    }

    #[test]
    fn no_key_at_all_is_allowed_and_a_literal_key_wins() {
        OpenAiCompatConfig::new("m", "http://127.0.0.1:1/v1")
            .build()
            .unwrap();
        OpenAiCompatConfig::new("m", "http://127.0.0.1:1/v1")
            .with_api_key_env("BENCHCORE_TEST_SURELY_UNSET_KEY")
            .with_api_key("sk-literal")
            .build()
            .unwrap();
    }

    #[test]
    fn debug_and_serialization_hide_the_key() {
        let config = OpenAiCompatConfig::new("m", "http://h/v1")
            .with_api_key("sk-very-secret")
            .with_header("Authorization", "Bearer sk-other-secret")
            .with_header("X-Title", "bench");
        let debug = format!("{config:?}");
        assert!(
            !debug.contains("sk-very-secret") && !debug.contains("sk-other-secret"),
            "{debug}"
        );
        assert!(debug.contains("bench"), "{debug}");
        let json = serde_json::to_string(&config).unwrap();
        assert!(!json.contains("sk-very-secret"), "{json}");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = serde_json::from_str::<OpenAiCompatConfig>(r#"{"model": "m", "bse_url": "x"}"#)
            .unwrap_err();
        assert!(err.to_string().contains("unknown field `bse_url`"), "{err}");
    }
}
