//! A loopback MCP server speaking the Streamable HTTP transport (protocol 2025-06-18): the
//! `initialize` handshake with session ids, `tools/list` with pagination, `tools/call`, JSON
//! or SSE replies, bearer tokens, and scripted answers to `tools/call` (the faults of
//! [`McpScripted`], the same as every provider's loopback server plays for the agent
//! behaviour suite).
//!
//! Tools: `echo {text}` answers its text; `ask {question, mode?}` answers
//! `answer to: QUESTION` (in `mode` when given); `add {a, b}` answers structured content only;
//! `chat {messages}` takes the conversation as `[{role, content}]` and answers the last user
//! message. The `params` of every `tools/call` are kept ([`McpServer::calls`]), so a test sees
//! the arguments the agent sent.

use super::scripted::{chunked_json, cut_json, event_stream};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use super::mcp_script::McpScripted;

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct McpServerConfig {
    /// Answer requests with an SSE stream (a log notification, then the response) instead of
    /// one JSON object.
    pub sse: bool,
    /// Hand out `Mcp-Session-Id` and require it (with `MCP-Protocol-Version`) afterwards.
    pub sessions: bool,
    /// Answer 401 unless `Authorization: Bearer TOKEN`.
    pub require_token: Option<String>,
    /// Tools per `tools/list` page (0: all on one page).
    pub page_size: usize,
    /// Delay before every answer.
    pub latency: Duration,
}

impl Default for McpServerConfig {
    fn default() -> Self {
        Self {
            sse: false,
            sessions: true,
            require_token: None,
            page_size: 0,
            latency: Duration::ZERO,
        }
    }
}

/// What the server has seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct McpStats {
    /// POSTs received.
    pub posts: u64,
    /// `initialize` requests.
    pub initializes: u64,
    /// `notifications/initialized` received.
    pub initialized_notifications: u64,
    /// `tools/list` requests.
    pub tool_lists: u64,
    /// `tools/call` requests.
    pub tool_calls: u64,
    /// Sessions ended by the client with `DELETE`.
    pub sessions_deleted: u64,
}

#[derive(Default)]
struct Counters {
    posts: AtomicU64,
    initializes: AtomicU64,
    notifications: AtomicU64,
    lists: AtomicU64,
    calls: AtomicU64,
    deleted: AtomicU64,
}

struct Shared {
    config: McpServerConfig,
    stopped: watch::Receiver<bool>,
    sessions: Mutex<HashSet<String>>,
    next_session: AtomicU64,
    script: Mutex<VecDeque<McpScripted>>,
    calls: Mutex<Vec<Value>>,
    counters: Counters,
}

