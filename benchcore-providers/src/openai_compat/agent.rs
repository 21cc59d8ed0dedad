//! [`OpenAiCompatAgent`]: one Chat Completions exchange per request, whole or streamed, or
//! one Responses API exchange for a managed prompt.

use super::api::Api;
use super::error;
use super::responses::{self, ResponsesRequest, ResponsesStreamFold};
use super::stream::ChatStreamFold;
use super::tools::WireToolCall;
use super::wire::{self, ChatRequest, ChatResponse, Content};
use crate::http::{ChatProvider, Classify, Endpoint, Outgoing, Reply};
use crate::sse;
use async_trait::async_trait;
use benchcore::agent::BatchApi;
use benchcore::{Agent, AgentCapabilities, AgentError, AgentReply, AgentRequest};
use std::time::Instant;

/// An agent that sends each request to `POST {base_url}/chat/completions` once and reads
/// the first choice, or, for a managed prompt, to `POST {base_url}/responses`. Build it from
/// an [`OpenAiCompatConfig`](super::OpenAiCompatConfig) or one of the presets.
///
/// With `stream` on it reads the reply as server-sent events and records the time to the
/// first token. It never retries (the engine does, from the error's kind), stops at the
/// request's deadline with a `Timeout` error, and is safe to drop at any point.
#[derive(Debug)]
pub struct OpenAiCompatAgent {
    endpoint: Endpoint,
    provider: &'static str,
    api: Api,
    model: String,
}

impl OpenAiCompatAgent {
    pub(crate) fn new(endpoint: Endpoint, provider: &'static str, api: Api, model: String) -> Self {
        Self {
            endpoint,
            provider,
            api,
            model,
        }
    }

    /// The model requests name; empty for a managed prompt answered by its own model.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Whether replies are streamed.
    pub fn streams(&self) -> bool {
        self.endpoint.stream
    }

    /// The managed prompt's id, when requests go to the Responses API.
    pub fn prompt_id(&self) -> Option<&str> {
        match &self.api {
            Api::ChatCompletions => None,
            Api::Responses(prompt) => Some(&prompt.id),
        }
    }

    /// The URL requests go to.
    pub fn endpoint(&self) -> &str {
        self.endpoint.url.as_str()
    }

    /// Where and how requests go.
    pub(super) fn endpoint_ref(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Which preset built it (`openai`, `openrouter`, `nvidia`, `lmstudio`) or
    /// `openai_compatible`.
    pub fn provider(&self) -> &str {
        self.provider
    }
}

impl ChatProvider for OpenAiCompatAgent {
    const CLASSIFY: Classify = error::from_status;

    /// The request body for this agent's API.
    fn body(&self, outgoing: &Outgoing<'_>) -> serde_json::Result<Vec<u8>> {
        let stream = self.endpoint.stream;
        match &self.api {
            Api::ChatCompletions => {
                serde_json::to_vec(&ChatRequest::new(&self.model, outgoing, stream))
            }
            Api::Responses(prompt) => serde_json::to_vec(&ResponsesRequest::new(
                &self.model,
                prompt,
                outgoing,
                stream,
            )),
        }
    }

