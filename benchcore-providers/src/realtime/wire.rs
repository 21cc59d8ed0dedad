//! The Realtime API's events as JSON: the client events this agent sends, and the reading
//! of the server events it acts on. Every other server event is kept in the raw log.

use super::config::{RealtimeConfig, TurnDetection};
use base64::Engine as _;
use benchcore::agent::VoiceUsage;
use benchcore::{Message, Role};
use serde_json::{json, Value};

/// `session.update`: instructions, voice, output modality, 24 kHz PCM both ways, turn
/// detection and input transcription.
pub(crate) fn session_update(config: &RealtimeConfig, instructions: &str) -> Value {
    let turn_detection = match config.turn_detection_or_default() {
        TurnDetection::None => Value::Null,
        TurnDetection::ServerVad => json!({"type": "server_vad"}),
        TurnDetection::SemanticVad => json!({"type": "semantic_vad"}),
    };
    let pcm = json!({"type": "audio/pcm", "rate": 24_000});
    let mut input = json!({"format": pcm, "turn_detection": turn_detection});
    if config.mode == super::RealtimeMode::Audio {
        let model = config
            .transcription_model
            .as_deref()
            .unwrap_or(RealtimeConfig::DEFAULT_TRANSCRIPTION_MODEL);
        input["transcription"] = json!({"model": model});
    }
    let voice = config
        .voice
        .as_deref()
        .unwrap_or(RealtimeConfig::DEFAULT_VOICE);
    let modality = if config.text_output { "text" } else { "audio" };
    let mut session = json!({
        "type": "realtime",
        "instructions": instructions,
        "output_modalities": [modality],
        "audio": {"input": input, "output": {"format": pcm, "voice": voice}},
    });
    if let Some(max) = config.max_tokens {
        session["max_output_tokens"] = json!(max);
    }
    json!({"type": "session.update", "session": session})
}

/// `conversation.item.create` of one message of the conversation so far: the other side's
/// as `input_text`, this agent's own as `output_text`.
pub(crate) fn text_item(message: &Message) -> Option<Value> {
    let (role, part) = match message.role {
        Role::User => ("user", "input_text"),
        Role::Assistant => ("assistant", "output_text"),
        _ => return None,
    };
    Some(json!({
        "type": "conversation.item.create",
        "item": {
            "type": "message",
            "role": role,
            "content": [{"type": part, "text": message.content}],
        },
    }))
}

/// `input_audio_buffer.append` of PCM16 samples.
pub(crate) fn append_audio(samples: &[i16]) -> Value {
    let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    let audio = base64::engine::general_purpose::STANDARD.encode(bytes);
    json!({"type": "input_audio_buffer.append", "audio": audio})
}

/// A client event with no fields (`response.create`, `input_audio_buffer.commit` …).
pub(crate) fn bare(kind: &str) -> Value {
    json!({ "type": kind })
}

/// `conversation.item.truncate`: the reply `item_id` was heard up to `audio_end_ms`.
pub(crate) fn truncate(item_id: &str, audio_end_ms: u64) -> Value {
    json!({
        "type": "conversation.item.truncate",
        "item_id": item_id,
        "content_index": 0,
        "audio_end_ms": audio_end_ms,
    })
}

/// An event's `type`.
pub(crate) fn kind(event: &Value) -> &str {
    event.get("type").and_then(Value::as_str).unwrap_or("")
}

/// A string field of an event.
pub(crate) fn text<'a>(event: &'a Value, field: &str) -> &'a str {
    event.get(field).and_then(Value::as_str).unwrap_or("")
}

/// The PCM16 samples of an audio delta; `None` when the payload is not base64 of whole
/// samples.
pub(crate) fn audio_delta(event: &Value) -> Option<Vec<i16>> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text(event, "delta"))
        .ok()?;
    if bytes.len() % 2 != 0 {
        return None;
    }
    Some(
        bytes
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect(),
    )
}

