//! [`McpConfig`]: where the MCP server is, which tool answers, and how a case maps onto the
//! tool's arguments.

use super::arguments::ArgumentSource;
use super::McpAgent;
use crate::keys::config_fields;
use crate::registry::{field_error, inherent_kind_methods, AgentKind, KindInfo};
use benchcore::{ConfigError, Secret};
use reqwest::Url;

/// The protocol revision offered in `initialize`; the server may answer with another it
/// supports, which is then used.
pub(crate) const DEFAULT_PROTOCOL_VERSION: &str = "2025-06-18";

config_fields! {
    /// An agent exposed as a tool of an MCP server, reached over Streamable HTTP. Its name
    /// defaults to `mcp`.
    ///
    /// Each case is sent through `tools/call` of `tool`. `arguments` maps each tool argument
    /// to what it receives: `$input` (the last user message), `$messages` (the conversation
    /// as `[{role, content}]`), `$system` (the system prompt), `$transcript` (the
    /// conversation as `ROLE: text` lines), `$case_id`, `$sample`, or any other string as a
    /// literal. With no mapping, the tool's first required string argument (or one named
    /// `input`, `query`, `prompt`, `message` or `question`) receives `$input`.
    ///
    /// ```
    /// use benchcore_providers::McpConfig;
    /// let config = McpConfig::new("http://127.0.0.1:8000/mcp")
    ///     .with_tool("ask")
    ///     .with_argument("question", "$input")
    ///     .with_argument("mode", "strict");
    /// assert!(config.validate().is_ok());
    /// ```
    pub struct McpConfig {
        name,
        /// The server's MCP endpoint (`http://host:port/mcp`).
        pub endpoint: String,
        /// The environment variable holding the bearer token, when the server wants one.
        pub token_env: Option<String> => with_token_env,
        /// The bearer token itself, for library users; never serialized.
        pub token: Option<Secret> => with_token,
        /// The tool that answers; may be left out when the server has exactly one.
        pub tool: Option<String> => with_tool,
        /// Tool argument → what it receives (`$input`, `$messages`, `$system`,
        /// `$transcript`, `$case_id`, `$sample`, or a literal).
        pub arguments: BTreeMap<String, String> => with_argument,
        /// The protocol revision to offer (default `2025-06-18`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub protocol_version: Option<String>,
        headers, limits,
    }
}

impl McpConfig {
    /// A config for the server at `endpoint`.
    pub fn new(endpoint: impl Into<String>) -> Self {
        Self {
            endpoint: endpoint.into(),
            ..Self::default()
        }
    }

    /// The agent's name: `name`, else `mcp`.
    pub fn agent_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| "mcp".to_owned())
    }

    fn field_error(&self, field: &str, message: impl std::fmt::Display) -> ConfigError {
        field_error(&self.agent_name(), field, message)
    }

    /// Checks every field without reading the token.
    ///
    /// # Errors
    /// The field that is wrong, by name.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.check().map(|_| ())
    }

    /// Checks every field; returns the endpoint and the extra headers.
    fn check(&self) -> Result<(Url, reqwest::header::HeaderMap), ConfigError> {
        let endpoint = self.endpoint_url()?;
        for (field, value) in [("tool", &self.tool), ("token_env", &self.token_env)] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                return Err(self.field_error(field, "must not be empty"));
            }
        }
        let headers = self.keys().check(&self.agent_name(), 0.0)?;
        Ok((endpoint, headers))
    }

    fn endpoint_url(&self) -> Result<Url, ConfigError> {
        let url = Url::parse(self.endpoint.trim()).map_err(|e| {
            self.field_error(
                "endpoint",
                format!("not a URL ({e}): expected http(s)://host:port/mcp"),
            )
        })?;
        crate::http::check_no_password(&url).map_err(|e| self.field_error("endpoint", e))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(self.field_error(
                "endpoint",
                format!("scheme {:?} is not http or https", url.scheme()),
            ));
        }
        Ok(url)
    }

    /// The token: `token`, else the variable `token_env` names (which must then be set).
    fn resolve_token(&self) -> Result<Option<Secret>, ConfigError> {
        if let Some(token) = &self.token {
            return Ok(Some(token.clone()));
        }
        match &self.token_env {
            None => Ok(None),
            Some(var) => match std::env::var(var) {
                Ok(value) if !value.trim().is_empty() => Ok(Some(Secret::new(value.trim()))),
                _ => Err(self.field_error(
                    "token_env",
                    format!("the environment variable {var} is not set; set it to the server's bearer token"),
                )),
            },
        }
    }

    /// Checks every field, resolves the token and builds the agent. Nothing is sent until
    /// the first request, which opens the session.
    ///
    /// # Errors
    /// A field is wrong, or the token's environment variable is not set.
    pub fn build(self) -> Result<McpAgent, ConfigError> {
        let (endpoint, headers) = self.check()?;
        let token = self.resolve_token()?;
        let keys = self.keys();
        McpAgent::new(super::agent::Parts {
            name: self.agent_name(),
            endpoint,
            token,
            tool: self.tool.clone(),
            arguments: self
                .arguments
                .iter()
                .map(|(name, source)| (name.clone(), ArgumentSource::parse(source)))
                .collect(),
            protocol_version: self
                .protocol_version
                .clone()
                .unwrap_or_else(|| DEFAULT_PROTOCOL_VERSION.to_owned()),
            headers,
            timeout: keys.timeout_ms.map(std::time::Duration::from_millis),
            max_response_bytes: keys
                .max_response_bytes
                .unwrap_or(crate::http::DEFAULT_MAX_RESPONSE_BYTES),
        })
    }
}

impl AgentKind for McpConfig {
    const INFO: KindInfo = KindInfo::REMOTE;
    inherent_kind_methods!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_fields_are_named() {
        let err = McpConfig::new("ftp://x").validate().unwrap_err();
        assert_eq!(err.field.as_deref(), Some("agents.mcp.endpoint"));
        let err = McpConfig::new("nonsense")
            .with_name("bot")
            .validate()
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("agents.bot.endpoint"));
        let err = McpConfig::new("http://127.0.0.1:1/mcp")
            .with_token_env("BENCHCORE_TEST_SURELY_UNSET_TOKEN")
            .build()
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("BENCHCORE_TEST_SURELY_UNSET_TOKEN"),
            "{err}"
        );
    }

    #[test]
    fn debug_hides_the_token() {
        let config = McpConfig::new("http://h/mcp").with_token("tok-secret");
        assert!(!format!("{config:?}").contains("tok-secret"));
    }
}
