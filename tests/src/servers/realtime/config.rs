//! The session object: its defaults, `session.update` merged into it field by field with
//! the checks the reference documents, and the parameters `response.create` may carry.

use super::check::{boolean, integer, join, known_keys, number, object, one_of, string, Invalid};
use super::items::{parse_item, Item};
use serde_json::{json, Value};
use std::time::{SystemTime, UNIX_EPOCH};

/// The instructions of a new session (the real server sets its own default too).
const DEFAULT_INSTRUCTIONS: &str = "You are a helpful voice assistant (benchcore loopback).";

/// The fields of a realtime session (`RealtimeSessionCreateRequest`).
const SESSION_KEYS: &[&str] = &[
    "type",
    "model",
    "instructions",
    "output_modalities",
    "audio",
    "include",
    "max_output_tokens",
    "prompt",
    "tool_choice",
    "tools",
    "tracing",
    "truncation",
    "parallel_tool_calls",
    "reasoning",
];

/// The fields of `response.create`'s `response` (`RealtimeResponseCreateParams`).
const RESPONSE_KEYS: &[&str] = &[
    "audio",
    "conversation",
    "input",
    "instructions",
    "max_output_tokens",
    "metadata",
    "output_modalities",
    "prompt",
    "tool_choice",
    "tools",
    "parallel_tool_calls",
    "reasoning",
];

fn pcm() -> Value {
    json!({"type": "audio/pcm", "rate": 24000})
}

/// `server_vad` with the reference's defaults.
fn server_vad() -> Value {
    json!({
        "type": "server_vad",
        "threshold": 0.5,
        "prefix_padding_ms": 300,
        "silence_duration_ms": 500,
        "idle_timeout_ms": null,
        "create_response": true,
        "interrupt_response": true,
    })
}

/// The session `session.created` reports: audio out, server VAD on, 24 kHz PCM both ways.
pub(super) fn default_session(id: &str, model: &str) -> Value {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    json!({
        "type": "realtime",
        "object": "realtime.session",
        "id": id,
        "model": model,
        "expires_at": now + 3600,
        "output_modalities": ["audio"],
        "instructions": DEFAULT_INSTRUCTIONS,
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": null,
        "truncation": "auto",
        "prompt": null,
        "include": null,
        "audio": {
            "input": {
                "format": pcm(),
                "transcription": null,
                "noise_reduction": null,
                "turn_detection": server_vad(),
            },
            "output": {"format": pcm(), "voice": "marin", "speed": 1.0},
        },
    })
}

/// The session after `session.update`'s `session` (only the fields present change; a
/// `turn_detection` or `transcription` object replaces the old one whole). `voice_locked`:
/// the model has already answered with audio, so the voice may no longer change.
pub(super) fn apply_update(
    current: &Value,
    update: &Value,
    voice_locked: bool,
) -> Result<Value, Invalid> {
    let fields = object(update, "session")?;
    known_keys(fields, SESSION_KEYS, "session")?;
    match fields.get("type") {
        None => return Err(Invalid::missing("session.type")),
        Some(kind) => {
            if one_of(kind, "session.type", &["realtime", "transcription"])? == "transcription" {
                return Err(Invalid::value(
                    "session.type",
                    "This loopback server implements realtime sessions, not transcription sessions.",
                ));
            }
        }
    }
    let mut next = current.clone();
    for (key, value) in fields {
        let param = join("session", key);
        match key.as_str() {
            "model" => {
                let same = string(value, &param)? == current["model"].as_str().unwrap_or_default();
                if !same {
                    return Err(Invalid::value(
                        &param,
                        "The model of a session cannot be changed.",
                    ));
                }
            }
            "instructions" => {
                string(value, &param)?;
            }
            "output_modalities" => modalities(value, &param)?,
            "max_output_tokens" => max_output_tokens(value, &param)?,
            "tools" => {
                value
                    .as_array()
                    .ok_or_else(|| Invalid::kind(&param, "an array"))?;
            }
            "tool_choice" if !value.is_string() => {
                object(value, &param)?;
            }
            "tracing" | "truncation" | "prompt" if !value.is_string() && !value.is_null() => {
                object(value, &param)?;
            }
            "include" if !value.is_null() => {
                let names = value
                    .as_array()
                    .ok_or_else(|| Invalid::kind(&param, "an array"))?;
                for (i, name) in names.iter().enumerate() {
                    one_of(
                        name,
                        &format!("{param}[{i}]"),
                        &["item.input_audio_transcription.logprobs"],
                    )?;
                }
            }
            "parallel_tool_calls" => {
                boolean(value, &param)?;
            }
            "reasoning" => {
                object(value, &param)?;
            }
            "audio" => {
                merge_audio(&mut next["audio"], value, voice_locked)?;
                continue;
            }
            _ => {}
        }
        next[key] = value.clone();
    }
    Ok(next)
}

