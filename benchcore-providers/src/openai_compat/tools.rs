//! Tool use in Chat Completions, as the OpenAI API reference documents it: `tools` of type
//! `function`, `tool_choice`, an assistant message's `tool_calls` (arguments as a JSON
//! string), `tool` messages answering them by `tool_call_id`, streamed call deltas keyed by
//! `index`, and `finish_reason`.

use benchcore::agent::{StopReason, ToolCall, ToolChoice, ToolSpec};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// One entry of `tools`.
#[derive(Debug, Serialize)]
pub(crate) struct ChatTool<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    function: FunctionDefinition<'a>,
}

#[derive(Debug, Serialize)]
struct FunctionDefinition<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    parameters: &'a Value,
}

impl<'a> ChatTool<'a> {
    pub(crate) fn new(spec: &'a ToolSpec) -> Self {
        Self {
            kind: "function",
            function: FunctionDefinition {
                name: &spec.name,
                description: &spec.description,
                parameters: &spec.parameters,
            },
        }
    }
}

/// `tool_choice`: `"auto"`, `"none"`, `"required"`, or the one function to call.
pub(crate) fn tool_choice(choice: &ToolChoice) -> Value {
    match choice {
        ToolChoice::None => json!("none"),
        ToolChoice::Required => json!("required"),
        ToolChoice::Tool { name } => json!({"type": "function", "function": {"name": name}}),
        _ => json!("auto"),
    }
}

/// A call as an assistant message carries it, sent back in the history and read from
/// replies.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct WireToolCall {
    #[serde(default)]
    pub(crate) id: String,
    #[serde(rename = "type", default = "function_type")]
    pub(crate) kind: String,
    pub(crate) function: WireFunction,
}

fn function_type() -> String {
    "function".to_owned()
}

/// The function a call names, with its arguments as the JSON text the model wrote.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct WireFunction {
    #[serde(default)]
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) arguments: String,
}

impl WireToolCall {
    /// A recorded call, as the history sends it back.
    pub(crate) fn from_call(call: &ToolCall) -> Self {
        Self {
            id: call.id.clone(),
            kind: function_type(),
            function: WireFunction {
                name: call.name.clone(),
                arguments: call.arguments_text(),
            },
        }
    }

    /// The call a reply made; arguments that are not JSON are kept and marked.
    pub(crate) fn into_call(self) -> ToolCall {
        ToolCall::from_text(self.id, self.function.name, &self.function.arguments)
    }
}

/// One piece of a streamed call: the first names it, the rest add to its arguments.
#[derive(Debug, Deserialize)]
pub(crate) struct DeltaToolCall {
    #[serde(default)]
    pub(crate) index: u64,
    #[serde(default)]
    pub(crate) id: Option<String>,
    #[serde(default)]
    pub(crate) function: Option<DeltaFunction>,
}

/// What a piece adds: the name (first piece) and a slice of the arguments.
#[derive(Debug, Deserialize)]
pub(crate) struct DeltaFunction {
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) arguments: Option<String>,
}

/// `finish_reason` as a stop reason (`function_call` is the deprecated name of `tool_calls`).
pub(crate) fn stop_reason(finish_reason: &str) -> StopReason {
    match finish_reason {
        "stop" => StopReason::EndTurn,
        "length" => StopReason::MaxTokens,
        "tool_calls" | "function_call" => StopReason::ToolUse,
        "content_filter" => StopReason::ContentFilter,
        _ => StopReason::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tools_and_choices_have_the_reference_shape() {
        let spec = ToolSpec::new("add", "Adds.", json!({"type": "object"}));
        assert_eq!(
            serde_json::to_value(ChatTool::new(&spec)).unwrap(),
            json!({"type": "function", "function": {"name": "add", "description": "Adds.", "parameters": {"type": "object"}}})
        );
        assert_eq!(
            tool_choice(&ToolChoice::Tool { name: "add".into() }),
            json!({"type": "function", "function": {"name": "add"}})
        );
        assert_eq!(tool_choice(&ToolChoice::Required), json!("required"));
        assert_eq!(stop_reason("length"), StopReason::MaxTokens);
        assert_eq!(stop_reason("tool_calls"), StopReason::ToolUse);
    }
}
