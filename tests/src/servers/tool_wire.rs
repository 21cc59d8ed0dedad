//! Tool use as the servers speak it: scripted calls, how a reply ends, and the checks each
//! API makes of the tool parts of a request, as its reference documents them (a tool result
//! must answer a call the conversation made; tools need a name and a schema).

use serde_json::Value;

/// A tool call a server makes in a scripted reply. `arguments` is the JSON text the model
/// "wrote", sent as is (it need not be valid JSON, to test how agents take that).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptedCall {
    /// The call id (`call_…` for OpenAI, `toolu_…` for Anthropic).
    pub id: String,
    /// The tool called.
    pub name: String,
    /// The arguments as JSON text.
    pub arguments: String,
}

impl ScriptedCall {
    /// A call of `name` with these arguments.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        arguments: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            arguments: arguments.into(),
        }
    }
}

/// How a reply ends: its turn done, calling tools, or cut at the token limit.
#[derive(Debug, Clone, Default)]
pub(crate) enum Ending {
    #[default]
    Stop,
    Calls(Vec<ScriptedCall>),
    MaxTokens,
}

impl Ending {
    /// The calls made, if any.
    pub(crate) fn calls(&self) -> &[ScriptedCall] {
        match self {
            Ending::Calls(calls) => calls,
            _ => &[],
        }
    }
}

/// The arguments text in three pieces (on character boundaries), as a stream sends them.
pub(crate) fn argument_pieces(arguments: &str) -> Vec<String> {
    let chars: Vec<char> = arguments.chars().collect();
    let size = chars.len().div_ceil(3).max(1);
    chars.chunks(size).map(|c| c.iter().collect()).collect()
}

fn strings<'a>(values: impl Iterator<Item = &'a Value>, field: &str) -> Vec<&'a str> {
    values.filter_map(|v| v[field].as_str()).collect()
}

/// Chat Completions: every tool is `{"type": "function", "function": {"name", …}}`; an
/// assistant's `tool_calls` have an id, type `function`, a name and string arguments; a
/// `tool` message answers a call an earlier assistant message made.
pub(crate) fn check_chat(body: &Value) -> Result<(), String> {
    check_tools(body, |i, tool| {
        (tool["type"] == "function" && tool["function"]["name"].is_string())
            .then_some(())
            .ok_or(format!(
                "tools[{i}]: expected {{\"type\": \"function\", \"function\": {{\"name\": …}}}}"
            ))
    })?;
    let mut called: Vec<String> = Vec::new();
    for (i, message) in body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        for (j, call) in message["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let ok = call["id"].is_string()
                && call["type"] == "function"
                && call["function"]["name"].is_string()
                && call["function"]["arguments"].is_string();
            if !ok {
                return Err(format!("messages[{i}].tool_calls[{j}]: expected id, type `function`, function.name and function.arguments (a string)"));
            }
            called.extend(call["id"].as_str().map(str::to_owned));
        }
        if message["role"] == "tool" {
            let id = message["tool_call_id"].as_str().unwrap_or_default();
            if !called.iter().any(|c| c == id) {
                return Err(format!("Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls' (messages[{i}].tool_call_id `{id}`)"));
            }
        }
    }
    Ok(())
}

/// The Responses API: tools are `{"type": "function", "name", "parameters"}`; a
/// `function_call_output` answers a `function_call` item given before it.
pub(crate) fn check_responses(body: &Value) -> Result<(), String> {
    check_tools(body, |i, tool| {
        (tool["type"] == "function" && tool["name"].is_string())
            .then_some(())
            .ok_or(format!(
                "tools[{i}]: expected {{\"type\": \"function\", \"name\": …}}"
            ))
    })?;
    let items: Vec<&Value> = body["input"].as_array().into_iter().flatten().collect();
    for (i, item) in items.iter().enumerate() {
        if item["type"] == "function_call_output" {
            let id = item["call_id"].as_str().unwrap_or_default();
            let calls = strings(
                items[..i]
                    .iter()
                    .copied()
                    .filter(|p| p["type"] == "function_call"),
                "call_id",
            );
            if !calls.contains(&id) {
                return Err(format!(
                    "No tool call found for function call output with call_id {id}."
                ));
            }
            if !item["output"].is_string() {
                return Err(format!("input[{i}].output: expected a string"));
            }
        }
    }
    Ok(())
}

/// The Messages API: tools have a `name` and an `input_schema`; each `tool_result` answers a
/// `tool_use` of the assistant message just before, and comes before any text of its turn.
pub(crate) fn check_anthropic(body: &Value) -> Result<(), String> {
    check_tools(body, |i, tool| {
        (tool["name"].is_string() && tool["input_schema"].is_object())
            .then_some(())
            .ok_or(format!("tools.{i}: `name` and `input_schema` are required"))
    })?;
    let messages: Vec<&Value> = body["messages"].as_array().into_iter().flatten().collect();
    for (i, message) in messages.iter().enumerate() {
        let blocks: Vec<&Value> = message["content"]
            .as_array()
            .into_iter()
            .flatten()
            .collect();
        let results: Vec<&Value> = blocks
            .iter()
            .copied()
            .filter(|b| b["type"] == "tool_result")
            .collect();
        if results.is_empty() {
            continue;
        }
        let first_other = blocks.iter().position(|b| b["type"] != "tool_result");
        let last_result = blocks.iter().rposition(|b| b["type"] == "tool_result");
        if let (Some(other), Some(last)) = (first_other, last_result) {
            if other < last {
                return Err(format!(
                    "messages.{i}: tool_result blocks must come first in the content"
                ));
            }
        }
        let previous_uses: Vec<&str> = i
            .checked_sub(1)
            .map(|p| messages[p])
            .filter(|p| p["role"] == "assistant")
            .map(|p| {
                strings(
                    p["content"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|b| b["type"] == "tool_use"),
                    "id",
                )
            })
            .unwrap_or_default();
        for result in results {
            let id = result["tool_use_id"].as_str().unwrap_or_default();
            if !previous_uses.contains(&id) {
                return Err(format!("messages.{i}.content: unexpected `tool_use_id` found in `tool_result` blocks: {id}. Each `tool_result` block must have a corresponding `tool_use` block in the previous message."));
            }
        }
    }
    for (i, message) in messages.iter().enumerate() {
        for (j, block) in message["content"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            if block["type"] == "tool_use"
                && !(block["id"].is_string()
                    && block["name"].is_string()
                    && block["input"].is_object())
            {
                return Err(format!(
                    "messages.{i}.content.{j}: a tool_use block needs id, name and an object input"
                ));
            }
        }
    }
    Ok(())
}

fn check_tools(
    body: &Value,
    check: impl Fn(usize, &Value) -> Result<(), String>,
) -> Result<(), String> {
    for (i, tool) in body["tools"].as_array().into_iter().flatten().enumerate() {
        check(i, tool)?;
    }
    if body.get("tool_choice").is_some_and(|c| !c.is_null())
        && body["tools"].as_array().is_none_or(Vec::is_empty)
    {
        return Err("tool_choice is only allowed when tools are specified".to_owned());
    }
    Ok(())
}
