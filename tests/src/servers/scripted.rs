//! What every provider's loopback server shares: the [`ServerConfig`], the [`Scripted`]
//! answers, the [`ServerStats`] counters, request recording, seeded fault draws, and the
//! running server's lifecycle. Each wire format (`openai.rs`, `anthropic.rs`) only renders
//! the answers in its own shapes.

use super::in_flight::{track, InFlight};
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::serve::ListenerExt;
use axum::Router;
use futures::StreamExt;
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use super::script::Scripted;

/// How a server behaves when no script step is queued. Build it with struct-update
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
    /// When set, a request without this key gets a 401: OpenAI's server wants
    /// `Authorization: Bearer <key>`, Anthropic's `x-api-key: <key>`.
    pub require_api_key: Option<String>,
    /// Keep every request's path, body and headers, for `requests()` and friends.
    pub record_requests: bool,
    /// Waited between the events of a streamed reply (not before the first).
    pub stream_chunk_delay: Duration,
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
            stream_chunk_delay: Duration::ZERO,
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

    /// Waits this long between the events of a streamed reply.
    pub fn with_stream_chunk_delay(mut self, delay: Duration) -> Self {
        self.stream_chunk_delay = delay;
        self
    }
}

/// What a server has seen and answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerStats {
    /// Requests received on the model routes.
    pub requests: u64,
    /// 200 replies with a completion (slow and streamed ones included).
    pub replies: u64,
    /// Replies sent as event streams.
    pub streamed: u64,
    /// 429 answers.
    pub rate_limited: u64,
    /// 500 answers.
    pub server_errors: u64,
    /// Overloaded answers (529 or 503).
    pub overloaded: u64,
    /// 401 answers (scripted or for a wrong key).
    pub unauthorized: u64,
    /// 400 answers for request bodies the server could not read or refused.
    pub bad_requests: u64,
    /// Context-length errors.
    pub context_too_long: u64,
    /// Bodies that are not JSON.
    pub malformed: u64,
    /// Replies cut off mid-body.
    pub truncated: u64,
    /// Oversized replies.
    pub oversized: u64,
    /// Streams that reported an error mid-way.
    pub stream_errors: u64,
    /// Requests never answered.
    pub hangs: u64,
    /// Raw scripted answers.
    pub raw: u64,
    /// The most requests answered at once.
    pub max_in_flight: u64,
}

/// The live counters behind [`ServerStats`].
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    pub(crate) replies: AtomicU64,
    pub(crate) streamed: AtomicU64,
    pub(crate) rate_limited: AtomicU64,
    pub(crate) server_errors: AtomicU64,
    pub(crate) overloaded: AtomicU64,
    pub(crate) unauthorized: AtomicU64,
    pub(crate) bad_requests: AtomicU64,
    pub(crate) context_too_long: AtomicU64,
    pub(crate) malformed: AtomicU64,
    pub(crate) truncated: AtomicU64,
    pub(crate) oversized: AtomicU64,
    pub(crate) stream_errors: AtomicU64,
    pub(crate) hangs: AtomicU64,
    pub(crate) raw: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> ServerStats {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        ServerStats {
            requests: get(&self.requests),
            replies: get(&self.replies),
            streamed: get(&self.streamed),
            rate_limited: get(&self.rate_limited),
            server_errors: get(&self.server_errors),
            overloaded: get(&self.overloaded),
            unauthorized: get(&self.unauthorized),
            bad_requests: get(&self.bad_requests),
            context_too_long: get(&self.context_too_long),
            malformed: get(&self.malformed),
            truncated: get(&self.truncated),
            oversized: get(&self.oversized),
            stream_errors: get(&self.stream_errors),
            hangs: get(&self.hangs),
            raw: get(&self.raw),
            max_in_flight: 0,
        }
    }
}

/// Adds one to a counter.
pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// One recorded request.
struct Recorded {
    at: Instant,
    path: String,
    body: serde_json::Value,
    headers: BTreeMap<String, String>,
}

