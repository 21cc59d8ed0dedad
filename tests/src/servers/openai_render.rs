//! OpenAI reply bodies and event streams, as the API reference shows them: a
//! `chat.completion` (or its `chat.completion.chunk` stream) and a Responses API `response`
//! (or its event stream), with text, tool calls and how the reply ended.

use super::tool_wire::{argument_pieces, Ending};
use axum::body::Bytes;
use benchcore::Usage;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Which endpoint a request came to, with what it asked: this decides the reply's shape.
pub(crate) enum Exchange {
    Chat {
        model: String,
        prompt_words: u64,
        stream: bool,
        include_usage: bool,
    },
    Responses {
        model: String,
        prompt: Value,
        prompt_words: u64,
        stream: bool,
    },
}

impl Exchange {
    pub(crate) fn streams(&self) -> bool {
        matches!(
            self,
            Exchange::Chat { stream: true, .. } | Exchange::Responses { stream: true, .. }
        )
    }

    pub(crate) fn prompt_words(&self) -> u64 {
        match self {
            Exchange::Chat { prompt_words, .. } | Exchange::Responses { prompt_words, .. } => {
                *prompt_words
            }
        }
    }

    pub(crate) fn model(&self) -> &str {
        match self {
            Exchange::Chat { model, .. } | Exchange::Responses { model, .. } => model,
        }
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `finish_reason` for an ending.
fn finish_reason(ending: &Ending) -> &'static str {
    match ending {
        Ending::Stop => "stop",
        Ending::Calls(_) => "tool_calls",
        Ending::MaxTokens => "length",
    }
}

/// A call as a `chat.completion` message carries it.
fn chat_call(call: &super::ScriptedCall) -> Value {
    json!({"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}})
}

/// A `function_call` output item.
fn function_call_item(
    call: &super::ScriptedCall,
    n: usize,
    arguments: &str,
    status: &str,
) -> Value {
    json!({"type": "function_call", "id": format!("fc_mock{n}"), "call_id": call.id,
           "name": call.name, "arguments": arguments, "status": status})
}

/// A whole reply body in the endpoint's shape.
pub(crate) fn body(exchange: &Exchange, text: &str, usage: Usage, ending: &Ending) -> Vec<u8> {
    let calls = ending.calls();
    let body = match exchange {
        Exchange::Chat { model, .. } => {
            let mut message = json!({"role": "assistant", "content": text, "refusal": null});
            if !calls.is_empty() {
                if text.is_empty() {
                    message["content"] = Value::Null;
                }
                message["tool_calls"] = calls.iter().map(chat_call).collect();
            }
            json!({
                "id": format!("chatcmpl-mock{:012x}", next_id()),
                "object": "chat.completion",
                "created": now(),
                "model": model,
                "system_fingerprint": "fp_mock",
                "choices": [{
                    "index": 0,
                    "message": message,
                    "logprobs": null,
                    "finish_reason": finish_reason(ending)
                }],
                "usage": {
                    "prompt_tokens": usage.input_tokens,
                    "completion_tokens": usage.output_tokens,
                    "total_tokens": usage.total()
                }
            })
        }
        Exchange::Responses { model, prompt, .. } => {
            let id = next_id();
            let mut output = Vec::new();
            if !text.is_empty() || calls.is_empty() {
                output.push(json!({
                    "type": "message",
                    "id": format!("msg_mock{id:012x}"),
                    "status": "completed",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": text, "annotations": []}]
                }));
            }
            output.extend(
                calls
                    .iter()
                    .enumerate()
                    .map(|(n, call)| function_call_item(call, n, &call.arguments, "completed")),
            );
            let (status, incomplete) = match ending {
                Ending::MaxTokens => ("incomplete", json!({"reason": "max_output_tokens"})),
                _ => ("completed", Value::Null),
            };
            json!({
                "id": format!("resp_mock{id:012x}"),
                "object": "response",
                "created_at": now(),
                "status": status,
                "error": null,
                "incomplete_details": incomplete,
                "model": model,
                "output": output,
                "prompt": prompt,
                "usage": {
                    "input_tokens": usage.input_tokens,
                    "input_tokens_details": {"cached_tokens": 0},
                    "output_tokens": usage.output_tokens,
                    "output_tokens_details": {"reasoning_tokens": 0},
                    "total_tokens": usage.total()
                }
            })
        }
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

/// One `data:` event.
pub(crate) fn sse_data(value: &Value) -> Bytes {
    Bytes::from(format!("data: {value}\n\n"))
}

/// A streamed chat completion: a first chunk with the role, one chunk per piece, each tool
/// call (its id and name, then its arguments in pieces, keyed by `index`), a chunk with
/// `finish_reason`, a usage chunk when asked for, then `[DONE]`.
pub(crate) fn stream_events(
    exchange: &Exchange,
    chunks: &[String],
    usage: Usage,
    ending: &Ending,
) -> Vec<Bytes> {
    let Exchange::Chat {
        model,
        include_usage,
        ..
    } = exchange
    else {
        return responses_stream_events(exchange, chunks, usage, ending);
    };
    let id = format!("chatcmpl-mock{:012x}", next_id());
    let created = now();
    let chunk = |delta: Value, finish: Option<&str>| {
        let mut value = json!({
            "id": id, "object": "chat.completion.chunk", "created": created, "model": model,
            "system_fingerprint": "fp_mock",
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]
        });
        if *include_usage {
            value["usage"] = Value::Null;
        }
        sse_data(&value)
    };
    let mut events = vec![chunk(
        json!({"role": "assistant", "content": "", "refusal": null}),
        None,
    )];
    events.extend(chunks.iter().map(|c| chunk(json!({"content": c}), None)));
    for (index, call) in ending.calls().iter().enumerate() {
        events.push(chunk(
            json!({"tool_calls": [{"index": index, "id": call.id, "type": "function",
                                    "function": {"name": call.name, "arguments": ""}}]}),
            None,
        ));
        for piece in argument_pieces(&call.arguments) {
            events.push(chunk(
                json!({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}),
                None,
            ));
        }
    }
    events.push(chunk(json!({}), Some(finish_reason(ending))));
    if *include_usage {
        events.push(sse_data(&json!({
            "id": id, "object": "chat.completion.chunk", "created": created, "model": model,
            "system_fingerprint": "fp_mock", "choices": [],
            "usage": {"prompt_tokens": usage.input_tokens, "completion_tokens": usage.output_tokens,
                      "total_tokens": usage.total()}
        })));
    }
    events.push(Bytes::from_static(b"data: [DONE]\n\n"));
    events
}

/// A streamed Responses API reply, as OpenAI sends it: `response.created`, one
/// `response.output_text.delta` per piece and `response.output_text.done`; per tool call
/// `response.output_item.added`, its `response.function_call_arguments.delta`s,
/// `response.function_call_arguments.done` and `response.output_item.done`; then
/// `response.completed` (or `response.incomplete`) carrying the whole response. Each event is
/// named (`event:`) and its data has the same `type`.
fn responses_stream_events(
    exchange: &Exchange,
    chunks: &[String],
    usage: Usage,
    ending: &Ending,
) -> Vec<Bytes> {
    let text = chunks.concat();
    let Ok(completed) = serde_json::from_slice::<Value>(&body(exchange, &text, usage, ending))
    else {
        return Vec::new();
    };
    let mut created = completed.clone();
    created["status"] = json!("in_progress");
    created["output"] = json!([]);
    created["usage"] = Value::Null;
    let mut sequence = 0u64;
    let mut event = |kind: &str, mut data: Value| {
        data["type"] = json!(kind);
        data["sequence_number"] = json!(sequence);
        sequence += 1;
        Bytes::from(format!("event: {kind}\ndata: {data}\n\n"))
    };
    let mut events = vec![event("response.created", json!({"response": created}))];
    let output = completed["output"].as_array().cloned().unwrap_or_default();
    for (index, item) in output.iter().enumerate() {
        if item["type"] == "message" {
            let item_id = &item["id"];
            for piece in chunks {
                events.push(event(
                    "response.output_text.delta",
                    json!({"item_id": item_id, "output_index": index, "content_index": 0, "delta": piece}),
                ));
            }
            events.push(event(
                "response.output_text.done",
                json!({"item_id": item_id, "output_index": index, "content_index": 0, "text": text}),
            ));
            continue;
        }
        let mut added = item.clone();
        added["arguments"] = json!("");
        added["status"] = json!("in_progress");
        events.push(event(
            "response.output_item.added",
            json!({"output_index": index, "item": added}),
        ));
        let arguments = item["arguments"].as_str().unwrap_or_default();
        for piece in argument_pieces(arguments) {
            events.push(event(
                "response.function_call_arguments.delta",
                json!({"item_id": item["id"], "output_index": index, "delta": piece}),
            ));
        }
        events.push(event(
            "response.function_call_arguments.done",
            json!({"item_id": item["id"], "output_index": index, "arguments": arguments}),
        ));
        events.push(event(
            "response.output_item.done",
            json!({"output_index": index, "item": item}),
        ));
    }
    let last = if completed["status"] == "incomplete" {
        "response.incomplete"
    } else {
        "response.completed"
    };
    events.push(event(last, json!({"response": completed})));
    events
}
