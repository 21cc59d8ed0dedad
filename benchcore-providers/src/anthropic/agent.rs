//! [`AnthropicAgent`]: one Messages API exchange per request, whole or streamed.

use super::error;
use super::tools;
use super::wire::{MessageResponse, MessagesRequest, StreamEvent, WireUsage, DEFAULT_MAX_TOKENS};
use crate::http::{ChatProvider, Classify, Endpoint, Outgoing, Reply};
use crate::sse;
use crate::tool_calls::PartialCalls;
use async_trait::async_trait;
use benchcore::agent::BatchApi;
use benchcore::{Agent, AgentCapabilities, AgentError, AgentReply, AgentRequest};
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

/// An agent that sends each request to `POST {base_url}/v1/messages` once. Build it from
/// an [`AnthropicConfig`](super::AnthropicConfig).
///
/// With `stream` on it reads the reply as server-sent events and records the time to the
/// first text. It never retries (the engine does, from the error's kind), stops at the
/// request's deadline with a `Timeout` error, and is safe to drop at any point.
#[derive(Debug)]
pub struct AnthropicAgent {
    endpoint: Endpoint,
    model: String,
}

impl AnthropicAgent {
    pub(crate) fn new(endpoint: Endpoint, model: String) -> Self {
        Self { endpoint, model }
    }

    /// The model requests name.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Where and how requests go.
    pub(super) fn endpoint_ref(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The URL requests go to.
    pub fn endpoint(&self) -> &str {
        self.endpoint.url.as_str()
    }

    /// Whether replies are streamed.
    pub fn streams(&self) -> bool {
        self.endpoint.stream
    }
}

impl ChatProvider for AnthropicAgent {
    const CLASSIFY: Classify = error::from_status;

    fn body(&self, outgoing: &Outgoing<'_>) -> serde_json::Result<Vec<u8>> {
        let stream = self.endpoint.stream;
        let request = MessagesRequest::new(&self.model, outgoing, DEFAULT_MAX_TOKENS, stream);
        serde_json::to_vec(&request)
    }

    /// Reads a successful reply: a stream event by event (it must reach `message_stop`),
    /// or a whole body.
    async fn read(&self, reply: Reply, started: Instant) -> Result<AgentReply, AgentError> {
        let key = self.endpoint.key();
        let response = match reply {
            Reply::Body(body) => return parse_reply(&body, key),
            Reply::Stream(response) => response,
        };
        let mut fold = StreamFold::new(started);
        let ended = sse::read_events(response, self.endpoint.max_response_bytes, |event| {
            fold.event(&event.data, key)
        })
        .await?;
        if ended.is_continue() {
            return Err(AgentError::transient(
                "the stream ended before `message_stop`: the reply was truncated",
            ));
        }
        Ok(fold.into_reply())
    }
}

/// Reads a `message` body into a reply.
pub(super) fn parse_reply(body: &[u8], key: Option<&str>) -> Result<AgentReply, AgentError> {
    let response: MessageResponse = match serde_json::from_slice(body) {
        Ok(response) => response,
        Err(err) => {
            // A 200 carrying an error object, as some gateways send.
            let value: Option<serde_json::Value> = serde_json::from_slice(body).ok();
            if let Some(value) = value.filter(|v| v["type"] == "error") {
                return Err(error::from_event(&value["error"], key));
            }
            return Err(AgentError::malformed(format!(
                "the reply is not a Messages API message: {err}"
            )));
        }
    };
    let mut reply = AgentReply::text(response.text()).with_tool_calls(response.calls());
    if let Some(reason) = response.stop_reason.as_deref() {
        reply = reply.with_stop_reason(tools::stop_reason(reason));
    }
    if let Some(model) = response.model {
        reply = reply.with_model(model);
    }
    if let Some(usage) = response.usage.and_then(WireUsage::usage) {
        reply = reply.with_usage(usage);
    }
    Ok(reply)
}

/// A streamed reply, built up event by event.
struct StreamFold {
    started: Instant,
    text: String,
    model: Option<String>,
    usage: WireUsage,
    first_token: Option<Duration>,
    calls: PartialCalls,
    stop_reason: Option<String>,
}

impl StreamFold {
    fn new(started: Instant) -> Self {
        Self {
            started,
            text: String::new(),
            model: None,
            usage: WireUsage::default(),
            first_token: None,
            calls: PartialCalls::default(),
            stop_reason: None,
        }
    }