/// `output_modalities`: `["audio"]` or `["text"]` ("It is not possible to request both").
fn modalities(value: &Value, param: &str) -> Result<(), Invalid> {
    let names = value
        .as_array()
        .ok_or_else(|| Invalid::kind(param, "an array of strings"))?;
    for (i, name) in names.iter().enumerate() {
        one_of(name, &format!("{param}[{i}]"), &["text", "audio"])?;
    }
    if names.len() != 1 {
        return Err(Invalid::value(
            param,
            format!(
                "Invalid modalities: {value}. Supported combinations are: ['text'] and ['audio']."
            ),
        ));
    }
    Ok(())
}

/// `max_output_tokens`: 1 to 4096, or `"inf"`.
fn max_output_tokens(value: &Value, param: &str) -> Result<(), Invalid> {
    if value.is_string() {
        one_of(value, param, &["inf"])?;
    } else {
        integer(value, param, 1, 4096)?;
    }
    Ok(())
}

/// Merges `session.audio` into `target` (the session's `audio`).
fn merge_audio(target: &mut Value, value: &Value, voice_locked: bool) -> Result<(), Invalid> {
    let audio = object(value, "session.audio")?;
    known_keys(audio, &["input", "output"], "session.audio")?;
    if let Some(input) = audio.get("input") {
        let prefix = "session.audio.input";
        let fields = object(input, prefix)?;
        known_keys(
            fields,
            &[
                "format",
                "noise_reduction",
                "transcription",
                "turn_detection",
            ],
            prefix,
        )?;
        for (key, value) in fields {
            let param = join(prefix, key);
            target["input"][key] = match key.as_str() {
                "format" => format(value, &param)?,
                "turn_detection" => turn_detection(value, &param)?,
                "transcription" => transcription(value, &param)?,
                _ => {
                    if !value.is_null() {
                        let fields = object(value, &param)?;
                        known_keys(fields, &["type"], &param)?;
                        if let Some(kind) = fields.get("type") {
                            one_of(kind, &join(&param, "type"), &["near_field", "far_field"])?;
                        }
                    }
                    value.clone()
                }
            };
        }
    }
    if let Some(output) = audio.get("output") {
        let prefix = "session.audio.output";
        let fields = object(output, prefix)?;
        known_keys(fields, &["format", "voice", "speed"], prefix)?;
        for (key, value) in fields {
            let param = join(prefix, key);
            target["output"][key] = match key.as_str() {
                "format" => format(value, &param)?,
                "voice" => {
                    voice(value, &param)?;
                    if voice_locked && *value != target["output"]["voice"] {
                        return Err(Invalid::new(
                            "cannot_update_voice",
                            "Cannot update the voice once the model has responded with audio.",
                            Some(&param),
                        ));
                    }
                    value.clone()
                }
                _ => {
                    number(value, &param, 0.25, 1.5)?;
                    value.clone()
                }
            };
        }
    }
    Ok(())
}

/// A voice: a name, or `{"id": ...}` for a custom voice.
fn voice(value: &Value, param: &str) -> Result<(), Invalid> {
    if value.is_string() {
        return Ok(());
    }
    let fields = object(value, param).map_err(|_| Invalid::kind(param, "a string or an object"))?;
    known_keys(fields, &["id"], param)?;
    match fields.get("id") {
        Some(id) => string(id, &join(param, "id")).map(|_| ()),
        None => Err(Invalid::missing(&join(param, "id"))),
    }
}

/// An audio format: `audio/pcm` at 24000 Hz (the only rate the reference allows). The
/// reference also has G.711 (`audio/pcmu`, `audio/pcma`); this loopback refuses them.
fn format(value: &Value, param: &str) -> Result<Value, Invalid> {
    let fields = object(value, param)?;
    known_keys(fields, &["type", "rate"], param)?;
    let type_param = join(param, "type");
    let kind = match fields.get("type") {
        Some(kind) => one_of(
            kind,
            &type_param,
            &["audio/pcm", "audio/pcmu", "audio/pcma"],
        )?,
        None => "audio/pcm",
    };
    if kind != "audio/pcm" {
        return Err(Invalid::value(
            &type_param,
            format!("'{kind}' is valid, but this loopback server only implements 'audio/pcm'."),
        ));
    }
    if let Some(rate) = fields.get("rate") {
        if rate.as_f64() != Some(24000.0) {
            return Err(Invalid::value(
                &join(param, "rate"),
                format!("Invalid value: {rate}. Supported values are: 24000."),
            ));
        }
    }
    Ok(pcm())
}

