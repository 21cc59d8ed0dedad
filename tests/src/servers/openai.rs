//! A loopback server speaking OpenAI Chat Completions (whole and streamed) and the
//! Responses API as the API reference documents them, with scripted replies and seeded
//! random faults.
//!
//! By default it echoes the last user message, so a case whose target equals its input
//! passes exact match; usage counts words.

use super::openai_render::{body, sse_data, stream_events, Exchange};
use super::scripted::{self, bump, pieces, words, Running, Shared};
use super::tool_wire::{self, Ending};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use benchcore::Usage;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

pub use super::scripted::{Scripted, ServerConfig, ServerStats};

/// A running server. It stops when dropped: hung requests are then answered 503 and
/// connections close.
///
/// Routes: `POST /v1/chat/completions` (a `text/event-stream` of
/// `chat.completion.chunk`s ending in `data: [DONE]` when the request says
/// `"stream": true`, with a last usage chunk when `stream_options.include_usage`),
/// `POST /v1/responses` (managed prompts, whole or streamed) and `GET /v1/models`.
///
/// ```no_run
/// # async fn demo() -> anyhow::Result<()> {
/// use benchcore_tests::servers::{OpenAiServer, Scripted, ServerConfig};
/// let server = OpenAiServer::start(ServerConfig::default().recording()).await?;
/// server.push_script(vec![Scripted::RateLimited { retry_after_secs: Some(2) }]);
/// println!("{}", server.base_url()); // http://127.0.0.1:PORT/v1
/// # Ok(()) }
/// ```
pub struct OpenAiServer {
    running: Running,
}

impl std::fmt::Debug for OpenAiServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiServer")
            .field("addr", &self.running.addr())
            .field("config", &self.running.shared.config)
            .finish_non_exhaustive()
    }
}

impl OpenAiServer {
    /// Binds 127.0.0.1 (`config.port`, 0 for any free port) and serves in the background on
    /// the current Tokio runtime.
    pub async fn start(config: ServerConfig) -> anyhow::Result<OpenAiServer> {
        let routes = Router::new()
            .route("/v1/chat/completions", post(chat_completions))
            .route("/v1/responses", post(responses))
            .route("/v1/models", get(models))
            .fallback(not_found);
        Ok(OpenAiServer {
            running: Running::start(config, "OpenAI", routes).await?,
        })
    }

    /// The API root to configure agents with: `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.running.addr())
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.running.addr()
    }

    /// What it has seen and answered so far.
    pub fn stats(&self) -> ServerStats {
        self.running.stats()
    }

    /// The bodies received, in order (`null` for a body that is not JSON), when
    /// `record_requests` is on.
    pub fn requests(&self) -> Vec<serde_json::Value> {
        self.running.requests()
    }

    /// The headers received (lowercase names), in order, when `record_requests` is on.
    pub fn request_headers(&self) -> Vec<BTreeMap<String, String>> {
        self.running.request_headers()
    }

    /// When each request arrived, in order, when `record_requests` is on.
    pub fn arrivals(&self) -> Vec<std::time::Instant> {
        self.running.arrivals()
    }

    /// The paths requested (`/v1/chat/completions`, `/v1/responses`), in order, when
    /// `record_requests` is on.
    pub fn request_paths(&self) -> Vec<String> {
        self.running.request_paths()
    }

    /// Queues answers for the next requests, served in order before the default behaviour.
    pub fn push_script(&self, steps: Vec<Scripted>) {
        self.running.push_script(steps);
    }

    /// How many scripted answers are still queued.
    pub fn script_len(&self) -> usize {
        self.running.script_len()
    }

    /// Stops serving and waits until the server has finished: hung requests are answered
    /// 503, then connections close.
    pub async fn stop(self) {
        self.running.stop().await;
    }
}

/// The parts of a chat completions body the server reads.
#[derive(Deserialize)]
struct ChatRequest {
    #[serde(default)]
    model: String,
    #[serde(default)]
    messages: Vec<ChatMessage>,
    #[serde(default)]
    stream: bool,
    #[serde(default)]
    stream_options: Option<StreamOptions>,
}

#[derive(Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: bool,
}

#[derive(Deserialize)]
struct ChatMessage {
    #[serde(default)]
    role: String,
    #[serde(default)]
    content: Option<serde_json::Value>,
}

/// A message's text: a string, or the text of its parts.
fn content_text(content: Option<&serde_json::Value>) -> String {
    match content {
        Some(serde_json::Value::String(text)) => text.clone(),
        Some(serde_json::Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(serde_json::Value::as_str))
            .collect(),
        _ => String::new(),
    }
}

/// The parts of a Responses API body the server reads.
#[derive(Deserialize)]
struct ResponsesRequest {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    prompt: Option<serde_json::Value>,
    #[serde(default)]
    input: Option<serde_json::Value>,
    #[serde(default)]
    stream: bool,
}

