//! A failed exchange as an [`AgentError`] kind: the HTTP status, refined by the error the
//! provider put in the body; `Retry-After`; transport failures.

use super::headers::mask;
use benchcore::{AgentError, AgentErrorKind};
use reqwest::header::HeaderMap;
use std::time::{Duration, SystemTime};

/// The kind of failure an HTTP status means, before looking at the body.
///
/// 401 and 403 are `Auth`; 400, 404, 422 and other 4xx are `BadRequest`; 408 is `Timeout`;
/// 429 is `RateLimited`; 409, 425, 5xx and 529 are `Transient`. Anything else (a stray 1xx or
/// 3xx) is `MalformedReply`.
pub fn status_kind(status: u16) -> AgentErrorKind {
    match status {
        401 | 403 => AgentErrorKind::Auth,
        408 => AgentErrorKind::Timeout,
        429 => AgentErrorKind::RateLimited,
        409 | 425 | 500..=599 => AgentErrorKind::Transient,
        400..=499 => AgentErrorKind::BadRequest,
        _ => AgentErrorKind::MalformedReply,
    }
}

/// The error a provider reported in its body, read from whatever shape it used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProviderError {
    /// The provider's own message.
    pub message: Option<String>,
    /// Its machine-readable code (`context_length_exceeded`, `insufficient_quota` …).
    pub code: Option<String>,
    /// Its error type (`invalid_request_error`, `insufficient_quota` …).
    pub error_type: Option<String>,
}

impl ProviderError {
    /// Reads the error from a body. Understands `{"error": {"message", "type", "code"}}`
    /// (OpenAI and most compatible servers), `{"error": "text"}`, `{"message": "text"}` and
    /// `{"detail": "text"}`; any other body becomes the message, shortened.
    pub fn from_body(body: &[u8]) -> Self {
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
            // Some gateways send an error as a server-sent event (`data: {"error": …}`):
            // read the event's JSON rather than keep the raw stream.
            if let Some(event) = sse_error_data(body) {
                return Self::from_body(event.as_bytes());
            }
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            return Self {
                message: (!text.is_empty()).then(|| shorten(text, 300)),
                ..Self::default()
            };
        };
        let text = |v: Option<&serde_json::Value>| match v {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        match value.get("error") {
            Some(error @ serde_json::Value::Object(_)) => Self {
                message: text(error.get("message")),
                code: text(error.get("code")),
                error_type: text(error.get("type")),
            },
            Some(serde_json::Value::String(message)) => Self {
                message: Some(message.clone()),
                ..Self::default()
            },
            _ => Self {
                message: text(value.get("message")).or_else(|| text(value.get("detail"))),
                code: text(value.get("code")),
                error_type: text(value.get("type")),
            },
        }
    }

    /// Whether it says the conversation does not fit the model's context.
    pub fn is_context_too_long(&self) -> bool {
        let code_says = [&self.code, &self.error_type]
            .into_iter()
            .flatten()
            .any(|c| c == "context_length_exceeded");
        let message_says = self.message.as_deref().is_some_and(|m| {
            let m = m.to_ascii_lowercase();
            m.contains("maximum context length")
                || m.contains("context length exceeded")
                || m.contains("context_length_exceeded")
                || m.contains("exceeds the context window")
        });
        code_says || message_says
    }

    /// Whether it says the account has no quota or credit left (OpenAI's
    /// `insufficient_quota`), which waiting does not fix.
    pub fn is_insufficient_quota(&self) -> bool {
        [&self.code, &self.error_type]
            .into_iter()
            .flatten()
            .any(|c| c == "insufficient_quota")
    }
}

