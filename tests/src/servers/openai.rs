//! A loopback server speaking OpenAI Chat Completions as the API reference documents it,
//! with scripted replies and seeded random faults.
//!
//! By default it echoes the last user message, so a case whose target equals its input
//! passes exact match; usage counts words.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::Router;
use benchcore::Usage;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How the server behaves when no script step is queued. Build it with struct-update
/// syntax: `ServerConfig { rate_429: 0.1, ..ServerConfig::default() }`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    /// Added before every answer (not to hangs).
    pub latency: Duration,
    /// Share of requests answered 429 (with `Retry-After: retry_after_secs`).
    pub rate_429: f64,
    /// Share of requests answered 500.
    pub rate_500: f64,
    /// Share of requests never answered.
    pub rate_hang: f64,
    /// Share of requests answered 200 with a body that is not JSON.
    pub rate_malformed: f64,
    /// The `Retry-After` of random 429s, in seconds.
    pub retry_after_secs: u64,
    /// Seeds the fault draws: request `n` draws from a generator seeded by `seed` and `n`,
    /// so a run's faults repeat exactly.
    pub seed: u64,
    /// When set, a request without `Authorization: Bearer <this>` gets a 401.
    pub require_api_key: Option<String>,
    /// Keep every request's body and headers, for [`OpenAiServer::requests`].
    pub record_requests: bool,
    /// The port to listen on (127.0.0.1); 0 picks a free one.
    pub port: u16,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            latency: Duration::ZERO,
            rate_429: 0.0,
            rate_500: 0.0,
            rate_hang: 0.0,
            rate_malformed: 0.0,
            retry_after_secs: 1,
            seed: 0,
            require_api_key: None,
            record_requests: false,
            port: 0,
        }
    }
}

impl ServerConfig {
    /// Adds latency before every answer.
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Requires this API key.
    pub fn with_api_key(mut self, key: impl Into<String>) -> Self {
        self.require_api_key = Some(key.into());
        self
    }

    /// Records every request.
    pub fn recording(mut self) -> Self {
        self.record_requests = true;
        self
    }
}

/// One scripted answer, served in order before the default behaviour.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Scripted {
    /// 200 with this text; usage as given, or word counts when `None`.
    Reply {
        /// The reply text.
        text: String,
        /// The usage reported.
        usage: Option<Usage>,
    },
    /// 429 `rate_limit_exceeded`, with `Retry-After` in seconds when set.
    RateLimited {
        /// The `Retry-After` header's value.
        retry_after_secs: Option<u64>,
    },
    /// 500 `server_error`.
    ServerError,
    /// 401 `invalid_api_key`.
    Unauthorized,
    /// 400 `context_length_exceeded`, worded as OpenAI words it.
    ContextTooLong,
    /// 200 with a body that is not valid JSON.
    Malformed,
    /// 200 whose body stops half-way: the connection is dropped mid-reply.
    Truncated,
    /// 200 with a valid reply body of at least `bytes` bytes, streamed without a
    /// `Content-Length`.
    Oversized {
        /// The body's least size.
        bytes: usize,
    },
    /// Never answers (until the server stops).
    Hang,
    /// Waits `delay`, then replies with `text`.
    Slow {
        /// The wait before answering.
        delay: Duration,
        /// The reply text.
        text: String,
    },
    /// Any status, headers and body.
    Raw {
        /// The HTTP status.
        status: u16,
        /// Extra headers.
        headers: Vec<(String, String)>,
        /// The body, sent as is with `Content-Type: application/json`.
        body: String,
    },
}

impl Scripted {
    /// A 200 reply with this text and word-count usage.
    pub fn reply(text: impl Into<String>) -> Self {
        Self::Reply {
            text: text.into(),
            usage: None,
        }
    }
}

