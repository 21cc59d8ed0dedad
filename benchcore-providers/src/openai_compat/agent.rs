//! [`OpenAiCompatAgent`]: one Chat Completions exchange per request, whole or streamed, or
//! one Responses API exchange for a managed prompt.

use super::error;
use super::responses::{self, ResponsesRequest, ResponsesStreamFold};
use super::stream::ChatStreamFold;
use super::wire::{ChatRequest, ChatResponse, Content};
use crate::prompt::with_system_prompt;
use crate::{http, sse};
use async_trait::async_trait;
use benchcore::{
    Agent, AgentCapabilities, AgentError, AgentErrorKind, AgentReply, AgentRequest, Sampling,
    Secret, Usage,
};
use reqwest::header::CONTENT_TYPE;
use reqwest::Url;
use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

/// An agent that sends each request to `POST {base_url}/chat/completions` once and reads
/// the first choice, or, for a managed prompt, to `POST {base_url}/responses`. Build it from
/// an [`OpenAiCompatConfig`](super::OpenAiCompatConfig) or one of the presets.
///
/// With `stream` on it reads the reply as server-sent events and records the time to the
/// first token. It never retries (the engine does, from the error's kind), stops at the
/// request's deadline with a `Timeout` error, and is safe to drop at any point.
pub struct OpenAiCompatAgent {
    name: String,
    provider: &'static str,
    endpoint: Url,
    api: Api,
    model: String,
    api_key: Option<Secret>,
    key_source: String,
    defaults: Sampling,
    timeout: Option<Duration>,
    max_response_bytes: u64,
    stream: bool,
    system_prompt: Option<String>,
    client: reqwest::Client,
}

/// Which API the agent speaks.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Api {
    /// `POST {base_url}/chat/completions`.
    ChatCompletions,
    /// `POST {base_url}/responses` with this managed prompt.
    Responses(Prompt),
}

/// A managed prompt, checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Prompt {
    pub(crate) id: String,
    pub(crate) version: Option<String>,
    pub(crate) variables: BTreeMap<String, String>,
}

/// Everything a config resolved, ready to build an agent from.
pub(crate) struct Parts {
    pub(crate) name: String,
    pub(crate) provider: &'static str,
    pub(crate) endpoint: Url,
    pub(crate) api: Api,
    pub(crate) model: String,
    pub(crate) api_key: Option<Secret>,
    /// Where the key came from, said in auth errors (never the key).
    pub(crate) key_source: String,
    pub(crate) defaults: Sampling,
    pub(crate) timeout: Option<Duration>,
    pub(crate) max_response_bytes: u64,
    pub(crate) stream: bool,
    pub(crate) system_prompt: Option<String>,
    pub(crate) client: reqwest::Client,
}

impl OpenAiCompatAgent {
    pub(crate) fn new(parts: Parts) -> Self {
        Self {
            name: parts.name,
            provider: parts.provider,
            endpoint: parts.endpoint,
            api: parts.api,
            model: parts.model,
            api_key: parts.api_key,
            key_source: parts.key_source,
            defaults: parts.defaults,
            timeout: parts.timeout,
            max_response_bytes: parts.max_response_bytes,
            stream: parts.stream,
            system_prompt: parts.system_prompt,
            client: parts.client,
        }
    }

    /// The model requests name; empty for a managed prompt answered by its own model.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Whether replies are streamed.
    pub fn streams(&self) -> bool {
        self.stream
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
        self.endpoint.as_str()
    }

    /// Which preset built it (`openai`, `openrouter`, `nvidia`, `lmstudio`) or
    /// `openai_compatible`.
    pub fn provider(&self) -> &str {
        self.provider
    }

    fn key(&self) -> Option<&str> {
        self.api_key.as_ref().map(Secret::expose)
    }

    /// The request body for this agent's API.
    fn body(&self, request: &AgentRequest) -> Result<Vec<u8>, serde_json::Error> {
        let sampling = request.sampling.or(&self.defaults);
        let messages = with_system_prompt(self.system_prompt.as_deref(), &request.messages);
        match &self.api {
            Api::ChatCompletions => serde_json::to_vec(&ChatRequest::new(
                &self.model,
                &messages,
                &sampling,
                self.stream,
            )),
            Api::Responses(prompt) => serde_json::to_vec(&ResponsesRequest::new(
                &self.model,
                prompt,
                &messages,
                &sampling,
                self.stream,
            )),
        }
    }