    /// Reads a successful reply: a stream event by event, or a whole body.
    async fn read(&self, reply: Reply, started: Instant) -> Result<AgentReply, AgentError> {
        let key = self.endpoint.key();
        let limit = self.endpoint.max_response_bytes;
        match (reply, &self.api) {
            (Reply::Stream(response), Api::ChatCompletions) => {
                let mut fold = ChatStreamFold::new(started);
                let ended =
                    sse::read_events(response, limit, |event| fold.event(&event.data, key)).await?;
                fold.into_reply(ended.is_break())
            }
            (Reply::Stream(response), Api::Responses(_)) => {
                let mut fold = ResponsesStreamFold::new(started);
                // The fold knows whether `response.completed` arrived.
                let _ended =
                    sse::read_events(response, limit, |event| fold.event(&event.data, key)).await?;
                fold.into_reply()
            }
            (Reply::Body(body), Api::ChatCompletions) => parse_reply(&body, key),
            (Reply::Body(body), Api::Responses(_)) => responses::parse_reply(&body, key),
        }
    }
}

/// Reads a `chat.completion` body into a reply.
pub(super) fn parse_reply(body: &[u8], key: Option<&str>) -> Result<AgentReply, AgentError> {
    let response: ChatResponse = match serde_json::from_slice(body) {
        Ok(response) => response,
        Err(err) => {
            return Err(error::embedded(body, key).unwrap_or_else(|| {
                AgentError::malformed(format!("the reply is not a chat completion: {err}"))
            }))
        }
    };
    let choice = response
        .choices
        .into_iter()
        .next()
        .ok_or_else(|| AgentError::malformed("the reply has no choices"))?;
    let message = choice.message;
    let refusal = message.refusal.filter(|r| !r.is_empty());
    let text = match (message.content.map(Content::into_text), &refusal) {
        (Some(text), _) if !text.is_empty() => text,
        (_, Some(refusal)) => refusal.clone(),
        (text, None) => text.unwrap_or_default(),
    };
    let calls = message.tool_calls.unwrap_or_default();
    let mut reply = wire::reply(text, response.model, response.usage)
        .with_tool_calls(calls.into_iter().map(WireToolCall::into_call).collect());
    reply.stop_reason =
        wire::stop_reason(choice.finish_reason.as_deref(), refusal.is_some()).or(reply.stop_reason);
    Ok(reply)
}

#[async_trait]
impl Agent for OpenAiCompatAgent {
    fn name(&self) -> &str {
        &self.endpoint.name
    }

    fn capabilities(&self) -> AgentCapabilities {
        let mut capabilities = self.endpoint.capabilities();
        // The Responses API takes no seed, and a managed prompt fixes the reply's format.
        let chat = self.api == Api::ChatCompletions;
        capabilities.seed = chat;
        capabilities.json_mode = chat;
        capabilities
    }

    async fn respond(&self, request: &AgentRequest) -> Result<AgentReply, AgentError> {
        self.endpoint.respond(self, request).await
    }

    /// OpenAI's Batch API, for Chat Completions at OpenAI and at OpenAI-compatible servers
    /// (a gateway that has no `/batches` refuses the upload); other presets have none.
    fn batch(&self) -> Option<&dyn BatchApi> {
        let offered = self.api == Api::ChatCompletions
            && matches!(self.provider, "openai" | "openai_compatible");
        offered.then_some(self as &dyn BatchApi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use benchcore::{AgentErrorKind, Usage};

    #[test]
    fn replies_are_read() {
        let body = br#"{"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m-1",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4, "cost": 0.0012}}"#;
        let reply = parse_reply(body, None).unwrap();
        assert_eq!(reply.text, "hi");
        assert_eq!(reply.model.as_deref(), Some("m-1"));
        assert_eq!(reply.usage, Some(Usage::new(3, 1)));
        assert_eq!(reply.cost_usd, Some(0.0012));
    }

    #[test]
    fn null_content_is_empty_text() {
        let body =
            br#"{"choices": [{"index": 0, "message": {"role": "assistant", "content": null}}]}"#;
        let reply = parse_reply(body, None).unwrap();
        assert_eq!(reply.text, "");
        assert_eq!(reply.usage, None);
    }

    #[test]
    fn unreadable_replies_are_malformed() {
        for body in [
            &b"{\"id\": \"chatcmpl-"[..],
            b"{}",
            b"{\"choices\": []}",
            b"[]",
            b"",
        ] {
            let err = parse_reply(body, None).unwrap_err();
            assert_eq!(
                err.kind,
                AgentErrorKind::MalformedReply,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        let err = parse_reply(b"{\"object\": \"chat.completion\"}", None).unwrap_err();
        assert!(
            err.message.contains("missing field `choices`"),
            "{}",
            err.message
        );
    }
}
