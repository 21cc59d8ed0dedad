//! OpenAI's Responses API, for prompts managed on OpenAI's platform: the request that
//! names the prompt, and the reading of its reply. Only the fields this agent sends or
//! reads.

use super::api::Prompt;
use super::responses_items::{self, InputItem, ResponsesTool};
use crate::http::{self, Outgoing, ProviderError};
use benchcore::agent::ToolCall;
use benchcore::{AgentError, AgentReply, Usage};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The body of `POST /responses`.
#[derive(Debug, Serialize)]
pub(crate) struct ResponsesRequest<'a> {
    /// Overrides the prompt's own model when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) model: Option<&'a str>,
    pub(crate) prompt: PromptRef<'a>,
    /// The conversation, after the prompt's own messages.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) input: Vec<InputItem<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max_output_tokens: Option<u32>,
    /// Ask for server-sent events.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) stream: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) tools: Vec<ResponsesTool<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tool_choice: Option<serde_json::Value>,
}

/// The `prompt` object: which managed prompt, at which version, with which variables.
#[derive(Debug, Serialize)]
pub(crate) struct PromptRef<'a> {
    pub(crate) id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) version: Option<&'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) variables: &'a BTreeMap<String, String>,
}

impl<'a> ResponsesRequest<'a> {
    pub(crate) fn new(
        model: &'a str,
        prompt: &'a Prompt,
        outgoing: &Outgoing<'a>,
        stream: bool,
    ) -> Self {
        let sampling = outgoing.sampling;
        let (tools, tool_choice) = responses_items::tools(outgoing);
        Self {
            model: (!model.trim().is_empty()).then_some(model),
            prompt: PromptRef {
                id: &prompt.id,
                version: prompt.version.as_deref(),
                variables: &prompt.variables,
            },
            input: responses_items::input_items(outgoing.messages),
            temperature: sampling.temperature,
            max_output_tokens: sampling.max_tokens,
            stream,
            tools,
            tool_choice,
        }
    }
}

/// A `response` object.
#[derive(Debug, Deserialize)]
struct ResponseObject {
    #[serde(default)]
    model: Option<String>,
    /// The joined output text, which SDKs add and some gateways send.
    #[serde(default)]
    output_text: Option<String>,
    #[serde(default)]
    output: Option<Vec<OutputItem>>,
    #[serde(default)]
    usage: Option<ResponseUsage>,
    /// Set when `status` is `failed`.
    #[serde(default)]
    error: Option<serde_json::Value>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    incomplete_details: Option<IncompleteDetails>,
}

/// Why a response is `incomplete`.
#[derive(Debug, Deserialize)]
struct IncompleteDetails {
    #[serde(default)]
    reason: Option<String>,
}

/// One output item; only `message` items hold the reply's text.
#[derive(Debug, Deserialize)]
struct OutputItem {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    content: Vec<OutputContent>,
    /// A `function_call` item's call id, function and arguments (JSON text).
    #[serde(default)]
    call_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
}

/// One part of a message item; only `output_text` parts hold text (a `refusal` does not).
#[derive(Debug, Deserialize)]
struct OutputContent {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
    /// A `refusal` part's text.
    #[serde(default)]
    refusal: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ResponseUsage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
}

/// Reads a `response` body into a reply: the text from `output_text` when present, else
/// the `output_text` parts of the `message` items, joined.
pub(crate) fn parse_reply(body: &[u8], key: Option<&str>) -> Result<AgentReply, AgentError> {
    let response: ResponseObject = serde_json::from_slice(body).map_err(|err| {
        AgentError::malformed(format!("the reply is not a Responses API response: {err}"))
    })?;
    reply_from(response, key)
}

