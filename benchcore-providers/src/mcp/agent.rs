//! [`McpAgent`]: each case through `tools/call` of one tool on an MCP server.

use super::arguments::{arguments, ArgumentSource};
use super::error::{self, Failure};
use super::session::{choose_tool, Conn, Session};
use super::transport::Transport;
use super::wire;
use crate::http;
use async_trait::async_trait;
use benchcore::{Agent, AgentCapabilities, AgentError, AgentReply, AgentRequest};
use serde_json::{json, Value};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Pages of `tools/list` read at most, so a server that always returns a cursor cannot loop us.
const MAX_TOOL_PAGES: usize = 20;

/// An agent exposed as a tool of an MCP server, over Streamable HTTP or stdio. The first
/// request opens the session (`initialize`, `notifications/initialized`, `tools/list`);
/// every request then calls the tool once. Over HTTP, a session the server has forgotten
/// (HTTP 404) is reopened once; over stdio, the session is the server process, and a
/// process that has ended is started again (and the session reopened) by the next request.
pub struct McpAgent {
    name: String,
    /// The endpoint, or the command line, for messages and `Debug`.
    target: String,
    transport: Transport,
    tool: Option<String>,
    arguments: Vec<(String, ArgumentSource)>,
    protocol_version: String,
    timeout: Option<Duration>,
    next_id: AtomicU64,
    session: Mutex<Option<Arc<Session>>>,
}

/// Everything a config resolved.
pub(crate) struct Parts {
    pub(crate) name: String,
    pub(crate) target: String,
    pub(crate) transport: Transport,
    pub(crate) tool: Option<String>,
    pub(crate) arguments: Vec<(String, ArgumentSource)>,
    pub(crate) protocol_version: String,
    pub(crate) timeout: Option<Duration>,
}

impl McpAgent {
    pub(crate) fn new(parts: Parts) -> Self {
        Self {
            name: parts.name,
            target: parts.target,
            transport: parts.transport,
            tool: parts.tool,
            arguments: parts.arguments,
            protocol_version: parts.protocol_version,
            timeout: parts.timeout,
            next_id: AtomicU64::new(1),
            session: Mutex::new(None),
        }
    }

