//! The Chat Completions wire format, as the OpenAI API reference documents it: only the
//! fields this agent sends or reads.

use super::tools::{self, ChatTool, DeltaToolCall, WireToolCall};
use crate::http::Outgoing;
use benchcore::agent::StopReason;
use benchcore::{AgentReply, Message, Role, Usage};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// The body of `POST /chat/completions`.
#[derive(Debug, Serialize)]
pub(crate) struct ChatRequest<'a> {
    pub(crate) model: &'a str,
    pub(crate) messages: Vec<ChatMessage<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) temperature: Option<f64>,
    /// `max_tokens` rather than the newer `max_completion_tokens`: every compatible server
    /// understands it, and OpenAI still accepts it for chat models.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) seed: Option<u64>,
    pub(crate) stream: bool,
    /// With `stream`, asks for a last chunk carrying the usage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) stream_options: Option<StreamOptions>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) tools: Vec<ChatTool<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tool_choice: Option<serde_json::Value>,
}

/// `stream_options` of a streamed request.
#[derive(Debug, Serialize)]
pub(crate) struct StreamOptions {
    pub(crate) include_usage: bool,
}

impl<'a> ChatRequest<'a> {
    pub(crate) fn new(model: &'a str, outgoing: &Outgoing<'a>, stream: bool) -> Self {
        let sampling = outgoing.sampling;
        Self {
            model,
            messages: outgoing.messages.iter().map(ChatMessage::new).collect(),
            temperature: sampling.temperature,
            max_tokens: sampling.max_tokens,
            seed: sampling.seed,
            stream,
            stream_options: stream.then_some(StreamOptions {
                include_usage: true,
            }),
            tools: outgoing.tools.iter().map(ChatTool::new).collect(),
            tool_choice: outgoing
                .tool_choice
                .filter(|_| !outgoing.tools.is_empty())
                .map(tools::tool_choice),
        }
    }
}

/// One message of the request. An assistant message that only calls tools has `null`
/// content; a tool result is a `tool` message naming its call (the wire format has no
/// error flag, so an error result says so in its text).
#[derive(Debug, Serialize)]
pub(crate) struct ChatMessage<'a> {
    pub(crate) role: &'static str,
    pub(crate) content: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) tool_calls: Vec<WireToolCall>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tool_call_id: Option<&'a str>,
}

impl<'a> ChatMessage<'a> {
    fn new(message: &'a Message) -> Self {
        let text = Cow::Borrowed(message.content.as_str());
        match (message.role, message.tool_call_id.as_deref()) {
            (Role::Tool, Some(id)) => Self {
                role: "tool",
                content: Some(if message.is_error {
                    Cow::Owned(format!("Error: {}", message.content))
                } else {
                    text
                }),
                tool_calls: Vec::new(),
                tool_call_id: Some(id),
            },
            (Role::Assistant, _) if !message.tool_calls.is_empty() => Self {
                role: "assistant",
                content: (!message.content.is_empty()).then_some(text),
                tool_calls: message
                    .tool_calls
                    .iter()
                    .map(WireToolCall::from_call)
                    .collect(),
                tool_call_id: None,
            },
            (role, _) => Self {
                // A tool's output that answers no call reads as the user's words.
                role: if role == Role::Tool {
                    "user"
                } else {
                    role.as_str()
                },
                content: Some(text),
                tool_calls: Vec::new(),
                tool_call_id: None,
            },
        }
    }
}

/// A `chat.completion` object.
#[derive(Debug, Deserialize)]
pub(crate) struct ChatResponse {
    #[serde(default)]
    pub(crate) model: Option<String>,
    pub(crate) choices: Vec<Choice>,
    #[serde(default)]
    pub(crate) usage: Option<WireUsage>,
}

/// One choice; this agent asks for one (`n` unset) and reads the first.
#[derive(Debug, Deserialize)]
pub(crate) struct Choice {
    pub(crate) message: ChoiceMessage,
    #[serde(default)]
    pub(crate) finish_reason: Option<String>,
}

