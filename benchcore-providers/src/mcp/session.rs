//! An open MCP session: its id (HTTP) or process (stdio), the negotiated protocol revision, and the tool that answers
//! with the argument mapping resolved against the tool's input schema.

use super::arguments::ArgumentSource;
use super::stdio::Process;
use super::wire::Tool;
use benchcore::{AgentError, AgentErrorKind};
use serde_json::Value;
use std::sync::Arc;

/// Argument names tried, in order, when no mapping is configured.
const INPUT_NAMES: [&str; 5] = ["input", "query", "prompt", "message", "question"];

#[derive(Debug)]
pub(crate) struct Session {
    /// `Mcp-Session-Id`, when the server keeps sessions.
    pub(crate) id: Option<String>,
    /// The revision the server chose.
    pub(crate) protocol_version: String,
    /// The tools the server lists.
    pub(crate) tools: Vec<Tool>,
    /// What the session runs over (the server process, for stdio).
    pub(crate) conn: Conn,
}

/// What a session runs over.
#[derive(Debug)]
pub(crate) enum Conn {
    /// Streamable HTTP: every message is its own POST.
    Http,
    /// The server process this session was opened with.
    Stdio(Arc<Process>),
}

impl Conn {
    /// Whether the session can still be used: an HTTP session until the server says it is
    /// gone, a stdio one while its process runs.
    pub(crate) fn is_alive(&self) -> bool {
        match self {
            Conn::Http => true,
            Conn::Stdio(process) => process.is_alive(),
        }
    }
}

/// Picks the configured tool (or the only one) and resolves the argument mapping.
pub(crate) fn choose_tool(
    tools: &[Tool],
    wanted: Option<&str>,
    mapping: &[(String, ArgumentSource)],
) -> Result<(String, Vec<(String, ArgumentSource)>), AgentError> {
    let names = || {
        tools
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let tool = match wanted {
        Some(name) => tools.iter().find(|t| t.name == name).ok_or_else(|| {
            AgentError::new(
                AgentErrorKind::BadRequest,
                format!("the MCP server has no tool {name:?} (it has: {})", names()),
            )
        })?,
        None => match tools {
            [only] => only,
            [] => {
                return Err(AgentError::new(
                    AgentErrorKind::BadRequest,
                    "the MCP server lists no tools",
                ))
            }
            _ => {
                return Err(AgentError::new(
                    AgentErrorKind::BadRequest,
                    format!(
                        "the MCP server has several tools ({}): name one with `tool`",
                        names()
                    ),
                ))
            }
        },
    };
    if !mapping.is_empty() {
        return Ok((tool.name.clone(), mapping.to_vec()));
    }
    let argument = default_argument(&tool.input_schema).ok_or_else(|| {
        AgentError::new(
            AgentErrorKind::BadRequest,
            format!(
                "cannot tell which argument of tool {:?} takes the input: map one with `arguments`",
                tool.name
            ),
        )
    })?;
    Ok((tool.name.clone(), vec![(argument, ArgumentSource::Input)]))
}

/// A conventional input name among the schema's properties, else its first required string
/// property, else its only property.
fn default_argument(schema: &Value) -> Option<String> {
    let properties = schema.get("properties").and_then(Value::as_object)?;
    if let Some(name) = INPUT_NAMES.iter().find(|n| properties.contains_key(**n)) {
        return Some((*name).to_owned());
    }
    let is_string = |name: &str| {
        properties.get(name).and_then(|p| p.get("type")) == Some(&Value::from("string"))
    };
    let required = schema.get("required").and_then(Value::as_array);
    if let Some(name) = required
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .find(|n| is_string(n))
    {
        return Some(name.to_owned());
    }
    (properties.len() == 1)
        .then(|| properties.keys().next().cloned())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tool(name: &str, schema: Value) -> Tool {
        serde_json::from_value(json!({"name": name, "inputSchema": schema})).unwrap()
    }

    #[test]
    fn the_input_argument_is_found_by_name_or_requirement() {
        let schema = json!({"type": "object", "properties": {"k": {"type": "integer"}, "question": {"type": "string"}}});
        assert_eq!(default_argument(&schema).as_deref(), Some("question"));
        let schema = json!({"properties": {"n": {"type": "integer"}, "text": {"type": "string"}}, "required": ["n", "text"]});
        assert_eq!(default_argument(&schema).as_deref(), Some("text"));
        let schema = json!({"properties": {"a": {"type": "string"}, "b": {"type": "string"}}});
        assert_eq!(default_argument(&schema), None);
    }

    #[test]
    fn tool_choice_names_what_exists() {
        let tools = vec![
            tool("ask", json!({"properties": {"q": {"type": "string"}}})),
            tool("other", json!({})),
        ];
        let err = choose_tool(&tools, Some("nope"), &[]).unwrap_err();
        assert!(err.message.contains("ask, other"), "{}", err.message);
        let err = choose_tool(&tools, None, &[]).unwrap_err();
        assert!(err.message.contains("name one"), "{}", err.message);
        let (name, args) = choose_tool(&tools, Some("ask"), &[]).unwrap();
        assert_eq!((name.as_str(), args[0].0.as_str()), ("ask", "q"));
    }
}
