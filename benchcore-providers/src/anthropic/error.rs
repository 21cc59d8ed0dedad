//! Anthropic error bodies (`{"type": "error", "error": {"type", "message"}, "request_id"}`)
//! and stream `error` events to [`AgentError`]s.
//!
//! The error's `type` decides the kind, the HTTP status only when the type is missing or
//! unknown:
//!
//! | `error.type`                               | kind |
//! |--------------------------------------------|------|
//! | `overloaded_error` (529), `api_error` (500), `timeout_error` | `Transient` |
//! | `rate_limit_error` (429)                   | `RateLimited`, with `retry-after` |
//! | `authentication_error`, `permission_error`, `billing_error` | `Auth` |
//! | `invalid_request_error` saying "prompt is too long" | `ContextTooLong` |
//! | `invalid_request_error`, `not_found_error`, `request_too_large` | `BadRequest` |

use crate::http::{self, ProviderError};
use benchcore::{AgentError, AgentErrorKind};
use reqwest::header::HeaderMap;
use std::time::{Duration, SystemTime};

/// Classifies a reply with a non-success status from its status, headers and body.
pub(crate) fn from_status(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    key: Option<&str>,
) -> AgentError {
    let retry_after = http::retry_after(headers, SystemTime::now());
    classify(Some(status), body, retry_after, key)
}

/// Classifies an `error` event that arrived inside a stream, after a 200.
pub(crate) fn from_event(error: &serde_json::Value, key: Option<&str>) -> AgentError {
    let body = serde_json::json!({"type": "error", "error": error}).to_string();
    classify(None, body.as_bytes(), None, key)
}

fn classify(
    status: Option<u16>,
    body: &[u8],
    retry_after: Option<Duration>,
    key: Option<&str>,
) -> AgentError {
    let provider_error = ProviderError::from_body(body);
    let value: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let request_id = value
        .as_ref()
        .and_then(|v| v.get("request_id"))
        .and_then(serde_json::Value::as_str);
    let spend_limit = value
        .as_ref()
        .and_then(|v| v.pointer("/error/details/error_code"))
        .and_then(serde_json::Value::as_str)
        == Some("enforced_spend_limit_reached");
    let error_type = provider_error.error_type.as_deref().unwrap_or("");
    let message = provider_error.message.as_deref().unwrap_or("");
    let by_type = match error_type {
        "overloaded_error" | "api_error" | "timeout_error" => Some(AgentErrorKind::Transient),
        "rate_limit_error" if spend_limit => Some(AgentErrorKind::Auth),
        "rate_limit_error" => Some(AgentErrorKind::RateLimited),
        "authentication_error" | "permission_error" | "billing_error" => Some(AgentErrorKind::Auth),
        "invalid_request_error" if says_prompt_too_long(&provider_error) => {
            Some(AgentErrorKind::ContextTooLong)
        }
        "invalid_request_error" | "not_found_error" | "request_too_large" => {
            Some(AgentErrorKind::BadRequest)
        }
        _ => None,
    };
    let kind = by_type.unwrap_or_else(|| match status {
        Some(status) => http::status_kind(status),
        // An error event of a type we do not know: the stream failed on the way.
        None => AgentErrorKind::Transient,
    });
    let mut text = if message.is_empty() {
        match status {
            Some(status) => format!("HTTP {status}"),
            None => "the stream reported an error".to_owned(),
        }
    } else {
        http::mask(message, key)
    };
    if !error_type.is_empty() {
        text = format!("{text} ({error_type})");
    }
    if spend_limit || error_type == "billing_error" {
        text = format!(
            "the organization cannot spend more now: check its plan, billing and spend limits \
             ({text})"
        );
    }
    if let Some(id) = request_id {
        text = format!("{text} [request {id}]");
    }
    let mut err = AgentError::new(kind, text);
    if let Some(status) = status {
        err = err.with_status(status);
    }
    err.with_retry_after(if kind.is_retryable() {
        retry_after
    } else {
        None
    })
}