/// What the server has seen and answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerStats {
    /// Requests received on the chat completions route.
    pub requests: u64,
    /// 200 replies with a completion (slow ones included).
    pub replies: u64,
    /// 429 answers.
    pub rate_limited: u64,
    /// 500 answers.
    pub server_errors: u64,
    /// 401 answers (scripted or for a wrong key).
    pub unauthorized: u64,
    /// 400 answers for request bodies the server could not read.
    pub bad_requests: u64,
    /// Context-length errors.
    pub context_too_long: u64,
    /// Bodies that are not JSON.
    pub malformed: u64,
    /// Replies cut off mid-body.
    pub truncated: u64,
    /// Oversized replies.
    pub oversized: u64,
    /// Requests never answered.
    pub hangs: u64,
    /// Raw scripted answers.
    pub raw: u64,
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    replies: AtomicU64,
    rate_limited: AtomicU64,
    server_errors: AtomicU64,
    unauthorized: AtomicU64,
    bad_requests: AtomicU64,
    context_too_long: AtomicU64,
    malformed: AtomicU64,
    truncated: AtomicU64,
    oversized: AtomicU64,
    hangs: AtomicU64,
    raw: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// One recorded request.
type Recorded = (serde_json::Value, BTreeMap<String, String>);

struct Shared {
    config: ServerConfig,
    expected_authorization: Option<String>,
    script: Mutex<VecDeque<Scripted>>,
    counters: Counters,
    recorded: Mutex<Vec<Recorded>>,
    shutdown: watch::Receiver<bool>,
}

/// A running server. It stops when dropped: hung requests are then answered 503 and
/// connections close.
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
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for OpenAiServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiServer")
            .field("addr", &self.addr)
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl OpenAiServer {
    /// Binds 127.0.0.1 (`config.port`, 0 for any free port) and serves in the background on
    /// the current Tokio runtime.
    pub async fn start(config: ServerConfig) -> anyhow::Result<OpenAiServer> {
        for (name, rate) in [
            ("rate_429", config.rate_429),
            ("rate_500", config.rate_500),
            ("rate_hang", config.rate_hang),
            ("rate_malformed", config.rate_malformed),
        ] {
            anyhow::ensure!(
                (0.0..=1.0).contains(&rate),
                "{name} must be between 0 and 1, not {rate}"
            );
        }
        let total = config.rate_429 + config.rate_500 + config.rate_hang + config.rate_malformed;
        anyhow::ensure!(
            total <= 1.0 + 1e-9,
            "the fault rates add up to {total}, more than 1"
        );
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await?;
        let addr = listener.local_addr()?;
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let (shutdown, shutdown_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            expected_authorization: config
                .require_api_key
                .as_ref()
                .map(|k| format!("Bearer {k}")),
            config,
            script: Mutex::new(VecDeque::new()),
            counters: Counters::default(),
            recorded: Mutex::new(Vec::new()),
            shutdown: shutdown_rx.clone(),
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(chat_completions))
            .route("/v1/models", get(models))
            .fallback(not_found)
            .layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024))
            .with_state(Arc::clone(&shared));
        let mut stop = shutdown_rx;
        let task = tokio::spawn(async move {
            let signal = async move {
                let _ = stop.wait_for(|stopped| *stopped).await;
            };
            if let Err(err) = axum::serve(listener, app)
                .with_graceful_shutdown(signal)
                .await
            {
                eprintln!("mock OpenAI server stopped: {err}");
            }
        });
        Ok(OpenAiServer {
            addr,
            shared,
            shutdown,
            task: Some(task),
        })
    }

    /// The API root to configure agents with: `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What it has seen and answered so far.
    pub fn stats(&self) -> ServerStats {
        let c = &self.shared.counters;
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        ServerStats {
            requests: get(&c.requests),
            replies: get(&c.replies),
            rate_limited: get(&c.rate_limited),
            server_errors: get(&c.server_errors),
            unauthorized: get(&c.unauthorized),
            bad_requests: get(&c.bad_requests),
            context_too_long: get(&c.context_too_long),
            malformed: get(&c.malformed),
            truncated: get(&c.truncated),
            oversized: get(&c.oversized),
            hangs: get(&c.hangs),
            raw: get(&c.raw),
        }
    }

    /// The bodies received, in order (`null` for a body that is not JSON), when
    /// `record_requests` is on.
    pub fn requests(&self) -> Vec<serde_json::Value> {
        lock(&self.shared.recorded)
            .iter()
            .map(|(body, _)| body.clone())
            .collect()
    }

    /// The headers received (lowercase names), in order, when `record_requests` is on.
    pub fn request_headers(&self) -> Vec<BTreeMap<String, String>> {
        lock(&self.shared.recorded)
            .iter()
            .map(|(_, headers)| headers.clone())
            .collect()
    }

    /// Queues answers for the next requests, served in order before the default behaviour.
    pub fn push_script(&self, steps: Vec<Scripted>) {
        lock(&self.shared.script).extend(steps);
    }

    /// How many scripted answers are still queued.
    pub fn script_len(&self) -> usize {
        lock(&self.shared.script).len()
    }

    /// Stops serving and waits until the server has finished: hung requests are answered
    /// 503, then connections close.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for OpenAiServer {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The parts of a request body the server reads.