/// The assistant's message.
#[derive(Debug, Deserialize)]
pub(crate) struct ChoiceMessage {
    /// `null` when the model answered only with tool calls or a refusal; some servers send a
    /// list of content parts instead of a string.
    #[serde(default)]
    pub(crate) content: Option<Content>,
    #[serde(default)]
    pub(crate) tool_calls: Option<Vec<WireToolCall>>,
    /// The model's refusal, in place of content.
    #[serde(default)]
    pub(crate) refusal: Option<String>,
}

/// Message content: a string, or a list of parts whose text parts are joined.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum Content {
    Text(String),
    Parts(Vec<ContentPart>),
}

impl Content {
    pub(crate) fn into_text(self) -> String {
        match self {
            Content::Text(text) => text,
            Content::Parts(parts) => parts.into_iter().filter_map(|p| p.text).collect(),
        }
    }
}

/// One part of a list of content parts.
#[derive(Debug, Deserialize)]
pub(crate) struct ContentPart {
    #[serde(default)]
    pub(crate) text: Option<String>,
}

/// One `chat.completion.chunk` of a streamed reply.
#[derive(Debug, Deserialize)]
pub(crate) struct ChatChunk {
    #[serde(default)]
    pub(crate) model: Option<String>,
    /// Empty in the last chunk, which carries the usage.
    pub(crate) choices: Vec<ChunkChoice>,
    #[serde(default)]
    pub(crate) usage: Option<WireUsage>,
}

/// One choice of a chunk.
#[derive(Debug, Deserialize)]
pub(crate) struct ChunkChoice {
    #[serde(default)]
    pub(crate) delta: Option<ChunkDelta>,
    #[serde(default)]
    pub(crate) finish_reason: Option<String>,
}

/// What a chunk adds to the message.
#[derive(Debug, Deserialize)]
pub(crate) struct ChunkDelta {
    #[serde(default)]
    pub(crate) content: Option<String>,
    #[serde(default)]
    pub(crate) tool_calls: Option<Vec<DeltaToolCall>>,
    #[serde(default)]
    pub(crate) refusal: Option<String>,
}

/// Token usage, plus the cost in US dollars when the provider reports it (OpenRouter does).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WireUsage {
    #[serde(default)]
    pub(crate) prompt_tokens: Option<u64>,
    #[serde(default)]
    pub(crate) completion_tokens: Option<u64>,
    #[serde(default)]
    pub(crate) cost: Option<f64>,
}

/// Why a completion ended: its `finish_reason`, or a refusal when the model refused.
pub(crate) fn stop_reason(finish_reason: Option<&str>, refused: bool) -> Option<StopReason> {
    if refused {
        return Some(StopReason::Refusal);
    }
    finish_reason.map(tools::stop_reason)
}