    async fn exchange(&self, body: Vec<u8>, started: Instant) -> Result<AgentReply, AgentError> {
        let response = self
            .client
            .post(self.endpoint.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(http::error_from_reqwest)?;
        let status = response.status();
        if !status.is_success() {
            let headers = response.headers().clone();
            let body = http::read_error_body(response).await;
            let mut err = error::from_status(status.as_u16(), &headers, &body, self.key());
            if matches!(status.as_u16(), 401 | 403) {
                err.message = format!("{} (sent {})", err.message, self.key_source);
            }
            return Err(err);
        }
        if self.stream && http::is_event_stream(&response) {
            let key = self.key();
            return match self.api {
                Api::ChatCompletions => {
                    let mut fold = ChatStreamFold::new(started);
                    let ended = sse::read_events(response, self.max_response_bytes, |event| {
                        fold.event(&event.data, key)
                    })
                    .await?;
                    fold.into_reply(ended.is_break())
                }
                Api::Responses(_) => {
                    let mut fold = ResponsesStreamFold::new(started);
                    // The fold knows whether `response.completed` arrived.
                    let _ended = sse::read_events(response, self.max_response_bytes, |event| {
                        fold.event(&event.data, key)
                    })
                    .await?;
                    fold.into_reply()
                }
            };
        }
        let body = http::read_body(response, self.max_response_bytes).await?;
        match self.api {
            Api::ChatCompletions => parse_reply(&body, self.key()),
            Api::Responses(_) => responses::parse_reply(&body, self.key()),
        }
    }
}

/// Reads a `chat.completion` body into a reply.
fn parse_reply(body: &[u8], key: Option<&str>) -> Result<AgentReply, AgentError> {
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
    let text = choice
        .message
        .content
        .map(Content::into_text)
        .unwrap_or_default();
    let mut reply = AgentReply::text(text);
    if let Some(model) = response.model {
        reply = reply.with_model(model);
    }
    if let Some(usage) = response.usage {
        if usage.prompt_tokens.is_some() || usage.completion_tokens.is_some() {
            reply = reply.with_usage(Usage::new(
                usage.prompt_tokens.unwrap_or(0),
                usage.completion_tokens.unwrap_or(0),
            ));
        }
        if let Some(cost) = usage.cost.filter(|c| c.is_finite() && *c >= 0.0) {
            reply = reply.with_cost(cost);
        }
    }
    Ok(reply)
}

#[async_trait]
impl Agent for OpenAiCompatAgent {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> AgentCapabilities {
        let mut capabilities = AgentCapabilities::default();
        // The Responses API takes no seed, and a managed prompt fixes the reply's format.
        let chat = self.api == Api::ChatCompletions;
        capabilities.seed = chat;
        capabilities.system_prompt = true;
        capabilities.json_mode = chat;
        capabilities.usage = true;
        capabilities.sampling = true;
        capabilities.context_errors = true;
        capabilities.remote = true;
        capabilities.streaming = self.stream;
        capabilities
    }

    async fn respond(&self, request: &AgentRequest) -> Result<AgentReply, AgentError> {
        let started = Instant::now();
        let result = async {
            let body = self.body(request).map_err(|err| {
                AgentError::new(
                    AgentErrorKind::BadRequest,
                    format!("cannot encode the request: {err}"),
                )
            })?;
            http::bounded(request.deadline, self.timeout, self.exchange(body, started)).await
        }
        .await;
        match result {
            Ok(reply) => Ok(reply.with_latency(started.elapsed())),
            Err(err) => Err(err.with_provider(self.name.clone())),
        }
    }
}

impl fmt::Debug for OpenAiCompatAgent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiCompatAgent")
            .field("name", &self.name)
            .field("provider", &self.provider)
            .field("endpoint", &self.endpoint.as_str())
            .field("api", &self.api)
            .field("model", &self.model)
            .field("api_key", &self.api_key)
            .field("defaults", &self.defaults)
            .field("timeout", &self.timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("stream", &self.stream)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
