//! A loopback LM Studio server: its own REST API for models, as LM Studio's reference
//! documents it, and the OpenAI-compatible chat completions a run talks to.
//!
//! - `GET /api/v1/models` (<https://lmstudio.ai/docs/developer/rest/list>): `{"models": […]}`,
//!   each with `type`, `publisher`, `key`, `display_name`, `architecture`, `quantization`,
//!   `size_bytes`, `params_string`, `loaded_instances` (`id`, `config`),
//!   `max_context_length`, `format` and `capabilities`.
//! - `POST /api/v1/models/load` (<https://lmstudio.ai/docs/developer/rest/load>): body
//!   `{"model"}`; answers `type`, `instance_id`, `load_time_seconds` and `status: "loaded"`.
//!   A model loaded already gets another instance (`KEY:2`), as LM Studio does.
//! - `POST /api/v1/models/unload` (<https://lmstudio.ai/docs/developer/rest/unload>): body
//!   `{"instance_id"}`; answers `{"instance_id"}`.
//! - `POST /v1/chat/completions` and `GET /v1/models` (OpenAI-compatible): chat echoes the
//!   last user message, in the reply shapes of [`OpenAiServer`](super::OpenAiServer), and
//!   only for a loaded model: with just-in-time loading off, LM Studio refuses a model that
//!   is not loaded. `GET /v1/models` lists the loaded ones.
//!
//! Errors are `{"error": {"message", "type"}}`, the shape of LM Studio's OpenAI-compatible
//! answers.

use super::openai_render::{body, stream_events, Exchange};
use super::tool_wire::Ending;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use benchcore::Usage;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::task::JoinHandle;

/// One model on the loopback server's disk.
#[derive(Debug, Clone)]
struct Model {
    key: String,
    instances: Vec<String>,
    /// The message a load of it fails with, when set.
    load_failure: Option<String>,
}

#[derive(Default)]
struct Shared {
    models: Mutex<Vec<Model>>,
    /// What happened, in order: `load KEY`, `unload INSTANCE`, `chat MODEL`,
    /// `refused chat MODEL`.
    events: Mutex<Vec<String>>,
}

impl Shared {
    fn models(&self) -> std::sync::MutexGuard<'_, Vec<Model>> {
        self.models.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn note(&self, event: String) {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(event);
    }
}

/// A running loopback LM Studio server; it stops when dropped.
///
/// ```no_run
/// # async fn demo() -> anyhow::Result<()> {
/// use benchcore_tests::servers::LmStudioServer;
/// let server = LmStudioServer::start(&["qwen/qwen3-4b"]).await?;
/// println!("{}", server.base_url()); // http://127.0.0.1:PORT/v1
/// assert!(!server.is_loaded("qwen/qwen3-4b"));
/// # Ok(()) }
/// ```
pub struct LmStudioServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for LmStudioServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LmStudioServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Drop for LmStudioServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl LmStudioServer {
    /// Binds a free port on 127.0.0.1 and serves `models` (keys, none loaded) in the
    /// background on the current Tokio runtime.
    pub async fn start(models: &[&str]) -> anyhow::Result<LmStudioServer> {
        let shared = Arc::new(Shared::default());
        *shared.models() = models
            .iter()
            .map(|key| Model {
                key: (*key).to_owned(),
                instances: Vec::new(),
                load_failure: None,
            })
            .collect();
        let app = Router::new()
            .route("/api/v1/models", get(list))
            .route("/api/v1/models/load", post(load))
            .route("/api/v1/models/unload", post(unload))
            .route("/v1/models", get(openai_models))
            .route("/v1/chat/completions", post(chat_completions))
            .fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", "no such route") })
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, app).await {
                eprintln!("LM Studio loopback server stopped: {err}");
            }
        });
        Ok(LmStudioServer { addr, shared, task })
    }

    /// The OpenAI-compatible root to give an `lmstudio` agent: `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Whether an instance of the model `key` is loaded.
    pub fn is_loaded(&self, key: &str) -> bool {
        self.shared
            .models()
            .iter()
            .any(|m| m.key == key && !m.instances.is_empty())
    }

    /// Makes every later load of `key` fail with a 500 carrying `message`.
    pub fn fail_loads_of(&self, key: &str, message: &str) {
        for model in self.shared.models().iter_mut().filter(|m| m.key == key) {
            model.load_failure = Some(message.to_owned());
        }
    }

    /// What happened so far, in order: `load KEY`, `unload INSTANCE`, `chat MODEL` (a chat
    /// answered) and `refused chat MODEL` (a chat for a model not loaded).
    pub fn events(&self) -> Vec<String> {
        self.shared
            .events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"message": message, "type": kind}})),
    )
        .into_response()
}

/// A JSON body's string field, or why it is missing (answered 400).
fn field(body: &Bytes, name: &str) -> Result<String, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    match value.get(name).and_then(Value::as_str) {
        Some(text) if !text.is_empty() => Ok(text.to_owned()),
        _ => Err(format!("'{name}' is required")),
    }
}

