//! A streamed Chat Completions reply, built up chunk by chunk: `data:` events until
//! `[DONE]`, the first choice's `delta.content` joined, the usage from the last chunk.

use super::error;
use super::wire::{self, ChatChunk, WireUsage};
use crate::tool_calls::PartialCalls;
use benchcore::{AgentError, AgentReply};
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

/// The reply so far.
pub(crate) struct ChatStreamFold {
    started: Instant,
    text: String,
    model: Option<String>,
    usage: Option<WireUsage>,
    first_token: Option<Duration>,
    finished: bool,
    finish_reason: Option<String>,
    refusal: String,
    calls: PartialCalls,
}

impl ChatStreamFold {
    /// A fold timing the first token from `started`, when the request was sent.
    pub(crate) fn new(started: Instant) -> Self {
        Self {
            started,
            text: String::new(),
            model: None,
            usage: None,
            first_token: None,
            finished: false,
            finish_reason: None,
            refusal: String::new(),
            calls: PartialCalls::default(),
        }
    }

    /// Takes one event's data; breaks at `[DONE]`. An error object in the stream (as
    /// gateways send when the upstream fails mid-reply) is classified like an error body.
    pub(crate) fn event(
        &mut self,
        data: &str,
        key: Option<&str>,
    ) -> Result<ControlFlow<()>, AgentError> {
        let data = data.trim();
        if data == "[DONE]" {
            return Ok(ControlFlow::Break(()));
        }
        let chunk: ChatChunk = match serde_json::from_str(data) {
            Ok(chunk) => chunk,
            // An error object has no `choices`, so it is never a chunk.
            Err(err) => {
                return Err(error::embedded(data.as_bytes(), key).unwrap_or_else(|| {
                    AgentError::malformed(format!(
                        "the stream holds an event that is not a chat completion chunk: {err}"
                    ))
                }))
            }
        };
        if chunk.model.is_some() {
            self.model = chunk.model;
        }
        if chunk.usage.is_some() {
            self.usage = chunk.usage;
        }
        if let Some(choice) = chunk.choices.into_iter().next() {
            if let Some(delta) = choice.delta {
                if let Some(content) = delta.content {
                    self.mark_first_token(&content);
                    self.text.push_str(&content);
                }
                if let Some(refusal) = delta.refusal {
                    self.refusal.push_str(&refusal);
                }
                for call in delta.tool_calls.unwrap_or_default() {
                    let function = call.function.as_ref();
                    self.calls.start(
                        call.index,
                        call.id.as_deref(),
                        function.and_then(|f| f.name.as_deref()),
                    );
                    if let Some(piece) = function.and_then(|f| f.arguments.as_deref()) {
                        self.mark_first_token(piece);
                        self.calls.push_arguments(call.index, piece);
                    }
                }
            }
            if choice.finish_reason.is_some() {
                self.finished = true;
                self.finish_reason = choice.finish_reason;
            }
        }
        Ok(ControlFlow::Continue(()))
    }

    /// The reply, once the stream has ended: at `[DONE]`, or at the end of the body after a
    /// `finish_reason` (some servers send no `[DONE]`). A stream that ended before either
    /// was cut off: `Transient`.
    fn mark_first_token(&mut self, piece: &str) {
        if !piece.is_empty() && self.first_token.is_none() {
            self.first_token = Some(self.started.elapsed());
        }
    }

    pub(crate) fn into_reply(self, saw_done: bool) -> Result<AgentReply, AgentError> {
        if !saw_done && !self.finished {
            return Err(AgentError::transient(
                "the stream ended before `[DONE]`: the reply was truncated",
            ));
        }
        let refused = !self.refusal.is_empty();
        let text = if self.text.is_empty() && refused {
            self.refusal
        } else {
            self.text
        };
        let mut reply =
            wire::reply(text, self.model, self.usage).with_tool_calls(self.calls.finish());
        reply.stop_reason =
            wire::stop_reason(self.finish_reason.as_deref(), refused).or(reply.stop_reason);
        reply.time_to_first_token = self.first_token;
        Ok(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use benchcore::{AgentErrorKind, Usage};

    const CHUNKS: [&str; 5] = [
        r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-x","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}"#,
        r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-x","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}],"usage":null}"#,
        r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-x","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":null}],"usage":null}"#,
        r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-x","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}"#,
        r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-x","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}"#,
    ];

    #[test]
    fn chunks_fold_into_a_reply() {
        let mut fold = ChatStreamFold::new(Instant::now());
        for chunk in CHUNKS {
            assert!(fold.event(chunk, None).unwrap().is_continue());
        }
        assert!(fold.event("[DONE]", None).unwrap().is_break());
        let reply = fold.into_reply(true).unwrap();
        assert_eq!(reply.text, "Hello");
        assert_eq!(reply.usage, Some(Usage::new(9, 2)));
        assert_eq!(reply.model.as_deref(), Some("gpt-x"));
        assert!(reply.time_to_first_token.is_some());
    }

    #[test]
    fn a_stream_without_done_needs_a_finish_reason() {
        let mut fold = ChatStreamFold::new(Instant::now());
        assert!(fold.event(CHUNKS[1], None).unwrap().is_continue());
        let err = fold.into_reply(false).unwrap_err();
        assert_eq!(err.kind, AgentErrorKind::Transient);
        let mut fold = ChatStreamFold::new(Instant::now());
        for chunk in &CHUNKS[..4] {
            assert!(fold.event(chunk, None).unwrap().is_continue());
        }
        let reply = fold.into_reply(false).unwrap();
        assert_eq!((reply.text.as_str(), reply.usage), ("Hello", None));
    }

    #[test]
    fn errors_and_garbage_in_the_stream() {
        let mut fold = ChatStreamFold::new(Instant::now());
        let err = fold
            .event(
                r#"{"error": {"message": "The server had an error", "type": "server_error", "code": null}}"#,
                None,
            )
            .unwrap_err();
        assert_eq!(err.kind, AgentErrorKind::Transient);
        for garbage in ["{\"id\": \"chatcmpl-", "{}", "[1]", "hello"] {
            let err = fold.event(garbage, None).unwrap_err();
            assert_eq!(err.kind, AgentErrorKind::MalformedReply, "{garbage}");
        }
    }
}
