//! Presets over [`OpenAiCompatAgent`]: each fills in a provider's base URL, its key's
//! environment variable and its own headers, then builds the same agent.

use super::config::PlatformPrompt;
use super::{OpenAiCompatAgent, OpenAiCompatConfig};
use crate::http::RedactedHeaders;
use benchcore::{ConfigError, Secret};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Declares a preset's config: the fields every preset shares, then its own, plus `new`,
/// setters, `validate`, `build` and a redacting `Debug`. Each preset writes `to_compat`.
macro_rules! preset_config {
    (
        $(#[$meta:meta])*
        pub struct $name:ident as $provider:literal {
            $( $(#[$field_meta:meta])* pub $field:ident : $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
        #[serde(default, deny_unknown_fields)]
        #[non_exhaustive]
        pub struct $name {
            /// The agent's name in records and reports; defaults to the model. Must be unique
            /// within a run.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub name: Option<String>,
            /// The model, as the provider names it.
            pub model: String,
            /// Overrides the API root (a proxy, a regional endpoint); requests go to
            /// `{base_url}/chat/completions`.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub base_url: Option<String>,
            /// Overrides the environment variable holding the API key.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub api_key_env: Option<String>,
            /// The API key itself, for library users who hold it in memory. It wins over the
            /// environment and is never serialized, so it never reaches a stored run spec.
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
            /// The largest reply body accepted, in bytes (default 8 MiB), streamed or not.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub max_response_bytes: Option<u64>,
            /// The agent's own system prompt, sent before each conversation (a case's own
            /// system messages follow it).
            #[serde(skip_serializing_if = "Option::is_none")]
            pub system_prompt: Option<String>,
            /// Streams each reply as server-sent events, which records the time to the first
            /// token.
            #[serde(skip_serializing_if = "std::ops::Not::not")]
            pub stream: bool,
            $( $(#[$field_meta])* pub $field: $ty, )*
        }

        impl $name {
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

            /// Sets the default seed.
            pub fn with_seed(mut self, seed: u64) -> Self {
                self.seed = Some(seed);
                self
            }

            /// Sets the client-side limit on each exchange.
            pub fn with_timeout(mut self, timeout: std::time::Duration) -> Self {
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

            /// The agent's name: `name`, else the model (for OpenAI, else the managed
            /// prompt's id).
            pub fn agent_name(&self) -> String {
                self.to_compat().agent_name()
            }

            /// Checks every field without reading the API key.
            pub fn validate(&self) -> Result<(), ConfigError> {
                self.to_compat().validate()
            }

            /// Checks every field, resolves the key and builds the agent.
            pub fn build(self) -> Result<OpenAiCompatAgent, ConfigError> {
                self.to_compat().build_as($provider)
            }

            /// The shared fields as an [`OpenAiCompatConfig`], with this preset's defaults.
            fn shared(&self, base_url: String, api_key_env: Option<&str>) -> OpenAiCompatConfig {
                OpenAiCompatConfig {
                    name: self.name.clone(),
                    base_url: self.base_url.clone().unwrap_or(base_url),
                    model: self.model.clone(),
                    api_key_env: self.api_key_env.clone().or(api_key_env.map(str::to_owned)),
                    api_key: self.api_key.clone(),
                    headers: self.headers.clone(),
                    temperature: self.temperature,
                    max_tokens: self.max_tokens,
                    seed: self.seed,
                    timeout_ms: self.timeout_ms,
                    max_response_bytes: self.max_response_bytes,
                    system_prompt: self.system_prompt.clone(),
                    stream: self.stream,
                    platform_prompt: None,
                }
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("name", &self.name)
                    .field("model", &self.model)
                    .field("base_url", &self.base_url)
                    .field("api_key_env", &self.api_key_env)
                    .field("api_key", &self.api_key)
                    .field("headers", &RedactedHeaders(&self.headers))
                    .field("temperature", &self.temperature)
                    .field("max_tokens", &self.max_tokens)
                    .field("seed", &self.seed)
                    .field("timeout_ms", &self.timeout_ms)
                    .field("max_response_bytes", &self.max_response_bytes)
                    .field("system_prompt", &self.system_prompt)
                    .field("stream", &self.stream)
                    $( .field(stringify!($field), &self.$field) )*
                    .finish()
            }
        }
    };
}

preset_config! {
    /// OpenAI's own API (`https://api.openai.com/v1`), keyed by `OPENAI_API_KEY`.
    ///
    /// Requests go to Chat Completions, or, when `prompt_id` names a prompt managed on
    /// OpenAI's platform, to the Responses API with that prompt (then `model` is optional:
    /// the prompt's own model answers unless `model` overrides it).
    ///
    /// ```
    /// use benchcore_providers::OpenAiConfig;
    /// let config = OpenAiConfig::new("gpt-4o-mini").with_api_key("sk-…").with_organization("org-1");
    /// assert_eq!(config.to_compat().headers["OpenAI-Organization"], "org-1");
    ///
    /// let agent = OpenAiConfig::from_prompt("pmpt_123")
    ///     .with_prompt_version("2")
    ///     .with_prompt_variable("city", "Paris")
    ///     .with_api_key("sk-…")
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(agent.endpoint(), "https://api.openai.com/v1/responses");
    /// assert_eq!(benchcore::Agent::name(&agent), "pmpt_123");
    /// ```
    pub struct OpenAiConfig as "openai" {
        /// The organization to bill, sent as `OpenAI-Organization`.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub organization: Option<String>,
        /// The project to bill, sent as `OpenAI-Project`.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub project: Option<String>,
        /// The id of a prompt managed on OpenAI's platform (`pmpt_…`). When set, requests go
        /// to `POST {base_url}/responses` with this prompt and the conversation as `input`.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub prompt_id: Option<String>,
        /// The managed prompt's version; its current one when unset.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub prompt_version: Option<String>,
        /// Values for the managed prompt's `{{variables}}`.
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        pub prompt_variables: BTreeMap<String, String>,
    }
}

impl OpenAiConfig {
    /// OpenAI's API root.
    pub const BASE_URL: &str = "https://api.openai.com/v1";
    /// The environment variable read for the key unless `api_key_env` says otherwise.
    pub const API_KEY_ENV: &str = "OPENAI_API_KEY";

    /// Sets the organization to bill.
    pub fn with_organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }

    /// Sets the project to bill.
    pub fn with_project(mut self, project: impl Into<String>) -> Self {
        self.project = Some(project.into());
        self
    }

    /// A config for the managed prompt `prompt_id`, answered by the prompt's own model.
    pub fn from_prompt(prompt_id: impl Into<String>) -> Self {
        Self::default().with_prompt(prompt_id)
    }

    /// Sends requests to the Responses API with the managed prompt `prompt_id`.
    pub fn with_prompt(mut self, prompt_id: impl Into<String>) -> Self {
        self.prompt_id = Some(prompt_id.into());
        self
    }

    /// Pins the managed prompt's version.
    pub fn with_prompt_version(mut self, version: impl Into<String>) -> Self {
        self.prompt_version = Some(version.into());
        self
    }

    /// Sets one of the managed prompt's variables.
    pub fn with_prompt_variable(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.prompt_variables.insert(name.into(), value.into());
        self
    }

    /// The equivalent generic config, managed prompt included.
    pub fn to_compat(&self) -> OpenAiCompatConfig {
        let mut config = self.shared(Self::BASE_URL.to_owned(), Some(Self::API_KEY_ENV));
        config.platform_prompt = Some(PlatformPrompt {
            id: self.prompt_id.clone(),
            version: self.prompt_version.clone(),
            variables: self.prompt_variables.clone(),
        });
        if let Some(organization) = &self.organization {
            config
                .headers
                .insert("OpenAI-Organization".into(), organization.clone());
        }
        if let Some(project) = &self.project {
            config
                .headers
                .insert("OpenAI-Project".into(), project.clone());
        }
        config
    }
}

preset_config! {
    /// OpenRouter (`https://openrouter.ai/api/v1`), keyed by `OPENROUTER_API_KEY`. Replies
    /// carry their cost.
    pub struct OpenRouterConfig as "openrouter" {
        /// Your site's URL, sent as `HTTP-Referer` so OpenRouter can attribute the traffic.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub referer: Option<String>,
        /// Your site's or tool's name, sent as `X-Title`.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub title: Option<String>,
    }
}

impl OpenRouterConfig {
    /// OpenRouter's API root.
    pub const BASE_URL: &str = "https://openrouter.ai/api/v1";
    /// The environment variable read for the key unless `api_key_env` says otherwise.
    pub const API_KEY_ENV: &str = "OPENROUTER_API_KEY";

    /// The model used when the config names none: OpenRouter's own router, which picks a
    /// model per request.
    pub const DEFAULT_MODEL: &str = "openrouter/auto";

    /// The equivalent generic config.
    pub fn to_compat(&self) -> OpenAiCompatConfig {
        let mut config = self.shared(Self::BASE_URL.to_owned(), Some(Self::API_KEY_ENV));
        if config.model.trim().is_empty() {
            config.model = Self::DEFAULT_MODEL.to_owned();
        }
        if let Some(referer) = &self.referer {
            config
                .headers
                .insert("HTTP-Referer".into(), referer.clone());
        }
        if let Some(title) = &self.title {
            config.headers.insert("X-Title".into(), title.clone());
        }
        config
    }
}

preset_config! {
    /// NVIDIA NIM's hosted API (`https://integrate.api.nvidia.com/v1`), keyed by
    /// `NVIDIA_API_KEY`. For a self-hosted NIM, set `base_url`.
    pub struct NvidiaConfig as "nvidia" {}
}

impl NvidiaConfig {
    /// NVIDIA's hosted API root.
    pub const BASE_URL: &str = "https://integrate.api.nvidia.com/v1";
    /// The environment variable read for the key unless `api_key_env` says otherwise.
    pub const API_KEY_ENV: &str = "NVIDIA_API_KEY";

    /// The model used when the config names none.
    pub const DEFAULT_MODEL: &str = "meta/llama-3.1-8b-instruct";

    /// The equivalent generic config.
    pub fn to_compat(&self) -> OpenAiCompatConfig {
        let mut config = self.shared(Self::BASE_URL.to_owned(), Some(Self::API_KEY_ENV));
        if config.model.trim().is_empty() {
            config.model = Self::DEFAULT_MODEL.to_owned();
        }
        config
    }
}

preset_config! {
    /// LM Studio's local server: `base_url`, else the `LMSTUDIO_BASE_URL` environment
    /// variable, else `http://127.0.0.1:1234/v1`. It needs no key.
    pub struct LmStudioConfig as "lmstudio" {}
}

impl LmStudioConfig {
    /// LM Studio's default API root.
    pub const BASE_URL: &str = "http://127.0.0.1:1234/v1";
    /// The environment variable that overrides the default API root.
    pub const BASE_URL_ENV: &str = "LMSTUDIO_BASE_URL";

    /// The prefix that marks LM Studio model ids (`lmstudio/liquid/lfm2.5-1.2b`).
    pub const MODEL_PREFIX: &str = "lmstudio/";

    /// The equivalent generic config (reads `LMSTUDIO_BASE_URL` when `base_url` is unset).
    /// Model ids are written `lmstudio/<id>`: the prefix is dropped from the model sent to
    /// the server and kept in the agent's default name, so records tell local models apart.
    pub fn to_compat(&self) -> OpenAiCompatConfig {
        let base_url = std::env::var(Self::BASE_URL_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| Self::BASE_URL.to_owned());
        let mut config = self.shared(base_url, None);
        let id = config
            .model
            .strip_prefix(Self::MODEL_PREFIX)
            .unwrap_or(&config.model)
            .to_owned();
        if config.name.is_none() {
            config.name = Some(format!("{}{id}", Self::MODEL_PREFIX));
        }
        config.model = id;
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lmstudio_model_ids_carry_their_prefix_in_names_only() {
        for model in ["liquid/lfm2.5-1.2b", "lmstudio/liquid/lfm2.5-1.2b"] {
            let config = LmStudioConfig::new(model).to_compat();
            assert_eq!(config.model, "liquid/lfm2.5-1.2b");
            assert_eq!(config.agent_name(), "lmstudio/liquid/lfm2.5-1.2b");
        }
        let named = LmStudioConfig::new("qwen").with_name("local").to_compat();
        assert_eq!(named.agent_name(), "local");
    }

    #[test]
    fn presets_fill_in_their_defaults() {
        let openai = OpenAiConfig::new("gpt-4o")
            .with_organization("org-1")
            .with_project("proj-1")
            .to_compat();
        assert_eq!(openai.base_url, "https://api.openai.com/v1");
        assert_eq!(openai.api_key_env.as_deref(), Some("OPENAI_API_KEY"));
        assert_eq!(openai.headers["OpenAI-Organization"], "org-1");
        assert_eq!(openai.headers["OpenAI-Project"], "proj-1");

        let mut router = OpenRouterConfig::new("meta-llama/llama-3-8b:free");
        router.referer = Some("https://example.org".into());
        router.title = Some("bench".into());
        let router = router.to_compat();
        assert_eq!(router.base_url, "https://openrouter.ai/api/v1");
        assert_eq!(router.api_key_env.as_deref(), Some("OPENROUTER_API_KEY"));
        assert_eq!(router.headers["HTTP-Referer"], "https://example.org");
        assert_eq!(router.headers["X-Title"], "bench");

        let nvidia = NvidiaConfig::new("meta/llama-3.1-8b-instruct").to_compat();
        assert_eq!(nvidia.base_url, "https://integrate.api.nvidia.com/v1");
        assert_eq!(nvidia.api_key_env.as_deref(), Some("NVIDIA_API_KEY"));

        let lmstudio = LmStudioConfig::new("qwen")
            .with_base_url("http://10.0.0.2:1234/v1")
            .to_compat();
        assert_eq!(lmstudio.base_url, "http://10.0.0.2:1234/v1");
        assert_eq!(lmstudio.api_key_env, None);
        LmStudioConfig::new("qwen").build().unwrap();
    }

    #[test]
    fn overrides_win() {
        let config = OpenAiConfig::new("gpt-4o")
            .with_base_url("http://127.0.0.1:9/v1")
            .with_api_key_env("MY_KEY")
            .with_name("mine")
            .to_compat();
        assert_eq!(config.base_url, "http://127.0.0.1:9/v1");
        assert_eq!(config.api_key_env.as_deref(), Some("MY_KEY"));
        assert_eq!(config.agent_name(), "mine");
    }

    #[test]
    fn a_preset_names_its_missing_key() {
        let err = NvidiaConfig::new("m")
            .with_api_key_env("BENCHCORE_TEST_SURELY_UNSET_NVIDIA")
            .build()
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("agents.m.api_key_env"));
        assert!(
            err.message
                .contains("BENCHCORE_TEST_SURELY_UNSET_NVIDIA is not set"),
            "{err}"
        );
    }

    #[test]
    fn a_managed_prompt_goes_to_the_responses_api() {
        let agent = OpenAiConfig::from_prompt("pmpt_abc")
            .with_api_key("sk-test")
            .build()
            .unwrap();
        assert_eq!(agent.endpoint(), "https://api.openai.com/v1/responses");
        assert_eq!(agent.prompt_id(), Some("pmpt_abc"));
        assert_eq!(agent.model(), "");
        let caps = benchcore::Agent::capabilities(&agent);
        assert!(!caps.seed && caps.usage && !caps.streaming);
        // A model overrides the prompt's and names the agent.
        let config = OpenAiConfig::new("gpt-4o").with_prompt("pmpt_abc");
        assert_eq!(config.agent_name(), "gpt-4o");
        // Without a prompt, chat completions as before.
        let agent = OpenAiConfig::new("gpt-4o")
            .with_api_key("k")
            .build()
            .unwrap();
        assert_eq!(
            agent.endpoint(),
            "https://api.openai.com/v1/chat/completions"
        );
        assert_eq!(agent.prompt_id(), None);
    }

    #[test]
    fn prompt_fields_are_checked() {
        let err = |config: OpenAiConfig| config.validate().unwrap_err().to_string();
        assert_eq!(
            err(OpenAiConfig::default()),
            "agents.<unnamed>.model: is required unless prompt_id names a managed prompt"
        );
        assert_eq!(
            err(OpenAiConfig::new("m").with_prompt_version("3")),
            "agents.m.prompt_version: needs prompt_id (the prompt it belongs to)"
        );
        assert_eq!(
            err(OpenAiConfig::new("m").with_prompt_variable("a", "b")),
            "agents.m.prompt_variables: needs prompt_id (the prompt it belongs to)"
        );
        assert_eq!(
            err(OpenAiConfig::new("m").with_prompt("pmpt 1")),
            "agents.m.prompt_id: `pmpt 1` is not a prompt id"
        );
        assert_eq!(
            err(OpenAiConfig::from_prompt("pmpt_1").with_prompt_version(" ")),
            "agents.pmpt_1.prompt_version: is empty"
        );
        assert!(OpenAiConfig::from_prompt("pmpt_1")
            .with_stream(true)
            .validate()
            .is_ok());
        // NVIDIA and OpenRouter have default models.
        assert_eq!(
            NvidiaConfig::default().to_compat().model,
            NvidiaConfig::DEFAULT_MODEL
        );
        assert_eq!(
            OpenRouterConfig::default().agent_name(),
            OpenRouterConfig::DEFAULT_MODEL
        );
    }

    #[test]
    fn prompt_and_stream_fields_round_trip() {
        let config = OpenAiConfig::from_prompt("pmpt_1")
            .with_prompt_version("2")
            .with_prompt_variable("city", "Paris");
        let json = serde_json::to_value(&config).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"model": "", "prompt_id": "pmpt_1", "prompt_version": "2",
                               "prompt_variables": {"city": "Paris"}})
        );
        let back: OpenAiConfig = serde_json::from_value(json).unwrap();
        assert_eq!(back, config);
        let streamed = OpenRouterConfig::new("m").with_stream(true);
        let json = serde_json::to_value(&streamed).unwrap();
        assert_eq!(json, serde_json::json!({"model": "m", "stream": true}));
        assert!(streamed.to_compat().stream);
        assert!(!serde_json::to_value(OpenRouterConfig::new("m"))
            .unwrap()
            .as_object()
            .unwrap()
            .contains_key("stream"));
    }

    #[test]
    fn debug_hides_the_key() {
        let config = OpenRouterConfig::new("m").with_api_key("sk-or-secret");
        let debug = format!("{config:?}");
        assert!(
            !debug.contains("sk-or-secret") && debug.contains("OpenRouterConfig"),
            "{debug}"
        );
    }
}
