//! A loopback server speaking Anthropic's Messages API (whole and streamed) as the API
//! reference documents it, with the same scripted replies and seeded random faults as the
//! OpenAI server.
//!
//! By default it echoes the last user message; usage counts words. It checks what the real
//! API checks: the `anthropic-version` header, `x-api-key` (when a key is configured), a
//! `model`, a `max_tokens` and `user`/`assistant` roles only.

use super::scripted::{self, bump, pieces, words, Running, Shared};
use super::tool_wire::{self, argument_pieces, Ending};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use benchcore::Usage;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub use super::scripted::{Scripted, ServerConfig, ServerStats};

/// A running server. It stops when dropped: hung requests are then answered 529 and
/// connections close.
///
/// Route: `POST /v1/messages`, answering a `message` object, or, when the request says
/// `"stream": true`, a `text/event-stream` of `message_start`, `content_block_start`,
/// `ping`, `content_block_delta`s, `content_block_stop`, `message_delta` and
/// `message_stop`. Errors have Anthropic's shape: `{"type": "error", "error": {"type",
/// "message"}, "request_id"}`.
///
/// ```no_run
/// # async fn demo() -> anyhow::Result<()> {
/// use benchcore_tests::servers::{AnthropicServer, Scripted, ServerConfig};
/// let server = AnthropicServer::start(ServerConfig::default().recording()).await?;
/// server.push_script(vec![Scripted::Overloaded]);
/// println!("{}", server.base_url()); // http://127.0.0.1:PORT
/// # Ok(()) }
/// ```
pub struct AnthropicServer {
    running: Running,
}

impl std::fmt::Debug for AnthropicServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnthropicServer")
            .field("addr", &self.running.addr())
            .field("config", &self.running.shared.config)
            .finish_non_exhaustive()
    }
}

impl AnthropicServer {
    /// Binds 127.0.0.1 (`config.port`, 0 for any free port) and serves in the background on
    /// the current Tokio runtime.
    pub async fn start(config: ServerConfig) -> anyhow::Result<AnthropicServer> {
        let routes = Router::new()
            .route("/v1/messages", post(messages))
            .fallback(not_found);
        Ok(AnthropicServer {
            running: Running::start(config, "Anthropic", routes).await?,
        })
    }

    /// The API root to configure agents with: `http://127.0.0.1:PORT` (requests go to
    /// `/v1/messages` under it).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.running.addr())
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

    /// Queues answers for the next requests, served in order before the default behaviour.
    pub fn push_script(&self, steps: Vec<Scripted>) {
        self.running.push_script(steps);
    }

    /// How many scripted answers are still queued.
    pub fn script_len(&self) -> usize {
        self.running.script_len()
    }

    /// Stops serving and waits until the server has finished.
    pub async fn stop(self) {
        self.running.stop().await;
    }
}

/// The parts of a request body the server reads.
#[derive(Deserialize)]
struct MessagesRequest {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    max_tokens: Option<u64>,
    #[serde(default)]
    messages: Vec<Turn>,
    #[serde(default)]
    system: Option<serde_json::Value>,
    #[serde(default)]
    stream: bool,
}

#[derive(Deserialize)]
struct Turn {
    #[serde(default)]
    role: String,
    #[serde(default)]
    content: serde_json::Value,
}

/// Text content: a string, or the `text` of its blocks.
fn text_of(content: &serde_json::Value) -> String {
    match content {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(serde_json::Value::as_str))
            .collect(),
        _ => String::new(),
    }
}

