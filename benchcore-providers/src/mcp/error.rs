//! MCP failures as [`AgentError`] kinds: HTTP status first, then JSON-RPC error codes; and
//! [`Failure`], a message that failed or found its session gone.

use crate::http;
use benchcore::{AgentError, AgentErrorKind};
use reqwest::header::HeaderMap;
use std::time::SystemTime;

/// A message failed: an agent error, or the session is gone and may be reopened.
pub(crate) enum Failure {
    Agent(AgentError),
    SessionGone,
}

impl Failure {
    pub(crate) fn into_agent(self) -> AgentError {
        match self {
            Failure::Agent(err) => err,
            Failure::SessionGone => {
                AgentError::transient("the MCP server forgot the session (HTTP 404)")
            }
        }
    }
}

/// A failed HTTP exchange with the MCP endpoint.
pub(crate) fn from_status(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    token: Option<&str>,
) -> AgentError {
    let text = String::from_utf8_lossy(body);
    // A JSON-RPC error body says more than the status.
    let said = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| text.chars().take(300).collect());
    let kind = http::status_kind(status);
    let retry_after = if kind.is_retryable() {
        http::retry_after(headers, SystemTime::now())
    } else {
        None
    };
    AgentError::new(
        kind,
        http::mask(
            &format!("MCP endpoint answered HTTP {status}: {said}"),
            token,
        ),
    )
    .with_status(status)
    .with_retry_after(retry_after)
}

/// A JSON-RPC error: malformed or unknown requests and bad parameters are the request's
/// fault; anything else is the server's, and passing.
pub(crate) fn from_rpc(code: i64, message: &str, method: &str) -> AgentError {
    let kind = match code {
        -32700 | -32600 | -32601 | -32602 => AgentErrorKind::BadRequest,
        _ => AgentErrorKind::Transient,
    };
    AgentError::new(
        kind,
        format!("{method} failed: {message} (JSON-RPC error {code})"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpc_codes_map_to_kinds() {
        assert_eq!(
            from_rpc(-32602, "bad", "tools/call").kind,
            AgentErrorKind::BadRequest
        );
        assert_eq!(
            from_rpc(-32603, "boom", "tools/call").kind,
            AgentErrorKind::Transient
        );
        assert_eq!(
            from_rpc(-32001, "busy", "tools/call").kind,
            AgentErrorKind::Transient
        );
    }

    #[test]
    fn status_maps_with_rpc_message_and_masks_the_token() {
        let body = br#"{"jsonrpc":"2.0","error":{"code":-32001,"message":"bad token tok-1"}}"#;
        let err = from_status(401, &HeaderMap::new(), body, Some("tok-1"));
        assert_eq!(err.kind, AgentErrorKind::Auth);
        assert!(err.message.contains("bad token ***"), "{}", err.message);
    }
}
