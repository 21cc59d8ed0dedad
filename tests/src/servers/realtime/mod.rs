//! A loopback server speaking the OpenAI Realtime API (the GA interface) over WebSocket,
//! written from the API reference's client and server events pages: `session.update`,
//! conversation items, the input audio buffer with server VAD, responses streamed as audio
//! (a synthetic tone, 24 kHz PCM16) or text, cancellation, truncation, and scripted faults.
//!
//! Each connection is served on its own task; the session's events go out in the order
//! the reference gives them. What it received is in [`RealtimeStats`].
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use benchcore_tests::servers::{RealtimeScript, RealtimeServer};
//! let server = RealtimeServer::start(RealtimeScript::default().api_key("sk-test")).await?;
//! println!("{}?model=gpt-realtime", server.url()); // ws://127.0.0.1:PORT/v1/realtime?model=...
//! # Ok(()) }
//! ```

mod audio;
mod check;
mod config;
mod events;
mod input;
mod items;
mod response;
mod script;
mod session;
mod vad;

pub use script::{
    RealtimeReply, RealtimeScript, RealtimeTranscribe, ReplyContext, TranscribeContext,
};

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio_tungstenite::tungstenite::handshake::server::{
    Callback, ErrorResponse, Request, Response,
};
use tokio_tungstenite::tungstenite::http::{header, StatusCode};

/// What a [`RealtimeServer`] has seen, over all its sessions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RealtimeStats {
    /// WebSocket sessions accepted.
    pub sessions: usize,
    /// Handshakes refused: a wrong path (404), no `model` (400), a wrong or missing key
    /// (401), or the beta interface's `OpenAI-Beta: realtime=v1` header (400).
    pub rejected: usize,
    /// The `type` of every client event received, in order over all sessions (also those
    /// refused; `<not json>` and `<missing type>` for messages without one).
    pub client_events: Vec<String>,
    /// The `session` of every `session.update` received (also those refused).
    pub session_updates: Vec<serde_json::Value>,
    /// The items of the `conversation.item.create` events accepted, audio payloads replaced
    /// by `{"audio_bytes": N}`.
    pub items_created: Vec<serde_json::Value>,
    /// Input audio appended, in milliseconds of 24 kHz PCM16 mono.
    pub audio_appended_ms: u64,
    /// The `conversation.item.truncate` events received (also those refused).
    pub truncations: Vec<serde_json::Value>,
    /// The `code` of every `error` event sent, in order.
    pub errors_sent: Vec<String>,
    /// The most sessions open at once.
    pub max_open_sessions: usize,
}

/// The state the server's tasks share.
pub(super) struct Shared {
    script: RealtimeScript,
    stats: Mutex<RealtimeStats>,
    open: AtomicUsize,
    appended_bytes: AtomicU64,
}

impl Shared {
    /// Updates the stats.
    fn stats(&self, update: impl FnOnce(&mut RealtimeStats)) {
        update(&mut self.stats.lock().unwrap_or_else(PoisonError::into_inner));
    }

    /// Counts `bytes` of appended input audio.
    fn appended(&self, bytes: usize) {
        let total = self
            .appended_bytes
            .fetch_add(bytes as u64, Ordering::SeqCst)
            + bytes as u64;
        self.stats(|s| s.audio_appended_ms = total / audio::BYTES_PER_MS as u64);
    }
}

/// A new id: `prefix_` and 20 letters and digits, as the API's ids look.
fn new_id(prefix: &str) -> String {
    let tail: String = (0..20).map(|_| fastrand::alphanumeric()).collect();
    format!("{prefix}_{tail}")
}

/// A running Realtime server on 127.0.0.1; it stops (closing every session) when dropped.
///
/// The endpoint is `/v1/realtime?model=NAME`; the handshake must carry `Authorization:
/// Bearer KEY` when [`RealtimeScript::api_key`] is set.
pub struct RealtimeServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for RealtimeServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RealtimeServer")
            .field("addr", &self.addr)
            .field("script", &self.shared.script)
            .finish_non_exhaustive()
    }
}

