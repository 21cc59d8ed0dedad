//! Tool use in the Messages API, as Anthropic's reference documents it: `tools` with an
//! `input_schema`, `tool_choice` (`auto`, `any`, `tool`, `none`), `tool_use` blocks in the
//! assistant's content, `tool_result` blocks (with `is_error`) in the user's, and
//! `stop_reason`.

use benchcore::agent::{StopReason, ToolChoice, ToolSpec};
use benchcore::{Message, Role};
use serde::Serialize;
use serde_json::{json, Value};

/// One entry of `tools`.
#[derive(Debug, Serialize)]
pub(crate) struct AnthropicTool<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    input_schema: &'a Value,
}

impl<'a> AnthropicTool<'a> {
    pub(crate) fn new(spec: &'a ToolSpec) -> Self {
        Self {
            name: &spec.name,
            description: &spec.description,
            input_schema: &spec.parameters,
        }
    }
}

/// `tool_choice`: `required` is `any` in this API.
pub(crate) fn tool_choice(choice: &ToolChoice) -> Value {
    match choice {
        ToolChoice::None => json!({"type": "none"}),
        ToolChoice::Required => json!({"type": "any"}),
        ToolChoice::Tool { name } => json!({"type": "tool", "name": name}),
        _ => json!({"type": "auto"}),
    }
}

/// A content block of a request's message.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Block {
    Text {
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    ToolResult {
        tool_use_id: String,
        content: String,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        is_error: bool,
    },
}

/// A message's content: plain text while the turn holds only text (the shorter form), blocks
/// once it calls or answers a tool.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum TurnContent {
    Text(String),
    Blocks(Vec<Block>),
}

/// One message of `messages`.
#[derive(Debug, Serialize)]
pub(crate) struct TurnMessage {
    pub(crate) role: &'static str,
    pub(crate) content: TurnContent,
}

/// The blocks one message contributes to its turn.
fn blocks(message: &Message) -> Vec<Block> {
    let mut out = Vec::new();
    if let (Role::Tool, Some(id)) = (message.role, &message.tool_call_id) {
        out.push(Block::ToolResult {
            tool_use_id: id.clone(),
            content: message.content.clone(),
            is_error: message.is_error,
        });
        return out;
    }
    if !message.content.is_empty() || message.tool_calls.is_empty() {
        out.push(Block::Text {
            text: message.content.clone(),
        });
    }
    out.extend(message.tool_calls.iter().map(|call| Block::ToolUse {
        id: call.id.clone(),
        name: call.name.clone(),
        // `input` must be an object; arguments the model got wrong are sent as none.
        input: if call.arguments.is_object() {
            call.arguments.clone()
        } else {
            json!({})
        },
    }));
    out
}

/// The conversation as alternating turns: consecutive messages of one side are merged (a
/// tool's output is the user's side), text joined by a blank line.
pub(crate) fn turns(messages: &[Message]) -> Vec<TurnMessage> {
    let mut merged: Vec<(&'static str, Vec<Block>)> = Vec::new();
    for message in messages.iter().filter(|m| m.role != Role::System) {
        let role = match message.role {
            Role::Assistant => "assistant",
            _ => "user",
        };
        let new = blocks(message);
        match merged.last_mut() {
            Some((last, blocks)) if *last == role => blocks.extend(new),
            _ => merged.push((role, new)),
        }
    }
    merged
        .into_iter()
        .map(|(role, blocks)| {
            let only_text = blocks.iter().all(|b| matches!(b, Block::Text { .. }));
            let content = if only_text {
                let texts: Vec<String> = blocks
                    .into_iter()
                    .filter_map(|b| match b {
                        Block::Text { text } => Some(text),
                        _ => None,
                    })
                    .collect();
                TurnContent::Text(texts.join("\n\n"))
            } else {
                TurnContent::Blocks(
                    blocks
                        .into_iter()
                        .filter(|b| !matches!(b, Block::Text { text } if text.is_empty()))
                        .collect(),
                )
            };
            TurnMessage { role, content }
        })
        .collect()
}

/// `stop_reason` as a stop reason (`pause_turn`, a server tool's long turn, is `other`).
pub(crate) fn stop_reason(reason: &str) -> StopReason {
    match reason {
        "end_turn" | "stop_sequence" => StopReason::EndTurn,
        "max_tokens" | "model_context_window_exceeded" => StopReason::MaxTokens,
        "tool_use" => StopReason::ToolUse,
        "refusal" => StopReason::Refusal,
        _ => StopReason::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use benchcore::agent::ToolCall;

    #[test]
    fn calls_and_results_become_blocks_in_alternating_turns() {
        let messages = [
            Message::user("Weather in Paris?"),
            Message::assistant_calls(
                "Checking.",
                vec![ToolCall::new(
                    "toolu_1",
                    "weather",
                    json!({"city": "Paris"}),
                )],
            ),
            Message::tool_result("toolu_1", "rain", false),
            Message::tool_result("toolu_2", "no such city", true),
            Message::user("And tomorrow?"),
        ];
        let body = serde_json::to_value(turns(&messages)).unwrap();
        assert_eq!(
            body,
            json!([
                {"role": "user", "content": "Weather in Paris?"},
                {"role": "assistant", "content": [
                    {"type": "text", "text": "Checking."},
                    {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Paris"}}
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "rain"},
                    {"type": "tool_result", "tool_use_id": "toolu_2", "content": "no such city", "is_error": true},
                    {"type": "text", "text": "And tomorrow?"}
                ]}
            ])
        );
        assert_eq!(tool_choice(&ToolChoice::Required), json!({"type": "any"}));
        assert_eq!(stop_reason("max_tokens"), StopReason::MaxTokens);
    }
}
