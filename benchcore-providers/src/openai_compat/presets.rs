//! Presets over [`OpenAiCompatAgent`]: each fills in a provider's base URL, its key's
//! environment variable, its default model and its own headers, then builds the same agent.

use super::config::PlatformPrompt;
use super::{OpenAiCompatAgent, OpenAiCompatConfig};
use crate::registry::{inherent_kind_methods, model_arg, AgentKind, KindInfo};
use benchcore::ConfigError;

/// What a preset adds to the generic config beyond its defaults: headers from its own
/// fields, a managed prompt, an API root from the environment.
trait Finish {
    fn finish(&self, _config: &mut OpenAiCompatConfig) {}
}

/// `Some` of the value given, else `None`.
macro_rules! optional {
    () => {
        None
    };
    ($value:expr) => {
        Some($value)
    };
}

/// Declares a preset: its config (the keys every preset takes, then its own fields; see
/// [`config_fields!`](crate::keys::config_fields)), its constants and [`KindInfo`] from the
/// header, and `new`, `agent_name`, `validate`, `build` and `to_compat`. Each preset
/// implements [`Finish`].
macro_rules! preset_config {
    (
        $(#[$meta:meta])*
        pub struct $name:ident as $provider:literal {
            spec: $spec:literal,
            base_url: $base_url:literal,
            $(key_env: $key_env:literal,)?
            $(default_model: $default_model:literal,)?
            $(spec_prefix: $spec_prefix:expr,)?
        }
        { $($own:tt)* }
    ) => {
        $crate::keys::config_fields! {
            $(#[$meta])*
            pub struct $name {
                name,
                /// The model, as the provider names it.
                pub model: String,
                /// Overrides the API root (a proxy, a regional endpoint); requests go to
                /// `{base_url}/chat/completions`.
                pub base_url: Option<String> => with_base_url,
                api_key, headers, sampling, limits, system_prompt, stream,
                $($own)*
            }
        }

        impl $name {
            /// The API root requests go to unless `base_url` overrides it.
            pub const BASE_URL: &str = $base_url;
            $(
                /// The environment variable read for the key unless `api_key_env` says
                /// otherwise.
                pub const API_KEY_ENV: &str = $key_env;
            )?
            $(
                /// The model used when the config names none.
                pub const DEFAULT_MODEL: &str = $default_model;
            )?

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

            /// The equivalent generic config: the shared fields, with this preset's base URL,
            /// key variable and default model unless overridden, then what the preset adds.
            pub fn to_compat(&self) -> OpenAiCompatConfig {
                let info = <Self as AgentKind>::INFO;
                let keys = self.keys();
                let model = match self.model.trim() {
                    "" => info.default_model.unwrap_or_default().to_owned(),
                    _ => self.model.clone(),
                };
                let mut config = OpenAiCompatConfig {
                    name: self.name.clone(),
                    base_url: self.base_url.clone().unwrap_or_else(|| $base_url.to_owned()),
                    model,
                    api_key_env: keys.api_key_env.or(info.key_env).map(str::to_owned),
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
                };
                self.finish(&mut config);
                config
            }
        }

        impl AgentKind for $name {
            const INFO: KindInfo = KindInfo {
                spec: Some($spec),
                base_url: Some($base_url),
                key_env: optional!($($key_env)?),
                default_model: optional!($($default_model)?),
                spec_prefix: optional!($($spec_prefix)?),
                ..KindInfo::REMOTE
            };

            fn from_spec(arg: Option<&str>) -> Result<Self, String> {
                model_arg(arg, Self::INFO.default_model).map(Self::new)
            }

            inherent_kind_methods!();
        }
    };
}

preset_config! {
    /// OpenAI's own API (`https://api.openai.com/v1`, or `OPENAI_BASE_URL` when set), keyed by
    /// `OPENAI_API_KEY`.
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
        spec: "openai:MODEL",
        base_url: "https://api.openai.com/v1",
        key_env: "OPENAI_API_KEY",
    }
    {
        /// The organization to bill, sent as `OpenAI-Organization`.
        pub organization: Option<String> => with_organization,
        /// The project to bill, sent as `OpenAI-Project`.
        pub project: Option<String> => with_project,
        /// The id of a prompt managed on OpenAI's platform (`pmpt_…`). When set, requests go
        /// to `POST {base_url}/responses` with this prompt and the conversation as `input`.
        pub prompt_id: Option<String> => with_prompt,
        /// The managed prompt's version; its current one when unset.
        pub prompt_version: Option<String> => with_prompt_version,
        /// Values for the managed prompt's `{{variables}}`.
        pub prompt_variables: BTreeMap<String, String> => with_prompt_variable,
    }
}

impl OpenAiConfig {
    /// The environment variable that overrides the default API root (a proxy, a gateway,
    /// a local server), as in OpenAI's own SDKs.
    pub const BASE_URL_ENV: &str = "OPENAI_BASE_URL";

    /// A config for the managed prompt `prompt_id`, answered by the prompt's own model.
    pub fn from_prompt(prompt_id: impl Into<String>) -> Self {
        Self::default().with_prompt(prompt_id)
    }
}

/// `OPENAI_BASE_URL` when `base_url` is unset (as OpenAI's own SDKs read it), the managed
/// prompt, and the billing fields as `OpenAI-Organization` and `OpenAI-Project`.
impl Finish for OpenAiConfig {
    fn finish(&self, config: &mut OpenAiCompatConfig) {
        base_url_from_env(config, &self.base_url, Self::BASE_URL_ENV);
        config.platform_prompt = Some(PlatformPrompt {
            id: self.prompt_id.clone(),
            version: self.prompt_version.clone(),
            variables: self.prompt_variables.clone(),
        });
        headers_from(
            config,
            [
                ("OpenAI-Organization", &self.organization),
                ("OpenAI-Project", &self.project),
            ],
        );
    }
}

preset_config! {
    /// OpenRouter (`https://openrouter.ai/api/v1`), keyed by `OPENROUTER_API_KEY`. Replies
    /// carry their cost. Without a model, OpenRouter's own router (`openrouter/auto`) picks
    /// one per request.
    pub struct OpenRouterConfig as "openrouter" {
        spec: "openrouter:MODEL",
        base_url: "https://openrouter.ai/api/v1",
        key_env: "OPENROUTER_API_KEY",
        default_model: "openrouter/auto",
    }
    {
        /// Your site's URL, sent as `HTTP-Referer` so OpenRouter can attribute the traffic.
        pub referer: Option<String> => with_referer,
        /// Your site's or tool's name, sent as `X-Title`.
        pub title: Option<String> => with_title,
    }
}

/// The attribution fields as `HTTP-Referer` and `X-Title`.
impl Finish for OpenRouterConfig {
    fn finish(&self, config: &mut OpenAiCompatConfig) {
        headers_from(
            config,
            [("HTTP-Referer", &self.referer), ("X-Title", &self.title)],
        );
    }
}

preset_config! {
    /// NVIDIA NIM's hosted API (`https://integrate.api.nvidia.com/v1`), keyed by
    /// `NVIDIA_API_KEY`. For a self-hosted NIM, set `base_url`.
    pub struct NvidiaConfig as "nvidia" {
        spec: "nvidia:MODEL",
        base_url: "https://integrate.api.nvidia.com/v1",
        key_env: "NVIDIA_API_KEY",
        default_model: "meta/llama-3.1-8b-instruct",
    }
    {}
}

impl Finish for NvidiaConfig {}

preset_config! {
    /// LM Studio's local server: `base_url`, else the `LMSTUDIO_BASE_URL` environment
    /// variable, else `http://127.0.0.1:1234/v1`. It needs no key.
    pub struct LmStudioConfig as "lmstudio" {
        spec: "lmstudio:MODEL (or lmstudio/MODEL)",
        base_url: "http://127.0.0.1:1234/v1",
        spec_prefix: Self::MODEL_PREFIX,
    }
    {
        /// Loads `model` on the LM Studio server before a run that uses this agent starts
        /// (through LM Studio's REST API, `POST /api/v1/models/load`), so the run does not
        /// depend on just-in-time loading. Only a front end that manages local models (the
        /// team server) acts on it; it changes no request sent to the model.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        pub load: bool => with_load,
        /// Unloads `model` from the LM Studio server once a run that uses this agent ends
        /// (and no other run still uses it), to free its memory. Like `load`, it changes no
        /// request sent to the model.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        pub unload_after: bool => with_unload_after,
    }
}

impl LmStudioConfig {
    /// The environment variable that overrides the default API root.
    pub const BASE_URL_ENV: &str = "LMSTUDIO_BASE_URL";
    /// The prefix that marks LM Studio model ids (`lmstudio/liquid/lfm2.5-1.2b`).
    pub const MODEL_PREFIX: &str = "lmstudio/";
}

/// `LMSTUDIO_BASE_URL` when `base_url` is unset. Model ids are written `lmstudio/<id>`: the
/// prefix is dropped from the model sent to the server and kept in the agent's default
/// name, so records tell local models apart.
impl Finish for LmStudioConfig {
    fn finish(&self, config: &mut OpenAiCompatConfig) {
        base_url_from_env(config, &self.base_url, Self::BASE_URL_ENV);
        if let Some(id) = config.model.strip_prefix(Self::MODEL_PREFIX) {
            config.model = id.to_owned();
        }
        if config.name.is_none() {
            config.name = Some(format!("{}{}", Self::MODEL_PREFIX, config.model));
        }
    }
}

/// The API root from the environment variable `var` (when set and not blank), unless the
/// config gives one (`given`).
fn base_url_from_env(config: &mut OpenAiCompatConfig, given: &Option<String>, var: &str) {
    let from_env = std::env::var(var).ok().filter(|v| !v.trim().is_empty());
    if let (None, Some(base_url)) = (given, from_env) {
        config.base_url = base_url;
    }
}

/// Adds a header for each field that is set.
fn headers_from<const N: usize>(
    config: &mut OpenAiCompatConfig,
    fields: [(&str, &Option<String>); N],
) {
    for (header, value) in fields {
        if let Some(value) = value {
            config.headers.insert(header.to_owned(), value.clone());
        }
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
    fn lmstudio_model_management_changes_no_request() {
        let plain = LmStudioConfig::new("qwen");
        let managed = plain.clone().with_load(true).with_unload_after(true);
        assert_eq!(managed.to_compat(), plain.to_compat());
        let json = serde_json::to_value(&managed).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"model": "qwen", "load": true, "unload_after": true})
        );
        let back: LmStudioConfig = serde_json::from_value(json).unwrap();
        assert_eq!(back, managed);
        // Off, they are left out of the stored form.
        assert_eq!(
            serde_json::to_value(&plain).unwrap(),
            serde_json::json!({"model": "qwen"})
        );
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