impl Drop for RealtimeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RealtimeServer {
    /// Binds a free port on 127.0.0.1 and serves in the background on the current Tokio
    /// runtime.
    pub async fn start(script: RealtimeScript) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            script,
            stats: Mutex::new(RealtimeStats::default()),
            open: AtomicUsize::new(0),
            appended_bytes: AtomicU64::new(0),
        });
        let task = tokio::spawn(accept(listener, Arc::clone(&shared)));
        Ok(RealtimeServer { addr, shared, task })
    }

    /// The endpoint, `ws://127.0.0.1:PORT/v1/realtime`; clients append `?model=...`.
    pub fn url(&self) -> String {
        format!("ws://{}/v1/realtime", self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What it has seen so far.
    pub fn stats(&self) -> RealtimeStats {
        self.shared
            .stats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Accepts connections, each served on its own task (aborted with this one).
async fn accept(listener: TcpListener, shared: Arc<Shared>) {
    let mut sessions = JoinSet::new();
    while let Ok((tcp, _)) = listener.accept().await {
        sessions.spawn(connection(tcp, Arc::clone(&shared)));
        while sessions.try_join_next().is_some() {}
    }
}

/// Counts a session open while it lives.
struct Open(Arc<Shared>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The WebSocket handshake, then the session.
async fn connection(tcp: TcpStream, shared: Arc<Shared>) {
    let mut model = None;
    let check = Check {
        shared: &shared,
        model: &mut model,
    };
    let Ok(ws) = tokio_tungstenite::accept_hdr_async(tcp, check).await else {
        return;
    };
    let Some(model) = model else { return };
    let open = shared.open.fetch_add(1, Ordering::SeqCst) + 1;
    let _open = Open(Arc::clone(&shared));
    let mut index = 0;
    shared.stats(|s| {
        index = s.sessions;
        s.sessions += 1;
        s.max_open_sessions = s.max_open_sessions.max(open);
    });
    session::serve(ws, shared, index, model).await;
}

/// Why a handshake is refused: the HTTP status and the API error's code and message.
struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: &'static str,
}

/// Checks the upgrade request, noting the model it asks for.
struct Check<'a> {
    shared: &'a Shared,
    model: &'a mut Option<String>,
}

impl Callback for Check<'_> {
    fn on_request(self, request: &Request, response: Response) -> Result<Response, ErrorResponse> {
        match handshake(self.shared, request) {
            Ok(model) => {
                *self.model = Some(model);
                Ok(response)
            }
            Err(refusal) => {
                self.shared.stats(|s| s.rejected += 1);
                let body = serde_json::json!({
                    "error": {
                        "message": refusal.message,
                        "type": "invalid_request_error",
                        "code": refusal.code,
                        "param": null,
                    },
                });
                let mut answer = ErrorResponse::new(Some(body.to_string()));
                *answer.status_mut() = refusal.status;
                answer.headers_mut().insert(
                    header::CONTENT_TYPE,
                    header::HeaderValue::from_static("application/json"),
                );
                Err(answer)
            }
        }
    }
}

/// Checks the path, the `model` query parameter, the beta header and the key; returns the
/// model.
fn handshake(shared: &Shared, request: &Request) -> Result<String, Refusal> {
    let refuse = |status, code, message| {
        Err(Refusal {
            status,
            code,
            message,
        })
    };
    if request.uri().path() != "/v1/realtime" {
        return refuse(
            StatusCode::NOT_FOUND,
            "not_found",
            "Not found: the endpoint is /v1/realtime.",
        );
    }
    let model = request
        .uri()
        .query()
        .unwrap_or_default()
        .split('&')
        .find_map(|pair| pair.strip_prefix("model="))
        .filter(|model| !model.is_empty());
    let Some(model) = model else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "missing_model",
            "You must provide a model parameter (?model=...).",
        );
    };
    let beta = request
        .headers()
        .get("openai-beta")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("realtime=v1"));
    if beta {
        return refuse(
            StatusCode::BAD_REQUEST,
            "beta_interface",
            "'OpenAI-Beta: realtime=v1' selects the beta interface; this loopback speaks the GA interface only.",
        );
    }
    if let Some(key) = &shared.script.api_key {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if given != Some(key.as_str()) {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "invalid_api_key",
                "Incorrect API key provided.",
            );
        }
    }
    Ok(model.to_owned())
}
