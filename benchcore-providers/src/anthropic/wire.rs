//! The Messages API wire format, as Anthropic's API reference documents it: only the fields
//! this agent sends or reads.

use super::tools::{self, AnthropicTool, TurnMessage};
use crate::http::Outgoing;
use benchcore::agent::ToolCall;
use benchcore::{Role, Usage};
use serde::{Deserialize, Serialize};

/// The `max_tokens` sent when neither the request nor the config sets one: the Messages API
/// requires one.
pub(crate) const DEFAULT_MAX_TOKENS: u32 = 1024;

/// The body of `POST /v1/messages`.
#[derive(Debug, Serialize)]
pub(crate) struct MessagesRequest<'a> {
    pub(crate) model: &'a str,
    /// Required by the API.
    pub(crate) max_tokens: u32,
    /// The system prompt: its own top-level field, as the API has no `system` role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) system: Option<String>,
    pub(crate) messages: Vec<TurnMessage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) temperature: Option<f64>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) stream: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) tools: Vec<AnthropicTool<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tool_choice: Option<serde_json::Value>,
}

impl<'a> MessagesRequest<'a> {
    /// The request for `messages`: system messages joined into `system`; the rest as
    /// alternating `user` and `assistant` turns, consecutive messages of one role merged
    /// (tool output counts as the user's).
    pub(crate) fn new(
        model: &'a str,
        outgoing: &Outgoing<'a>,
        default_max_tokens: u32,
        stream: bool,
    ) -> Self {
        let messages = outgoing.messages;
        let system: Vec<&str> = messages
            .iter()
            .filter(|m| m.role == Role::System)
            .map(|m| m.content.as_str())
            .collect();
        let tools: Vec<AnthropicTool<'a>> = outgoing.tools.iter().map(AnthropicTool::new).collect();
        let tool_choice = outgoing
            .tool_choice
            .filter(|_| !tools.is_empty())
            .map(tools::tool_choice);
        Self {
            model,
            max_tokens: outgoing.sampling.max_tokens.unwrap_or(default_max_tokens),
            system: (!system.is_empty()).then(|| system.join("\n\n")),
            messages: tools::turns(messages),
            temperature: outgoing.sampling.temperature,
            stream,
            tools,
            tool_choice,
        }
    }
}

/// A `message` object: the reply.
#[derive(Debug, Deserialize)]
pub(crate) struct MessageResponse {
    #[serde(default)]
    pub(crate) model: Option<String>,
    pub(crate) content: Vec<ContentBlock>,
    #[serde(default)]
    pub(crate) usage: Option<WireUsage>,
    /// `end_turn`, `max_tokens`, `stop_sequence`, `tool_use`, `refusal` …; read for
    /// completeness, as a reply's text is the same whichever it is.
    #[serde(default)]
    pub(crate) stop_reason: Option<String>,
}

impl MessageResponse {
    /// The text blocks, joined; other blocks (tool use, thinking) are left out.
    pub(crate) fn text(&self) -> String {
        self.content
            .iter()
            .filter(|b| b.kind == "text")
            .filter_map(|b| b.text.as_deref())
            .collect()
    }

    /// The `tool_use` blocks as calls.
    pub(crate) fn calls(&self) -> Vec<ToolCall> {
        self.content
            .iter()
            .filter(|b| b.kind == "tool_use")
            .map(ContentBlock::call)
            .collect()
    }
}

/// One block of content.
#[derive(Debug, Deserialize)]
pub(crate) struct ContentBlock {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) text: Option<String>,
    /// A `tool_use` block's id, tool and input.
    #[serde(default)]
    pub(crate) id: Option<String>,
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) input: Option<serde_json::Value>,
}

impl ContentBlock {
    /// A `tool_use` block as a call.
    pub(crate) fn call(&self) -> ToolCall {
        ToolCall::new(
            self.id.clone().unwrap_or_default(),
            self.name.clone().unwrap_or_default(),
            self.input.clone().unwrap_or_else(|| serde_json::json!({})),
        )
    }
}

/// Token usage. In a stream, `message_start` carries the input tokens and each
/// `message_delta` the output tokens so far (and, lately, the input tokens again).
#[derive(Debug, Default, Clone, Copy, Deserialize)]
pub(crate) struct WireUsage {
    #[serde(default)]
    pub(crate) input_tokens: Option<u64>,
    #[serde(default)]
    pub(crate) output_tokens: Option<u64>,
}

impl WireUsage {
    pub(crate) fn usage(self) -> Option<Usage> {
        (self.input_tokens.is_some() || self.output_tokens.is_some()).then(|| {
            Usage::new(
                self.input_tokens.unwrap_or(0),
                self.output_tokens.unwrap_or(0),
            )
        })
    }
}

/// One event of a streamed reply, by its `type`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum StreamEvent {
    MessageStart {
        message: StartMessage,
    },
    ContentBlockStart {
        #[serde(default)]
        index: u64,
        content_block: ContentBlock,
    },
    ContentBlockDelta {
        #[serde(default)]
        index: u64,
        delta: Delta,
    },
    MessageDelta {
        #[serde(default)]
        delta: MessageDeltaBody,
        #[serde(default)]
        usage: WireUsage,
    },
    MessageStop,
    Error {
        error: serde_json::Value,
    },
    /// `ping`, `content_block_stop` and any event type added later.
    #[serde(other)]
    Other,
}

