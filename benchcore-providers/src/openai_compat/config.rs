//! [`OpenAiCompatConfig`]: how to reach a server that speaks OpenAI Chat Completions.

use super::api::{Api, Prompt};
use super::OpenAiCompatAgent;
use crate::http;
use crate::keys::{config_fields, Keys};
use crate::registry::{field_error, inherent_kind_methods, AgentKind, KindInfo};
use benchcore::ConfigError;
use reqwest::header::AUTHORIZATION;
use reqwest::Url;
use std::collections::BTreeMap;

config_fields! {
    /// How to reach any server that speaks OpenAI Chat Completions (`POST
    /// {base_url}/chat/completions`): vLLM, Ollama, llama.cpp, TGI, LiteLLM, a corporate
    /// gateway. It sends no key unless `api_key_env` or `api_key` gives one, as a local server
    /// may need none.
    ///
    /// The named presets (`openai`, `openrouter`, `nvidia`, `lmstudio`) fill in the base URL
    /// and the key's environment variable for you.
    ///
    /// ```
    /// use benchcore_providers::OpenAiCompatConfig;
    /// let config = OpenAiCompatConfig::new("qwen2.5-7b", "http://127.0.0.1:8000/v1")
    ///     .with_temperature(0.0)
    ///     .with_max_tokens(256);
    /// let agent = config.build().unwrap();
    /// assert_eq!(benchcore::Agent::name(&agent), "qwen2.5-7b");
    /// ```
    pub struct OpenAiCompatConfig {
        name,
        /// The API root, up to and including the version (`http://127.0.0.1:8000/v1`);
        /// requests go to `{base_url}/chat/completions`.
        pub base_url: String => with_base_url,
        /// The model, as the server names it.
        pub model: String,
        api_key, headers, sampling, limits, system_prompt, stream,
        /// OpenAI's managed prompts, set by [`OpenAiConfig`](super::OpenAiConfig) only:
        /// `Some` means the server is OpenAI's platform, and a prompt id there sends requests
        /// to the Responses API.
        #[serde(skip)]
        #[schemars(skip)]
        pub(crate) platform_prompt: Option<PlatformPrompt>,
    }
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
    pub fn build(self) -> Result<OpenAiCompatAgent, ConfigError> {
        self.build_as("openai_compatible")
    }

    /// Builds the agent, recording which preset (`provider`) built it.
    pub(crate) fn build_as(self, provider: &'static str) -> Result<OpenAiCompatAgent, ConfigError> {
        let (api, url, mut headers) = self.check()?;
        let name = self.agent_name();
        let keys = self.keys();
        let key = keys.resolve_key(&name, None)?;
        if let Some(key) = &key {
            let bearer = format!("Bearer {}", key.secret.expose());
            headers.insert(AUTHORIZATION, Keys::key_header(&name, &bearer)?);
        }
        let endpoint = keys.endpoint(name, url, headers, key)?;
        Ok(OpenAiCompatAgent::new(endpoint, provider, api, self.model))
    }

    fn field_error(&self, field: &str, message: &str) -> ConfigError {
        field_error(&self.agent_name(), field, message)
    }

    /// Checks every field: which API, the URL it goes to, then the shared keys (returned
    /// as the extra headers).
    fn check(&self) -> Result<(Api, Url, reqwest::header::HeaderMap), ConfigError> {
        let api = self.check_api()?;
        let url = self.endpoint(&api)?;
        let headers = self.keys().check(&self.agent_name(), 2.0)?;
        Ok((api, url, headers))
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
            return Err(self.field_error("prompt_id", &format!("`{id}` is not a prompt id")));
        }
        if prompt
            .version
            .as_deref()
            .is_some_and(|v| v.trim().is_empty())
        {
            return Err(self.field_error("prompt_version", "is empty"));
        }
        Ok(Api::Responses(Prompt {
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
            .map_err(|why| self.field_error("base_url", &why))
    }
}

impl AgentKind for OpenAiCompatConfig {
    const INFO: KindInfo = KindInfo {
        spec: Some("openai_compatible:MODEL@BASE_URL"),
        ..KindInfo::REMOTE
    };

    /// `MODEL@BASE_URL`: the model may hold `@`, the URL starts at the last `@http`.
    fn from_spec(arg: Option<&str>) -> Result<Self, String> {
        let arg = arg.map(str::trim).filter(|a| !a.is_empty());
        let arg = arg.ok_or("the model is missing")?;
        let at = arg
            .rfind("@http://")
            .or_else(|| arg.rfind("@https://"))
            .ok_or("openai_compatible needs a base URL: openai_compatible:MODEL@BASE_URL")?;
        let (model, base_url) = (&arg[..at], &arg[at + 1..]);
        if model.is_empty() {
            return Err("the model is missing".to_owned());
        }
        Ok(Self::new(model, base_url))
    }

    inherent_kind_methods!();
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
        assert_eq!(
            err(OpenAiCompatConfig::new("", "http://h/v1")),
            "agents.<unnamed>.model: is required (the model as the server names it)"
        );
        // The shared keys are checked by `Keys::check`, with a temperature range of 0 to 2.
        let base = || OpenAiCompatConfig::new("m", "http://127.0.0.1:1/v1");
        assert_eq!(
            err(base().with_temperature(3.0)),
            "agents.m.temperature: 3 is outside 0 to 2"
        );
        assert!(err(base().with_header("x-a", "line\nbreak"))
            .starts_with("agents.m.headers: the value of `x-a`"));
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
    fn the_key_is_never_shown_or_stored() {
        // `config_fields!` redacts `Debug` and skips the key (tested in `keys`); the bearer
        // header built from it is marked sensitive.
        let agent = OpenAiCompatConfig::new("m", "http://h/v1")
            .with_api_key("sk-very-secret")
            .build()
            .unwrap();
        assert!(!format!("{agent:?}").contains("sk-very-secret"));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = serde_json::from_str::<OpenAiCompatConfig>(r#"{"model": "m", "bse_url": "x"}"#)
            .unwrap_err();
        assert!(err.to_string().contains("unknown field `bse_url`"), "{err}");
    }
}
