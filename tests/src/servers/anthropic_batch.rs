//! A loopback server speaking Anthropic's Message Batches API as its reference documents
//! it: `POST /v1/messages/batches` with `requests: [{custom_id, params}]` (custom ids of 1–64
//! characters of `[a-zA-Z0-9_-]`, unique within the batch; at most 100,000 requests),
//! `processing_status` moving `in_progress` → `ended` with `request_counts`, and results as
//! JSON lines at `results_url`, each `succeeded`, `errored`, `canceled` or `expired`. It also
//! answers `POST /v1/messages` one at a time, echoing, as a fallback target.

use super::batch_common::{
    bump, last_user_text, words, BatchBehaviour, BatchCounters, BatchStats, ItemFate, Serving,
};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Requests per batch, as documented.
const MAX_REQUESTS: usize = 100_000;

/// A running Anthropic batch server; it stops when dropped.
pub struct AnthropicBatchServer {
    serving: Serving,
    state: Arc<ServerState>,
}

impl std::fmt::Debug for AnthropicBatchServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnthropicBatchServer")
            .field("addr", &self.serving.addr)
            .finish_non_exhaustive()
    }
}

struct ServerState {
    behaviour: BatchBehaviour,
    /// Batches stay in progress while set.
    held: AtomicBool,
    counters: BatchCounters,
    addr: Mutex<Option<SocketAddr>>,
    batches: Mutex<HashMap<String, Batch>>,
}

struct Batch {
    requests: Vec<Value>,
    polls: u32,
    object: Value,
    results: Option<String>,
}

impl AnthropicBatchServer {
    /// Binds 127.0.0.1 on a free port and serves in the background.
    pub async fn start(behaviour: BatchBehaviour) -> anyhow::Result<AnthropicBatchServer> {
        anyhow::ensure!(
            behaviour.polls_per_state >= 1,
            "polls_per_state must be at least 1"
        );
        let state = Arc::new(ServerState {
            behaviour,
            held: AtomicBool::new(false),
            counters: BatchCounters::default(),
            addr: Mutex::new(None),
            batches: Mutex::new(HashMap::new()),
        });
        let routes = Router::new()
            .route("/v1/messages/batches", post(create))
            .route("/v1/messages/batches/{id}", get(retrieve))
            .route("/v1/messages/batches/{id}/results", get(results))
            .route("/v1/messages", post(message))
            .with_state(Arc::clone(&state));
        let serving = Serving::start(routes).await?;
        *lock(&state.addr) = Some(serving.addr);
        Ok(AnthropicBatchServer { serving, state })
    }

    /// The API root to configure agents with: `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.serving.addr)
    }

    /// Keeps every batch in progress (`true`) or lets them move on again (`false`), as a
    /// batch that takes hours would.
    pub fn hold_batches(&self, held: bool) {
        self.state.held.store(held, Ordering::SeqCst);
    }

    /// What it has seen so far.
    pub fn stats(&self) -> BatchStats {
        self.state.counters.snapshot()
    }
}

fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    let body = json!({"type": "error", "error": {"type": kind, "message": message}});
    (status, Json(body)).into_response()
}

/// The documented headers: `x-api-key` and `anthropic-version`.
fn check_headers(headers: &HeaderMap) -> Option<Response> {
    if !headers.contains_key("x-api-key") {
        return Some(error(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "x-api-key header is required",
        ));
    }
    if !headers.contains_key("anthropic-version") {
        return Some(error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "anthropic-version header is required",
        ));
    }
    None
}

fn valid_custom_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `POST /v1/messages/batches`.
async fn create(
    State(state): State<Arc<ServerState>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Some(refused) = check_headers(&headers) {
        return refused;
    }
    let Some(requests) = body["requests"].as_array() else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "requests: field required",
        );
    };
    if requests.is_empty() || requests.len() > MAX_REQUESTS {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "requests: between 1 and 100,000 requests",
        );
    }
    let mut ids = HashSet::new();
    for (i, request) in requests.iter().enumerate() {
        let id = request["custom_id"].as_str().unwrap_or_default();
        if !valid_custom_id(id) {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                &format!("requests.{i}.custom_id: must be 1-64 characters of [a-zA-Z0-9_-]"),
            );
        }
        if !ids.insert(id.to_owned()) {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                &format!("requests.{i}.custom_id: duplicate custom_id {id}"),
            );
        }
        let params = &request["params"];
        if !params["model"].is_string()
            || !params["max_tokens"].is_u64()
            || !params["messages"].is_array()
        {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                &format!("requests.{i}.params: model, max_tokens and messages are required"),
            );
        }
    }
    bump(&state.counters.creates);
    state
        .counters
        .items
        .fetch_add(requests.len() as u64, Ordering::SeqCst);
    let id = format!("msgbatch_{}", state.counters.creates.load(Ordering::SeqCst));
    let object = json!({
        "id": id, "type": "message_batch", "processing_status": "in_progress",
        "request_counts": {"processing": requests.len(), "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0},
        "ended_at": null, "created_at": "2026-01-01T00:00:00Z", "expires_at": "2026-01-02T00:00:00Z",
        "archived_at": null, "cancel_initiated_at": null, "results_url": null,
    });
    lock(&state.batches).insert(
        id,
        Batch {
            requests: requests.clone(),
            polls: 0,
            object: object.clone(),
            results: None,
        },
    );
    Json(object).into_response()
}

