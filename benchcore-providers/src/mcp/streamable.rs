//! The Streamable HTTP transport: each message is one POST to the endpoint, answered with
//! JSON or an SSE stream; the session id travels in `Mcp-Session-Id`, and `DELETE` ends it.

use super::error::{self, Failure};
use super::session::Session;
use super::wire;
use crate::{http, sse};
use benchcore::{AgentError, Secret};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::Url;
use serde_json::Value;
use std::ops::ControlFlow;

const SESSION_HEADER: &str = "mcp-session-id";
const VERSION_HEADER: &str = "mcp-protocol-version";

/// Where the server is and how to reach it.
pub(crate) struct Streamable {
    pub(crate) endpoint: Url,
    pub(crate) token: Option<Secret>,
    pub(crate) client: reqwest::Client,
    pub(crate) max_response_bytes: u64,
}

impl Streamable {
    fn token(&self) -> Option<&str> {
        self.token.as_ref().map(Secret::expose)
    }

    /// POSTs one JSON-RPC message and reads its response (JSON or SSE): the response and
    /// the session id the server gave, or `None` for a notification.
    pub(crate) async fn post(
        &self,
        session: Option<&Session>,
        message: &Value,
        id: Option<u64>,
    ) -> Result<Option<(Value, Option<String>)>, Failure> {
        let mut request = self
            .client
            .post(self.endpoint.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json, text/event-stream")
            .json(message);
        if let Some(token) = self.token() {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        if let Some(session) = session {
            if let Some(id) = &session.id {
                request = request.header(SESSION_HEADER, id);
            }
            request = request.header(VERSION_HEADER, &session.protocol_version);
        }
        let response = request
            .send()
            .await
            .map_err(|e| Failure::Agent(http::error_from_reqwest(e)))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let in_session = session.is_some_and(|s| s.id.is_some());
        if status == 404 && in_session {
            return Err(Failure::SessionGone);
        }
        if !(200..300).contains(&status) {
            let body = http::read_error_body(response).await;
            // The specification says 404 for a session the server no longer knows, but some
            // servers (the TypeScript SDK's) answer 400 "No valid session ID provided".
            if status == 400
                && in_session
                && String::from_utf8_lossy(&body)
                    .to_ascii_lowercase()
                    .contains("session")
            {
                return Err(Failure::SessionGone);
            }
            return Err(Failure::Agent(error::from_status(
                status,
                &headers,
                &body,
                self.token(),
            )));
        }
        let Some(id) = id else {
            return Ok(None);
        };
        let session_id = headers
            .get(SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let malformed = |what: String| Failure::Agent(AgentError::malformed(what));
        if http::is_event_stream(&response) {
            // Read events until the response arrives; notifications and server requests
            // before it are skipped, and a stream the server keeps open is not waited out.
            let mut found = None;
            // Whether the stream ended or we broke off, `found` says if the response came.
            let _ended = sse::read_events(response, self.max_response_bytes, |event| {
                if event.data.trim().is_empty() {
                    return Ok(ControlFlow::Continue(()));
                }
                let message: Value = serde_json::from_str(&event.data)
                    .map_err(|e| AgentError::malformed(format!("an SSE event is not JSON: {e}")))?;
                found = wire::response_with_id([message], id);
                Ok(if found.is_some() {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                })
            })
            .await
            .map_err(Failure::Agent)?;
            return found.map(|r| Some((r, session_id))).ok_or_else(|| {
                malformed(format!(
                    "the SSE stream ended without the response to request {id} (cut off?)"
                ))
            });
        }
        let body = http::read_body(response, self.max_response_bytes)
            .await
            .map_err(Failure::Agent)?;
        if status == 202 || body.is_empty() {
            return Err(malformed(
                "the server accepted the request but sent no response".into(),
            ));
        }
        let message: Value = serde_json::from_slice(&body)
            .map_err(|e| malformed(format!("the reply is not JSON: {e}")))?;
        wire::response_with_id([message], id)
            .map(|response| Some((response, session_id)))
            .ok_or_else(|| malformed(format!("the reply does not answer request {id}")))
    }

    /// The `DELETE` that ends `session`, when the server gave it an id.
    pub(crate) fn delete_request(&self, session: &Session) -> Option<reqwest::RequestBuilder> {
        let id = session.id.as_ref()?;
        let mut request = self
            .client
            .delete(self.endpoint.clone())
            .header(SESSION_HEADER, id)
            .header(VERSION_HEADER, &session.protocol_version);
        if let Some(token) = self.token() {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        Some(request)
    }
}
