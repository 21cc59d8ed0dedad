//! A loopback server speaking OpenAI's Batch API as its reference documents it: files
//! uploaded as `multipart/form-data` with `purpose=batch`, batches created from them, moved
//! `validating` → `in_progress` → `finalizing` → `completed` (or `failed` when the input
//! does not validate, `expired` when told to), and output and error files of JSON lines.
//! It also answers `POST /v1/chat/completions` one at a time, echoing, as a fallback target.

use super::batch_common::{
    bump, last_user_text, words, BatchBehaviour, BatchCounters, BatchStats, ItemFate, Serving,
};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Requests per input file, as documented.
const MAX_REQUESTS: usize = 50_000;

/// A running OpenAI batch server; it stops when dropped.
pub struct OpenAiBatchServer {
    serving: Serving,
    state: Arc<ServerState>,
}

impl std::fmt::Debug for OpenAiBatchServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiBatchServer")
            .field("addr", &self.serving.addr)
            .finish_non_exhaustive()
    }
}

struct ServerState {
    behaviour: BatchBehaviour,
    /// Batches stay in their state while set.
    held: AtomicBool,
    counters: BatchCounters,
    files: Mutex<HashMap<String, Vec<u8>>>,
    batches: Mutex<HashMap<String, Batch>>,
}

struct Batch {
    input_file_id: String,
    endpoint: String,
    polls: u32,
    /// The batch object as last shown.
    object: Value,
}

impl OpenAiBatchServer {
    /// Binds 127.0.0.1 on a free port and serves in the background.
    pub async fn start(behaviour: BatchBehaviour) -> anyhow::Result<OpenAiBatchServer> {
        anyhow::ensure!(
            behaviour.polls_per_state >= 1,
            "polls_per_state must be at least 1"
        );
        let state = Arc::new(ServerState {
            behaviour,
            held: AtomicBool::new(false),
            counters: BatchCounters::default(),
            files: Mutex::new(HashMap::new()),
            batches: Mutex::new(HashMap::new()),
        });
        let routes = Router::new()
            .route("/v1/files", post(upload))
            .route("/v1/files/{id}/content", get(content))
            .route("/v1/batches", post(create))
            .route("/v1/batches/{id}", get(retrieve))
            .route("/v1/chat/completions", post(chat))
            .with_state(Arc::clone(&state));
        Ok(OpenAiBatchServer {
            serving: Serving::start(routes).await?,
            state,
        })
    }

    /// The API root to configure agents with: `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.serving.addr)
    }

    /// Keeps every batch in its state (`true`) or lets them move on again (`false`), as a
    /// batch that takes hours would.
    pub fn hold_batches(&self, held: bool) {
        self.state.held.store(held, Ordering::SeqCst);
    }

    /// What it has seen so far.
    pub fn stats(&self) -> BatchStats {
        self.state.counters.snapshot()
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    let body = json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": null}});
    (status, Json(body)).into_response()
}

/// `POST /v1/files`: a multipart form with `purpose` and `file`.
async fn upload(
    State(state): State<Arc<ServerState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(boundary) = content_type
        .strip_prefix("multipart/form-data")
        .and_then(|rest| rest.split("boundary=").nth(1))
        .map(|b| b.trim_matches('"').to_owned())
    else {
        return error(StatusCode::BAD_REQUEST, "expected multipart/form-data");
    };
    let parts = multipart_parts(&body, &boundary);
    let field = |name: &str| {
        parts
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    if field("purpose").as_deref() != Some(b"batch".as_slice()) {
        return error(StatusCode::BAD_REQUEST, "purpose must be `batch`");
    }
    let Some(file) = field("file") else {
        return error(StatusCode::BAD_REQUEST, "missing file");
    };
    bump(&state.counters.uploads);
    let id = format!("file-{}", state.counters.uploads.load(Ordering::SeqCst));
    let bytes = file.len();
    lock(&state.files).insert(id.clone(), file);
    Json(json!({"id": id, "object": "file", "bytes": bytes, "created_at": 0, "filename": "batch.jsonl", "purpose": "batch"})).into_response()
}

/// The (name, content) of each part of a multipart body.
fn multipart_parts(body: &[u8], boundary: &str) -> Vec<(String, Vec<u8>)> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let text = body;
    let mut starts = Vec::new();
    let d = delimiter.as_bytes();
    let mut i = 0;
    while i + d.len() <= text.len() {
        if &text[i..i + d.len()] == d {
            starts.push(i);
            i += d.len();
        } else {
            i += 1;
        }
    }
    for pair in starts.windows(2) {
        let part = &text[pair[0] + d.len()..pair[1]];
        let Some(split) = part.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..split]);
        let mut content = &part[split + 4..];
        if content.ends_with(b"\r\n") {
            content = &content[..content.len() - 2];
        }
        let Some(name) = head
            .split("name=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
        else {
            continue;
        };
        parts.push((name.to_owned(), content.to_vec()));
    }
    parts
}