/// Classifies a failed HTTP exchange: the status, refined by the provider's error.
///
/// A 400, 413 or 422 whose error says the context length was exceeded is `ContextTooLong`; a
/// 429 saying `insufficient_quota` is `Auth` (not retryable: waiting does not add credit).
/// The message is the provider's own, with `secret` masked should the provider echo it.
pub fn error_for_status(
    status: u16,
    provider_error: &ProviderError,
    retry_after: Option<Duration>,
    secret: Option<&str>,
) -> AgentError {
    let mut kind = status_kind(status);
    let said = provider_error
        .message
        .as_deref()
        .map(|m| mask(m, secret))
        .unwrap_or_else(|| format!("HTTP {status} {}", reason(status)));
    let code = provider_error
        .code
        .as_deref()
        .map(|c| format!(" (code {c})"))
        .unwrap_or_default();
    let mut message = format!("{said}{code}");
    if matches!(status, 400 | 413 | 422) && provider_error.is_context_too_long() {
        kind = AgentErrorKind::ContextTooLong;
    } else if status == 429 && provider_error.is_insufficient_quota() {
        kind = AgentErrorKind::Auth;
        message = format!(
            "the account has no quota left: check the plan and billing details of this API \
             key ({message})"
        );
    }
    let retry_after = if kind.is_retryable() {
        retry_after
    } else {
        None
    };
    AgentError::new(kind, message)
        .with_status(status)
        .with_retry_after(retry_after)
}

/// How long the server asked us to wait: `retry-after-ms` (milliseconds, as OpenAI sends),
/// else `Retry-After` as delta-seconds or as an HTTP-date (relative to `now`; a date in the
/// past means no wait).
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        if ms.is_finite() && ms >= 0.0 {
            return Some(Duration::from_secs_f64(ms / 1000.0));
        }
    }
    parse_retry_after(header("retry-after")?, now)
}

/// Parses one `Retry-After` value: delta-seconds (integral or not) or an HTTP-date.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Classifies a transport failure: a timeout is `Timeout`; a refused or reset connection, or
/// a body cut off mid-way, is `Transient`; a request that could not even be built is
/// `BadRequest`. The message carries the cause chain but never the URL's credentials.
pub fn error_from_reqwest(err: reqwest::Error) -> AgentError {
    let host = err
        .url()
        .and_then(|u| u.host_str().map(|h| format!(" to {h}")))
        .unwrap_or_default();
    let err = err.without_url();
    let (kind, what) = if err.is_timeout() {
        (AgentErrorKind::Timeout, "timed out")
    } else if err.is_connect() {
        (AgentErrorKind::Transient, "could not connect")
    } else if err.is_body() || err.is_decode() {
        (
            AgentErrorKind::Transient,
            "connection failed while reading the reply",
        )
    } else if err.is_builder() {
        (AgentErrorKind::BadRequest, "could not build the request")
    } else {
        (AgentErrorKind::Transient, "request failed")
    };
    AgentError::new(kind, format!("{what}{host}: {}", chain(&err)))
}