    /// Sends a request over `conn` and returns its `result` and the session id the server
    /// gave (HTTP), mapping JSON-RPC errors.
    async fn call(
        &self,
        conn: &Conn,
        session: Option<&Session>,
        method: &str,
        params: Value,
    ) -> Result<(Value, Option<String>), Failure> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let message = wire::message(Some(id), method, params);
        let (response, session_id) = self
            .transport
            .send(conn, session, &message, Some(id))
            .await?
            .ok_or_else(|| {
                Failure::Agent(AgentError::malformed(format!(
                    "{method}: no response to request {id}"
                )))
            })?;
        let response: wire::Response = serde_json::from_value(response).map_err(|e| {
            Failure::Agent(AgentError::malformed(format!(
                "{method}: not a JSON-RPC response: {e}"
            )))
        })?;
        if let Some(err) = response.error {
            return Err(Failure::Agent(error::from_rpc(
                err.code,
                &err.message,
                method,
            )));
        }
        let result = response.result.ok_or_else(|| {
            Failure::Agent(AgentError::malformed(format!(
                "{method}: the response has neither result nor error"
            )))
        })?;
        Ok((result, session_id))
    }

    /// Opens a session: starts the process (stdio), handshake, then the tool list. A
    /// process whose handshake fails is dropped, which kills it.
    async fn open_session(&self) -> Result<Arc<Session>, AgentError> {
        let conn = self.transport.connect()?;
        let params = json!({
            "protocolVersion": self.protocol_version,
            "capabilities": {},
            "clientInfo": { "name": "benchcore", "version": env!("CARGO_PKG_VERSION") },
        });
        let (result, session_id) = self
            .call(&conn, None, "initialize", params)
            .await
            .map_err(Failure::into_agent)?;
        let init: wire::InitializeResult = serde_json::from_value(result)
            .map_err(|e| AgentError::malformed(format!("initialize: unexpected result: {e}")))?;
        let mut session = Session {
            id: session_id,
            protocol_version: init
                .protocol_version
                .unwrap_or_else(|| self.protocol_version.clone()),
            tools: Vec::new(),
            conn,
        };
        let note = wire::message(None, "notifications/initialized", Value::Null);
        self.transport
            .send(&session.conn, Some(&session), &note, None)
            .await
            .map_err(Failure::into_agent)?;

        let mut tools = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_TOOL_PAGES {
            let params = cursor
                .as_ref()
                .map_or(Value::Null, |c| json!({ "cursor": c }));
            let (result, _) = self
                .call(&session.conn, Some(&session), "tools/list", params)
                .await
                .map_err(Failure::into_agent)?;
            let page: wire::ToolsList = serde_json::from_value(result).map_err(|e| {
                AgentError::malformed(format!("tools/list: unexpected result: {e}"))
            })?;
            tools.extend(page.tools);
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        session.tools = tools;
        Ok(Arc::new(session))
    }

    /// The open session, else a new one. A stdio session whose process has ended is
    /// replaced: its process is started again.
    async fn session(&self) -> Result<Arc<Session>, AgentError> {
        let mut slot = self.session.lock().await;
        if let Some(session) = slot.as_ref() {
            if session.conn.is_alive() {
                return Ok(Arc::clone(session));
            }
            *slot = None;
        }
        let session = self.open_session().await?;
        *slot = Some(Arc::clone(&session));
        Ok(session)
    }

    /// Ends the session as the transport specification asks of a client that is done:
    /// `DELETE` over HTTP; over stdio, closes the server's stdin, waits for it to exit,
    /// then sends SIGTERM, then SIGKILL. The next request opens a new session (and starts
    /// a new process). Dropping the agent does the same in the background.
    pub async fn close(&self) {
        let session = self.session.lock().await.take();
        if let Some(session) = session {
            self.transport.end(&session).await;
        }
    }

    async fn forget(&self, stale: &Arc<Session>) {
        let mut slot = self.session.lock().await;
        if slot.as_ref().is_some_and(|s| Arc::ptr_eq(s, stale)) {
            *slot = None;
        }
    }

    /// Calls tool `name` with `arguments` (reopening a forgotten session once): its text and
    /// whether the tool reported an error.
    pub(super) async fn call_tool(
        &self,
        name: &str,
        arguments: Value,
    ) -> Result<(String, bool), AgentError> {
        for attempt in 0..2 {
            let session = self.session().await?;
            let params = json!({ "name": name, "arguments": arguments });
            match self
                .call(&session.conn, Some(&session), "tools/call", params)
                .await
            {
                Ok((result, _)) => {
                    let result: wire::CallToolResult =
                        serde_json::from_value(result).map_err(|e| {
                            AgentError::malformed(format!("tools/call: unexpected result: {e}"))
                        })?;
                    return Ok((result.text(), result.is_error));
                }
                Err(Failure::SessionGone) if attempt == 0 => self.forget(&session).await,
                Err(err) => return Err(err.into_agent()),
            }
        }
        Err(AgentError::transient(
            "the MCP server forgot the session twice in a row",
        ))
    }

    /// The server's tools: name, description and input schema.
    pub(super) async fn tool_specs(&self) -> Result<Vec<benchcore::agent::ToolSpec>, AgentError> {
        let session = self.session().await?;
        Ok(session
            .tools
            .iter()
            .map(|t| {
                benchcore::agent::ToolSpec::new(
                    t.name.clone(),
                    t.description.clone().unwrap_or_default(),
                    t.input_schema.clone(),
                )
            })
            .collect())
    }

    async fn exchange(&self, request: &AgentRequest) -> Result<AgentReply, AgentError> {
        for attempt in 0..2 {
            let session = self.session().await?;
            let (tool, mapping) =
                choose_tool(&session.tools, self.tool.as_deref(), &self.arguments)?;
            let schema = session
                .tools
                .iter()
                .find(|t| t.name == tool)
                .map(|t| t.input_schema.clone())
                .unwrap_or_default();
            let params = json!({
                "name": tool,
                "arguments": arguments(&mapping, &schema, request),
            });
            match self
                .call(&session.conn, Some(&session), "tools/call", params)
                .await
            {
                Ok((result, _)) => {
                    let result: wire::CallToolResult =
                        serde_json::from_value(result).map_err(|e| {
                            AgentError::malformed(format!("tools/call: unexpected result: {e}"))
                        })?;
                    // A tool result with `isError` is the tool's answer (the tool ran and said
                    // it failed), not a fault of the exchange: retrying would only repeat it.
                    let mut reply = AgentReply::text(result.text()).with_model(tool.clone());
                    if result.is_error {
                        reply.stop_reason = Some(benchcore::agent::StopReason::Other);
                    }
                    return Ok(reply);
                }
                Err(Failure::SessionGone) if attempt == 0 => self.forget(&session).await,
                Err(err) => return Err(err.into_agent()),
            }
        }
        Err(AgentError::transient(
            "the MCP server forgot the session twice in a row",
        ))
    }
}

impl Drop for McpAgent {
    fn drop(&mut self) {
        if let Some(session) = self.session.get_mut().take() {
            self.transport.end_in_background(session);
        }
    }
}

#[async_trait]
impl Agent for McpAgent {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> AgentCapabilities {
        let mut capabilities = AgentCapabilities::default();
        capabilities.system_prompt = true;
        capabilities.remote = matches!(self.transport, Transport::Http(_));
        capabilities
    }

    /// Bounded like every HTTP provider's exchange: by the sooner of the request's deadline
    /// and `timeout_ms`, and a deadline already passed fails at once, sending nothing.
    async fn respond(&self, request: &AgentRequest) -> Result<AgentReply, AgentError> {
        let started = Instant::now();
        http::bounded(request.deadline, self.timeout, self.exchange(request))
            .await
            .map(|reply| reply.with_latency(started.elapsed()))
            .map_err(|err| err.with_provider(self.name.clone()))
    }
}

impl fmt::Debug for McpAgent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpAgent")
            .field("name", &self.name)
            .field("server", &self.target)
            .field("tool", &self.tool)
            .finish_non_exhaustive()
    }
}