fn reply_from(response: ResponseObject, key: Option<&str>) -> Result<AgentReply, AgentError> {
    if let Some(error) = response.error.as_ref().filter(|e| !e.is_null()) {
        return Err(failed(error, key));
    }
    let output = response.output.unwrap_or_default();
    if response.output_text.is_none() && output.is_empty() && response.status.is_none() {
        return Err(AgentError::malformed(
            "the reply has neither `output` nor `output_text`",
        ));
    }
    let parts = || {
        output
            .iter()
            .filter(|item| item.kind == "message")
            .flat_map(|item| &item.content)
    };
    let refusal: String = parts()
        .filter(|part| part.kind == "refusal")
        .filter_map(|part| part.refusal.as_deref())
        .collect();
    let text = match response.output_text {
        Some(text) => text,
        None => parts()
            .filter(|part| part.kind == "output_text")
            .filter_map(|part| part.text.as_deref())
            .collect(),
    };
    let text = if text.is_empty() {
        refusal.clone()
    } else {
        text
    };
    let calls: Vec<ToolCall> = output
        .iter()
        .filter(|item| item.kind == "function_call")
        .map(|item| {
            ToolCall::from_text(
                item.call_id.clone().unwrap_or_default(),
                item.name.clone().unwrap_or_default(),
                item.arguments.as_deref().unwrap_or_default(),
            )
        })
        .collect();
    let stop = responses_items::stop_reason(
        response.status.as_deref(),
        response
            .incomplete_details
            .as_ref()
            .and_then(|d| d.reason.as_deref()),
        !refusal.is_empty(),
        !calls.is_empty(),
    );
    let mut reply = AgentReply::text(text).with_tool_calls(calls);
    reply.stop_reason = stop.or(reply.stop_reason);
    if let Some(model) = response.model {
        reply = reply.with_model(model);
    }
    if let Some(usage) = response.usage {
        if usage.input_tokens.is_some() || usage.output_tokens.is_some() {
            reply = reply.with_usage(Usage::new(
                usage.input_tokens.unwrap_or(0),
                usage.output_tokens.unwrap_or(0),
            ));
        }
    }
    Ok(reply)
}

/// A response whose `status` is `failed`: its `error.code` (`rate_limit_exceeded`,
/// `server_error`, `invalid_prompt` …) classifies it as the matching status would.
fn failed(error: &serde_json::Value, key: Option<&str>) -> AgentError {
    let provider_error =
        ProviderError::from_body(serde_json::json!({ "error": error }).to_string().as_bytes());
    let status = match provider_error.code.as_deref() {
        Some("rate_limit_exceeded") => 429,
        Some(code) if code.starts_with("invalid_") => 400,
        _ => 500,
    };
    let mut err = http::error_for_status(status, &provider_error, None, key);
    err.http_status = Some(200);
    err
}

/// A streamed Responses API reply, built up event by event: `response.output_text.delta`
/// events give the text (and the time to first token); `response.completed` carries the
/// whole response, whose usage and model count; `response.failed` and `error` events are
/// classified like a failed response. There is no `[DONE]`: a stream that ends before
/// `response.completed` was cut off.
pub(crate) struct ResponsesStreamFold {
    started: std::time::Instant,
    text: String,
    first_token: Option<std::time::Duration>,
    completed: Option<AgentReply>,
}

impl ResponsesStreamFold {
    pub(crate) fn new(started: std::time::Instant) -> Self {
        Self {
            started,
            text: String::new(),
            first_token: None,
            completed: None,
        }
    }

    /// Takes one event's data; breaks at `response.completed`.
    pub(crate) fn event(
        &mut self,
        data: &str,
        key: Option<&str>,
    ) -> Result<std::ops::ControlFlow<()>, AgentError> {
        use std::ops::ControlFlow;
        let event: serde_json::Value = serde_json::from_str(data.trim()).map_err(|err| {
            AgentError::malformed(format!("the stream holds an event that is not JSON: {err}"))
        })?;
        let kind = event["type"].as_str().unwrap_or_default();
        match kind {
            "response.output_text.delta" => {
                let delta = event["delta"].as_str().unwrap_or_default();
                if !delta.is_empty() && self.first_token.is_none() {
                    self.first_token = Some(self.started.elapsed());
                }
                self.text.push_str(delta);
            }
            // An incomplete response (cut at its token limit) ends the stream as a
            // completed one does, with the whole response.
            "response.completed" | "response.incomplete" => {
                let response: ResponseObject = serde_json::from_value(event["response"].clone())
                    .map_err(|err| {
                        AgentError::malformed(format!("`{kind}` holds no response: {err}"))
                    })?;
                self.completed = Some(reply_from(response, key)?);
                return Ok(ControlFlow::Break(()));
            }
            "response.failed" => {
                return Err(failed(&event["response"]["error"], key));
            }
            "error" => return Err(failed(&event, key)),
            _ if event.get("error").is_some_and(|e| !e.is_null()) => {
                return Err(failed(&event["error"], key));
            }
            _ => {}
        }
        Ok(ControlFlow::Continue(()))
    }

