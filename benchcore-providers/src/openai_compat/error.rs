//! OpenAI error bodies (`{"error": {"message", "type", "param", "code"}}`) to
//! [`AgentError`]s.

use crate::http::{self, ProviderError};
use benchcore::AgentError;
use reqwest::header::HeaderMap;
use std::time::SystemTime;

/// Classifies a reply with a non-success status from its status, headers and body.
pub(crate) fn from_status(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    key: Option<&str>,
) -> AgentError {
    let provider_error = ProviderError::from_body(body);
    let retry_after = http::retry_after(headers, SystemTime::now());
    http::error_for_status(status, &provider_error, retry_after, key)
}

/// A success status whose body is an error object rather than a completion, as some
/// gateways send when the upstream model fails (OpenRouter does). The error's numeric
/// `code`, when it is an HTTP status, classifies it; otherwise it counts as a 502.
pub(crate) fn embedded(body: &[u8], key: Option<&str>) -> Option<AgentError> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let error = value.get("error").filter(|e| !e.is_null())?;
    if value.get("choices").is_some() {
        return None;
    }
    let status = error
        .get("code")
        .and_then(serde_json::Value::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .filter(|c| (400..=599).contains(c))
        .unwrap_or(502);
    let provider_error = ProviderError::from_body(body);
    Some(http::error_for_status(status, &provider_error, None, key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use benchcore::AgentErrorKind;
    use reqwest::header::HeaderValue;
    use std::time::Duration;

    #[test]
    fn a_429_carries_retry_after_from_the_headers() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("2"));
        let body = br#"{"error": {"message": "Rate limit reached", "type": "requests", "param": null, "code": "rate_limit_exceeded"}}"#;
        let err = from_status(429, &headers, body, None);
        assert_eq!(err.kind, AgentErrorKind::RateLimited);
        assert_eq!(err.retry_after, Some(Duration::from_secs(2)));
        assert_eq!(err.http_status, Some(429));
    }

    #[test]
    fn an_unauthorized_reply_never_shows_the_key() {
        let body = br#"{"error": {"message": "Incorrect API key provided: sk-abcdef123. You can find your API key at https://platform.openai.com/account/api-keys.", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}"#;
        let err = from_status(401, &HeaderMap::new(), body, Some("sk-abcdef123"));
        assert_eq!(err.kind, AgentErrorKind::Auth);
        assert!(!format!("{err} {err:?}").contains("sk-abcdef123"));
        assert!(
            err.message.contains("Incorrect API key provided"),
            "{}",
            err.message
        );
    }

    #[test]
    fn an_error_inside_a_success_reply_is_classified() {
        let body = br#"{"error": {"message": "Upstream overloaded", "code": 503}}"#;
        let err = embedded(body, None).unwrap();
        assert_eq!(
            (err.kind, err.http_status),
            (AgentErrorKind::Transient, Some(503))
        );
        let body = br#"{"error": {"message": "no such model", "code": "model_not_found"}}"#;
        assert_eq!(
            embedded(body, None).unwrap().kind,
            AgentErrorKind::Transient
        );
        assert!(embedded(br#"{"choices": []}"#, None).is_none());
        assert!(embedded(b"not json", None).is_none());
    }
}