/// `turn_detection`: `null`, `server_vad` or `semantic_vad`, filled with the defaults.
fn turn_detection(value: &Value, param: &str) -> Result<Value, Invalid> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    let fields = object(value, param)?;
    let Some(kind) = fields.get("type") else {
        return Err(Invalid::missing(&join(param, "type")));
    };
    let mut filled = match one_of(kind, &join(param, "type"), &["server_vad", "semantic_vad"])? {
        "server_vad" => {
            let allowed = [
                "type",
                "threshold",
                "prefix_padding_ms",
                "silence_duration_ms",
                "create_response",
                "interrupt_response",
                "idle_timeout_ms",
            ];
            known_keys(fields, &allowed, param)?;
            server_vad()
        }
        _ => {
            let allowed = ["type", "eagerness", "create_response", "interrupt_response"];
            known_keys(fields, &allowed, param)?;
            json!({
                "type": "semantic_vad",
                "eagerness": "auto",
                "create_response": true,
                "interrupt_response": true,
            })
        }
    };
    for (key, value) in fields {
        let field = join(param, key);
        match key.as_str() {
            "threshold" => {
                number(value, &field, 0.0, 1.0)?;
            }
            "prefix_padding_ms" | "silence_duration_ms" => {
                integer(value, &field, 0, 60_000)?;
            }
            "idle_timeout_ms" if !value.is_null() => {
                integer(value, &field, 0, i64::MAX)?;
            }
            "create_response" | "interrupt_response" => {
                boolean(value, &field)?;
            }
            "eagerness" => {
                one_of(value, &field, &["low", "medium", "high", "auto"])?;
            }
            _ => {}
        }
        filled[key] = value.clone();
    }
    Ok(filled)
}

/// `transcription`: `null`, or an object naming (at least) nothing unknown.
fn transcription(value: &Value, param: &str) -> Result<Value, Invalid> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    let fields = object(value, param)?;
    let allowed = [
        "model",
        "language",
        "prompt",
        "delay",
        "keywords",
        "languages",
    ];
    known_keys(fields, &allowed, param)?;
    for key in ["model", "language", "prompt", "delay"] {
        if let Some(v) = fields.get(key) {
            string(v, &join(param, key))?;
        }
    }
    Ok(value.clone())
}

/// What `response.create` asked for beyond the session's settings.
#[derive(Debug, Default)]
pub(super) struct ResponseParams {
    pub(super) modality: Option<String>,
    pub(super) instructions: Option<String>,
    /// `conversation: "none"`: out of band, the output joins no conversation.
    pub(super) out_of_band: bool,
    /// Its own context instead of the conversation.
    pub(super) input: Option<Vec<Item>>,
    pub(super) metadata: Value,
    pub(super) voice: Option<Value>,
    pub(super) max_output_tokens: Option<Value>,
}

/// Checks `response.create`'s optional `response`; `new_id` names input items without one.
pub(super) fn response_params(
    value: Option<&Value>,
    mut new_id: impl FnMut() -> String,
) -> Result<ResponseParams, Invalid> {
    let mut params = ResponseParams::default();
    let Some(value) = value else {
        return Ok(params);
    };
    let fields = object(value, "response")?;
    known_keys(fields, RESPONSE_KEYS, "response")?;
    for (key, value) in fields {
        let param = join("response", key);
        match key.as_str() {
            "output_modalities" => {
                modalities(value, &param)?;
                params.modality = value[0].as_str().map(str::to_owned);
            }
            "instructions" => params.instructions = Some(string(value, &param)?.to_owned()),
            "conversation" => {
                params.out_of_band = one_of(value, &param, &["auto", "none"])? == "none";
            }
            "input" => {
                let items = value
                    .as_array()
                    .ok_or_else(|| Invalid::kind(&param, "an array"))?;
                let mut parsed = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    parsed.push(parse_item(item, &format!("{param}[{i}]"), new_id())?.0);
                }
                params.input = Some(parsed);
            }
            "metadata" => {
                let entries = object(value, &param)?;
                if entries.len() > 16 || entries.values().any(|v| !v.is_string()) {
                    return Err(Invalid::value(
                        &param,
                        "Metadata holds up to 16 string values.",
                    ));
                }
                params.metadata = value.clone();
            }
            "max_output_tokens" => {
                max_output_tokens(value, &param)?;
                params.max_output_tokens = Some(value.clone());
            }
            "audio" => {
                let audio = object(value, &param)?;
                known_keys(audio, &["output"], &param)?;
                if let Some(output) = audio.get("output") {
                    let output_param = join(&param, "output");
                    let output = object(output, &output_param)?;
                    known_keys(output, &["format", "voice"], &output_param)?;
                    if let Some(f) = output.get("format") {
                        format(f, &join(&output_param, "format"))?;
                    }
                    if let Some(v) = output.get("voice") {
                        voice(v, &join(&output_param, "voice"))?;
                        params.voice = Some(v.clone());
                    }
                }
            }
            _ => {}
        }
    }
    Ok(params)
}