async fn messages(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let n = shared.received("/v1/messages", &headers, &body);
    let refuse = |status: StatusCode, kind: &str, message: &str| {
        if status == StatusCode::UNAUTHORIZED {
            bump(&shared.counters.unauthorized);
        } else {
            bump(&shared.counters.bad_requests);
        }
        error(status, kind, message)
    };
    if !shared.key_ok(headers.get("x-api-key").map(HeaderValue::as_bytes)) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "invalid x-api-key",
        );
    }
    if !headers.contains_key("anthropic-version") {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "anthropic-version: header is required",
        );
    }
    let request: MessagesRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                &format!("There was an issue with the request body: {err}"),
            )
        }
    };
    for (field, missing) in [
        ("model", request.model.is_none()),
        ("max_tokens", request.max_tokens.is_none()),
        ("messages", request.messages.is_empty()),
    ] {
        if missing {
            return refuse(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                &format!("{field}: Field required"),
            );
        }
    }
    if let Some(i) = request
        .messages
        .iter()
        .position(|m| m.role != "user" && m.role != "assistant")
    {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            &format!(
                "messages.{i}.role: Input should be 'user' or 'assistant' (the system prompt \
                 goes in the top-level `system` field)"
            ),
        );
    }
    if let Some(message) = serde_json::from_slice(&body)
        .ok()
        .and_then(|value| tool_wire::check_anthropic(&value).err())
    {
        return refuse(StatusCode::BAD_REQUEST, "invalid_request_error", &message);
    }
    let step = shared.next_step(n, || {
        request
            .messages
            .iter()
            .rev()
            .find(|m| m.role == "user")
            .map(|m| text_of(&m.content))
            .unwrap_or_default()
    });
    shared.pause(&step).await;
    let prompt_words = request
        .messages
        .iter()
        .map(|m| words(&text_of(&m.content)))
        .sum::<u64>()
        + request.system.as_ref().map_or(0, |s| words(&text_of(s)));
    let exchange = Exchange {
        model: request.model.unwrap_or_default(),
        prompt_words,
        stream: request.stream,
    };
    answer(&shared, &exchange, step).await
}

/// What the request asked for: this decides the reply's shape.
struct Exchange {
    model: String,
    prompt_words: u64,
    stream: bool,
}