/// The server; it stops when dropped.
#[derive(Debug)]
pub struct McpServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// `DELETE /mcp`: the client ends its session (the specification's way to close one); an
/// unknown session is 404.
async fn end_session(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let id = headers
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let status = if lock(&shared.sessions).remove(&id) {
        shared.counters.deleted.fetch_add(1, Ordering::Relaxed);
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    Response::builder()
        .status(status)
        .body(Body::empty())
        .unwrap_or_default()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl McpServer {
    /// Binds a free port on 127.0.0.1 and serves in the background.
    pub async fn start(config: McpServerConfig) -> anyhow::Result<McpServer> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let (shutdown, mut stop) = watch::channel(false);
        let shared = Arc::new(Shared {
            config,
            stopped: stop.clone(),
            sessions: Mutex::new(HashSet::new()),
            next_session: AtomicU64::new(1),
            script: Mutex::new(VecDeque::new()),
            calls: Mutex::new(Vec::new()),
            counters: Counters::default(),
        });
        let app = Router::new()
            .route("/mcp", post(handle).delete(end_session))
            .with_state(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            let signal = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(signal)
                .await;
        });
        Ok(McpServer {
            addr,
            shared,
            shutdown,
            task: Some(task),
        })
    }

    /// The MCP endpoint (`http://127.0.0.1:PORT/mcp`).
    pub fn endpoint(&self) -> String {
        format!("http://{}/mcp", self.addr)
    }

    /// Queues scripted answers for the next `tools/call`s.
    pub fn push_script(&self, steps: Vec<McpScripted>) {
        lock(&self.shared.script).extend(steps);
    }

    /// The `params` (`{name, arguments}`) of every `tools/call` received, scripted ones
    /// included, in order.
    pub fn calls(&self) -> Vec<Value> {
        lock(&self.shared.calls).clone()
    }

    /// Counters.
    pub fn stats(&self) -> McpStats {
        let c = &self.shared.counters;
        McpStats {
            posts: c.posts.load(Ordering::Relaxed),
            initializes: c.initializes.load(Ordering::Relaxed),
            initialized_notifications: c.notifications.load(Ordering::Relaxed),
            tool_lists: c.lists.load(Ordering::Relaxed),
            tool_calls: c.calls.load(Ordering::Relaxed),
            sessions_deleted: c.deleted.load(Ordering::Relaxed),
        }
    }

    /// The arguments of the last `tools/call` received.
    pub fn last_arguments(&self) -> Option<Value> {
        lock(&self.shared.calls)
            .last()
            .map(|params| params["arguments"].clone())
    }

    /// Stops serving and waits for it.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for McpServer {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

fn tools() -> Vec<Value> {
    vec![
        json!({"name": "echo", "description": "Answers its text.",
               "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}}),
        json!({"name": "ask", "description": "Answers a question.",
               "inputSchema": {"type": "object", "properties": {"question": {"type": "string"}, "mode": {"type": "string"}}, "required": ["question"]}}),
        json!({"name": "add", "description": "Adds two numbers.",
               "inputSchema": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}, "required": ["a", "b"]}}),
        json!({"name": "chat", "description": "Answers the last user message of a conversation.",
               "inputSchema": {"type": "object", "properties": {"messages": {"type": "array", "items": {
                   "type": "object",
                   "properties": {"role": {"type": "string"}, "content": {"type": "string"}},
                   "required": ["role", "content"]}}},
               "required": ["messages"]}}),
    ]
}

fn plain(status: StatusCode, body: Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap_or_default()
}

fn rpc_error(id: &Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

/// The log notification an SSE reply starts with, as servers send progress before the
/// response.
fn note() -> Value {
    json!({"jsonrpc": "2.0", "method": "notifications/message",
           "params": {"level": "info", "data": "working"}})
}

/// One SSE event carrying `data`.
fn event(data: &str) -> Bytes {
    Bytes::from(format!("event: message\ndata: {data}\n\n"))
}

/// A successful `tools/call` response with this text.
fn text_result(id: &Value, text: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id,
           "result": {"content": [{"type": "text", "text": text}], "isError": false}})
}

/// A 200 carrying `data` as it is, in the configured form: one JSON body, or an event stream
/// of a log notification and then `data`; the connection drops after the first half of
/// `data` when `cut` is set.
fn body_of(shared: &Shared, data: &str, cut: bool) -> Response {
    if shared.config.sse {
        let mut message = event(data);
        if cut {
            message = message.slice(..message.len() / 2);
        }
        return event_stream(
            vec![event(&note().to_string()), message],
            Duration::ZERO,
            cut,
        );
    }
    if cut {
        cut_json(data.as_bytes())
    } else {
        chunked_json(data.as_bytes().to_vec())
    }
}

/// Sends a response as JSON or as an SSE stream (a log notification first, as servers do).
fn reply(shared: &Shared, message: Value, session: Option<String>, cut: bool) -> Response {
    let mut builder = Response::builder().status(StatusCode::OK);
    if let Some(session) = session {
        builder = builder.header("mcp-session-id", session);
    }
    if shared.config.sse || cut {
        let mut body = format!("event: message\ndata: {}\n\n", note());
        if !cut {
            body.push_str(&format!("event: message\nid: 1\ndata: {message}\n\n"));
        }
        builder
            .header("content-type", "text/event-stream")
            .body(Body::from(body))
            .unwrap_or_default()
    } else {
        builder
            .header("content-type", "application/json")
            .body(Body::from(message.to_string()))
            .unwrap_or_default()
    }
}