/// `POST /v1/batches`.
async fn create(State(state): State<Arc<ServerState>>, Json(body): Json<Value>) -> Response {
    let input = body["input_file_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let endpoint = body["endpoint"].as_str().unwrap_or_default().to_owned();
    if !lock(&state.files).contains_key(&input) {
        return error(StatusCode::NOT_FOUND, "no such input file");
    }
    if !matches!(
        endpoint.as_str(),
        "/v1/chat/completions" | "/v1/responses" | "/v1/embeddings" | "/v1/completions"
    ) {
        return error(StatusCode::BAD_REQUEST, "unsupported endpoint");
    }
    if body["completion_window"] != "24h" {
        return error(StatusCode::BAD_REQUEST, "completion_window must be `24h`");
    }
    bump(&state.counters.creates);
    let id = format!("batch_{}", state.counters.creates.load(Ordering::SeqCst));
    let object = json!({
        "id": id, "object": "batch", "endpoint": endpoint, "errors": null,
        "input_file_id": input, "completion_window": "24h", "status": "validating",
        "output_file_id": null, "error_file_id": null, "created_at": 0,
        "request_counts": {"total": 0, "completed": 0, "failed": 0},
    });
    lock(&state.batches).insert(
        id,
        Batch {
            input_file_id: input,
            endpoint,
            polls: 0,
            object: object.clone(),
        },
    );
    Json(object).into_response()
}

/// `GET /v1/batches/{id}`: each check moves the batch on once it has spent its checks in a
/// state.
async fn retrieve(State(state): State<Arc<ServerState>>, Path(id): Path<String>) -> Response {
    bump(&state.counters.polls);
    let mut batches = lock(&state.batches);
    let Some(batch) = batches.get_mut(&id) else {
        return error(StatusCode::NOT_FOUND, "no such batch");
    };
    let status = batch.object["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if matches!(
        status.as_str(),
        "completed" | "failed" | "expired" | "cancelled"
    ) {
        return Json(batch.object.clone()).into_response();
    }
    if state.held.load(Ordering::SeqCst) {
        return Json(batch.object.clone()).into_response();
    }
    batch.polls += 1;
    if batch.polls % state.behaviour.polls_per_state != 0 {
        return Json(batch.object.clone()).into_response();
    }
    let next = match status.as_str() {
        "validating" => match validate(&state, batch) {
            Ok(total) => {
                state.counters.items.fetch_add(total, Ordering::SeqCst);
                batch.object["request_counts"]["total"] = total.into();
                "in_progress"
            }
            Err(errors) => {
                batch.object["errors"] = json!({"object": "list", "data": errors});
                "failed"
            }
        },
        "in_progress" if state.behaviour.expire_batch => {
            finish(&state, batch, true);
            "expired"
        }
        "in_progress" => "finalizing",
        _ => {
            finish(&state, batch, false);
            "completed"
        }
    };
    batch.object["status"] = next.into();
    Json(batch.object.clone()).into_response()
}

/// Checks the input file as documented: JSON lines, each with a unique `custom_id`, `method`
/// `POST`, the batch's `url`, and a `body`; at most 50,000 of them. The errors name lines.
fn validate(state: &ServerState, batch: &Batch) -> Result<u64, Vec<Value>> {
    let files = lock(&state.files);
    let file = files.get(&batch.input_file_id).cloned().unwrap_or_default();
    let mut ids = HashSet::new();
    let mut errors = Vec::new();
    let mut total = 0;
    for (n, line) in file.split(|b| *b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        total += 1;
        let problem = match serde_json::from_slice::<Value>(line) {
            Err(_) => Some(("invalid_json_line", "the line is not JSON")),
            Ok(v) if !v["custom_id"].is_string() => {
                Some(("missing_custom_id", "custom_id is required"))
            }
            Ok(v) if !ids.insert(v["custom_id"].as_str().unwrap_or_default().to_owned()) => Some((
                "duplicate_custom_id",
                "the custom_id of this line is not unique",
            )),
            Ok(v) if v["method"] != "POST" => Some(("invalid_method", "method must be POST")),
            Ok(v) if v["url"] != batch.endpoint.as_str() => Some((
                "mismatched_endpoint",
                "url does not match the batch's endpoint",
            )),
            Ok(v) if !v["body"].is_object() => Some(("missing_body", "body is required")),
            Ok(_) => None,
        };
        if let Some((code, message)) = problem {
            errors.push(json!({"code": code, "message": message, "param": null, "line": n + 1}));
        }
    }
    if state.behaviour.fail_batch {
        errors.push(json!({"code": "token_limit_exceeded", "message": "Enqueued token limit reached for this model", "param": null, "line": null}));
    }
    if total > MAX_REQUESTS {
        errors.push(json!({"code": "too_many_requests", "message": "at most 50,000 requests per batch", "param": null, "line": null}));
    }
    if total == 0 {
        errors.push(json!({"code": "empty_file", "message": "the input file is empty", "param": null, "line": null}));
    }
    if errors.is_empty() {
        Ok(total as u64)
    } else {
        Err(errors)
    }
}

/// Writes the output and error files of an ending batch; `expired` leaves every item
/// unanswered.
fn finish(state: &ServerState, batch: &mut Batch, expired: bool) {
    let input = lock(&state.files)
        .get(&batch.input_file_id)
        .cloned()
        .unwrap_or_default();
    let (mut output, mut errors) = (Vec::new(), Vec::new());
    let (mut completed, mut failed) = (0u64, 0u64);
    for (n, line) in input
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        let Ok(request) = serde_json::from_slice::<Value>(line) else {
            continue;
        };
        let custom_id = request["custom_id"].clone();
        let body = &request["body"];
        let question = last_user_text(&body["messages"]);
        let fate = if expired {
            ItemFate::Expire
        } else {
            state.behaviour.fate(&question)
        };
        let id = format!("batch_req_{n}");
        match fate {
            ItemFate::Answer => {
                completed += 1;
                let answer = json!({"id": id, "custom_id": custom_id, "response": {"status_code": 200, "request_id": format!("req_{n}"), "body": completion(body, &question)}, "error": null});
                output.push(answer.to_string());
            }
            ItemFate::Fail => {
                failed += 1;
                let body = json!({"error": {"message": "the request is invalid", "type": "invalid_request_error", "param": null, "code": null}});
                errors.push(json!({"id": id, "custom_id": custom_id, "response": {"status_code": 400, "request_id": format!("req_{n}"), "body": body}, "error": null}).to_string());
            }
            ItemFate::Expire => {
                failed += 1;
                errors.push(json!({"id": id, "custom_id": custom_id, "response": null, "error": {"code": "batch_expired", "message": "This request could not be executed before the completion window expired."}}).to_string());
            }
        }
    }
    if state.behaviour.hostile_results {
        output.push(json!({"id": "batch_req_x", "custom_id": "no-such-request", "response": {"status_code": 200, "request_id": "req_x", "body": completion(&json!({}), "stray")}, "error": null}).to_string());
        if let Some(first) = output.first().cloned() {
            output.push(first);
        }
        output.push("{\"custom_id\": \"cut off".to_owned());
    }
    let mut files = lock(&state.files);
    let id = batch.object["id"].as_str().unwrap_or_default().to_owned();
    if !output.is_empty() {
        let file = format!("file-{id}-output");
        files.insert(file.clone(), (output.join("\n") + "\n").into_bytes());
        batch.object["output_file_id"] = file.into();
    }
    if !errors.is_empty() {
        let file = format!("file-{id}-errors");
        files.insert(file.clone(), (errors.join("\n") + "\n").into_bytes());
        batch.object["error_file_id"] = file.into();
    }
    batch.object["request_counts"]["completed"] = completed.into();
    batch.object["request_counts"]["failed"] = failed.into();
}

/// A `chat.completion` echoing `question`, usage counted in words.
fn completion(request: &Value, question: &str) -> Value {
    let prompt: u64 = request["messages"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|m| words(m["content"].as_str().unwrap_or_default()))
                .sum()
        })
        .unwrap_or(0);
    let answer = words(question);
    json!({
        "id": "chatcmpl-batch", "object": "chat.completion", "created": 0,
        "model": request["model"].as_str().unwrap_or("mock"),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": question}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": answer, "total_tokens": prompt + answer},
    })
}

/// `GET /v1/files/{id}/content`.
async fn content(State(state): State<Arc<ServerState>>, Path(id): Path<String>) -> Response {
    bump(&state.counters.downloads);
    match lock(&state.files).get(&id) {
        Some(bytes) => (
            [(header::CONTENT_TYPE, "application/octet-stream")],
            bytes.clone(),
        )
            .into_response(),
        None => error(StatusCode::NOT_FOUND, "no such file"),
    }
}

/// `POST /v1/chat/completions`, answered at once.
async fn chat(State(state): State<Arc<ServerState>>, Json(body): Json<Value>) -> Response {
    bump(&state.counters.single);
    let question = last_user_text(&body["messages"]);
    Json(completion(&body, &question)).into_response()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
