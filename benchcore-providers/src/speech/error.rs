//! A failed speech exchange as a [`SpeechErrorKind`]: the HTTP status, the provider's own
//! message, `Retry-After`; transport failures.

use crate::http::{error_from_reqwest, mask, ProviderError};
use benchcore::voice::{SpeechError, SpeechErrorKind};
use benchcore::AgentErrorKind;
use std::time::Duration;

/// Classifies a reply with a failing status.
///
/// 401 and 403 are `Auth`, as is a 429 saying `insufficient_quota` (waiting adds no
/// credit); 408, 409, 425, 429 and 5xx are `Transient`, carrying any `Retry-After`; other
/// 4xx are `BadRequest`; anything else is `Failed`. The message is the provider's own, with
/// the key masked should it be echoed.
pub(super) fn for_status(
    status: u16,
    body: &[u8],
    retry_after: Option<Duration>,
    key: &str,
) -> SpeechError {
    let said = ProviderError::from_body(body);
    let message = said
        .message
        .as_deref()
        .map(|m| mask(m, Some(key)))
        .filter(|m| !m.trim().is_empty());
    let message = match message {
        Some(message) => format!("HTTP {status}: {message}"),
        None => format!("HTTP {status}"),
    };
    let kind = match status {
        429 if said.is_insufficient_quota() => SpeechErrorKind::Auth,
        401 | 403 => SpeechErrorKind::Auth,
        408 | 409 | 425 | 429 | 500..=599 => SpeechErrorKind::Transient,
        400..=499 => SpeechErrorKind::BadRequest,
        _ => SpeechErrorKind::Failed,
    };
    if kind != SpeechErrorKind::Transient {
        return SpeechError::new(kind, format!("OpenAI speech {message}"));
    }
    let wait = retry_after
        .map(|wait| format!(" (retry after {} s)", wait.as_secs_f64()))
        .unwrap_or_default();
    SpeechError::new(kind, format!("OpenAI speech {message}{wait}")).with_retry_after(retry_after)
}

/// Classifies a transport failure: a timeout is `Timeout`, a request that could not be built
/// `BadRequest`, anything else (refused, reset, cut off) `Transient`.
pub(super) fn from_reqwest(err: reqwest::Error) -> SpeechError {
    let err = error_from_reqwest(err);
    let kind = match err.kind {
        AgentErrorKind::Timeout => SpeechErrorKind::Timeout,
        AgentErrorKind::BadRequest => SpeechErrorKind::BadRequest,
        _ => SpeechErrorKind::Transient,
    };
    SpeechError::new(kind, format!("OpenAI speech: {}", err.message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_kinds() {
        use SpeechErrorKind::*;
        for (status, kind) in [
            (400, BadRequest),
            (401, Auth),
            (403, Auth),
            (404, BadRequest),
            (408, Transient),
            (422, BadRequest),
            (429, Transient),
            (500, Transient),
            (503, Transient),
            (302, Failed),
        ] {
            assert_eq!(
                for_status(status, b"", None, "sk-x").kind,
                kind,
                "HTTP {status}"
            );
        }
    }

    #[test]
    fn messages_carry_the_error_and_the_wait() {
        let body = br#"{"error": {"message": "Rate limit reached", "type": "requests"}}"#;
        let err = for_status(429, body, Some(Duration::from_secs(7)), "sk-x");
        assert_eq!(err.retry_after, Some(Duration::from_secs(7)));
        assert_eq!(
            err.message,
            "OpenAI speech HTTP 429: Rate limit reached (retry after 7 s)"
        );
        let quota = br#"{"error": {"message": "No quota", "code": "insufficient_quota"}}"#;
        let err = for_status(429, quota, Some(Duration::from_secs(7)), "sk-x");
        assert_eq!(err.kind, SpeechErrorKind::Auth);
        assert_eq!(err.retry_after, None);
        let echo = br#"{"error": {"message": "Incorrect API key provided: sk-secret-123"}}"#;
        let err = for_status(401, echo, None, "sk-secret-123");
        assert!(!err.message.contains("sk-secret-123"), "{err}");
    }
}
