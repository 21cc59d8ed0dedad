//! [`McpConfig`]: where the MCP server is (an endpoint, or a command that starts it), which
//! tool answers, and how a case maps onto the tool's arguments.

use super::arguments::ArgumentSource;
use super::stdio::{StdioServer, DEFAULT_TIMEOUT};
use super::streamable::Streamable;
use super::transport::Transport;
use super::McpAgent;
use crate::keys::config_fields;
use crate::registry::{field_error, inherent_kind_methods, AgentKind, KindInfo};
use benchcore::{ConfigError, Secret};
use reqwest::Url;

/// The protocol revision offered in `initialize`; the server may answer with another it
/// supports, which is then used.
pub(crate) const DEFAULT_PROTOCOL_VERSION: &str = "2025-06-18";

config_fields! {
    /// An agent exposed as a tool of an MCP server, reached over Streamable HTTP
    /// (`endpoint`) or stdio (`command`: benchcore starts the server as a subprocess and
    /// speaks newline-delimited JSON-RPC on its stdin and stdout). Exactly one of the two is
    /// set. Its name defaults to `mcp`.
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
    ///
    /// // A server started as a subprocess, speaking MCP over stdio:
    /// let config = McpConfig::stdio("python3", ["server.py"])
    ///     .with_tool("ask")
    ///     .with_env("LOG_LEVEL", "warning")
    ///     .with_cwd("servers");
    /// assert!(config.validate().is_ok());
    /// ```
    ///
    /// In an agent file: `kind = "mcp"`, `command = ["python3", "server.py"]`.
    pub struct McpConfig {
        name,
        /// The server's MCP endpoint (`http://host:port/mcp`), for Streamable HTTP; empty
        /// when `command` is set.
        #[serde(skip_serializing_if = "String::is_empty")]
        pub endpoint: String,
        /// The program and its arguments that start the server, for stdio; empty when
        /// `endpoint` is set.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub command: Vec<String>,
        /// Environment variables set for the server process (stdio), on top of benchcore's
        /// own environment, which it inherits. They are stored with the run's config: give
        /// secrets through benchcore's environment instead.
        pub env: BTreeMap<String, String> => with_env,
        /// The folder the server process starts in (stdio); benchcore's own by default.
        pub cwd: Option<String> => with_cwd,
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

    /// A config for a server started as `program` with `args`, spoken to over stdio.
    pub fn stdio<I, S>(program: impl Into<String>, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            command: std::iter::once(program.into())
                .chain(args.into_iter().map(Into::into))
                .collect(),
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

    /// Checks every field; returns the endpoint (none for stdio) and the extra headers.
    fn check(&self) -> Result<(Option<Url>, reqwest::header::HeaderMap), ConfigError> {
        let endpoint = match (self.endpoint.trim().is_empty(), self.command.is_empty()) {
            (false, true) => Some(self.endpoint_url()?),
            (true, false) => {
                self.check_stdio()?;
                None
            }
            (true, true) => {
                return Err(self.field_error(
                    "endpoint",
                    "set `endpoint` (Streamable HTTP) or `command` (stdio): neither is set",
                ))
            }
            (false, false) => {
                return Err(self.field_error(
                    "command",
                    "set either `endpoint` (Streamable HTTP) or `command` (stdio), not both",
                ))
            }
        };
        for (field, value) in [("tool", &self.tool), ("token_env", &self.token_env)] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                return Err(self.field_error(field, "must not be empty"));
            }
        }
        let headers = self.keys().check(&self.agent_name(), 0.0)?;
        Ok((endpoint, headers))
    }

    /// The stdio fields: a program, environment names that can be set, a folder; and none
    /// of the HTTP-only fields.
    fn check_stdio(&self) -> Result<(), ConfigError> {
        if self.command[0].trim().is_empty() {
            return Err(self.field_error("command", "the program (its first item) is empty"));
        }
        if self.command.iter().any(|a| a.contains('\0')) {
            return Err(self.field_error("command", "an item holds a NUL byte"));
        }
        for (name, value) in &self.env {
            if name.is_empty() || name.contains(['=', '\0']) || value.contains('\0') {
                return Err(self.field_error(
                    "env",
                    format!("{name:?} is not a settable environment variable"),
                ));
            }
        }
        if self.cwd.as_deref().is_some_and(|c| c.trim().is_empty()) {
            return Err(self.field_error("cwd", "must not be empty"));
        }
        let http_only = [
            ("token_env", self.token_env.is_some()),
            ("token", self.token.is_some()),
            ("headers", !self.headers.is_empty()),
        ];
        if let Some((field, _)) = http_only.iter().find(|(_, set)| *set) {
            return Err(self.field_error(
                field,
                "applies to an HTTP `endpoint` only, not to a stdio `command` (give the server \
                 what it needs through `env`)",
            ));
        }
        Ok(())
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

    /// Checks every field, resolves the token and builds the agent. Nothing is sent (and,
    /// for stdio, no process started) until the first request, which opens the session.
    ///
    /// # Errors
    /// A field is wrong, or the token's environment variable is not set.
    pub fn build(self) -> Result<McpAgent, ConfigError> {
        let (endpoint, headers) = self.check()?;
        let keys = self.keys();
        let timeout = keys.timeout_ms.map(std::time::Duration::from_millis);
        let max_response_bytes = keys
            .max_response_bytes
            .unwrap_or(crate::http::DEFAULT_MAX_RESPONSE_BYTES);
        let (target, transport) = match endpoint {
            Some(endpoint) => (
                endpoint.to_string(),
                Transport::Http(Streamable {
                    endpoint,
                    token: self.resolve_token()?,
                    client: crate::http::client(headers)?,
                    max_response_bytes,
                }),
            ),
            None => (
                self.command.join(" "),
                Transport::Stdio(StdioServer {
                    program: self.command[0].clone(),
                    args: self.command[1..].to_vec(),
                    env: self.env.clone(),
                    cwd: self.cwd.clone(),
                    max_response_bytes,
                    timeout: timeout.unwrap_or(DEFAULT_TIMEOUT),
                }),
            ),
        };
        Ok(McpAgent::new(super::agent::Parts {
            name: self.agent_name(),
            target,
            transport,
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
            timeout,
        }))
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
    fn endpoint_and_command_exclude_each_other() {
        let err = McpConfig::default().validate().unwrap_err();
        assert_eq!(err.field.as_deref(), Some("agents.mcp.endpoint"));
        assert!(err.to_string().contains("command"), "{err}");
        let mut both = McpConfig::new("http://h/mcp");
        both.command = vec!["python3".into()];
        let err = both.validate().unwrap_err();
        assert_eq!(err.field.as_deref(), Some("agents.mcp.command"));
        let err = McpConfig::stdio("", ["x"]).validate().unwrap_err();
        assert_eq!(err.field.as_deref(), Some("agents.mcp.command"));
        let err = McpConfig::stdio("python3", ["s.py"])
            .with_env("A=B", "c")
            .validate()
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("agents.mcp.env"));
        let err = McpConfig::stdio("python3", ["s.py"])
            .with_token_env("T")
            .validate()
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("agents.mcp.token_env"));
        assert!(McpConfig::stdio("python3", ["s.py"]).build().is_ok());
    }

    #[test]
    fn a_stdio_config_reads_from_toml_and_stores_without_an_endpoint() {
        let config: McpConfig = toml::from_str(
            "command = [\"python3\", \"server.py\"]\ncwd = \"srv\"\n[env]\nLEVEL = \"1\"\n",
        )
        .unwrap();
        assert_eq!(
            config,
            McpConfig::stdio("python3", ["server.py"])
                .with_cwd("srv")
                .with_env("LEVEL", "1")
        );
        let stored = serde_json::to_value(&config).unwrap();
        assert!(stored.get("endpoint").is_none(), "{stored}");
        assert_eq!(stored["command"][1], "server.py");
    }

    #[test]
    fn debug_hides_the_token() {
        let config = McpConfig::new("http://h/mcp").with_token("tok-secret");
        assert!(!format!("{config:?}").contains("tok-secret"));
    }
}
