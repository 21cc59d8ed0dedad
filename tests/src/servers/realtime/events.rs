//! Server events outside a response's stream, shaped as the reference's server events page
//! shows them. The session adds each event's `event_id` when it sends it.

use super::audio::user_audio_tokens;
use super::items::{words, Tokens};
use serde_json::{json, Value};

/// `error`: `kind` is `invalid_request_error` or `server_error`; `event_id` is the client
/// event's, when it had one.
pub(super) fn error(
    kind: &str,
    code: &str,
    message: &str,
    param: Option<&str>,
    event_id: Option<&str>,
) -> Value {
    json!({
        "type": "error",
        "error": {
            "type": kind,
            "code": code,
            "message": message,
            "param": param,
            "event_id": event_id,
        },
    })
}

/// `session.created` or `session.updated` (`kind`), with the full session.
pub(super) fn session(kind: &str, session: &Value) -> Value {
    json!({"type": kind, "session": session})
}

/// `conversation.created`, "emitted right after session creation".
pub(super) fn conversation_created(id: &str) -> Value {
    json!({
        "type": "conversation.created",
        "conversation": {"id": id, "object": "realtime.conversation"},
    })
}

/// `conversation.item.added` or `conversation.item.done` (`kind`).
pub(super) fn item(kind: &str, item: &Value, previous_item_id: Option<&str>) -> Value {
    json!({"type": kind, "previous_item_id": previous_item_id, "item": item})
}

/// `conversation.item.retrieved`.
pub(super) fn retrieved(item: Value) -> Value {
    json!({"type": "conversation.item.retrieved", "item": item})
}

/// `conversation.item.deleted`.
pub(super) fn deleted(item_id: &str) -> Value {
    json!({"type": "conversation.item.deleted", "item_id": item_id})
}

/// `conversation.item.truncated`.
pub(super) fn truncated(item_id: &str, content_index: i64, audio_end_ms: i64) -> Value {
    json!({
        "type": "conversation.item.truncated",
        "item_id": item_id,
        "content_index": content_index,
        "audio_end_ms": audio_end_ms,
    })
}

/// `conversation.item.input_audio_transcription.completed`, with token usage (the audio
/// in, the words out).
pub(super) fn transcription(item_id: &str, transcript: &str, audio_ms: u64) -> Value {
    let audio = user_audio_tokens(audio_ms);
    let out = words(transcript);
    json!({
        "type": "conversation.item.input_audio_transcription.completed",
        "item_id": item_id,
        "content_index": 0,
        "transcript": transcript,
        "usage": {
            "type": "tokens",
            "input_tokens": audio,
            "output_tokens": out,
            "total_tokens": audio + out,
            "input_token_details": {"text_tokens": 0, "audio_tokens": audio},
        },
    })
}

/// `input_audio_buffer.committed`.
pub(super) fn committed(item_id: &str, previous_item_id: Option<&str>) -> Value {
    json!({
        "type": "input_audio_buffer.committed",
        "item_id": item_id,
        "previous_item_id": previous_item_id,
    })
}

/// `input_audio_buffer.cleared`.
pub(super) fn cleared() -> Value {
    json!({"type": "input_audio_buffer.cleared"})
}

/// `input_audio_buffer.speech_started`.
pub(super) fn speech_started(audio_start_ms: u64, item_id: &str) -> Value {
    json!({
        "type": "input_audio_buffer.speech_started",
        "audio_start_ms": audio_start_ms,
        "item_id": item_id,
    })
}

/// `input_audio_buffer.speech_stopped`.
pub(super) fn speech_stopped(audio_end_ms: u64, item_id: &str) -> Value {
    json!({
        "type": "input_audio_buffer.speech_stopped",
        "audio_end_ms": audio_end_ms,
        "item_id": item_id,
    })
}

/// `rate_limits.updated` with both limits the reference names.
pub(super) fn rate_limits(requests_remaining: u64, tokens_remaining: u64) -> Value {
    json!({
        "type": "rate_limits.updated",
        "rate_limits": [
            {"name": "requests", "limit": 5000, "remaining": requests_remaining, "reset_seconds": 0.012},
            {"name": "tokens", "limit": 400000, "remaining": tokens_remaining, "reset_seconds": 0.6},
        ],
    })
}

/// A response's `usage`: `cached` is the part of `input` a previous response already read.
pub(super) fn usage(input: Tokens, cached: Tokens, output: Tokens) -> Value {
    json!({
        "total_tokens": input.total() + output.total(),
        "input_tokens": input.total(),
        "output_tokens": output.total(),
        "input_token_details": {
            "text_tokens": input.text,
            "audio_tokens": input.audio,
            "image_tokens": 0,
            "cached_tokens": cached.total(),
            "cached_tokens_details": {
                "text_tokens": cached.text,
                "audio_tokens": cached.audio,
                "image_tokens": 0,
            },
        },
        "output_token_details": {"text_tokens": output.text, "audio_tokens": output.audio},
    })
}