async fn answer(shared: &Shared, exchange: &Exchange, step: Scripted) -> Response {
    let counters = &shared.counters;
    let delay = shared.config.stream_chunk_delay;
    let reply_with = |chunks: Vec<String>, usage: Option<Usage>, ending: Ending| {
        bump(&counters.replies);
        let usage =
            usage.unwrap_or_else(|| Usage::new(exchange.prompt_words, words(&chunks.concat())));
        if exchange.stream {
            bump(&counters.streamed);
            scripted::event_stream(
                stream_events(exchange, &chunks, usage, &ending),
                delay,
                false,
            )
        } else {
            message(exchange, &chunks.concat(), usage, &ending)
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
                "rate_limit_error",
                "This request would exceed the rate limit for your organization of 50 requests \
                 per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.",
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
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "api_error",
                "Internal server error",
            )
        }
        Scripted::Overloaded => {
            bump(&counters.overloaded);
            overloaded()
        }
        Scripted::StreamError if !exchange.stream => {
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
            events.truncate(4);
            events.push(event(
                "error",
                &json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
            ));
            scripted::event_stream(events, delay, false)
        }
        Scripted::Unauthorized => {
            bump(&counters.unauthorized);
            error(
                StatusCode::UNAUTHORIZED,
                "authentication_error",
                "invalid x-api-key",
            )
        }
        Scripted::ContextTooLong => {
            bump(&counters.context_too_long);
            error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "prompt is too long: 208656 tokens > 200000 maximum",
            )
        }
        Scripted::Malformed => {
            bump(&counters.malformed);
            if exchange.stream {
                scripted::event_stream(
                    vec![Bytes::from_static(
                        b"event: message_start\ndata: {\"type\": \"message_st\n\n",
                    )],
                    delay,
                    false,
                )
            } else {
                scripted::json_response(
                    StatusCode::OK,
                    Body::from(r#"{"id": "msg_broken", "type": "mess"#),
                )
            }
        }
        Scripted::Truncated => {
            bump(&counters.truncated);
            let text = "This reply will not arrive whole.";
            if exchange.stream {
                let mut events =
                    stream_events(exchange, &pieces(text), Usage::default(), &Ending::Stop);
                // message_start, content_block_start, ping, the first delta.
                events.truncate(4);
                scripted::event_stream(events, delay, true)
            } else {
                scripted::cut_json(&message_body(
                    exchange,
                    text,
                    Usage::new(1, 1),
                    &Ending::Stop,
                ))
            }
        }
        Scripted::Oversized { bytes } => {
            bump(&counters.oversized);
            if exchange.stream {
                let chunks = vec!["x".repeat(16 * 1024); bytes.div_ceil(16 * 1024)];
                scripted::event_stream(
                    stream_events(exchange, &chunks, Usage::new(1, 1), &Ending::Stop),
                    delay,
                    false,
                )
            } else {
                scripted::chunked_json(message_body(
                    exchange,
                    &"x".repeat(bytes),
                    Usage::new(1, 1),
                    &Ending::Stop,
                ))
            }
        }
        Scripted::Hang => {
            shared.hang().await;
            overloaded()
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

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn next_id() -> String {
    format!("{:020x}", NEXT_ID.fetch_add(1, Ordering::Relaxed))
}

/// `stop_reason` for an ending.
fn stop_reason(ending: &Ending) -> &'static str {
    match ending {
        Ending::Stop => "end_turn",
        Ending::Calls(_) => "tool_use",
        Ending::MaxTokens => "max_tokens",
    }
}

/// A call's input: the arguments as a JSON object (the API only ever sends objects).
fn input_of(arguments: &str) -> serde_json::Value {
    serde_json::from_str::<serde_json::Value>(arguments)
        .ok()
        .filter(serde_json::Value::is_object)
        .unwrap_or_else(|| json!({}))
}

fn message_body(exchange: &Exchange, text: &str, usage: Usage, ending: &Ending) -> Vec<u8> {
    let mut content = Vec::new();
    if !text.is_empty() || ending.calls().is_empty() {
        content.push(json!({"type": "text", "text": text}));
    }
    content.extend(ending.calls().iter().map(|call| {
        json!({"type": "tool_use", "id": call.id, "name": call.name, "input": input_of(&call.arguments)})
    }));
    let body = json!({
        "id": format!("msg_mock{}", next_id()),
        "type": "message",
        "role": "assistant",
        "model": exchange.model,
        "content": content,
        "stop_reason": stop_reason(ending),
        "stop_sequence": null,
        "usage": {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens}
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

fn message(exchange: &Exchange, text: &str, usage: Usage, ending: &Ending) -> Response {
    with_request_id(scripted::json_response(
        StatusCode::OK,
        Body::from(message_body(exchange, text, usage, ending)),
    ))
}

/// One named event.
fn event(name: &str, data: &serde_json::Value) -> Bytes {
    Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
}

/// A streamed message: `message_start` (input tokens), one text block of `chunks`, one
/// `tool_use` block per call (its input as `input_json_delta` pieces), `message_delta` (stop
/// reason, output tokens), `message_stop`.
fn stream_events(
    exchange: &Exchange,
    chunks: &[String],
    usage: Usage,
    ending: &Ending,
) -> Vec<Bytes> {
    let mut events = vec![
        event(
            "message_start",
            &json!({"type": "message_start", "message": {
                "id": format!("msg_mock{}", next_id()), "type": "message", "role": "assistant",
                "content": [], "model": exchange.model, "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": usage.input_tokens, "output_tokens": 1}}}),
        ),
        event(
            "content_block_start",
            &json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ),
        event("ping", &json!({"type": "ping"})),
    ];
    events.extend(chunks.iter().map(|chunk| {
        event(
            "content_block_delta",
            &json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": chunk}}),
        )
    }));
    events.extend([event(
        "content_block_stop",
        &json!({"type": "content_block_stop", "index": 0}),
    )]);
    for (n, call) in ending.calls().iter().enumerate() {
        let index = n + 1;
        events.push(event(
            "content_block_start",
            &json!({"type": "content_block_start", "index": index, "content_block":
                    {"type": "tool_use", "id": call.id, "name": call.name, "input": {}}}),
        ));
        let input = input_of(&call.arguments).to_string();
        for piece in argument_pieces(&input) {
            events.push(event(
                "content_block_delta",
                &json!({"type": "content_block_delta", "index": index,
                        "delta": {"type": "input_json_delta", "partial_json": piece}}),
            ));
        }
        events.push(event(
            "content_block_stop",
            &json!({"type": "content_block_stop", "index": index}),
        ));
    }
    events.extend([
        event(
            "message_delta",
            &json!({"type": "message_delta", "delta": {"stop_reason": stop_reason(ending), "stop_sequence": null},
                    "usage": {"output_tokens": usage.output_tokens}}),
        ),
        event("message_stop", &json!({"type": "message_stop"})),
    ]);
    events
}

fn with_request_id(mut response: Response) -> Response {
    if let Ok(value) = HeaderValue::from_str(&format!("req_mock{}", next_id())) {
        response.headers_mut().insert("request-id", value);
    }
    response
}

/// An error in Anthropic's shape.
fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    let request_id = format!("req_mock{}", next_id());
    let body = json!({"type": "error", "error": {"type": kind, "message": message}, "request_id": request_id});
    let mut response = scripted::json_response(status, Body::from(body.to_string()));
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("request-id", value);
    }
    response
}

fn overloaded() -> Response {
    let status = StatusCode::from_u16(529).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    error(status, "overloaded_error", "Overloaded")
}

async fn not_found(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not_found_error",
        &format!("Not found: {method} {}", uri.path()),
    )
}
