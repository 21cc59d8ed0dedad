//! Tool use in the Responses API, as its reference documents it: `input` items (messages,
//! `function_call` items replaying the model's calls, `function_call_output` items answering
//! them by `call_id`), `tools` of type `function` (flat, not nested under `function`), and
//! `tool_choice`.

use crate::http::Outgoing;
use benchcore::agent::{StopReason, ToolChoice, ToolSpec};
use benchcore::{Message, Role};
use serde::Serialize;
use serde_json::{json, Value};

/// One item of `input`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum InputItem<'a> {
    Message {
        role: &'static str,
        content: &'a str,
    },
    FunctionCall {
        #[serde(rename = "type")]
        kind: &'static str,
        call_id: &'a str,
        name: &'a str,
        arguments: String,
    },
    FunctionCallOutput {
        #[serde(rename = "type")]
        kind: &'static str,
        call_id: &'a str,
        output: String,
    },
}

/// The `input` items of a conversation: an assistant message's calls become
/// `function_call` items after its text, a tool result a `function_call_output` (the format
/// has no error flag, so an error result says so in its text).
pub(crate) fn input_items<'a>(messages: &'a [Message]) -> Vec<InputItem<'a>> {
    let mut items = Vec::new();
    for message in messages {
        match (message.role, message.tool_call_id.as_deref()) {
            (Role::Tool, Some(call_id)) => items.push(InputItem::FunctionCallOutput {
                kind: "function_call_output",
                call_id,
                output: if message.is_error {
                    format!("Error: {}", message.content)
                } else {
                    message.content.clone()
                },
            }),
            (role, _) => {
                if !(role == Role::Assistant && message.content.is_empty()) {
                    items.push(InputItem::Message {
                        role: match role {
                            Role::System => "system",
                            Role::Assistant => "assistant",
                            Role::User | Role::Tool => "user",
                        },
                        content: &message.content,
                    });
                }
                items.extend(
                    message
                        .tool_calls
                        .iter()
                        .map(|call| InputItem::FunctionCall {
                            kind: "function_call",
                            call_id: &call.id,
                            name: &call.name,
                            arguments: call.arguments_text(),
                        }),
                );
            }
        }
    }
    items
}

/// One entry of `tools`.
#[derive(Debug, Serialize)]
pub(crate) struct ResponsesTool<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    parameters: &'a Value,
}

impl<'a> ResponsesTool<'a> {
    fn new(spec: &'a ToolSpec) -> Self {
        Self {
            kind: "function",
            name: &spec.name,
            description: &spec.description,
            parameters: &spec.parameters,
        }
    }
}

/// The `tools` and `tool_choice` of a request (no choice without tools).
pub(crate) fn tools<'a>(outgoing: &Outgoing<'a>) -> (Vec<ResponsesTool<'a>>, Option<Value>) {
    let tools: Vec<ResponsesTool<'a>> = outgoing.tools.iter().map(ResponsesTool::new).collect();
    let choice = outgoing
        .tool_choice
        .filter(|_| !tools.is_empty())
        .map(|choice| match choice {
            ToolChoice::None => json!("none"),
            ToolChoice::Required => json!("required"),
            ToolChoice::Tool { name } => json!({"type": "function", "name": name}),
            _ => json!("auto"),
        });
    (tools, choice)
}

/// Why a response ended: `incomplete` says why in `incomplete_details.reason`; a completed
/// one ended its turn, or stopped to have its calls run.
pub(crate) fn stop_reason(
    status: Option<&str>,
    incomplete_reason: Option<&str>,
    refused: bool,
    called: bool,
) -> Option<StopReason> {
    Some(match (status?, incomplete_reason) {
        (_, _) if refused => StopReason::Refusal,
        ("incomplete", Some("max_output_tokens")) => StopReason::MaxTokens,
        ("incomplete", Some("content_filter")) => StopReason::ContentFilter,
        ("incomplete", _) => StopReason::Other,
        (_, _) if called => StopReason::ToolUse,
        ("completed", _) => StopReason::EndTurn,
        _ => StopReason::Other,
    })
}