#[derive(Deserialize)]
struct ChatRequest {
    #[serde(default)]
    model: String,
    #[serde(default)]
    messages: Vec<ChatMessage>,
}

#[derive(Deserialize)]
struct ChatMessage {
    #[serde(default)]
    role: String,
    #[serde(default)]
    content: Option<serde_json::Value>,
}

impl ChatMessage {
    fn text(&self) -> String {
        match &self.content {
            Some(serde_json::Value::String(text)) => text.clone(),
            Some(serde_json::Value::Array(parts)) => parts
                .iter()
                .filter_map(|p| p.get("text").and_then(serde_json::Value::as_str))
                .collect(),
            _ => String::new(),
        }
    }
}

async fn chat_completions(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let n = shared.counters.requests.fetch_add(1, Ordering::Relaxed);
    if shared.config.record_requests {
        let value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
        let headers = headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        lock(&shared.recorded).push((value, headers));
    }
    if let Some(expected) = &shared.expected_authorization {
        let given = headers
            .get(header::AUTHORIZATION)
            .map(HeaderValue::as_bytes);
        if given != Some(expected.as_bytes()) {
            bump(&shared.counters.unauthorized);
            return unauthorized();
        }
    }
    let request: ChatRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => {
            bump(&shared.counters.bad_requests);
            return error(
                StatusCode::BAD_REQUEST,
                &format!("We could not parse the JSON body of your request. ({err})"),
                "invalid_request_error",
                None,
                None,
            );
        }
    };
    if request.model.is_empty() || request.messages.is_empty() {
        bump(&shared.counters.bad_requests);
        let param = if request.model.is_empty() {
            "model"
        } else {
            "messages"
        };
        return error(
            StatusCode::BAD_REQUEST,
            &format!("Missing required parameter: '{param}'."),
            "invalid_request_error",
            Some(param),
            Some("missing_required_parameter"),
        );
    }
    let scripted = lock(&shared.script).pop_front();
    let step = scripted.unwrap_or_else(|| draw(&shared.config, n, &request));
    if !shared.config.latency.is_zero() && step != Scripted::Hang {
        tokio::time::sleep(shared.config.latency).await;
    }
    answer(&shared, &request, step).await
}