async fn handle(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: String) -> Response {
    let c = &shared.counters;
    c.posts.fetch_add(1, Ordering::Relaxed);
    if !shared.config.latency.is_zero() {
        tokio::time::sleep(shared.config.latency).await;
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    if let Some(token) = &shared.config.require_token {
        if header("authorization").as_deref() != Some(&format!("Bearer {token}")) {
            return plain(
                StatusCode::UNAUTHORIZED,
                rpc_error(&Value::Null, -32001, "invalid bearer token"),
            );
        }
    }
    let accept = header("accept").unwrap_or_default();
    if !(accept.contains("application/json") && accept.contains("text/event-stream")) {
        return plain(
            StatusCode::NOT_ACCEPTABLE,
            rpc_error(
                &Value::Null,
                -32600,
                "Accept must list application/json and text/event-stream",
            ),
        );
    }
    let Ok(message) = serde_json::from_str::<Value>(&body) else {
        return plain(
            StatusCode::BAD_REQUEST,
            rpc_error(&Value::Null, -32700, "parse error"),
        );
    };
    let id = message.get("id").cloned().unwrap_or(Value::Null);
    let method = message["method"].as_str().unwrap_or_default().to_owned();
    let params = message.get("params").cloned().unwrap_or(Value::Null);

    if method == "initialize" {
        c.initializes.fetch_add(1, Ordering::Relaxed);
        let asked = params["protocolVersion"].as_str().unwrap_or_default();
        let version = if asked == "2025-06-18" {
            asked
        } else {
            "2025-03-26"
        };
        let session = shared.config.sessions.then(|| {
            let n = shared.next_session.fetch_add(1, Ordering::Relaxed);
            let id = format!("session-{n:04}");
            lock(&shared.sessions).insert(id.clone());
            id
        });
        let result = json!({"jsonrpc": "2.0", "id": id, "result": {
            "protocolVersion": version,
            "capabilities": {"tools": {"listChanged": false}},
            "serverInfo": {"name": "benchcore-mock-mcp", "version": "1.0.0"}}});
        return reply(&shared, result, session, false);
    }
    if shared.config.sessions {
        let Some(session) = header("mcp-session-id") else {
            return plain(
                StatusCode::BAD_REQUEST,
                rpc_error(&id, -32600, "missing Mcp-Session-Id"),
            );
        };
        if !lock(&shared.sessions).contains(&session) {
            return plain(
                StatusCode::NOT_FOUND,
                rpc_error(&id, -32001, "session not found"),
            );
        }
        if header("mcp-protocol-version").is_none() {
            return plain(
                StatusCode::BAD_REQUEST,
                rpc_error(&id, -32600, "missing MCP-Protocol-Version"),
            );
        }
        let forget = lock(&shared.script).front().cloned();
        if method == "tools/call"
            && matches!(
                forget,
                Some(McpScripted::ForgetSession | McpScripted::ForgetSessionWith400)
            )
        {
            lock(&shared.script).pop_front();
            lock(&shared.sessions).remove(&session);
            return if forget == Some(McpScripted::ForgetSession) {
                plain(
                    StatusCode::NOT_FOUND,
                    rpc_error(&id, -32001, "session not found"),
                )
            } else {
                plain(
                    StatusCode::BAD_REQUEST,
                    rpc_error(&id, -32000, "Bad Request: No valid session ID provided"),
                )
            };
        }
    }
    match method.as_str() {
        "notifications/initialized" => {
            c.notifications.fetch_add(1, Ordering::Relaxed);
            Response::builder()
                .status(StatusCode::ACCEPTED)
                .body(Body::empty())
                .unwrap_or_default()
        }
        "tools/list" => {
            c.lists.fetch_add(1, Ordering::Relaxed);
            let all = tools();
            let size = if shared.config.page_size == 0 {
                all.len()
            } else {
                shared.config.page_size
            };
            let start: usize = params["cursor"]
                .as_str()
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            let page: Vec<Value> = all.iter().skip(start).take(size).cloned().collect();
            let mut result = json!({"tools": page});
            if start + size < all.len() {
                result["nextCursor"] = json!((start + size).to_string());
            }
            reply(
                &shared,
                json!({"jsonrpc": "2.0", "id": id, "result": result}),
                None,
                false,
            )
        }
        "tools/call" => {
            c.calls.fetch_add(1, Ordering::Relaxed);
            lock(&shared.calls).push(params.clone());
            let scripted = lock(&shared.script).pop_front();
            let result = match scripted {
                Some(McpScripted::Reply(text)) => {
                    json!({"content": [{"type": "text", "text": text}], "isError": false})
                }
                Some(McpScripted::RateLimited { retry_after_secs }) => {
                    let mut response = plain(
                        StatusCode::TOO_MANY_REQUESTS,
                        rpc_error(&id, -32000, "rate limited: slow down"),
                    );
                    if let Some(secs) = retry_after_secs {
                        response
                            .headers_mut()
                            .insert(RETRY_AFTER, HeaderValue::from(secs));
                    }
                    return response;
                }
                Some(McpScripted::ServerError) => {
                    return plain(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        rpc_error(&id, -32603, "internal server error"),
                    )
                }
                Some(McpScripted::Unauthorized) => {
                    return plain(
                        StatusCode::UNAUTHORIZED,
                        rpc_error(&id, -32001, "invalid bearer token"),
                    )
                }
                Some(McpScripted::Malformed) => {
                    return body_of(&shared, "{\"jsonrpc\": \"2.0\", this is not JSON", false)
                }
                Some(McpScripted::Hang) => {
                    let mut stopped = shared.stopped.clone();
                    let _ = stopped.wait_for(|s| *s).await;
                    return plain(
                        StatusCode::SERVICE_UNAVAILABLE,
                        rpc_error(&id, -32000, "the server is stopping"),
                    );
                }
                Some(McpScripted::Truncated) => {
                    let full = text_result(&id, "a reply that never arrives whole");
                    return body_of(&shared, &full.to_string(), true);
                }
                Some(McpScripted::Oversized { bytes }) => {
                    let full = text_result(&id, &"x".repeat(bytes));
                    return body_of(&shared, &full.to_string(), false);
                }
                Some(McpScripted::ToolError(text)) => {
                    json!({"content": [{"type": "text", "text": text}], "isError": true})
                }
                Some(McpScripted::RpcError { code, message }) => {
                    return reply(&shared, rpc_error(&id, code, &message), None, false)
                }
                Some(McpScripted::CutStream) => return reply(&shared, Value::Null, None, true),
                Some(McpScripted::Unavailable) => {
                    return plain(StatusCode::SERVICE_UNAVAILABLE, json!({"error": "busy"}))
                }
                Some(McpScripted::ForgetSession | McpScripted::ForgetSessionWith400) | None => {
                    match call_tool(&params) {
                        Ok(result) => result,
                        Err(message) => {
                            return reply(&shared, rpc_error(&id, -32602, &message), None, false)
                        }
                    }
                }
            };
            reply(
                &shared,
                json!({"jsonrpc": "2.0", "id": id, "result": result}),
                None,
                false,
            )
        }
        _ => reply(
            &shared,
            rpc_error(&id, -32601, &format!("method not found: {method}")),
            None,
            false,
        ),
    }
}

fn call_tool(params: &Value) -> Result<Value, String> {
    let args = &params["arguments"];
    let text = |name: &str| {
        args[name]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("argument `{name}` must be a string"))
    };
    match params["name"].as_str().unwrap_or_default() {
        "echo" => {
            Ok(json!({"content": [{"type": "text", "text": text("text")?}], "isError": false}))
        }
        "ask" => {
            let mut answer = format!("answer to: {}", text("question")?);
            if let Some(mode) = args["mode"].as_str() {
                answer.push_str(&format!(" ({mode})"));
            }
            Ok(json!({"content": [{"type": "text", "text": answer}]}))
        }
        "add" => {
            let (a, b) = (args["a"].as_f64(), args["b"].as_f64());
            match (a, b) {
                (Some(a), Some(b)) => {
                    Ok(json!({"content": [], "structuredContent": {"sum": a + b}}))
                }
                _ => Err("arguments `a` and `b` must be numbers".into()),
            }
        }
        "chat" => {
            let messages = args["messages"]
                .as_array()
                .ok_or("argument `messages` must be an array of {role, content}")?;
            let last = messages
                .iter()
                .rev()
                .find(|m| m["role"] == "user")
                .and_then(|m| m["content"].as_str())
                .ok_or("`messages` holds no user message")?;
            Ok(json!({"content": [{"type": "text", "text": last}]}))
        }
        other => Err(format!("unknown tool {other:?}")),
    }
}
