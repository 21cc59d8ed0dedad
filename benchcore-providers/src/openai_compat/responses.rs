//! OpenAI's Responses API, for prompts managed on OpenAI's platform: the request that
//! names the prompt, and the reading of its reply. Only the fields this agent sends or
//! reads.

use super::api::Prompt;
use crate::http::{self, ProviderError};
use benchcore::{AgentError, AgentReply, Message, Role, Sampling, Usage};
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
    pub(crate) input: Vec<InputMessage<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max_output_tokens: Option<u32>,
    /// Ask for server-sent events.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) stream: bool,
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

/// One message of `input`. Tool output is sent as the user's, as `input` messages take
/// `user`, `assistant`, `system` and `developer` roles only.
#[derive(Debug, Serialize)]
pub(crate) struct InputMessage<'a> {
    pub(crate) role: &'static str,
    pub(crate) content: &'a str,
}

impl<'a> ResponsesRequest<'a> {
    pub(crate) fn new(
        model: &'a str,
        prompt: &'a Prompt,
        messages: &'a [Message],
        sampling: &Sampling,
        stream: bool,
    ) -> Self {
        Self {
            model: (!model.trim().is_empty()).then_some(model),
            prompt: PromptRef {
                id: &prompt.id,
                version: prompt.version.as_deref(),
                variables: &prompt.variables,
            },
            input: messages
                .iter()
                .map(|m| InputMessage {
                    role: match m.role {
                        Role::System => "system",
                        Role::Assistant => "assistant",
                        Role::User | Role::Tool => "user",
                    },
                    content: &m.content,
                })
                .collect(),
            temperature: sampling.temperature,
            max_output_tokens: sampling.max_tokens,
            stream,
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
}

/// One output item; only `message` items hold the reply's text.
#[derive(Debug, Deserialize)]
struct OutputItem {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    content: Vec<OutputContent>,
}

/// One part of a message item; only `output_text` parts hold text (a `refusal` does not).
#[derive(Debug, Deserialize)]
struct OutputContent {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
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
    let text = match (response.output_text, response.output) {
        (Some(text), _) => text,
        (None, Some(output)) => output
            .iter()
            .filter(|item| item.kind == "message")
            .flat_map(|item| &item.content)
            .filter(|part| part.kind == "output_text")
            .filter_map(|part| part.text.as_deref())
            .collect(),
        (None, None) => {
            return Err(AgentError::malformed(
                "the reply has neither `output` nor `output_text`",
            ))
        }
    };
    let mut reply = AgentReply::text(text);
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
        match event["type"].as_str().unwrap_or_default() {
            "response.output_text.delta" => {
                let delta = event["delta"].as_str().unwrap_or_default();
                if !delta.is_empty() && self.first_token.is_none() {
                    self.first_token = Some(self.started.elapsed());
                }
                self.text.push_str(delta);
            }
            "response.completed" => {
                let response: ResponseObject = serde_json::from_value(event["response"].clone())
                    .map_err(|err| {
                        AgentError::malformed(format!(
                            "`response.completed` holds no response: {err}"
                        ))
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
    use benchcore::AgentErrorKind;
    use serde_json::json;

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
            "", &prompt, &messages, &sampling, false,
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
        let body = serde_json::to_value(ResponsesRequest::new(
            "gpt-4o",
            &bare,
            &[],
            &Sampling::default(),
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