/// The message skeleton `message_start` carries.
#[derive(Debug, Deserialize)]
pub(crate) struct StartMessage {
    #[serde(default)]
    pub(crate) model: Option<String>,
    #[serde(default)]
    pub(crate) usage: WireUsage,
}

/// A content block's delta: text, or something this agent does not read (tool input JSON,
/// thinking).
#[derive(Debug, Deserialize)]
pub(crate) struct Delta {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) text: Option<String>,
    /// An `input_json_delta`'s piece of a tool call's input.
    #[serde(default)]
    pub(crate) partial_json: Option<String>,
}

/// What a `message_delta` changes: the stop reason, at the end.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct MessageDeltaBody {
    #[serde(default)]
    pub(crate) stop_reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use benchcore::{Message, Sampling};
    use serde_json::json;

    #[test]
    fn request_matches_the_reference_shape() {
        let messages = [
            Message::system("Be brief."),
            Message::user("Hi"),
            Message::system("Answer in French."),
        ];
        let sampling = Sampling::default().with_temperature(0.5);
        let body = serde_json::to_value(MessagesRequest::new(
            "claude-test",
            &Outgoing::plain(&messages, &sampling),
            1024,
            false,
        ))
        .unwrap();
        assert_eq!(
            body,
            json!({
                "model": "claude-test",
                "max_tokens": 1024,
                "system": "Be brief.\n\nAnswer in French.",
                "messages": [{"role": "user", "content": "Hi"}],
                "temperature": 0.5
            })
        );
    }

    #[test]
    fn turns_alternate_and_tool_output_is_the_users() {
        let messages = [
            Message::user("a"),
            Message::user("b"),
            Message::assistant("c"),
            Message::new(Role::Tool, "d"),
            Message::user("e"),
            Message::assistant("f"),
            Message::assistant("g"),
        ];
        let sampling = Sampling::default().with_max_tokens(9);
        let request = MessagesRequest::new("m", &Outgoing::plain(&messages, &sampling), 1024, true);
        let body = serde_json::to_value(&request).unwrap();
        assert_eq!(
            body,
            json!({
                "model": "m",
                "max_tokens": 9,
                "messages": [
                    {"role": "user", "content": "a\n\nb"},
                    {"role": "assistant", "content": "c"},
                    {"role": "user", "content": "d\n\ne"},
                    {"role": "assistant", "content": "f\n\ng"}
                ],
                "stream": true
            })
        );
    }

    #[test]
    fn response_reads_the_reference_shape() {
        let body = r#"{
            "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF", "type": "message", "role": "assistant",
            "model": "claude-sonnet-4-5-20250929",
            "content": [{"type": "text", "text": "Hi! "}, {"type": "tool_use", "id": "t", "name": "x", "input": {}},
                        {"type": "text", "text": "My name is Claude."}],
            "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": 2095, "output_tokens": 503, "cache_read_input_tokens": 0}
        }"#;
        let reply: MessageResponse = serde_json::from_str(body).unwrap();
        assert_eq!(reply.text(), "Hi! My name is Claude.");
        assert_eq!(reply.calls()[0].name, "x");
        assert_eq!(reply.model.as_deref(), Some("claude-sonnet-4-5-20250929"));
        assert_eq!(reply.stop_reason.as_deref(), Some("end_turn"));
        assert_eq!(reply.usage.unwrap().usage(), Some(Usage::new(2095, 503)));
    }

    #[test]
    fn stream_events_read_the_reference_shapes() {
        let parse = |s: &str| serde_json::from_str::<StreamEvent>(s).unwrap();
        let StreamEvent::MessageStart { message } = parse(
            r#"{"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant", "content": [], "model": "claude-x", "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 25, "output_tokens": 1}}}"#,
        ) else {
            panic!()
        };
        assert_eq!(message.usage.input_tokens, Some(25));
        let StreamEvent::ContentBlockDelta { delta, .. } = parse(
            r#"{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}}"#,
        ) else {
            panic!()
        };
        assert_eq!(
            (delta.kind.as_str(), delta.text.as_deref()),
            ("text_delta", Some("Hello"))
        );
        let StreamEvent::MessageDelta { usage, delta } = parse(
            r#"{"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 15}}"#,
        ) else {
            panic!()
        };
        assert_eq!(usage.output_tokens, Some(15));
        assert_eq!(delta.stop_reason.as_deref(), Some("end_turn"));
        assert!(matches!(
            parse(r#"{"type": "message_stop"}"#),
            StreamEvent::MessageStop
        ));
        assert!(matches!(parse(r#"{"type": "ping"}"#), StreamEvent::Other));
        assert!(matches!(
            parse(r#"{"type": "content_block_stop", "index": 0}"#),
            StreamEvent::Other
        ));
        assert!(matches!(
            parse(
                r#"{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}"#
            ),
            StreamEvent::Error { .. }
        ));
    }
}