/// The state a server's handlers share.
pub(crate) struct Shared {
    pub(crate) config: ServerConfig,
    pub(crate) counters: Counters,
    script: Mutex<VecDeque<Scripted>>,
    recorded: Mutex<Vec<Recorded>>,
    shutdown: watch::Receiver<bool>,
    in_flight: Arc<InFlight>,
}

impl Shared {
    /// Counts a request on a model route and records it when asked; returns its number.
    pub(crate) fn received(&self, path: &str, headers: &HeaderMap, body: &[u8]) -> u64 {
        let n = self.counters.requests.fetch_add(1, Ordering::Relaxed);
        if self.config.record_requests {
            let body = serde_json::from_slice(body).unwrap_or(serde_json::Value::Null);
            let headers = headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            lock(&self.recorded).push(Recorded {
                at: Instant::now(),
                path: path.to_owned(),
                body,
                headers,
            });
        }
        n
    }

    /// Whether `given` is the configured key (always, when none is configured).
    pub(crate) fn key_ok(&self, given: Option<&[u8]>) -> bool {
        match &self.config.require_api_key {
            None => true,
            Some(key) => given == Some(key.as_bytes()),
        }
    }

    /// The next answer for request `n`: the next scripted step, else a fault drawn from
    /// the configured rates, else a reply with `echo()`'s text and word-count usage.
    pub(crate) fn next_step(&self, n: u64, echo: impl FnOnce() -> String) -> Scripted {
        if let Some(step) = lock(&self.script).pop_front() {
            return step;
        }
        draw(&self.config, n).unwrap_or_else(|| Scripted::Reply {
            text: echo(),
            usage: None,
        })
    }

    /// Waits the configured latency, unless the step is a hang.
    pub(crate) async fn pause(&self, step: &Scripted) {
        if !self.config.latency.is_zero() && *step != Scripted::Hang {
            tokio::time::sleep(self.config.latency).await;
        }
    }

    /// Waits until the server stops.
    pub(crate) async fn hang(&self) {
        bump(&self.counters.hangs);
        let mut stop = self.shutdown.clone();
        let _ = stop.wait_for(|stopped| *stopped).await;
    }
}

/// A fault drawn for request `n` from the configured rates, if any.
fn draw(config: &ServerConfig, n: u64) -> Option<Scripted> {
    let faults = config.rate_429 + config.rate_500 + config.rate_hang + config.rate_malformed;
    if faults <= 0.0 {
        return None;
    }
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
            return Some(step);
        }
        x -= rate;
    }
    None
}

/// A server running in the background on the current Tokio runtime. It stops when dropped:
/// hung requests are then released and connections close.
pub(crate) struct Running {
    addr: SocketAddr,
    pub(crate) shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Running {
    /// Checks `config`, binds 127.0.0.1 and serves `routes`.
    pub(crate) async fn start(
        config: ServerConfig,
        label: &'static str,
        routes: Router<Arc<Shared>>,
    ) -> anyhow::Result<Running> {
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
            config,
            counters: Counters::default(),
            script: Mutex::new(VecDeque::new()),
            recorded: Mutex::new(Vec::new()),
            shutdown: shutdown_rx.clone(),
            in_flight: Arc::default(),
        });
        let app = routes
            .layer(axum::middleware::from_fn_with_state(
                Arc::clone(&shared.in_flight),
                track,
            ))
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
                eprintln!("mock {label} server stopped: {err}");
            }
        });
        Ok(Running {
            addr,
            shared,
            shutdown,
            task: Some(task),
        })
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub(crate) fn stats(&self) -> ServerStats {
        ServerStats {
            max_in_flight: self.shared.in_flight.most(),
            ..self.shared.counters.snapshot()
        }
    }

    pub(crate) fn arrivals(&self) -> Vec<Instant> {
        lock(&self.shared.recorded).iter().map(|r| r.at).collect()
    }

    pub(crate) fn requests(&self) -> Vec<serde_json::Value> {
        lock(&self.shared.recorded)
            .iter()
            .map(|r| r.body.clone())
            .collect()
    }

    pub(crate) fn request_headers(&self) -> Vec<BTreeMap<String, String>> {
        lock(&self.shared.recorded)
            .iter()
            .map(|r| r.headers.clone())
            .collect()
    }

    pub(crate) fn request_paths(&self) -> Vec<String> {
        lock(&self.shared.recorded)
            .iter()
            .map(|r| r.path.clone())
            .collect()
    }

    pub(crate) fn push_script(&self, steps: Vec<Scripted>) {
        lock(&self.shared.script).extend(steps);
    }

    pub(crate) fn script_len(&self) -> usize {
        lock(&self.shared.script).len()
    }

    pub(crate) async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The number of whitespace-separated words, the servers' token count.