    /// The reply, once `response.completed` arrived. The streamed text wins when the
    /// completed response repeats none.
    pub(crate) fn into_reply(self) -> Result<AgentReply, AgentError> {
        let mut reply = self.completed.ok_or_else(|| {
            AgentError::transient(
                "the stream ended before `response.completed`: the reply was truncated",
            )
        })?;
        if reply.text.is_empty() {
            reply.text = self.text;
        }
        reply.time_to_first_token = self.first_token;
        Ok(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use benchcore::agent::{StopReason, ToolChoice, ToolSpec};
    use benchcore::{AgentErrorKind, Message, Role, Sampling};
    use serde_json::json;

    #[test]
    fn tools_calls_and_outputs_are_items() {
        let messages = [
            Message::user("2+3?"),
            Message::assistant_calls("", vec![ToolCall::new("call_1", "add", json!({"a": 2}))]),
            Message::tool_result("call_1", "5", false),
        ];
        let tools = [ToolSpec::new("add", "Adds.", json!({"type": "object"}))];
        let sampling = Sampling::default();
        let choice = ToolChoice::Tool { name: "add".into() };
        let request = Outgoing {
            messages: &messages,
            sampling: &sampling,
            tools: &tools,
            tool_choice: Some(&choice),
        };
        let body =
            serde_json::to_value(ResponsesRequest::new("m", &prompt(), &request, false)).unwrap();
        assert_eq!(
            body["input"],
            json!([
                {"role": "user", "content": "2+3?"},
                {"type": "function_call", "call_id": "call_1", "name": "add", "arguments": "{\"a\":2}"},
                {"type": "function_call_output", "call_id": "call_1", "output": "5"}
            ])
        );
        assert_eq!(
            body["tools"],
            json!([{"type": "function", "name": "add", "description": "Adds.", "parameters": {"type": "object"}}])
        );
        assert_eq!(
            body["tool_choice"],
            json!({"type": "function", "name": "add"})
        );
    }

    #[test]
    fn function_calls_and_incomplete_replies_are_read() {
        let body = json!({"object": "response", "status": "completed", "output": [
            {"type": "function_call", "id": "fc_1", "call_id": "call_9", "name": "add",
             "arguments": "{\"a\":1}", "status": "completed"},
            {"type": "function_call", "id": "fc_2", "call_id": "call_10", "name": "add",
             "arguments": "{oops", "status": "completed"}]});
        let reply = parse_reply(body.to_string().as_bytes(), None).unwrap();
        assert_eq!(reply.stop_reason, Some(StopReason::ToolUse));
        assert_eq!(reply.tool_calls[0].id, "call_9");
        assert_eq!(reply.tool_calls[0].arguments, json!({"a": 1}));
        assert!(reply.tool_calls[1].invalid_arguments.is_some());
        let cut = json!({"object": "response", "status": "incomplete",
            "incomplete_details": {"reason": "max_output_tokens"},
            "output": [{"type": "message", "content": [{"type": "output_text", "text": "Once"}]}]});
        let reply = parse_reply(cut.to_string().as_bytes(), None).unwrap();
        assert_eq!(
            (reply.text.as_str(), reply.stop_reason),
            ("Once", Some(StopReason::MaxTokens))
        );
        let refused = json!({"object": "response", "status": "completed", "output": [
            {"type": "message", "content": [{"type": "refusal", "refusal": "I can't help."}]}]});
        let reply = parse_reply(refused.to_string().as_bytes(), None).unwrap();
        assert_eq!(
            (reply.text.as_str(), reply.stop_reason),
            ("I can't help.", Some(StopReason::Refusal))
        );
    }

    fn prompt() -> Prompt {
        Prompt {
            id: "pmpt_123".into(),
            version: Some("2".into()),
            variables: BTreeMap::from([("city".into(), "Paris".into())]),
        }
    }

    #[test]
    fn the_request_names_the_prompt() {
        let messages = [
            Message::system("Be brief."),
            Message::user("Hi"),
            Message::new(Role::Tool, "42"),
        ];
        let prompt = prompt();
        let sampling = Sampling::default()
            .with_temperature(0.2)
            .with_max_tokens(50);
        let body = serde_json::to_value(ResponsesRequest::new(
            "",
            &prompt,
            &Outgoing::plain(&messages, &sampling),
            false,
        ))
        .unwrap();
        assert_eq!(
            body,
            json!({
                "prompt": {"id": "pmpt_123", "version": "2", "variables": {"city": "Paris"}},
                "input": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Hi"},
                    {"role": "user", "content": "42"}
                ],
                "temperature": 0.2,
                "max_output_tokens": 50
            })
        );
        let bare = Prompt {
            id: "pmpt_9".into(),
            ..Prompt::default()
        };
        let sampling = Sampling::default();
        let body = serde_json::to_value(ResponsesRequest::new(
            "gpt-4o",
            &bare,
            &Outgoing::plain(&[], &sampling),
            false,
        ))
        .unwrap();
        assert_eq!(body, json!({"model": "gpt-4o", "prompt": {"id": "pmpt_9"}}));
    }

    #[test]
    fn the_reply_is_read_from_output_items() {
        let body = json!({
            "id": "resp_67ccd2bed1ec8190b14f964abc054267", "object": "response", "created_at": 1741476542,
            "status": "completed", "error": null, "incomplete_details": null, "model": "gpt-4.1-2025-04-14",
            "output": [
                {"type": "reasoning", "id": "rs_1", "summary": []},
                {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
                 "content": [{"type": "output_text", "text": "In a peaceful grove ", "annotations": []},
                             {"type": "output_text", "text": "beneath a silver moon.", "annotations": []}]}
            ],
            "usage": {"input_tokens": 36, "input_tokens_details": {"cached_tokens": 0},
                      "output_tokens": 87, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 123}
        });
        let reply = parse_reply(body.to_string().as_bytes(), None).unwrap();
        assert_eq!(reply.text, "In a peaceful grove beneath a silver moon.");
        assert_eq!(reply.usage, Some(Usage::new(36, 87)));
        assert_eq!(reply.model.as_deref(), Some("gpt-4.1-2025-04-14"));
    }

    #[test]
    fn output_text_wins_when_present() {
        let body = json!({"output_text": "joined", "output": [
            {"type": "message", "content": [{"type": "output_text", "text": "parts"}]}]});
        let reply = parse_reply(body.to_string().as_bytes(), None).unwrap();
        assert_eq!(reply.text, "joined");
        assert_eq!(reply.usage, None);
    }

    #[test]
    fn failures_and_garbage() {
        let failed = json!({"status": "failed", "output": [],
            "error": {"code": "rate_limit_exceeded", "message": "Slow down"}});
        let err = parse_reply(failed.to_string().as_bytes(), None).unwrap_err();
        assert_eq!(err.kind, AgentErrorKind::RateLimited);
        let failed = json!({"status": "failed", "output": [],
            "error": {"code": "invalid_prompt", "message": "Prompt pmpt_1 has no version 9"}});
        let err = parse_reply(failed.to_string().as_bytes(), None).unwrap_err();
        assert_eq!(err.kind, AgentErrorKind::BadRequest);
        assert!(err.message.contains("no version 9"), "{err}");
        let failed = json!({"status": "failed", "output": [],
            "error": {"code": "server_error", "message": "oops"}});
        let err = parse_reply(failed.to_string().as_bytes(), None).unwrap_err();
        assert_eq!(err.kind, AgentErrorKind::Transient);
        for body in [&b"{}"[..], b"[]", b"{\"output\": [", b""] {
            let err = parse_reply(body, None).unwrap_err();
            assert_eq!(err.kind, AgentErrorKind::MalformedReply);
        }
    }
}