/// The default behaviour for request `n`: a fault drawn from the configured rates, else an
/// echo of the last user message.
fn draw(config: &ServerConfig, n: u64, request: &ChatRequest) -> Scripted {
    let faults = config.rate_429 + config.rate_500 + config.rate_hang + config.rate_malformed;
    if faults > 0.0 {
        let mut rng = fastrand::Rng::with_seed(
            config.seed ^ n.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        let mut x = rng.f64();
        for (rate, step) in [
            (
                config.rate_429,
                Scripted::RateLimited {
                    retry_after_secs: Some(config.retry_after_secs),
                },
            ),
            (config.rate_500, Scripted::ServerError),
            (config.rate_hang, Scripted::Hang),
            (config.rate_malformed, Scripted::Malformed),
        ] {
            if x < rate {
                return step;
            }
            x -= rate;
        }
    }
    let text = request
        .messages
        .iter()
        .rev()
        .find(|m| m.role == "user")
        .map(ChatMessage::text)
        .unwrap_or_default();
    Scripted::Reply { text, usage: None }
}

async fn answer(shared: &Shared, request: &ChatRequest, step: Scripted) -> Response {
    let counters = &shared.counters;
    match step {
        Scripted::Reply { text, usage } => {
            bump(&counters.replies);
            completion(request, &text, usage)
        }
        Scripted::Slow { delay, text } => {
            tokio::time::sleep(delay).await;
            bump(&counters.replies);
            completion(request, &text, None)
        }
        Scripted::RateLimited { retry_after_secs } => {
            bump(&counters.rate_limited);
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                &format!(
                    "Rate limit reached for {} in organization org-mock on requests per min (RPM): Limit 60, Used 60, Requested 1. Please try again in {}s.",
                    request.model,
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
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The server had an error while processing your request. Sorry about that!",
                "server_error",
                None,
                None,
            )
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
            json_response(
                StatusCode::OK,
                Body::from(r#"{"id": "chatcmpl-broken", "object": "chat.comp"#),
            )
        }
        Scripted::Truncated => {
            bump(&counters.truncated);
            let full = completion_body(request, "This reply will not arrive whole.", None);
            let half = Bytes::copy_from_slice(&full[..full.len() / 2]);
            let stream = futures::stream::iter([
                Ok(half),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "truncated on purpose",
                )),
            ]);
            json_response(StatusCode::OK, Body::from_stream(stream))
        }
        Scripted::Oversized { bytes } => {
            bump(&counters.oversized);
            let full = Bytes::from(completion_body(
                request,
                &"x".repeat(bytes),
                Some(Usage::new(1, 1)),
            ));
            let chunks: Vec<Result<Bytes, std::io::Error>> = (0..full.len())
                .step_by(64 * 1024)
                .map(|start| Ok(full.slice(start..(start + 64 * 1024).min(full.len()))))
                .collect();
            json_response(
                StatusCode::OK,
                Body::from_stream(futures::stream::iter(chunks)),
            )
        }
        Scripted::Hang => {
            bump(&counters.hangs);
            let mut stop = shared.shutdown.clone();
            let _ = stop.wait_for(|stopped| *stopped).await;
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
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = json_response(status, Body::from(body));
            for (name, value) in headers {
                if let (Ok(name), Ok(value)) = (
                    header::HeaderName::try_from(name),
                    HeaderValue::try_from(value),
                ) {
                    response.headers_mut().insert(name, value);
                }
            }
            response
        }
    }
}

#[derive(Serialize)]
struct Completion<'a> {
    id: String,
    object: &'static str,
    created: u64,
    model: &'a str,
    system_fingerprint: &'static str,
    choices: [Choice<'a>; 1],
    usage: WireUsage,
}

#[derive(Serialize)]
struct Choice<'a> {
    index: u32,
    message: AssistantMessage<'a>,
    logprobs: Option<()>,
    finish_reason: &'static str,
}

#[derive(Serialize)]
struct AssistantMessage<'a> {
    role: &'static str,
    content: &'a str,
    refusal: Option<()>,
}

#[derive(Serialize)]
struct WireUsage {
    prompt_tokens: u64,
    completion_tokens: u64,
    total_tokens: u64,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

fn completion_body(request: &ChatRequest, text: &str, usage: Option<Usage>) -> Vec<u8> {
    let usage = usage.unwrap_or_else(|| {
        let prompt = request.messages.iter().map(|m| words(&m.text())).sum();
        Usage::new(prompt, words(text))
    });
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let body = Completion {
        id: format!(
            "chatcmpl-mock{:012x}",
            NEXT_ID.fetch_add(1, Ordering::Relaxed)
        ),
        object: "chat.completion",
        created,
        model: &request.model,
        system_fingerprint: "fp_mock",
        choices: [Choice {
            index: 0,
            message: AssistantMessage {
                role: "assistant",
                content: text,
                refusal: None,
            },
            logprobs: None,
            finish_reason: "stop",
        }],
        usage: WireUsage {
            prompt_tokens: usage.input_tokens,
            completion_tokens: usage.output_tokens,
            total_tokens: usage.total(),
        },
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

fn completion(request: &ChatRequest, text: &str, usage: Option<Usage>) -> Response {
    json_response(
        StatusCode::OK,
        Body::from(completion_body(request, text, usage)),
    )
}

fn json_response(status: StatusCode, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    message: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    param: Option<&'a str>,
    code: Option<&'a str>,
}

/// An error in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`.
fn error(
    status: StatusCode,
    message: &str,
    kind: &str,
    param: Option<&str>,
    code: Option<&str>,
) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            message,
            kind,
            param,
            code,
        },
    };
    json_response(
        status,
        Body::from(serde_json::to_vec(&body).unwrap_or_default()),
    )
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

async fn models() -> Response {
    let body = serde_json::json!({
        "object": "list",
        "data": [{"id": "mock-model", "object": "model", "created": 0, "owned_by": "benchcore"}]
    });
    json_response(StatusCode::OK, Body::from(body.to_string()))
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