/// Whether the error says the prompt does not fit the context window. Anthropic words it
/// "prompt is too long: 208656 tokens > 200000 maximum".
fn says_prompt_too_long(error: &ProviderError) -> bool {
    error.is_context_too_long()
        || error.message.as_deref().is_some_and(|m| {
            let m = m.to_ascii_lowercase();
            m.contains("prompt is too long") || m.contains("input is too long")
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use serde_json::json;

    fn body(kind: &str, message: &str) -> Vec<u8> {
        json!({"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"})
            .to_string()
            .into_bytes()
    }

    fn kind(status: u16, kind: &str, message: &str) -> AgentErrorKind {
        from_status(status, &HeaderMap::new(), &body(kind, message), None).kind
    }

    #[test]
    fn error_types_map_to_kinds() {
        use AgentErrorKind::*;
        for (status, error_type, expected) in [
            (529, "overloaded_error", Transient),
            (500, "api_error", Transient),
            (504, "timeout_error", Transient),
            (429, "rate_limit_error", RateLimited),
            (401, "authentication_error", Auth),
            (403, "permission_error", Auth),
            (402, "billing_error", Auth),
            (400, "invalid_request_error", BadRequest),
            (404, "not_found_error", BadRequest),
            (413, "request_too_large", BadRequest),
            // An unknown type falls back to the status.
            (503, "some_new_error", Transient),
            (418, "some_new_error", BadRequest),
        ] {
            assert_eq!(kind(status, error_type, "x"), expected, "{error_type}");
        }
    }

    #[test]
    fn a_prompt_too_long_is_context_too_long() {
        assert_eq!(
            kind(
                400,
                "invalid_request_error",
                "prompt is too long: 208656 tokens > 200000 maximum"
            ),
            AgentErrorKind::ContextTooLong
        );
        assert_eq!(
            kind(400, "invalid_request_error", "max_tokens: Field required"),
            AgentErrorKind::BadRequest
        );
    }

    #[test]
    fn rate_limits_keep_retry_after_and_spend_limits_do_not_retry() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("12"));
        let err = from_status(
            429,
            &headers,
            &body(
                "rate_limit_error",
                "Number of request tokens has exceeded your per-minute rate limit",
            ),
            None,
        );
        assert_eq!(err.kind, AgentErrorKind::RateLimited);
        assert_eq!(err.retry_after, Some(Duration::from_secs(12)));
        assert_eq!(err.http_status, Some(429));
        assert_eq!(
            err.message,
            "Number of request tokens has exceeded your per-minute rate limit (rate_limit_error) [request req_011CSHoEeqs5C35K2UUqR7Fy]"
        );

        let spend = json!({"type": "error", "error": {"type": "rate_limit_error", "message": "You have reached your spend limit.", "details": {"error_code": "enforced_spend_limit_reached"}}});
        let err = from_status(429, &headers, spend.to_string().as_bytes(), None);
        assert_eq!(err.kind, AgentErrorKind::Auth);
        assert_eq!(err.retry_after, None);
        assert!(err.message.contains("spend limits"), "{err}");
    }

    #[test]
    fn overloaded_529_keeps_a_retry_after() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("3"));
        let err = from_status(529, &headers, &body("overloaded_error", "Overloaded"), None);
        assert_eq!(err.kind, AgentErrorKind::Transient);
        assert_eq!(err.retry_after, Some(Duration::from_secs(3)));
        assert_eq!(err.http_status, Some(529));
    }

    #[test]
    fn stream_error_events_are_classified_without_a_status() {
        let err = from_event(
            &json!({"type": "overloaded_error", "message": "Overloaded"}),
            None,
        );
        assert_eq!(
            (err.kind, err.http_status),
            (AgentErrorKind::Transient, None)
        );
        assert_eq!(err.message, "Overloaded (overloaded_error)");
        let err = from_event(&json!({"type": "mystery"}), None);
        assert_eq!(err.kind, AgentErrorKind::Transient);
    }

    #[test]
    fn other_bodies_fall_back_to_the_status_and_keys_are_masked() {
        let err = from_status(502, &HeaderMap::new(), b"<html>bad gateway</html>", None);
        assert_eq!(err.kind, AgentErrorKind::Transient);
        assert_eq!(err.message, "<html>bad gateway</html>");
        let err = from_status(401, &HeaderMap::new(), b"", None);
        assert_eq!(
            (err.kind, err.message.as_str()),
            (AgentErrorKind::Auth, "HTTP 401")
        );
        let err = from_status(
            401,
            &HeaderMap::new(),
            &body("authentication_error", "invalid x-api-key sk-ant-abcdef"),
            Some("sk-ant-abcdef"),
        );
        assert!(!err.message.contains("sk-ant-abcdef"), "{err}");
    }
}