/// `GET /v1/messages/batches/{id}`: the batch ends once it has spent its checks in progress.
async fn retrieve(
    State(state): State<Arc<ServerState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(refused) = check_headers(&headers) {
        return refused;
    }
    bump(&state.counters.polls);
    let addr = lock(&state.addr).expect("the server knows its address");
    let mut batches = lock(&state.batches);
    let Some(batch) = batches.get_mut(&id) else {
        return error(
            StatusCode::NOT_FOUND,
            "not_found_error",
            "no such message batch",
        );
    };
    if batch.object["processing_status"] == "ended" {
        return Json(batch.object.clone()).into_response();
    }
    if state.held.load(Ordering::SeqCst) {
        return Json(batch.object.clone()).into_response();
    }
    batch.polls += 1;
    if batch.polls >= 2 * state.behaviour.polls_per_state {
        finish(&state.behaviour, batch);
        batch.object["processing_status"] = "ended".into();
        batch.object["ended_at"] = "2026-01-01T01:00:00Z".into();
        batch.object["results_url"] =
            format!("http://{addr}/v1/messages/batches/{id}/results").into();
    }
    Json(batch.object.clone()).into_response()
}

/// Writes an ending batch's results.
fn finish(behaviour: &BatchBehaviour, batch: &mut Batch) {
    let mut lines = Vec::new();
    let mut counts: HashMap<&str, u64> = HashMap::new();
    for request in &batch.requests {
        let params = &request["params"];
        let question = last_user_text(&params["messages"]);
        let fate = if behaviour.expire_batch {
            ItemFate::Expire
        } else {
            behaviour.fate(&question)
        };
        let (kind, result) = match fate {
            ItemFate::Answer => (
                "succeeded",
                json!({"type": "succeeded", "message": message_for(params, &question)}),
            ),
            ItemFate::Fail => (
                "errored",
                json!({"type": "errored", "error": {"type": "error", "error": {"type": "invalid_request_error", "message": "the request is invalid"}}}),
            ),
            ItemFate::Expire => ("expired", json!({"type": "expired"})),
        };
        *counts.entry(kind).or_default() += 1;
        lines.push(json!({"custom_id": request["custom_id"], "result": result}).to_string());
    }
    if behaviour.hostile_results {
        lines.push(json!({"custom_id": "no-such-request", "result": {"type": "succeeded", "message": message_for(&json!({}), "stray")}}).to_string());
        if let Some(first) = lines.first().cloned() {
            lines.push(first);
        }
        lines.push("{\"custom_id\": \"cut off".to_owned());
    }
    batch.object["request_counts"] = json!({
        "processing": 0,
        "succeeded": counts.get("succeeded").copied().unwrap_or(0),
        "errored": counts.get("errored").copied().unwrap_or(0),
        "canceled": 0,
        "expired": counts.get("expired").copied().unwrap_or(0),
    });
    batch.results = Some(lines.join("\n") + "\n");
}

/// A `message` echoing `question`, usage counted in words.
fn message_for(params: &Value, question: &str) -> Value {
    let input: u64 = params["messages"]
        .as_array()
        .map(|m| m.iter().map(|m| words(&last_user_text(&json!([m])))).sum())
        .unwrap_or(0);
    json!({
        "id": "msg_batch", "type": "message", "role": "assistant",
        "model": params["model"].as_str().unwrap_or("mock"),
        "content": [{"type": "text", "text": question}],
        "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": input, "output_tokens": words(question)},
    })
}

/// `GET /v1/messages/batches/{id}/results`: JSON lines, once ended.
async fn results(
    State(state): State<Arc<ServerState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(refused) = check_headers(&headers) {
        return refused;
    }
    bump(&state.counters.downloads);
    let batches = lock(&state.batches);
    match batches.get(&id).and_then(|b| b.results.clone()) {
        Some(lines) => ([(header::CONTENT_TYPE, "application/binary")], lines).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "not_found_error",
            "no results for this message batch",
        ),
    }
}

/// `POST /v1/messages`, answered at once.
async fn message(
    State(state): State<Arc<ServerState>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Some(refused) = check_headers(&headers) {
        return refused;
    }
    bump(&state.counters.single);
    let question = last_user_text(&body["messages"]);
    Json(message_for(&body, &question)).into_response()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
