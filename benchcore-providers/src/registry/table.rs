//! The kind table: every agent kind this crate builds, one line each. Adding a provider is
//! its module plus one line here (see `docs/providers.md`, "Adding a provider").

use super::agent_kinds;

agent_kinds! {
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
    #[schemars(
        title = "AgentConfig",
        description = "One benchcore agent's configuration, tagged by `kind`."
    )]
    pub enum AgentConfig {
        /// Any server speaking OpenAI Chat Completions (vLLM, Ollama, llama.cpp, gateways).
        #[cfg(feature = "openai-compatible")]
        "openai_compatible" => OpenAiCompatible(crate::openai_compat::OpenAiCompatConfig),
        /// OpenAI's API.
        #[cfg(feature = "openai-compatible")]
        "openai" => OpenAi(crate::openai_compat::OpenAiConfig),
        /// OpenRouter.
        #[cfg(feature = "openai-compatible")]
        "openrouter" => OpenRouter(crate::openai_compat::OpenRouterConfig),
        /// NVIDIA NIM.
        #[cfg(feature = "openai-compatible")]
        "nvidia" => Nvidia(crate::openai_compat::NvidiaConfig),
        /// LM Studio's local server.
        #[cfg(feature = "openai-compatible")]
        "lmstudio" => LmStudio(crate::openai_compat::LmStudioConfig),
        /// Anthropic's Messages API.
        #[cfg(feature = "anthropic")]
        "anthropic" => Anthropic(crate::anthropic::AnthropicConfig),
        /// An agent exposed as a tool of an MCP server (Streamable HTTP or stdio).
        #[cfg(feature = "mcp")]
        "mcp" => Mcp(crate::mcp::McpConfig),
        /// A speech-to-speech model on the OpenAI Realtime API (WebSocket).
        #[cfg(feature = "realtime")]
        "realtime" => Realtime(crate::realtime::RealtimeConfig),
        /// Replies recorded earlier (a JSON Lines file, or attempt records), or one fixed text.
        "replay" => Replay(crate::replay::ReplayConfig),
        /// Says the lines of a script, one per turn (offline conversations).
        "scripted" => Scripted(crate::scripted::ScriptedConfig),
        /// The reference agent that answers each case's target: a suite run with it should
        /// pass everywhere.
        "gold" => Gold = crate::reference::GoldKind,
        /// The reference agent that answers nothing: a suite run with it should fail
        /// everywhere.
        "null" => Null = crate::reference::NullKind,
        /// A kind registered for the registry's own tests only.
        #[cfg(test)]
        "test_echo" => TestEcho(super::test_kind::EchoConfig),
    }
}
