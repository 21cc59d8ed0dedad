//! Presets over [`OpenAiCompatAgent`]: each fills in a provider's base URL, its key's
//! environment variable and its own headers, then builds the same agent.

use super::config::PlatformPrompt;
use super::{OpenAiCompatAgent, OpenAiCompatConfig};
use crate::registry::{inherent_kind_methods, model_arg, AgentKind, KindInfo};
use benchcore::ConfigError;
use std::collections::BTreeMap;

/// Declares a preset's config: the keys every preset takes, then its own fields (see
/// [`config_fields!`](crate::keys::config_fields)), plus `new`, `agent_name`, `validate`,
/// `build` and its [`AgentKind`]. Each preset writes `to_compat` and its `INFO`.
macro_rules! preset_config {
    (
        $(#[$meta:meta])*
        pub struct $name:ident as $provider:literal { $($own:tt)* }
    ) => {
        $crate::keys::config_fields! {
            $(#[$meta])*
            pub struct $name {
                name,
                /// The model, as the provider names it.
                pub model: String,
                /// Overrides the API root (a proxy, a regional endpoint); requests go to
                /// `{base_url}/chat/completions`.
                #[serde(skip_serializing_if = "Option::is_none")]
        pub base_url: Option<String> => with_base_url,
                api_key, headers, sampling, limits, system_prompt, stream,
                $($own)*
            }
        }

        impl $name {
            /// A config for `model`, with everything else default.
            pub fn new(model: impl Into<String>) -> Self {
                Self {
                    model: model.into(),
                    ..Self::default()
                }
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

            /// The shared fields as an [`OpenAiCompatConfig`], with this preset's base URL
            /// (unless overridden) and key variable (unless overridden).
            fn shared(&self, base_url: String) -> OpenAiCompatConfig {
                let keys = self.keys();
                OpenAiCompatConfig {
                    name: self.name.clone(),
                    base_url: self.base_url.clone().unwrap_or(base_url),
                    model: self.model.clone(),
                    api_key_env: keys.api_key_env.or(Self::INFO.key_env).map(str::to_owned),
                    api_key: self.api_key.clone(),
                    headers: self.headers.clone(),
                    temperature: keys.temperature,
                    max_tokens: keys.max_tokens,
                    seed: keys.seed,
                    timeout_ms: keys.timeout_ms,
                    max_response_bytes: keys.max_response_bytes,
                    system_prompt: self.system_prompt.clone(),
                    stream: keys.stream,
                    platform_prompt: None,
                }
            }
        }

        impl AgentKind for $name {
            const INFO: KindInfo = Self::KIND;

            fn from_spec(arg: Option<&str>) -> Result<Self, String> {
                model_arg(arg, Self::INFO.default_model).map(Self::new)
            }

            inherent_kind_methods!();
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
        pub organization: Option<String> => with_organization,
        /// The project to bill, sent as `OpenAI-Project`.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub project: Option<String> => with_project,
        /// The id of a prompt managed on OpenAI's platform (`pmpt_…`). When set, requests go
        /// to `POST {base_url}/responses` with this prompt and the conversation as `input`.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub prompt_id: Option<String> => with_prompt,
        /// The managed prompt's version; its current one when unset.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub prompt_version: Option<String> => with_prompt_version,
        /// Values for the managed prompt's `{{variables}}`.
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        pub prompt_variables: BTreeMap<String, String> => with_prompt_variable,
    }
}

impl OpenAiConfig {
    /// OpenAI's API root.
    pub const BASE_URL: &str = "https://api.openai.com/v1";
    /// The environment variable read for the key unless `api_key_env` says otherwise.
    pub const API_KEY_ENV: &str = "OPENAI_API_KEY";
    const KIND: KindInfo = KindInfo {
        spec: Some("openai:MODEL"),
        key_env: Some(Self::API_KEY_ENV),
        base_url: Some(Self::BASE_URL),
        ..KindInfo::REMOTE
    };

    /// A config for the managed prompt `prompt_id`, answered by the prompt's own model.
    pub fn from_prompt(prompt_id: impl Into<String>) -> Self {
        Self::default().with_prompt(prompt_id)
    }

    /// The equivalent generic config, managed prompt included.
    pub fn to_compat(&self) -> OpenAiCompatConfig {
        let mut config = self.shared(Self::BASE_URL.to_owned());
        config.platform_prompt = Some(PlatformPrompt {
            id: self.prompt_id.clone(),
            version: self.prompt_version.clone(),
            variables: self.prompt_variables.clone(),
        });
        for (header, value) in [
            ("OpenAI-Organization", &self.organization),
            ("OpenAI-Project", &self.project),
        ] {
            if let Some(value) = value {
                config.headers.insert(header.into(), value.clone());
            }
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
        pub referer: Option<String> => with_referer,
        /// Your site's or tool's name, sent as `X-Title`.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub title: Option<String> => with_title,
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
    const KIND: KindInfo = KindInfo {
        spec: Some("openrouter:MODEL"),
        key_env: Some(Self::API_KEY_ENV),
        base_url: Some(Self::BASE_URL),
        default_model: Some(Self::DEFAULT_MODEL),
        ..KindInfo::REMOTE
    };

    /// The equivalent generic config.
    pub fn to_compat(&self) -> OpenAiCompatConfig {
        let mut config = self.shared(Self::BASE_URL.to_owned());
        if config.model.trim().is_empty() {
            config.model = Self::DEFAULT_MODEL.to_owned();
        }
        for (header, value) in [("HTTP-Referer", &self.referer), ("X-Title", &self.title)] {
            if let Some(value) = value {
                config.headers.insert(header.into(), value.clone());
            }
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
    const KIND: KindInfo = KindInfo {
        spec: Some("nvidia:MODEL"),
        key_env: Some(Self::API_KEY_ENV),
        base_url: Some(Self::BASE_URL),
        default_model: Some(Self::DEFAULT_MODEL),
        ..KindInfo::REMOTE
    };

    /// The equivalent generic config.
    pub fn to_compat(&self) -> OpenAiCompatConfig {
        let mut config = self.shared(Self::BASE_URL.to_owned());
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
    const KIND: KindInfo = KindInfo {
        spec: Some("lmstudio:MODEL (or lmstudio/MODEL)"),
        spec_prefix: Some(Self::MODEL_PREFIX),
        base_url: Some(Self::BASE_URL),
        ..KindInfo::REMOTE
    };

    /// The equivalent generic config (reads `LMSTUDIO_BASE_URL` when `base_url` is unset).
    /// Model ids are written `lmstudio/<id>`: the prefix is dropped from the model sent to
    /// the server and kept in the agent's default name, so records tell local models apart.
    pub fn to_compat(&self) -> OpenAiCompatConfig {
        let base_url = std::env::var(Self::BASE_URL_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| Self::BASE_URL.to_owned());
        let mut config = self.shared(base_url);
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