pub(crate) fn words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

/// `text` in word-sized pieces that join back to it exactly (each keeps its trailing
/// whitespace), as a streamed reply sends it.
pub(crate) fn pieces(text: &str) -> Vec<String> {
    text.split_inclusive(char::is_whitespace)
        .map(str::to_owned)
        .collect()
}

/// A response with this status and body, typed `application/json`.
pub(crate) fn json_response(status: StatusCode, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// How long a cut-off reply waits before dropping the connection, so that what it sent
/// first (the status, the headers, the first part of the body) reaches the client.
const BEFORE_CUT: Duration = Duration::from_millis(20);

/// The error that drops the connection mid-reply, after [`BEFORE_CUT`].
async fn cut_off() -> std::io::Error {
    tokio::time::sleep(BEFORE_CUT).await;
    std::io::Error::new(std::io::ErrorKind::ConnectionReset, "truncated on purpose")
}

/// A 200 `text/event-stream` of these events, `delay` apart; when `cut` is set, the
/// connection is dropped after the last one instead of ending cleanly.
pub(crate) fn event_stream(events: Vec<Bytes>, delay: Duration, cut: bool) -> Response {
    let items = events
        .into_iter()
        .enumerate()
        .map(Some)
        .chain(cut.then_some(None));
    let stream = futures::stream::iter(items).then(move |item| async move {
        let Some((i, event)) = item else {
            return Err(cut_off().await);
        };
        if i > 0 && !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        Ok::<Bytes, std::io::Error>(event)
    });
    let mut response = Response::new(Body::from_stream(stream));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// A 200 JSON body sent in 64 KiB chunks without a `Content-Length`.
pub(crate) fn chunked_json(body: Vec<u8>) -> Response {
    let full = Bytes::from(body);
    let chunks: Vec<Result<Bytes, std::io::Error>> = (0..full.len())
        .step_by(64 * 1024)
        .map(|start| Ok(full.slice(start..(start + 64 * 1024).min(full.len()))))
        .collect();
    json_response(
        StatusCode::OK,
        Body::from_stream(futures::stream::iter(chunks)),
    )
}

/// A 200 JSON body whose connection drops half-way through `full`.
pub(crate) fn cut_json(full: &[u8]) -> Response {
    let half = Bytes::copy_from_slice(&full[..full.len() / 2]);
    let stream = futures::stream::iter([Some(half), None]).then(|item| async move {
        match item {
            Some(half) => Ok(half),
            None => Err(cut_off().await),
        }
    });
    json_response(StatusCode::OK, Body::from_stream(stream))
}

/// A scripted raw answer: the status, the headers and the body as given.
pub(crate) fn raw(status: u16, headers: Vec<(String, String)>, body: String) -> Response {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_join_back_exactly() {
        for text in ["", "one", "one two  three\nfour ", " lead"] {
            assert_eq!(pieces(text).concat(), text);
        }
        assert_eq!(pieces("a b"), ["a ", "b"]);
    }

    #[test]
    fn faults_are_drawn_by_seed() {
        let config = ServerConfig {
            rate_500: 0.5,
            seed: 3,
            ..ServerConfig::default()
        };
        let a: Vec<_> = (0..50).map(|n| draw(&config, n)).collect();
        let b: Vec<_> = (0..50).map(|n| draw(&config, n)).collect();
        assert_eq!(a, b);
        assert!(a.iter().any(Option::is_some) && a.iter().any(Option::is_none));
        assert_eq!(draw(&ServerConfig::default(), 0), None);
    }
}