    /// Takes one event's data; breaks at `message_stop`.
    fn event(&mut self, data: &str, key: Option<&str>) -> Result<ControlFlow<()>, AgentError> {
        let event: StreamEvent = serde_json::from_str(data).map_err(|err| {
            AgentError::malformed(format!(
                "the stream holds an event that is not a Messages API event: {err}"
            ))
        })?;
        match event {
            StreamEvent::MessageStart { message } => {
                self.model = message.model;
                self.merge_usage(message.usage);
            }
            StreamEvent::ContentBlockStart {
                index,
                content_block,
            } => match content_block.kind.as_str() {
                "text" => self.push_text(content_block.text.as_deref().unwrap_or("")),
                "tool_use" => {
                    self.calls.start(
                        index,
                        content_block.id.as_deref(),
                        content_block.name.as_deref(),
                    );
                    // The input comes in `input_json_delta`s; a start block that already
                    // holds a non-empty input is taken as it is.
                    if let Some(input) = content_block
                        .input
                        .filter(|i| i.as_object().is_some_and(|o| !o.is_empty()))
                    {
                        self.calls.set_arguments(index, &input.to_string());
                    }
                }
                _ => {}
            },
            StreamEvent::ContentBlockDelta { index, delta } => match delta.kind.as_str() {
                "text_delta" => self.push_text(delta.text.as_deref().unwrap_or("")),
                "input_json_delta" => {
                    let piece = delta.partial_json.as_deref().unwrap_or("");
                    if !piece.is_empty() && self.first_token.is_none() {
                        self.first_token = Some(self.started.elapsed());
                    }
                    self.calls.push_arguments(index, piece);
                }
                _ => {}
            },
            StreamEvent::MessageDelta { delta, usage } => {
                self.merge_usage(usage);
                if delta.stop_reason.is_some() {
                    self.stop_reason = delta.stop_reason;
                }
            }
            StreamEvent::MessageStop => return Ok(ControlFlow::Break(())),
            StreamEvent::Error { error } => return Err(error::from_event(&error, key)),
            StreamEvent::Other => {}
        }
        Ok(ControlFlow::Continue(()))
    }

    fn push_text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        if self.first_token.is_none() {
            self.first_token = Some(self.started.elapsed());
        }
        self.text.push_str(text);
    }

    /// Later counts replace earlier ones: `message_delta`'s output tokens are cumulative.
    fn merge_usage(&mut self, usage: WireUsage) {
        self.usage.input_tokens = usage.input_tokens.or(self.usage.input_tokens);
        self.usage.output_tokens = usage.output_tokens.or(self.usage.output_tokens);
    }

    fn into_reply(self) -> AgentReply {
        let mut reply = AgentReply::text(self.text).with_tool_calls(self.calls.finish());
        if let Some(reason) = self.stop_reason.as_deref() {
            reply = reply.with_stop_reason(tools::stop_reason(reason));
        }
        if let Some(model) = self.model {
            reply = reply.with_model(model);
        }
        if let Some(usage) = self.usage.usage() {
            reply = reply.with_usage(usage);
        }
        reply.time_to_first_token = self.first_token;
        reply
    }
}

#[async_trait]
impl Agent for AnthropicAgent {
    fn name(&self) -> &str {
        &self.endpoint.name
    }

    fn capabilities(&self) -> AgentCapabilities {
        self.endpoint.capabilities()
    }

    async fn respond(&self, request: &AgentRequest) -> Result<AgentReply, AgentError> {
        self.endpoint.respond(self, request).await
    }

    /// The Message Batches API.
    fn batch(&self) -> Option<&dyn BatchApi> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use benchcore::{AgentErrorKind, Usage};

    #[test]
    fn replies_are_read() {
        let body = br#"{"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
            "content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": 3, "output_tokens": 1}}"#;
        let reply = parse_reply(body, None).unwrap();
        assert_eq!(reply.text, "hi");
        assert_eq!(reply.model.as_deref(), Some("claude-x"));
        assert_eq!(reply.usage, Some(Usage::new(3, 1)));
        assert_eq!(reply.time_to_first_token, None);
    }

    #[test]
    fn unreadable_replies_are_malformed_and_error_objects_are_classified() {
        for body in [&b"{\"id\": \"msg_"[..], b"{}", b"[]", b""] {
            let err = parse_reply(body, None).unwrap_err();
            assert_eq!(err.kind, AgentErrorKind::MalformedReply);
        }
        let err = parse_reply(
            br#"{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}"#,
            None,
        )
        .unwrap_err();
        assert_eq!(err.kind, AgentErrorKind::Transient);
    }

    #[test]
    fn a_stream_folds_into_a_reply() {
        let mut fold = StreamFold::new(Instant::now());
        let events = [
            r#"{"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant", "content": [], "model": "claude-x", "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 25, "output_tokens": 1}}}"#,
            r#"{"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}"#,
            r#"{"type": "ping"}"#,
            r#"{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}}"#,
            r#"{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "!"}}"#,
            r#"{"type": "content_block_stop", "index": 0}"#,
            r#"{"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "t", "name": "f", "input": {}}}"#,
            r#"{"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"a\""}}"#,
            r#"{"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 15}}"#,
        ];
        for data in events {
            assert!(fold.event(data, None).unwrap().is_continue(), "{data}");
        }
        assert!(fold
            .event(r#"{"type": "message_stop"}"#, None)
            .unwrap()
            .is_break());
        let reply = fold.into_reply();
        assert_eq!(reply.text, "Hello!");
        assert_eq!(reply.usage, Some(Usage::new(25, 15)));
        assert_eq!(reply.model.as_deref(), Some("claude-x"));
        assert!(reply.time_to_first_token.is_some());
    }

    #[test]
    fn stream_errors_and_garbage() {
        let mut fold = StreamFold::new(Instant::now());
        let err = fold
            .event(
                r#"{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}"#,
                None,
            )
            .unwrap_err();
        assert_eq!(err.kind, AgentErrorKind::Transient);
        let err = fold.event("{\"type\": \"content_blo", None).unwrap_err();
        assert_eq!(err.kind, AgentErrorKind::MalformedReply);
        let err = fold.event(r#"{"no_type": 1}"#, None).unwrap_err();
        assert_eq!(err.kind, AgentErrorKind::MalformedReply);
    }
}
