//! A loopback gateway speaking OpenAI Chat Completions that enforces a real limit: so many
//! requests a minute and so many at once. A request beyond either gets 429 with a
//! `Retry-After` that says when the next one would be accepted, as rate-limiting gateways do.
//! It echoes the last user message, so a case whose target equals its input passes.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// The limit a [`GatewayServer`] enforces.
#[derive(Debug, Clone, PartialEq)]
pub struct GatewayLimit {
    /// Requests accepted a minute. Counted with a bucket holding one second's worth (at least
    /// one), so the allowance is spread over the minute, not spent in a burst.
    pub per_minute: u32,
    /// Requests served at once.
    pub concurrent: usize,
    /// Added before every accepted answer.
    pub latency: Duration,
}

/// What a gateway accepted and refused, with when (seconds since it started).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GatewayStats {
    /// When each accepted request was answered.
    pub accepted_at: Vec<f64>,
    /// When each refused request (429) was answered.
    pub refused_at: Vec<f64>,
}

impl GatewayStats {
    /// Requests refused at or after `second`.
    pub fn refused_after(&self, second: f64) -> usize {
        self.refused_at.iter().filter(|&&t| t >= second).count()
    }

    /// Requests accepted a second between `from` and `to`.
    pub fn accepted_rate(&self, from: f64, to: f64) -> f64 {
        let n = self
            .accepted_at
            .iter()
            .filter(|&&t| t >= from && t < to)
            .count();
        n as f64 / (to - from)
    }
}

struct Shared {
    limit: GatewayLimit,
    started: Instant,
    bucket: Mutex<(f64, Instant)>,
    in_flight: AtomicU64,
    stats: Mutex<GatewayStats>,
}

impl Shared {
    /// Takes a request's turn: `Ok` when within the limit, else the wait to suggest.
    fn admit(&self) -> Result<(), Duration> {
        let per_second = f64::from(self.limit.per_minute) / 60.0;
        let capacity = per_second.max(1.0);
        let mut bucket = self.bucket.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let (tokens, last) = &mut *bucket;
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * per_second).min(capacity);
        *last = now;
        if self.in_flight.load(Ordering::SeqCst) >= self.limit.concurrent as u64 {
            return Err(Duration::from_secs(1));
        }
        if *tokens < 1.0 {
            return Err(Duration::from_secs_f64((1.0 - *tokens) / per_second));
        }
        *tokens -= 1.0;
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn note(&self, accepted: bool) {
        let at = self.started.elapsed().as_secs_f64();
        let mut stats = self.stats.lock().unwrap_or_else(PoisonError::into_inner);
        if accepted {
            stats.accepted_at.push(at);
        } else {
            stats.refused_at.push(at);
        }
    }
}

/// A running gateway; it stops when dropped.
pub struct GatewayServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for GatewayServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayServer")
            .field("addr", &self.addr)
            .field("limit", &self.shared.limit)
            .finish_non_exhaustive()
    }
}

impl Drop for GatewayServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl GatewayServer {
    /// Binds a free port on 127.0.0.1 and serves in the background.
    pub async fn start(limit: GatewayLimit) -> anyhow::Result<GatewayServer> {
        anyhow::ensure!(
            limit.per_minute > 0 && limit.concurrent > 0,
            "a gateway limit must allow something"
        );
        let now = Instant::now();
        let shared = Arc::new(Shared {
            bucket: Mutex::new((f64::from(limit.per_minute) / 60.0, now)),
            limit,
            started: now,
            in_flight: AtomicU64::new(0),
            stats: Mutex::new(GatewayStats::default()),
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(chat_completions))
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, app).await {
                eprintln!("gateway server stopped: {err}");
            }
        });
        Ok(GatewayServer { addr, shared, task })
    }

    /// The API root to give an OpenAI-compatible agent: `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// What it accepted and refused so far.
    pub fn stats(&self) -> GatewayStats {
        self.shared
            .stats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The time since it started, in seconds, on the clock its stats use.
    pub fn elapsed(&self) -> f64 {
        self.shared.started.elapsed().as_secs_f64()
    }
}

/// Releases a concurrency slot when the answer is done (or the request dropped).
struct InFlight<'a>(&'a AtomicU64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn chat_completions(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    if let Err(wait) = shared.admit() {
        shared.note(false);
        // Whole seconds, rounded up, as most gateways send it.
        let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
        let mut response = (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(json!({"error": {
                "message": "Rate limit reached",
                "type": "requests",
                "code": "rate_limit_exceeded"
            }})),
        )
            .into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        return response;
    }
    let _slot = InFlight(&shared.in_flight);
    if !shared.limit.latency.is_zero() {
        tokio::time::sleep(shared.limit.latency).await;
    }
    let request: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let text = request["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_owned();
    shared.note(true);
    axum::Json(json!({
        "id": "chatcmpl-gateway",
        "object": "chat.completion",
        "created": 0,
        "model": request["model"],
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": text},
            "finish_reason": "stop"
        }],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    }))
    .into_response()
}
