//! Tool use in the agent contract: tools a request offers, calls a reply makes, and why a
//! reply stopped.

use serde::{Deserialize, Serialize};

/// A tool an agent may call: its name, what it does, and the JSON Schema of its arguments.
///
/// ```
/// use benchcore::agent::ToolSpec;
/// let add = ToolSpec::new(
///     "add",
///     "Adds two numbers.",
///     serde_json::json!({"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}, "required": ["a", "b"]}),
/// );
/// assert_eq!(add.name, "add");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct ToolSpec {
    /// The name the agent calls it by (letters, digits, `_` and `-`).
    pub name: String,
    /// What it does, for the model.
    #[serde(default)]
    pub description: String,
    /// The JSON Schema of its arguments (an object schema).
    #[serde(default = "empty_object_schema")]
    pub parameters: serde_json::Value,
}

fn empty_object_schema() -> serde_json::Value {
    serde_json::json!({"type": "object", "properties": {}})
}

impl ToolSpec {
    /// A tool with this name, description and argument schema.
    pub fn new(
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: serde_json::Value,
    ) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            parameters,
        }
    }
}

/// Which tools the agent may or must call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ToolChoice {
    /// The model decides (the default).
    #[default]
    Auto,
    /// No tool may be called.
    None,
    /// At least one tool must be called.
    Required,
    /// This tool must be called.
    Tool {
        /// The tool's name.
        name: String,
    },
}

/// One call a reply asks for. Arguments that are not valid JSON are kept as sent, with
/// `arguments` null and the parse error in `invalid_arguments`, so a malformed call is
/// recorded as such rather than breaking the exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct ToolCall {
    /// The provider's id of the call; a tool result names it.
    pub id: String,
    /// The tool called.
    pub name: String,
    /// The arguments, as JSON.
    #[serde(default)]
    pub arguments: serde_json::Value,
    /// The arguments as sent and why they are not JSON, when they are not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalid_arguments: Option<InvalidArguments>,
}

/// Arguments a model sent that do not parse as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct InvalidArguments {
    /// The text as sent.
    pub raw: String,
    /// Why it does not parse.
    pub error: String,
}

impl ToolCall {
    /// A call with JSON arguments.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        arguments: serde_json::Value,
    ) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            arguments,
            invalid_arguments: None,
        }
    }

    /// A call whose arguments arrived as text: parsed when they are JSON (an empty text is
    /// `{}`), kept as invalid otherwise.
    pub fn from_text(id: impl Into<String>, name: impl Into<String>, raw: &str) -> Self {
        let text = if raw.trim().is_empty() { "{}" } else { raw };
        match serde_json::from_str(text) {
            Ok(arguments) => Self::new(id, name, arguments),
            Err(e) => Self {
                id: id.into(),
                name: name.into(),
                arguments: serde_json::Value::Null,
                invalid_arguments: Some(InvalidArguments {
                    raw: raw.to_owned(),
                    error: e.to_string(),
                }),
            },
        }
    }

    /// The arguments as the model sent them: JSON text, or the invalid text as sent.
    pub fn arguments_text(&self) -> String {
        match &self.invalid_arguments {
            Some(invalid) => invalid.raw.clone(),
            None => self.arguments.to_string(),
        }
    }
}

/// Why a reply ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StopReason {
    /// The model finished its turn.
    EndTurn,
    /// The model called tools and waits for their results.
    ToolUse,
    /// The reply was cut at the token limit.
    MaxTokens,
    /// A content filter stopped the reply.
    ContentFilter,
    /// The model refused.
    Refusal,
    /// Another reason the provider gave (kept in the raw body).
    Other,
}

impl StopReason {
    /// The snake_case name used in records.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EndTurn => "end_turn",
            Self::ToolUse => "tool_use",
            Self::MaxTokens => "max_tokens",
            Self::ContentFilter => "content_filter",
            Self::Refusal => "refusal",
            Self::Other => "other",
        }
    }
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_that_are_not_json_are_kept_as_sent() {
        let ok = ToolCall::from_text("c1", "add", r#"{"a": 1}"#);
        assert_eq!(ok.arguments["a"], 1);
        assert!(ok.invalid_arguments.is_none());
        let empty = ToolCall::from_text("c2", "now", "");
        assert_eq!(empty.arguments, serde_json::json!({}));
        let bad = ToolCall::from_text("c3", "add", "{a: 1");
        assert!(bad.arguments.is_null());
        assert_eq!(bad.arguments_text(), "{a: 1");
        assert!(!bad.invalid_arguments.unwrap().error.is_empty());
    }

    #[test]
    fn tool_choice_reads_as_providers_write_it() {
        let named: ToolChoice = serde_json::from_str(r#"{"tool": {"name": "add"}}"#).unwrap();
        assert_eq!(named, ToolChoice::Tool { name: "add".into() });
        let auto: ToolChoice = serde_json::from_str(r#""auto""#).unwrap();
        assert_eq!(auto, ToolChoice::Auto);
    }
}