/// A reply of `text` with the model and the usage (and cost) a completion reports, whole or
/// streamed.
pub(crate) fn reply(text: String, model: Option<String>, usage: Option<WireUsage>) -> AgentReply {
    let mut reply = AgentReply::text(text);
    if let Some(model) = model {
        reply = reply.with_model(model);
    }
    if let Some(usage) = usage {
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
    reply
}

#[cfg(test)]
mod tests {
    use super::*;
    use benchcore::agent::{ToolCall, ToolChoice, ToolSpec};
    use benchcore::Sampling;

    #[test]
    fn tools_calls_and_results_have_the_reference_shape() {
        let messages = [
            Message::user("What is 2+3?"),
            Message::assistant_calls(
                "",
                vec![ToolCall::new(
                    "call_1",
                    "add",
                    serde_json::json!({"a": 2, "b": 3}),
                )],
            ),
            Message::tool_result("call_1", "5", false),
            Message::tool_result("call_2", "no such city", true),
        ];
        let tools = [ToolSpec::new(
            "add",
            "",
            serde_json::json!({"type": "object"}),
        )];
        let sampling = Sampling::default();
        let choice = ToolChoice::Required;
        let request = Outgoing {
            messages: &messages,
            sampling: &sampling,
            tools: &tools,
            tool_choice: Some(&choice),
        };
        let body = serde_json::to_value(ChatRequest::new("m", &request, false)).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "model": "m",
                "messages": [
                    {"role": "user", "content": "What is 2+3?"},
                    {"role": "assistant", "content": null, "tool_calls": [
                        {"id": "call_1", "type": "function", "function": {"name": "add", "arguments": "{\"a\":2,\"b\":3}"}}
                    ]},
                    {"role": "tool", "content": "5", "tool_call_id": "call_1"},
                    {"role": "tool", "content": "Error: no such city", "tool_call_id": "call_2"}
                ],
                "stream": false,
                "tools": [{"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}],
                "tool_choice": "required"
            })
        );
    }

    #[test]
    fn request_matches_the_reference_shape() {
        let messages = [Message::system("Be brief."), Message::user("Hi")];
        let mut sampling = Sampling::default();
        sampling.temperature = Some(0.5);
        sampling.seed = Some(7);
        let body = serde_json::to_value(ChatRequest::new(
            "gpt-4o-mini",
            &Outgoing::plain(&messages, &sampling),
            false,
        ))
        .unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "model": "gpt-4o-mini",
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Hi"}
                ],
                "temperature": 0.5,
                "seed": 7,
                "stream": false
            })
        );
    }

    #[test]
    fn a_streamed_request_asks_for_usage() {
        let messages = [Message::user("Hi")];
        let sampling = Sampling::default();
        let body = serde_json::to_value(ChatRequest::new(
            "m",
            &Outgoing::plain(&messages, &sampling),
            true,
        ))
        .unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "model": "m",
                "messages": [{"role": "user", "content": "Hi"}],
                "stream": true,
                "stream_options": {"include_usage": true}
            })
        );
    }

    #[test]
    fn chunks_read_the_reference_shape() {
        let chunk: ChatChunk = serde_json::from_str(
            r#"{"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1694268190,
                "model": "gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb",
                "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hel"}, "logprobs": null, "finish_reason": null}],
                "usage": null}"#,
        )
        .unwrap();
        let choice = &chunk.choices[0];
        assert_eq!(
            choice.delta.as_ref().unwrap().content.as_deref(),
            Some("Hel")
        );
        assert_eq!(choice.finish_reason, None);
        let last: ChatChunk = serde_json::from_str(
            r#"{"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1694268190, "model": "gpt-4o-mini",
                "choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11}}"#,
        )
        .unwrap();
        assert!(last.choices.is_empty());
        assert_eq!(last.usage.unwrap().completion_tokens, Some(2));
    }

    #[test]
    fn response_reads_the_reference_shape() {
        let body = r#"{
            "id": "chatcmpl-123", "object": "chat.completion", "created": 1677652288,
            "model": "gpt-4o-mini-2024-07-18", "system_fingerprint": "fp_44709d6fcb",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello!", "refusal": null},
                         "logprobs": null, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21,
                      "completion_tokens_details": {"reasoning_tokens": 0}}
        }"#;
        let reply: ChatResponse = serde_json::from_str(body).unwrap();
        assert_eq!(reply.model.as_deref(), Some("gpt-4o-mini-2024-07-18"));
        let usage = reply.usage.unwrap();
        assert_eq!(
            (usage.prompt_tokens, usage.completion_tokens, usage.cost),
            (Some(9), Some(12), None)
        );
        let content = reply
            .choices
            .into_iter()
            .next()
            .unwrap()
            .message
            .content
            .unwrap();
        assert_eq!(content.into_text(), "Hello!");
    }

    #[test]
    fn content_parts_are_joined() {
        let content: Content = serde_json::from_str(
            r#"[{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]"#,
        )
        .unwrap();
        assert_eq!(content.into_text(), "ab");
    }
}
