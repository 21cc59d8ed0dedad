//! A loopback OpenTelemetry collector speaking OTLP/HTTP with the JSON encoding, as the
//! OTLP specification documents it: `POST /v1/traces` with `Content-Type: application/json`
//! and an `ExportTraceServiceRequest` (`resourceSpans` → `scopeSpans` → `spans`, ids as hex),
//! answered `200` with an `ExportTraceServiceResponse` (`{}`). Anything else is refused as a
//! collector would: another path 404, another content type 415, a body that is not a request
//! 400.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::task::JoinHandle;

/// One exported span, as the collector read it.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectedSpan {
    /// `traceId`: 32 hex digits.
    pub trace_id: String,
    /// `spanId`: 16 hex digits.
    pub span_id: String,
    /// `parentSpanId`, empty for a root span.
    pub parent_span_id: String,
    /// `name`.
    pub name: String,
    /// `attributes`, each value as text.
    pub attributes: HashMap<String, String>,
    /// The resource's `service.name`.
    pub service_name: String,
}

/// A running collector.
#[derive(Debug)]
pub struct OtlpCollector {
    addr: SocketAddr,
    spans: Arc<Mutex<Vec<CollectedSpan>>>,
    task: JoinHandle<()>,
}

impl OtlpCollector {
    /// Starts a collector on a free loopback port.
    pub async fn start() -> Self {
        let spans = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new()
            .route("/v1/traces", post(export))
            .with_state(Arc::clone(&spans));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("a local address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, spans, task }
    }

    /// The base address exporters are given (`http://127.0.0.1:PORT`).
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The spans received so far.
    pub fn spans(&self) -> Vec<CollectedSpan> {
        self.spans
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for OtlpCollector {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// An `AnyValue` as text: `stringValue`, `intValue` (a string in JSON), `boolValue`,
/// `doubleValue`.
fn any_value(value: &Value) -> String {
    for key in ["stringValue", "intValue", "boolValue", "doubleValue"] {
        if let Some(v) = value.get(key) {
            return match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
        }
    }
    value.to_string()
}

fn attributes(list: Option<&Value>) -> HashMap<String, String> {
    list.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|kv| {
            Some((
                kv.get("key")?.as_str()?.to_owned(),
                any_value(kv.get("value")?),
            ))
        })
        .collect()
}

fn read_request(body: &Value) -> Result<Vec<CollectedSpan>, String> {
    let resources = body
        .get("resourceSpans")
        .and_then(Value::as_array)
        .ok_or("no resourceSpans")?;
    let mut spans = Vec::new();
    for resource in resources {
        let service_name = attributes(resource.pointer("/resource/attributes"))
            .remove("service.name")
            .unwrap_or_default();
        for scope in resource
            .get("scopeSpans")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for span in scope
                .get("spans")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let text = |k: &str| span.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
                let (trace_id, span_id, parent) =
                    (text("traceId"), text("spanId"), text("parentSpanId"));
                if !is_hex(&trace_id, 32) || !is_hex(&span_id, 16) {
                    return Err(format!("ids must be hex: {trace_id:?} {span_id:?}"));
                }
                if !(parent.is_empty() || is_hex(&parent, 16)) {
                    return Err(format!("parentSpanId must be hex: {parent:?}"));
                }
                spans.push(CollectedSpan {
                    trace_id,
                    span_id,
                    parent_span_id: parent,
                    name: text("name"),
                    attributes: attributes(span.get("attributes")),
                    service_name: service_name.clone(),
                });
            }
        }
    }
    Ok(spans)
}

async fn export(
    State(spans): State<Arc<Mutex<Vec<CollectedSpan>>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected application/json",
        )
            .into_response();
    }
    let parsed = serde_json::from_slice::<Value>(&body)
        .map_err(|e| e.to_string())
        .and_then(|v| read_request(&v));
    match parsed {
        Ok(received) => {
            spans
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend(received);
            ([(header::CONTENT_TYPE, "application/json")], "{}").into_response()
        }
        Err(why) => (StatusCode::BAD_REQUEST, why).into_response(),
    }
}
