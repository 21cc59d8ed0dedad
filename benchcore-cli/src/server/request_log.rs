//! One log line per request, under a request id the answer carries (`x-request-id`), so a
//! client's report finds the server's line. Paths are logged without their query string,
//! which may hold nothing secret but need not be kept.

use super::state::ServerState;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;
use tracing::Instrument;

/// The middleware.
pub(crate) async fn layer(
    State(state): State<ServerState>,
    request: Request,
    next: Next,
) -> Response {
    let id = super::ids::secret(9);
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let span = tracing::info_span!("request", request_id = %id, %method, %path);
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status();
    state.counters.request(status);
    span.in_scope(|| {
        tracing::info!(
            status = status.as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "answered"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}