/// The 400 for a body without a needed field.
fn bad_body(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, "invalid_request", message)
}

/// `GET /api/v1/models`.
async fn list(State(shared): State<Arc<Shared>>) -> Response {
    let models: Vec<Value> = shared
        .models()
        .iter()
        .map(|m| {
            let publisher = m.key.split('/').next().unwrap_or_default();
            json!({
                "type": "llm",
                "publisher": publisher,
                "key": m.key,
                "display_name": m.key.rsplit('/').next().unwrap_or_default(),
                "architecture": "llama",
                "quantization": {"name": "Q4_K_M", "bits_per_weight": 4},
                "size_bytes": 2_500_000_000_u64,
                "params_string": "4B",
                "loaded_instances": m.instances.iter().map(|id| json!({
                    "id": id,
                    "config": {"context_length": 4096, "eval_batch_size": 512,
                               "flash_attention": false, "offload_kv_cache_to_gpu": true}
                })).collect::<Vec<_>>(),
                "max_context_length": 32768,
                "format": "gguf",
                "capabilities": {"vision": false, "trained_for_tool_use": true},
            })
        })
        .collect();
    Json(json!({ "models": models })).into_response()
}

/// `POST /api/v1/models/load`.
async fn load(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let key = match field(&body, "model") {
        Ok(key) => key,
        Err(message) => return bad_body(&message),
    };
    let mut models = shared.models();
    let Some(model) = models.iter_mut().find(|m| m.key == key) else {
        return error(
            StatusCode::NOT_FOUND,
            "model_not_found",
            &format!("Model \"{key}\" not found"),
        );
    };
    if let Some(message) = &model.load_failure {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "load_failed", message);
    }
    let instance_id = match model.instances.len() {
        0 => key.clone(),
        n => format!("{key}:{}", n + 1),
    };
    model.instances.push(instance_id.clone());
    drop(models);
    shared.note(format!("load {key}"));
    Json(json!({
        "type": "llm",
        "instance_id": instance_id,
        "load_time_seconds": 1.25,
        "status": "loaded",
    }))
    .into_response()
}

/// `POST /api/v1/models/unload`.
async fn unload(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let instance_id = match field(&body, "instance_id") {
        Ok(id) => id,
        Err(message) => return bad_body(&message),
    };
    let mut models = shared.models();
    let found = models.iter_mut().find_map(|m| {
        let at = m.instances.iter().position(|i| *i == instance_id)?;
        Some(m.instances.remove(at))
    });
    drop(models);
    match found {
        Some(_) => {
            shared.note(format!("unload {instance_id}"));
            Json(json!({ "instance_id": instance_id })).into_response()
        }
        None => error(
            StatusCode::NOT_FOUND,
            "model_not_found",
            &format!("No loaded model instance \"{instance_id}\""),
        ),
    }
}

/// `GET /v1/models`: the loaded models, OpenAI's way.
async fn openai_models(State(shared): State<Arc<Shared>>) -> Response {
    let data: Vec<Value> = shared
        .models()
        .iter()
        .flat_map(|m| m.instances.clone())
        .map(|id| json!({"id": id, "object": "model", "owned_by": "organization_owner"}))
        .collect();
    Json(json!({"object": "list", "data": data})).into_response()
}

/// `POST /v1/chat/completions`: echoes the last user message, for a loaded model only.
async fn chat_completions(State(shared): State<Arc<Shared>>, raw: Bytes) -> Response {
    let model = match field(&raw, "model") {
        Ok(model) => model,
        Err(message) => return bad_body(&message),
    };
    let loaded = shared
        .models()
        .iter()
        .any(|m| m.instances.contains(&model) || (m.key == model && !m.instances.is_empty()));
    if !loaded {
        shared.note(format!("refused chat {model}"));
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            &format!("Model \"{model}\" is not loaded, and just-in-time loading is off"),
        );
    }
    shared.note(format!("chat {model}"));
    let request: Value = serde_json::from_slice(&raw).unwrap_or_default();
    let messages = request["messages"].as_array().cloned().unwrap_or_default();
    let text = messages
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_owned();
    let prompt_words: u64 = messages
        .iter()
        .filter_map(|m| m["content"].as_str())
        .map(|c| c.split_whitespace().count() as u64)
        .sum();
    let usage = Usage::new(prompt_words, text.split_whitespace().count() as u64);
    let stream = request["stream"].as_bool().unwrap_or(false);
    let exchange = Exchange::Chat {
        model,
        prompt_words,
        stream,
        include_usage: request["stream_options"]["include_usage"]
            .as_bool()
            .unwrap_or(false),
    };
    if stream {
        let events = stream_events(&exchange, &[text], usage, &Ending::Stop);
        let stream = Body::from_stream(futures::stream::iter(
            events.into_iter().map(Ok::<_, std::io::Error>),
        ));
        return ([(header::CONTENT_TYPE, "text/event-stream")], stream).into_response();
    }
    (
        [(header::CONTENT_TYPE, "application/json")],
        body(&exchange, &text, usage, &Ending::Stop),
    )
        .into_response()
}