fn reason(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

fn shorten(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// An error and its sources, joined by `: `, each said once.
pub(super) fn chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

/// The JSON of the first `data:` line of a body written as server-sent events, if it is
/// JSON.
fn sse_error_data(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    text.lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .map(str::trim)
        .find(|data| serde_json::from_str::<serde_json::Value>(data).is_ok())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_sent_as_an_event_is_read() {
        let body = b"event: error\ndata: {\"error\": {\"message\": \"quota exhausted\", \"code\": \"insufficient_quota\"}}\n\n";
        let error = ProviderError::from_body(body);
        assert_eq!(error.message.as_deref(), Some("quota exhausted"));
        assert_eq!(error.code.as_deref(), Some("insufficient_quota"));
    }
    use reqwest::header::HeaderValue;

    fn body_error(body: &str) -> ProviderError {
        ProviderError::from_body(body.as_bytes())
    }

    fn kind(status: u16, body: &str) -> AgentErrorKind {
        error_for_status(status, &body_error(body), None, None).kind
    }

    #[test]
    fn statuses_map_to_kinds() {
        use AgentErrorKind::*;
        for (status, expected) in [
            (400, BadRequest),
            (401, Auth),
            (403, Auth),
            (404, BadRequest),
            (408, Timeout),
            (409, Transient),
            (413, BadRequest),
            (422, BadRequest),
            (425, Transient),
            (429, RateLimited),
            (500, Transient),
            (502, Transient),
            (503, Transient),
            (504, Transient),
            (529, Transient),
            (302, MalformedReply),
        ] {
            assert_eq!(kind(status, ""), expected, "HTTP {status}");
        }
    }

    #[test]
    fn context_length_errors_are_their_kind() {
        let openai = r#"{"error": {"message": "This model's maximum context length is 4097 tokens. However, your messages resulted in 4294 tokens.", "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}}"#;
        assert_eq!(kind(400, openai), AgentErrorKind::ContextTooLong);
        let by_message = r#"{"error": {"message": "This model's maximum context length is 4096 tokens.", "code": null}}"#;
        assert_eq!(kind(400, by_message), AgentErrorKind::ContextTooLong);
        let by_code = r#"{"error": {"message": "too long", "code": "context_length_exceeded"}}"#;
        assert_eq!(kind(400, by_code), AgentErrorKind::ContextTooLong);
        let plain_bad = r#"{"error": {"message": "temperature must be at most 2", "code": null}}"#;
        assert_eq!(kind(400, plain_bad), AgentErrorKind::BadRequest);
        // A server error that mentions the context stays transient.
        assert_eq!(kind(500, openai), AgentErrorKind::Transient);
    }

    #[test]
    fn insufficient_quota_is_auth_and_not_retryable() {
        let body = r#"{"error": {"message": "You exceeded your current quota, please check your plan and billing details.", "type": "insufficient_quota", "param": null, "code": "insufficient_quota"}}"#;
        let err = error_for_status(429, &body_error(body), Some(Duration::from_secs(5)), None);
        assert_eq!(err.kind, AgentErrorKind::Auth);
        assert!(!err.is_retryable());
        assert_eq!(err.retry_after, None);
        assert!(err.message.contains("billing"), "{}", err.message);
        assert!(err.message.contains("quota"), "{}", err.message);
        assert_eq!(err.http_status, Some(429));
    }

    #[test]
    fn rate_limit_keeps_retry_after_and_message() {
        let body = r#"{"error": {"message": "Rate limit reached for requests", "type": "requests", "code": "rate_limit_exceeded"}}"#;
        let err = error_for_status(429, &body_error(body), Some(Duration::from_secs(3)), None);
        assert_eq!(err.kind, AgentErrorKind::RateLimited);
        assert_eq!(err.retry_after, Some(Duration::from_secs(3)));
        assert_eq!(
            err.message,
            "Rate limit reached for requests (code rate_limit_exceeded)"
        );
    }

    #[test]
    fn message_comes_from_the_body_in_any_common_shape() {
        assert_eq!(
            body_error(r#"{"error": {"message": "bad model", "code": 404}}"#),
            ProviderError {
                message: Some("bad model".into()),
                code: Some("404".into()),
                error_type: None
            }
        );
        assert_eq!(
            body_error(r#"{"error": "no such model"}"#)
                .message
                .as_deref(),
            Some("no such model")
        );
        assert_eq!(
            body_error(r#"{"detail": "Not Found"}"#).message.as_deref(),
            Some("Not Found")
        );
        assert_eq!(
            body_error("<html>Bad gateway</html>").message.as_deref(),
            Some("<html>Bad gateway</html>")
        );
        assert_eq!(body_error("").message, None);
        let err = error_for_status(502, &body_error(""), None, None);
        assert_eq!(err.message, "HTTP 502 Bad Gateway");
    }

    #[test]
    fn an_echoed_key_is_masked() {
        let body = r#"{"error": {"message": "Incorrect API key provided: sk-secret-1234.", "code": "invalid_api_key"}}"#;
        let err = error_for_status(401, &body_error(body), None, Some("sk-secret-1234"));
        assert_eq!(err.kind, AgentErrorKind::Auth);
        assert!(!err.to_string().contains("sk-secret-1234"), "{err}");
        assert!(
            err.message.contains("Incorrect API key provided: ***."),
            "{err}"
        );
    }

    #[test]
    fn retry_after_reads_seconds_dates_and_milliseconds() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Sunday, 06-Nov-94 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("-3", now), None);
        assert_eq!(parse_retry_after("soon", now), None);

        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers, now), None);
        headers.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(7)));
        headers.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(retry_after(&headers, now), Some(Duration::from_millis(250)));
        headers.insert("retry-after-ms", HeaderValue::from_static("junk"));
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(7)));
    }

    #[test]
    fn shorten_cuts_on_characters() {
        assert_eq!(shorten("héllo", 2), "hé…");
        assert_eq!(shorten("hé", 2), "hé");
    }
}