impl ResponsesRequest {
    /// The input messages as (role, text): a string input is one user message.
    fn messages(&self) -> Vec<(String, String)> {
        match &self.input {
            Some(serde_json::Value::String(text)) => vec![("user".into(), text.clone())],
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .map(|m| {
                    (
                        m["role"].as_str().unwrap_or("user").to_owned(),
                        content_text(m.get("content")),
                    )
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

fn check_key(shared: &Shared, headers: &HeaderMap) -> Option<Response> {
    let given = headers
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes)
        .and_then(|v| v.strip_prefix(b"Bearer "));
    if shared.key_ok(given) {
        return None;
    }
    bump(&shared.counters.unauthorized);
    Some(unauthorized())
}

fn unreadable(shared: &Shared, err: &serde_json::Error) -> Response {
    bump(&shared.counters.bad_requests);
    error(
        StatusCode::BAD_REQUEST,
        &format!("We could not parse the JSON body of your request. ({err})"),
        "invalid_request_error",
        None,
        None,
    )
}

/// A 400 for tool parts the API would refuse (a result answering no call, a malformed tool).
fn check_tools(
    shared: &Shared,
    body: &[u8],
    check: fn(&serde_json::Value) -> Result<(), String>,
) -> Option<Response> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let message = check(&value).err()?;
    bump(&shared.counters.bad_requests);
    Some(error(
        StatusCode::BAD_REQUEST,
        &message,
        "invalid_request_error",
        Some("messages"),
        None,
    ))
}

fn missing(shared: &Shared, param: &str) -> Response {
    bump(&shared.counters.bad_requests);
    error(
        StatusCode::BAD_REQUEST,
        &format!("Missing required parameter: '{param}'."),
        "invalid_request_error",
        Some(param),
        Some("missing_required_parameter"),
    )
}

async fn chat_completions(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let n = shared.received("/v1/chat/completions", &headers, &body);
    if let Some(refused) = check_key(&shared, &headers) {
        return refused;
    }
    let request: ChatRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => return unreadable(&shared, &err),
    };
    if let Some(refused) = check_tools(&shared, &body, tool_wire::check_chat) {
        return refused;
    }
    if request.model.is_empty() {
        return missing(&shared, "model");
    }
    if request.messages.is_empty() {
        return missing(&shared, "messages");
    }
    let step = shared.next_step(n, || {
        request
            .messages
            .iter()
            .rev()
            .find(|m| m.role == "user")
            .map(|m| content_text(m.content.as_ref()))
            .unwrap_or_default()
    });
    shared.pause(&step).await;
    let exchange = Exchange::Chat {
        prompt_words: request
            .messages
            .iter()
            .map(|m| words(&content_text(m.content.as_ref())))
            .sum(),
        model: request.model,
        stream: request.stream,
        include_usage: request.stream_options.is_some_and(|o| o.include_usage),
    };
    answer(&shared, &exchange, step).await
}

async fn responses(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let n = shared.received("/v1/responses", &headers, &body);
    if let Some(refused) = check_key(&shared, &headers) {
        return refused;
    }
    let request: ResponsesRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => return unreadable(&shared, &err),
    };
    if let Some(refused) = check_tools(&shared, &body, tool_wire::check_responses) {
        return refused;
    }
    if request.model.is_none() && request.prompt.is_none() {
        return missing(&shared, "model");
    }
    let messages = request.messages();
    let step = shared.next_step(n, || {
        messages
            .iter()
            .rev()
            .find(|(role, _)| role == "user")
            .map(|(_, text)| text.clone())
            .unwrap_or_default()
    });
    shared.pause(&step).await;
    let exchange = Exchange::Responses {
        model: request
            .model
            .unwrap_or_else(|| "gpt-mock-prompted".to_owned()),
        prompt: request.prompt.unwrap_or(serde_json::Value::Null),
        prompt_words: messages.iter().map(|(_, text)| words(text)).sum(),
        stream: request.stream,
    };
    answer(&shared, &exchange, step).await
}

async fn answer(shared: &Shared, exchange: &Exchange, step: Scripted) -> Response {
    let counters = &shared.counters;
    let delay = shared.config.stream_chunk_delay;
    let reply_with = |chunks: Vec<String>, usage: Option<Usage>, ending: Ending| {
        bump(&counters.replies);
        let usage =
            usage.unwrap_or_else(|| Usage::new(exchange.prompt_words(), words(&chunks.concat())));
        if exchange.streams() {
            bump(&counters.streamed);
            scripted::event_stream(
                stream_events(exchange, &chunks, usage, &ending),
                delay,
                false,
            )
        } else {
            scripted::json_response(
                StatusCode::OK,
                Body::from(body(exchange, &chunks.concat(), usage, &ending)),
            )
        }
    };
    let reply = |chunks: Vec<String>, usage: Option<Usage>| reply_with(chunks, usage, Ending::Stop);
    match step {
        Scripted::Reply { text, usage } => reply(pieces(&text), usage),
        Scripted::ToolCalls { text, calls } => {
            reply_with(pieces(&text), None, Ending::Calls(calls))
        }
        Scripted::MaxTokens { text } => reply_with(pieces(&text), None, Ending::MaxTokens),
        Scripted::Streamed { chunks, usage } => reply(chunks, usage),
        Scripted::Slow { delay, text } => {
            tokio::time::sleep(delay).await;
            reply(pieces(&text), None)
        }
        Scripted::RateLimited { retry_after_secs } => {
            bump(&counters.rate_limited);
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                &format!(
                    "Rate limit reached for {} in organization org-mock on requests per min (RPM): Limit 60, Used 60, Requested 1. Please try again in {}s.",
                    exchange.model(),
                    retry_after_secs.unwrap_or(1)
                ),
                "requests",
                None,
                Some("rate_limit_exceeded"),
            );
            if let Some(secs) = retry_after_secs {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            response
        }
        Scripted::ServerError => {
            bump(&counters.server_errors);
            server_error()
        }
        Scripted::Overloaded => {
            bump(&counters.overloaded);
            overloaded()
        }
        Scripted::StreamError if !exchange.streams() => {
            bump(&counters.overloaded);
            overloaded()
        }
        Scripted::StreamError => {
            bump(&counters.stream_errors);
            let mut events = stream_events(
                exchange,
                &["Partial ".to_owned()],
                Usage::default(),
                &Ending::Stop,
            );
            events.truncate(2);
            events.push(sse_data(&json!({"error": {
                "message": "The server had an error while processing your request. Sorry about that!",
                "type": "server_error", "param": null, "code": null}})));
            scripted::event_stream(events, delay, false)
        }
        Scripted::Unauthorized => {
            bump(&counters.unauthorized);
            unauthorized()
        }
        Scripted::ContextTooLong => {
            bump(&counters.context_too_long);
            error(
                StatusCode::BAD_REQUEST,
                "This model's maximum context length is 8192 tokens. However, your messages resulted in 9001 tokens. Please reduce the length of the messages.",
                "invalid_request_error",
                Some("messages"),
                Some("context_length_exceeded"),
            )
        }
        Scripted::Malformed => {
            bump(&counters.malformed);
            if exchange.streams() {
                scripted::event_stream(
                    vec![Bytes::from_static(
                        b"data: {\"id\": \"chatcmpl-broken\", \"object\": \"chat.comp\n\n",
                    )],
                    delay,
                    false,
                )
            } else {
                scripted::json_response(
                    StatusCode::OK,
                    Body::from(r#"{"id": "chatcmpl-broken", "object": "chat.comp"#),
                )
            }
        }
        Scripted::Truncated => {
            bump(&counters.truncated);
            let text = "This reply will not arrive whole.";
            if exchange.streams() {
                let mut events =
                    stream_events(exchange, &pieces(text), Usage::default(), &Ending::Stop);
                events.truncate(2);
                scripted::event_stream(events, delay, true)
            } else {
                scripted::cut_json(&body(exchange, text, Usage::new(1, 1), &Ending::Stop))
            }
        }
        Scripted::Oversized { bytes } => {
            bump(&counters.oversized);
            if exchange.streams() {
                let chunks = vec!["x".repeat(16 * 1024); bytes.div_ceil(16 * 1024)];
                scripted::event_stream(
                    stream_events(exchange, &chunks, Usage::new(1, 1), &Ending::Stop),
                    delay,
                    false,
                )
            } else {
                scripted::chunked_json(body(
                    exchange,
                    &"x".repeat(bytes),
                    Usage::new(1, 1),
                    &Ending::Stop,
                ))
            }
        }
        Scripted::Hang => {
            shared.hang().await;
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "The server is shutting down.",
                "server_error",
                None,
                None,
            )
        }
        Scripted::Raw {
            status,
            headers,
            body,
        } => {
            bump(&counters.raw);
            scripted::raw(status, headers, body)
        }
    }
}

/// An error in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`.
fn error(
    status: StatusCode,
    message: &str,
    kind: &str,
    param: Option<&str>,
    code: Option<&str>,
) -> Response {
    let body = json!({"error": {"message": message, "type": kind, "param": param, "code": code}});
    scripted::json_response(status, Body::from(body.to_string()))
}

fn unauthorized() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
        "invalid_request_error",
        None,
        Some("invalid_api_key"),
    )
}

fn server_error() -> Response {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "The server had an error while processing your request. Sorry about that!",
        "server_error",
        None,
        None,
    )
}

fn overloaded() -> Response {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "The engine is currently overloaded, please try again later.",
        "server_error",
        None,
        None,
    )
}

async fn models() -> Response {
    let body = json!({
        "object": "list",
        "data": [{"id": "mock-model", "object": "model", "created": 0, "owned_by": "benchcore"}]
    });
    scripted::json_response(StatusCode::OK, Body::from(body.to_string()))
}

async fn not_found(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!(
            "Unknown request URL: {method} {}. Please check the URL for typos.",
            uri.path()
        ),
        "invalid_request_error",
        None,
        Some("unknown_url"),
    )
    .into_response()
}
