//! JSON-RPC 2.0 messages of MCP, and reading them out of JSON or SSE replies.

use serde::Deserialize;
use serde_json::{json, Value};

/// A request (with an id) or a notification (without).
pub(crate) fn message(id: Option<u64>, method: &str, params: Value) -> Value {
    let mut message = json!({ "jsonrpc": "2.0", "method": method });
    if let Some(id) = id {
        message["id"] = json!(id);
    }
    if !params.is_null() {
        message["params"] = params;
    }
    message
}

/// A JSON-RPC response.
#[derive(Debug, Deserialize)]
pub(crate) struct Response {
    #[serde(default)]
    pub(crate) result: Option<Value>,
    #[serde(default)]
    pub(crate) error: Option<RpcError>,
}

/// A JSON-RPC error object.
#[derive(Debug, Deserialize)]
pub(crate) struct RpcError {
    pub(crate) code: i64,
    #[serde(default)]
    pub(crate) message: String,
}

/// The result of `initialize`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InitializeResult {
    #[serde(default)]
    pub(crate) protocol_version: Option<String>,
}

/// One tool of `tools/list`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Tool {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) description: Option<String>,
    #[serde(default)]
    pub(crate) input_schema: Value,
}

/// The result of `tools/list`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ToolsList {
    #[serde(default)]
    pub(crate) tools: Vec<Tool>,
    #[serde(default)]
    pub(crate) next_cursor: Option<String>,
}

/// One content item of a tool result.
#[derive(Debug, Deserialize)]
pub(crate) struct ContentItem {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) text: Option<String>,
}

/// The result of `tools/call`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CallToolResult {
    #[serde(default)]
    pub(crate) content: Vec<ContentItem>,
    #[serde(default)]
    pub(crate) is_error: bool,
    #[serde(default)]
    pub(crate) structured_content: Option<Value>,
}

impl CallToolResult {
    /// The reply: the text items joined by new lines; with none, the structured content as
    /// JSON text.
    pub(crate) fn text(&self) -> String {
        let texts: Vec<&str> = self
            .content
            .iter()
            .filter(|c| c.kind == "text")
            .filter_map(|c| c.text.as_deref())
            .collect();
        if texts.is_empty() {
            if let Some(structured) = &self.structured_content {
                return structured.to_string();
            }
        }
        texts.join("\n")
    }
}

/// The response with this id among messages (a batch, or an SSE stream that may carry
/// notifications and server requests before it).
pub(crate) fn response_with_id(
    messages: impl IntoIterator<Item = Value>,
    id: u64,
) -> Option<Value> {
    messages
        .into_iter()
        .flat_map(|m| match m {
            Value::Array(items) => items,
            single => vec![single],
        })
        .find(|m| m.get("id").and_then(Value::as_u64) == Some(id) && m.get("method").is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_with_the_same_id_is_not_the_response() {
        let messages = vec![
            json!({"jsonrpc": "2.0", "id": 3, "method": "sampling/createMessage"}),
            json!([{"jsonrpc": "2.0", "id": 3, "result": {"ok": true}}]),
        ];
        assert_eq!(response_with_id(messages, 3).unwrap()["result"]["ok"], true);
    }

    #[test]
    fn tool_text_joins_text_items_or_falls_back_to_structured() {
        let result: CallToolResult = serde_json::from_value(json!({
            "content": [{"type": "text", "text": "a"}, {"type": "image", "data": "…"}, {"type": "text", "text": "b"}]
        }))
        .unwrap();
        assert_eq!(result.text(), "a\nb");
        let result: CallToolResult =
            serde_json::from_value(json!({"content": [], "structuredContent": {"x": 1}})).unwrap();
        assert_eq!(result.text(), "{\"x\":1}");
    }
}
