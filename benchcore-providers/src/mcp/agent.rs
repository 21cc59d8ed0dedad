//! [`McpAgent`]: each case through `tools/call` of one tool on an MCP server.

use super::arguments::{arguments, ArgumentSource};
use super::session::{choose_tool, Session};
use super::{error, wire};
use crate::{http, sse};
use async_trait::async_trait;
use benchcore::{Agent, AgentCapabilities, AgentError, AgentReply, AgentRequest, Secret};
use reqwest::header::{HeaderMap, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::Url;
use serde_json::{json, Value};
use std::fmt;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

const SESSION_HEADER: &str = "mcp-session-id";
const VERSION_HEADER: &str = "mcp-protocol-version";
/// Pages of `tools/list` read at most, so a server that always returns a cursor cannot loop us.
const MAX_TOOL_PAGES: usize = 20;

/// An agent exposed as a tool of an MCP server (Streamable HTTP). The first request opens
/// the session (`initialize`, `notifications/initialized`, `tools/list`); every request then
/// calls the tool once. A session the server has forgotten (HTTP 404) is reopened once.
pub struct McpAgent {
    name: String,
    endpoint: Url,
    token: Option<Secret>,
    tool: Option<String>,
    arguments: Vec<(String, ArgumentSource)>,
    protocol_version: String,
    timeout: Option<Duration>,
    max_response_bytes: u64,
    client: reqwest::Client,
    next_id: AtomicU64,
    session: Mutex<Option<Arc<Session>>>,
}

/// Everything a config resolved.
pub(crate) struct Parts {
    pub(crate) name: String,
    pub(crate) endpoint: Url,
    pub(crate) token: Option<Secret>,
    pub(crate) tool: Option<String>,
    pub(crate) arguments: Vec<(String, ArgumentSource)>,
    pub(crate) protocol_version: String,
    /// The configured extra headers, checked.
    pub(crate) headers: HeaderMap,
    pub(crate) timeout: Option<Duration>,
    pub(crate) max_response_bytes: u64,
}

/// How one POST ended.
enum Posted {
    /// A JSON-RPC response to our request.
    Response(Value, HeaderMap),
    /// Accepted with no body (a notification).
    Accepted,
}

impl McpAgent {
    pub(crate) fn new(parts: Parts) -> Result<Self, benchcore::ConfigError> {
        Ok(Self {
            name: parts.name,
            endpoint: parts.endpoint,
            token: parts.token,
            tool: parts.tool,
            arguments: parts.arguments,
            protocol_version: parts.protocol_version,
            timeout: parts.timeout,
            max_response_bytes: parts.max_response_bytes,
            client: http::client(parts.headers)?,
            next_id: AtomicU64::new(1),
            session: Mutex::new(None),
        })
    }

    fn token(&self) -> Option<&str> {
        self.token.as_ref().map(Secret::expose)
    }

    /// POSTs one JSON-RPC message and reads its response (JSON or SSE).
    async fn post(
        &self,
        session: Option<&Session>,
        message: &Value,
        id: Option<u64>,
    ) -> Result<Posted, PostError> {
        let mut request = self
            .client
            .post(self.endpoint.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json, text/event-stream")
            .json(message);
        if let Some(token) = self.token() {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        if let Some(session) = session {
            if let Some(id) = &session.id {
                request = request.header(SESSION_HEADER, id);
            }
            request = request.header(VERSION_HEADER, &session.protocol_version);
        }
        let response = request
            .send()
            .await
            .map_err(|e| PostError::Agent(http::error_from_reqwest(e)))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let in_session = session.is_some_and(|s| s.id.is_some());
        if status == 404 && in_session {
            return Err(PostError::SessionGone);
        }
        if !(200..300).contains(&status) {
            let body = http::read_error_body(response).await;
            // The specification says 404 for a session the server no longer knows, but some
            // servers (the TypeScript SDK's) answer 400 "No valid session ID provided".
            if status == 400
                && in_session
                && String::from_utf8_lossy(&body)
                    .to_ascii_lowercase()
                    .contains("session")
            {
                return Err(PostError::SessionGone);
            }
            return Err(PostError::Agent(error::from_status(
                status,
                &headers,
                &body,
                self.token(),
            )));
        }
        let Some(id) = id else {
            return Ok(Posted::Accepted);
        };
        let malformed = |what: String| PostError::Agent(AgentError::malformed(what));
        if http::is_event_stream(&response) {
            // Read events until the response arrives; notifications and server requests
            // before it are skipped, and a stream the server keeps open is not waited out.
            let mut found = None;
            // Whether the stream ended or we broke off, `found` says if the response came.
            let _ended = sse::read_events(response, self.max_response_bytes, |event| {
                if event.data.trim().is_empty() {
                    return Ok(ControlFlow::Continue(()));
                }
                let message: Value = serde_json::from_str(&event.data)
                    .map_err(|e| AgentError::malformed(format!("an SSE event is not JSON: {e}")))?;
                found = wire::response_with_id([message], id);
                Ok(if found.is_some() {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                })
            })
            .await
            .map_err(PostError::Agent)?;
            return found.map(|r| Posted::Response(r, headers)).ok_or_else(|| {
                malformed(format!(
                    "the SSE stream ended without the response to request {id} (cut off?)"
                ))
            });
        }
        let body = http::read_body(response, self.max_response_bytes)
            .await
            .map_err(PostError::Agent)?;
        if status == 202 || body.is_empty() {
            return Err(malformed(
                "the server accepted the request but sent no response".into(),
            ));
        }
        let message: Value = serde_json::from_slice(&body)
            .map_err(|e| malformed(format!("the reply is not JSON: {e}")))?;
        wire::response_with_id([message], id)
            .map(|response| Posted::Response(response, headers))
            .ok_or_else(|| malformed(format!("the reply does not answer request {id}")))
    }

    /// Sends a request and returns its `result`, mapping JSON-RPC errors.
    async fn call(
        &self,
        session: Option<&Session>,
        method: &str,
        params: Value,
    ) -> Result<(Value, HeaderMap), PostError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let message = wire::message(Some(id), method, params);
        let Posted::Response(response, headers) = self.post(session, &message, Some(id)).await?
        else {
            unreachable!("a request with an id gets a response or an error");
        };
        let response: wire::Response = serde_json::from_value(response).map_err(|e| {
            PostError::Agent(AgentError::malformed(format!(
                "{method}: not a JSON-RPC response: {e}"
            )))
        })?;
        if let Some(err) = response.error {
            return Err(PostError::Agent(error::from_rpc(
                err.code,
                &err.message,
                method,
            )));
        }
        let result = response.result.ok_or_else(|| {
            PostError::Agent(AgentError::malformed(format!(
                "{method}: the response has neither result nor error"
            )))
        })?;
        Ok((result, headers))
    }

    /// Opens a session: handshake, then the tool list.
    async fn open_session(&self) -> Result<Arc<Session>, AgentError> {
        let params = json!({
            "protocolVersion": self.protocol_version,
            "capabilities": {},
            "clientInfo": { "name": "benchcore", "version": env!("CARGO_PKG_VERSION") },
        });
        let (result, headers) = self
            .call(None, "initialize", params)
            .await
            .map_err(PostError::into_agent)?;
        let init: wire::InitializeResult = serde_json::from_value(result)
            .map_err(|e| AgentError::malformed(format!("initialize: unexpected result: {e}")))?;
        let mut session = Session {
            id: headers
                .get(SESSION_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            protocol_version: init
                .protocol_version
                .unwrap_or_else(|| self.protocol_version.clone()),
            tools: Vec::new(),
        };
        let note = wire::message(None, "notifications/initialized", Value::Null);
        self.post(Some(&session), &note, None)
            .await
            .map_err(PostError::into_agent)?;

        let mut tools = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_TOOL_PAGES {
            let params = cursor
                .as_ref()
                .map_or(Value::Null, |c| json!({ "cursor": c }));
            let (result, _) = self
                .call(Some(&session), "tools/list", params)
                .await
                .map_err(PostError::into_agent)?;
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

    async fn session(&self) -> Result<Arc<Session>, AgentError> {
        let mut slot = self.session.lock().await;
        if let Some(session) = slot.as_ref() {
            return Ok(Arc::clone(session));
        }
        let session = self.open_session().await?;
        *slot = Some(Arc::clone(&session));
        Ok(session)
    }

    /// Ends the session with `DELETE`, as the transport specification asks of a client that
    /// is done; the next request opens a new one. Dropping the agent does the same in the
    /// background.
    pub async fn close(&self) {
        let session = self.session.lock().await.take();
        if let Some(request) = session.and_then(|s| self.delete_request(&s)) {
            let _ = request.send().await;
        }
    }

    /// The `DELETE` that ends `session`, when the server gave it an id.
    fn delete_request(&self, session: &Session) -> Option<reqwest::RequestBuilder> {
        let id = session.id.as_ref()?;
        let mut request = self
            .client
            .delete(self.endpoint.clone())
            .header(SESSION_HEADER, id)
            .header(VERSION_HEADER, &session.protocol_version);
        if let Some(token) = self.token() {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        Some(request)
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
            match self.call(Some(&session), "tools/call", params).await {
                Ok((result, _)) => {
                    let result: wire::CallToolResult =
                        serde_json::from_value(result).map_err(|e| {
                            AgentError::malformed(format!("tools/call: unexpected result: {e}"))
                        })?;
                    return Ok((result.text(), result.is_error));
                }
                Err(PostError::SessionGone) if attempt == 0 => self.forget(&session).await,
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
            match self.call(Some(&session), "tools/call", params).await {
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
                Err(PostError::SessionGone) if attempt == 0 => self.forget(&session).await,
                Err(err) => return Err(err.into_agent()),
            }
        }
        Err(AgentError::transient(
            "the MCP server forgot the session twice in a row",
        ))
    }
}

/// A POST failed: an agent error, or the session is gone and may be reopened.
enum PostError {
    Agent(AgentError),
    SessionGone,
}

impl PostError {
    fn into_agent(self) -> AgentError {
        match self {
            PostError::Agent(err) => err,
            PostError::SessionGone => {
                AgentError::transient("the MCP server forgot the session (HTTP 404)")
            }
        }
    }
}

impl Drop for McpAgent {
    fn drop(&mut self) {
        let Some(session) = self.session.get_mut().take() else {
            return;
        };
        let (Some(request), Ok(runtime)) = (
            self.delete_request(&session),
            tokio::runtime::Handle::try_current(),
        ) else {
            return;
        };
        runtime.spawn(async move {
            let _ = request.send().await;
        });
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
        capabilities.remote = true;
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
            .field("endpoint", &self.endpoint.as_str())
            .field("token", &self.token)
            .field("tool", &self.tool)
            .finish_non_exhaustive()
    }
}