/// The usage of a `response.done`, split into text and audio.
pub(crate) fn usage(response: &Value) -> VoiceUsage {
    let usage = &response["usage"];
    let n = |v: &Value| v.as_u64().unwrap_or(0);
    let input = &usage["input_token_details"];
    let output = &usage["output_token_details"];
    let mut split = VoiceUsage {
        text_input_tokens: n(&input["text_tokens"]),
        audio_input_tokens: n(&input["audio_tokens"]),
        cached_input_tokens: n(&input["cached_tokens"]),
        cached_audio_input_tokens: n(&input["cached_tokens_details"]["audio_tokens"]),
        text_output_tokens: n(&output["text_tokens"]),
        audio_output_tokens: n(&output["audio_tokens"]),
    };
    // A provider that reports totals only: count them as text.
    if split.input_tokens() == 0 {
        split.text_input_tokens = n(&usage["input_tokens"]);
    }
    if split.output_tokens() == 0 {
        split.text_output_tokens = n(&usage["output_tokens"]);
    }
    split
}

/// An `error` event's code (else its type), its type, and the whole of it in one line.
pub(crate) fn error_line(event: &Value) -> (String, String, String) {
    let error = &event["error"];
    let kind = error["type"].as_str().unwrap_or("").to_owned();
    let code = error["code"]
        .as_str()
        .filter(|c| !c.is_empty())
        .unwrap_or(if kind.is_empty() { "error" } else { &kind })
        .to_owned();
    let mut message = format!("{}: {}", code, text(error, "message"));
    if let Some(param) = error["param"].as_str() {
        message.push_str(&format!(" (param `{param}`)"));
    }
    (code, kind, message)
}

/// The event as kept in the raw log: audio payloads replaced by their size.
pub(crate) fn for_log(event: &Value) -> Value {
    let mut event = event.clone();
    if let Some(obj) = event.as_object_mut() {
        for field in ["delta", "audio"] {
            let is_audio = kind_is_audio(obj.get("type").and_then(Value::as_str).unwrap_or(""));
            if is_audio || field == "audio" {
                if let Some(Value::String(payload)) = obj.get(field) {
                    let bytes = payload.len() / 4 * 3;
                    obj.insert(field.to_owned(), json!({ "base64_bytes": bytes }));
                }
            }
        }
    }
    event
}

fn kind_is_audio(kind: &str) -> bool {
    kind == "response.output_audio.delta" || kind == "response.audio.delta"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_splits_text_and_audio_tokens() {
        let done = json!({"usage": {
            "total_tokens": 60, "input_tokens": 40, "output_tokens": 20,
            "input_token_details": {"text_tokens": 30, "audio_tokens": 10, "cached_tokens": 8,
                "cached_tokens_details": {"text_tokens": 6, "audio_tokens": 2}},
            "output_token_details": {"text_tokens": 5, "audio_tokens": 15}}});
        let usage = usage(&done);
        assert_eq!(usage.text_input_tokens, 30);
        assert_eq!(usage.audio_input_tokens, 10);
        assert_eq!(usage.cached_input_tokens, 8);
        assert_eq!(usage.cached_audio_input_tokens, 2);
        assert_eq!(usage.output_tokens(), 20);
        let totals = self::usage(&json!({"usage": {"input_tokens": 7, "output_tokens": 3}}));
        assert_eq!(
            (totals.text_input_tokens, totals.text_output_tokens),
            (7, 3)
        );
    }

    #[test]
    fn audio_deltas_decode_whole_samples_only() {
        let delta = append_audio(&[1, -2, 300]);
        let event = json!({"delta": delta["audio"]});
        assert_eq!(audio_delta(&event), Some(vec![1, -2, 300]));
        assert_eq!(audio_delta(&json!({"delta": "AAAA"})), None, "three bytes");
        assert_eq!(audio_delta(&json!({"delta": "%%"})), None);
    }

    #[test]
    fn the_log_keeps_sizes_not_audio() {
        let event = json!({"type": "response.output_audio.delta", "delta": "AAAA"});
        assert_eq!(for_log(&event)["delta"], json!({"base64_bytes": 3}));
        let text = json!({"type": "response.output_text.delta", "delta": "hi"});
        assert_eq!(for_log(&text)["delta"], "hi");
    }
}
