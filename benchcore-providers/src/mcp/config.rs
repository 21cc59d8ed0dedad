//! [`McpConfig`]: where the MCP server is, which tool answers, and how a case maps onto the
//! tool's arguments.

use super::McpAgent;
use crate::http::RedactedHeaders;
use benchcore::{ConfigError, Secret};
use reqwest::Url;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The protocol revision offered in `initialize`; the server may answer with another it
/// supports, which is then used.
pub(crate) const DEFAULT_PROTOCOL_VERSION: &str = "2025-06-18";

/// An agent exposed as a tool of an MCP server, reached over Streamable HTTP.
///
/// Each case is sent through `tools/call` of `tool`. `arguments` maps each tool argument to
/// what it receives: `$input` (the last user message), `$messages` (the conversation as
/// `[{role, content}]`), `$system` (the system prompt), `$transcript` (the conversation as
/// `ROLE: text` lines), `$case_id`, `$sample`, or any other string as a literal. With no
/// mapping, the tool's first required string argument (or one named `input`, `query`,
/// `prompt`, `message` or `question`) receives `$input`.
///
/// ```
/// use benchcore_providers::McpConfig;
/// let config = McpConfig::new("http://127.0.0.1:8000/mcp")
///     .with_tool("ask")
///     .with_argument("question", "$input")
///     .with_argument("mode", "strict");
/// assert!(config.validate().is_ok());
/// ```
#[derive(Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct McpConfig {
    /// The agent's name in records; defaults to `mcp`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The server's MCP endpoint (`http://host:port/mcp`).
    pub endpoint: String,
    /// The environment variable holding the bearer token, when the server wants one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_env: Option<String>,
    /// The bearer token itself, for library users; never serialized.
    #[serde(skip_serializing)]
    pub token: Option<Secret>,
    /// The tool that answers; may be left out when the server has exactly one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// Tool argument → what it receives (`$input`, `$messages`, `$system`, `$transcript`,
    /// `$case_id`, `$sample`, or a literal).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub arguments: BTreeMap<String, String>,
    /// The protocol revision to offer (default `2025-06-18`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol_version: Option<String>,
    /// Extra HTTP headers sent with every request.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// A client-side limit on each exchange, in milliseconds (the request's deadline also
    /// applies; the shorter wins).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// The largest reply body accepted, in bytes (default 8 MiB).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_response_bytes: Option<u64>,
}

/// What a tool argument receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArgumentSource {
    Input,
    Messages,
    System,
    Transcript,
    CaseId,
    Sample,
    Literal(String),
}

impl ArgumentSource {
    fn parse(text: &str) -> Self {
        match text {
            "$input" => Self::Input,
            "$messages" => Self::Messages,
            "$system" => Self::System,
            "$transcript" => Self::Transcript,
            "$case_id" => Self::CaseId,
            "$sample" => Self::Sample,
            // `$$x` is the literal `$x`.
            other => Self::Literal(
                other
                    .strip_prefix('$')
                    .filter(|r| r.starts_with('$'))
                    .unwrap_or(other)
                    .to_owned(),
            ),
        }
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

    /// Sets the agent's name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the tool that answers.
    pub fn with_tool(mut self, tool: impl Into<String>) -> Self {
        self.tool = Some(tool.into());
        self
    }

    /// Maps a tool argument to a source (`$input` …) or a literal.
    pub fn with_argument(mut self, name: impl Into<String>, source: impl Into<String>) -> Self {
        self.arguments.insert(name.into(), source.into());
        self
    }

    /// Sets the bearer token itself.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(Secret::new(token));
        self
    }

    /// Sets the environment variable holding the bearer token.
    pub fn with_token_env(mut self, var: impl Into<String>) -> Self {
        self.token_env = Some(var.into());
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

    /// The agent's name: `name`, else `mcp`.
    pub fn agent_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| "mcp".to_owned())
    }

    fn field(&self, field: &str) -> String {
        format!("agents.{}.{field}", self.agent_name())
    }

    /// Checks every field without reading the token.
    ///
    /// # Errors
    /// The field that is wrong, by name.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.endpoint_url()?;
        if self.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(ConfigError::field(self.field("name"), "must not be empty"));
        }
        if self.tool.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err(ConfigError::field(self.field("tool"), "must not be empty"));
        }
        if self
            .token_env
            .as_deref()
            .is_some_and(|v| v.trim().is_empty())
        {
            return Err(ConfigError::field(
                self.field("token_env"),
                "must not be empty",
            ));
        }
        if self.max_response_bytes == Some(0) {
            return Err(ConfigError::field(
                self.field("max_response_bytes"),
                "must be at least 1",
            ));
        }
        if self.timeout_ms == Some(0) {
            return Err(ConfigError::field(
                self.field("timeout_ms"),
                "must be at least 1",
            ));
        }
        for name in self.headers.keys() {
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(ConfigError::field(
                    self.field("headers"),
                    format!("{name:?} is not a header name"),
                ));
            }
        }
        Ok(())
    }

    fn endpoint_url(&self) -> Result<Url, ConfigError> {
        let url = Url::parse(self.endpoint.trim()).map_err(|e| {
            ConfigError::field(
                self.field("endpoint"),
                format!("not a URL ({e}): expected http(s)://host:port/mcp"),
            )
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ConfigError::field(
                self.field("endpoint"),
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
                _ => Err(ConfigError::field(
                    self.field("token_env"),
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
        self.validate()?;
        let endpoint = self.endpoint_url()?;
        let token = self.resolve_token()?;
        let arguments = self
            .arguments
            .iter()
            .map(|(name, source)| (name.clone(), ArgumentSource::parse(source)))
            .collect();
        McpAgent::new(super::agent::Parts {
            name: self.agent_name(),
            endpoint,
            token,
            tool: self.tool.clone(),
            arguments,
            protocol_version: self
                .protocol_version
                .clone()
                .unwrap_or_else(|| DEFAULT_PROTOCOL_VERSION.to_owned()),
            headers: self.headers.clone(),
            timeout: self.timeout_ms.map(std::time::Duration::from_millis),
            max_response_bytes: self
                .max_response_bytes
                .unwrap_or(crate::http::DEFAULT_MAX_RESPONSE_BYTES),
        })
    }
}

impl fmt::Debug for McpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpConfig")
            .field("name", &self.name)
            .field("endpoint", &self.endpoint)
            .field("token_env", &self.token_env)
            .field("token", &self.token)
            .field("tool", &self.tool)
            .field("arguments", &self.arguments)
            .field("protocol_version", &self.protocol_version)
            .field("headers", &RedactedHeaders(&self.headers))
            .field("timeout_ms", &self.timeout_ms)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_parse() {
        assert_eq!(ArgumentSource::parse("$input"), ArgumentSource::Input);
        assert_eq!(ArgumentSource::parse("$messages"), ArgumentSource::Messages);
        assert_eq!(
            ArgumentSource::parse("plain"),
            ArgumentSource::Literal("plain".into())
        );
        assert_eq!(
            ArgumentSource::parse("$$input"),
            ArgumentSource::Literal("$input".into())
        );
    }

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
