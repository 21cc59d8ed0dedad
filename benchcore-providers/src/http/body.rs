//! Reading a reply: size-limited bodies, error bodies, event streams, and the deadline every
//! exchange runs within.

use super::status::error_from_reqwest;
use benchcore::AgentError;
use std::future::Future;
use std::time::{Duration, Instant};

/// The largest reply body read by default: 8 MiB. A longer body is cut off and reported as
/// [`AgentErrorKind::MalformedReply`](benchcore::AgentErrorKind::MalformedReply).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 8 * 1024 * 1024;

/// How much of an error body is read for its message.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Reads a successful reply's body, at most `limit` bytes. A longer body (by
/// `Content-Length` or as it streams) is a `MalformedReply`; a connection lost mid-body is
/// `Transient`.
pub async fn read_body(mut response: reqwest::Response, limit: u64) -> Result<Vec<u8>, AgentError> {
    let too_long = || {
        AgentError::malformed(format!(
            "the reply body is larger than {limit} bytes (max_response_bytes); it was cut off"
        ))
    };
    if response.content_length().is_some_and(|len| len > limit) {
        return Err(too_long());
    }
    let capacity = response.content_length().unwrap_or(4096).min(limit);
    let mut body = Vec::with_capacity(usize::try_from(capacity).unwrap_or(4096));
    while let Some(chunk) = response.chunk().await.map_err(error_from_reqwest)? {
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(too_long());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Runs one exchange within the sooner of the request's `deadline` and the agent's own
/// `timeout`, ending it with a `Timeout` error that names which limit ran out.
///
/// A deadline already passed fails at once, without polling `exchange`, so nothing is sent.
/// Without either limit the exchange runs unbounded.
pub async fn bounded<T>(
    deadline: Option<Instant>,
    timeout: Option<Duration>,
    exchange: impl Future<Output = Result<T, AgentError>>,
) -> Result<T, AgentError> {
    let by_deadline = match deadline {
        Some(deadline) => {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(AgentError::timeout(
                    "the request's deadline passed before it was sent",
                ));
            }
            Some((left, "the request's deadline"))
        }
        None => None,
    };
    let by_config = timeout.map(|t| (t, "timeout_ms"));
    let limit = match (by_deadline, by_config) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    };
    match limit {
        None => exchange.await,
        Some((limit, why)) => tokio::time::timeout(limit, exchange)
            .await
            .unwrap_or_else(|_| {
                Err(AgentError::timeout(format!(
                    "no reply within {} ms ({why})",
                    limit.as_millis()
                )))
            }),
    }
}

/// Whether a reply's `Content-Type` is `text/event-stream`.
pub fn is_event_stream(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/event-stream"))
        })
}

/// Reads the start of an error reply's body (up to 64 KiB), for its message. A read failure
/// yields what was read so far: the status already says what happened.
pub async fn read_error_body(mut response: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = ERROR_BODY_LIMIT - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= ERROR_BODY_LIMIT {
            break;
        }
    }
    body
}
