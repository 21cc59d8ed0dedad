//! Conversation items: the checks `conversation.item.create` gets, the conversation's
//! order, and what its items count as model input.

use super::audio::{self, assistant_audio_tokens, user_audio_tokens};
use super::check::{known_keys, object, one_of, string, Invalid};
use serde_json::{json, Value};

/// An item of the conversation (or of a response's own `input`).
#[derive(Debug, Clone)]
pub(super) struct Item {
    pub(super) id: String,
    /// `user`, `assistant` or `system`; empty for function call items.
    pub(super) role: String,
    /// The item as events show it: no audio bytes, `transcript` on audio parts.
    pub(super) json: Value,
    /// The text the model reads: text parts, function names, arguments and outputs.
    pub(super) text: String,
    /// PCM16 of its `input_audio` or `output_audio` parts.
    pub(super) audio: Vec<u8>,
    /// The transcript of its audio: assigned at commit for user audio, the spoken text for
    /// assistant audio.
    pub(super) transcript: Option<String>,
    /// Where `conversation.item.truncate` cut its audio.
    pub(super) truncated_ms: Option<u64>,
}

impl Item {
    /// A user message holding committed input audio.
    pub(super) fn committed(id: String, audio: Vec<u8>, transcript: String) -> Item {
        Item {
            json: json!({
                "id": id,
                "object": "realtime.item",
                "type": "message",
                "status": "completed",
                "role": "user",
                "content": [{"type": "input_audio", "transcript": null}],
            }),
            id,
            role: "user".into(),
            text: String::new(),
            audio,
            transcript: Some(transcript),
            truncated_ms: None,
        }
    }

    /// The length of its audio.
    pub(super) fn audio_ms(&self) -> u64 {
        audio::ms_of(self.audio.len())
    }

    /// The item with its audio bytes, as `conversation.item.retrieved` shows it.
    pub(super) fn with_audio(&self) -> Value {
        let mut item = self.json.clone();
        if let Some(parts) = item["content"].as_array_mut() {
            let kept = self.truncated_ms.map_or(self.audio.len(), audio::bytes_of);
            let bytes = &self.audio[..kept.min(self.audio.len())];
            for part in parts
                .iter_mut()
                .filter(|p| matches!(p["type"].as_str(), Some("input_audio" | "output_audio")))
            {
                part["audio"] = Value::String(audio::encode(bytes));
            }
        }
        item
    }

    /// What a user message says: its text, else its audio's transcript.
    fn user_text(&self) -> Option<String> {
        if self.role != "user" {
            return None;
        }
        if !self.text.trim().is_empty() {
            return Some(self.text.clone());
        }
        self.transcript.clone()
    }
}

/// Text and audio token counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Tokens {
    pub(super) text: u64,
    pub(super) audio: u64,
}

impl Tokens {
    pub(super) fn total(self) -> u64 {
        self.text + self.audio
    }
}

/// Text tokens of `text`: its words.
pub(super) fn words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

/// The input tokens of a response reading `instructions` and `items`: words for text, user
/// audio at 1 token per 100 ms, assistant audio at 1 per 50 ms (up to a truncation, which
/// also drops the transcript).
pub(super) fn input_tokens(instructions: &str, items: &[Item]) -> Tokens {
    let mut tokens = Tokens {
        text: words(instructions),
        audio: 0,
    };
    for item in items {
        tokens.text += words(&item.text);
        if item.audio.is_empty() {
            continue;
        }
        if item.role == "assistant" {
            let ms = item.truncated_ms.unwrap_or_else(|| item.audio_ms());
            tokens.audio += assistant_audio_tokens(ms);
            if item.truncated_ms.is_none() {
                tokens.text += words(item.transcript.as_deref().unwrap_or(""));
            }
        } else {
            tokens.audio += user_audio_tokens(item.audio_ms());
        }
    }
    tokens
}

/// The latest user message's text (or transcript).
pub(super) fn last_user_text(items: &[Item]) -> Option<String> {
    items.iter().rev().find_map(Item::user_text)
}

/// The items of a session, in order.
#[derive(Debug, Default)]
pub(super) struct Conversation {
    items: Vec<Item>,
}

impl Conversation {
    pub(super) fn items(&self) -> &[Item] {
        &self.items
    }

    pub(super) fn get(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|item| item.id == id)
    }

    pub(super) fn get_mut(&mut self, id: &str) -> Option<&mut Item> {
        self.items.iter_mut().find(|item| item.id == id)
    }

    /// The id of the last item.
    pub(super) fn last_id(&self) -> Option<String> {
        self.items.last().map(|item| item.id.clone())
    }

    /// Adds `item` after the item `previous` (at the end when `None`, first when `"root"`),
    /// returning the id of the item now before it.
    pub(super) fn insert(
        &mut self,
        item: Item,
        previous: Option<&str>,
    ) -> Result<Option<String>, Invalid> {
        if self.get(&item.id).is_some() {
            return Err(Invalid::value(
                "item.id",
                format!("Item with id '{}' already exists.", item.id),
            ));
        }
        let at = match previous {
            None => self.items.len(),
            Some("root") => 0,
            Some(id) => match self.items.iter().position(|item| item.id == id) {
                Some(i) => i + 1,
                None => {
                    return Err(Invalid::value(
                        "previous_item_id",
                        format!("Item with item_id '{id}' not found."),
                    ))
                }
            },
        };
        let before = at.checked_sub(1).map(|i| self.items[i].id.clone());
        self.items.insert(at, item);
        Ok(before)
    }

    /// Adds `item` at the end, returning the id of the item before it.
    pub(super) fn push(&mut self, item: Item) -> Option<String> {
        let before = self.last_id();
        self.items.push(item);
        before
    }

    /// Replaces the item with `item`'s id (keeping a truncation), or adds it at the end.
    pub(super) fn upsert(&mut self, item: Item) {
        match self.get_mut(&item.id) {
            Some(old) => {
                let truncated = old.truncated_ms;
                *old = item;
                if truncated.is_some() {
                    old.truncated_ms = truncated;
                    old.transcript = Some(String::new());
                }
            }
            None => self.items.push(item),
        }
    }

    /// Removes the item `id`; `false` when there is none.
    pub(super) fn remove(&mut self, id: &str) -> bool {
        let before = self.items.len();
        self.items.retain(|item| item.id != id);
        self.items.len() < before
    }
}

/// A conversation item of `conversation.item.create` (or of `response.input`), checked as
/// the reference describes it: the item as the conversation holds it and as the stats
/// record it (audio payloads replaced by `{"audio_bytes": N}`).
pub(super) fn parse_item(
    value: &Value,
    param: &str,
    new_id: String,
) -> Result<(Item, Value), Invalid> {
    let fields = object(value, param)?;
    let at = |name: &str| format!("{param}.{name}");
    let kind = match fields.get("type") {
        Some(kind) => one_of(
            kind,
            &at("type"),
            &[
                "message",
                "function_call",
                "function_call_output",
                "item_reference",
            ],
        )?,
        None => return Err(Invalid::missing(&at("type"))),
    };
    let id = match fields.get("id") {
        Some(id) => string(id, &at("id"))?.to_owned(),
        None => new_id,
    };
    let mut shown = value.clone();
    shown["id"] = json!(id);
    shown["object"] = json!("realtime.item");
    shown["status"] = json!("completed");
    let mut recorded = value.clone();
    let mut item = Item {
        id,
        role: String::new(),
        json: Value::Null,
        text: String::new(),
        audio: Vec::new(),
        transcript: None,
        truncated_ms: None,
    };
    match kind {
        "message" => {
            known_keys(fields, &["id", "type", "object", "status", "role", "content"], param)?;
            let role = match fields.get("role") {
                Some(role) => one_of(role, &at("role"), &["user", "assistant", "system"])?,
                None => return Err(Invalid::missing(&at("role"))),
            };
            item.role = role.to_owned();
            let Some(content) = fields.get("content") else {
                return Err(Invalid::missing(&at("content")));
            };
            let parts = content
                .as_array()
                .ok_or_else(|| Invalid::kind(&at("content"), "an array"))?;
            for (i, part) in parts.iter().enumerate() {
                let part_param = format!("{param}.content[{i}]");
                read_part(part, &part_param, role, &mut item)?;
                if let Some(audio) = part.get("audio") {
                    let bytes = audio::decode(audio.as_str().unwrap_or_default()).unwrap_or_default();
                    recorded["content"][i]["audio"] = json!({"audio_bytes": bytes.len()});
                    let shown_part = &mut shown["content"][i];
                    if let Some(obj) = shown_part.as_object_mut() {
                        obj.remove("audio");
                        obj.entry("transcript").or_insert(Value::Null);
                    }
                }
            }
        }
        "function_call" => {
            let allowed = ["id", "type", "object", "status", "call_id", "name", "arguments"];
            known_keys(fields, &allowed, param)?;
            for name in ["name", "arguments"] {
                match fields.get(name) {
                    Some(v) => item.text.push_str(&format!("{} ", string(v, &at(name))?)),
                    None => return Err(Invalid::missing(&at(name))),
                }
            }
        }
        "function_call_output" => {
            known_keys(fields, &["id", "type", "object", "status", "call_id", "output"], param)?;
            for name in ["call_id", "output"] {
                let Some(v) = fields.get(name) else {
                    return Err(Invalid::missing(&at(name)));
                };
                string(v, &at(name))?;
            }
            item.text = fields["output"].as_str().unwrap_or_default().to_owned();
        }
        _ => {
            return Err(Invalid::value(
                &at("type"),
                "Item references are only accepted in a response's input by the real API; this loopback server does not resolve them.",
            ))
        }
    }
    item.json = shown;
    Ok((item, recorded))
}

/// Checks one content part of a message of `role`, adding its text or audio to `item`.
fn read_part(part: &Value, param: &str, role: &str, item: &mut Item) -> Result<(), Invalid> {
    let fields = object(part, param)?;
    let at = |name: &str| format!("{param}.{name}");
    let allowed: &[&str] = match role {
        "user" => &["input_text", "input_audio", "input_image"],
        "system" => &["input_text"],
        _ => &["output_text"],
    };
    let Some(kind) = fields.get("type") else {
        return Err(Invalid::missing(&at("type")));
    };
    let kind = string(kind, &at("type"))?;
    if role == "assistant" && kind == "output_audio" {
        return Err(Invalid::value(
            &at("type"),
            "conversation.item.create cannot populate assistant audio messages; use 'output_text'.",
        ));
    }
    let kind = one_of(&fields["type"], &at("type"), allowed)?;
    match kind {
        "input_text" | "output_text" => {
            known_keys(fields, &["type", "text"], param)?;
            let Some(text) = fields.get("text") else {
                return Err(Invalid::missing(&at("text")));
            };
            if !item.text.is_empty() {
                item.text.push(' ');
            }
            item.text.push_str(string(text, &at("text"))?);
        }
        "input_audio" => {
            known_keys(fields, &["type", "audio", "transcript"], param)?;
            let Some(audio) = fields.get("audio") else {
                return Err(Invalid::missing(&at("audio")));
            };
            let bytes = audio::decode(string(audio, &at("audio"))?)
                .ok_or_else(|| Invalid::value(&at("audio"), "Invalid base64-encoded audio."))?;
            item.audio.extend_from_slice(&bytes);
            if let Some(transcript) = fields.get("transcript") {
                if !transcript.is_null() {
                    item.transcript = Some(string(transcript, &at("transcript"))?.to_owned());
                }
            }
        }
        _ => {
            known_keys(fields, &["type", "image_url", "detail"], param)?;
            if let Some(detail) = fields.get("detail") {
                one_of(detail, &at("detail"), &["auto", "low", "high"])?;
            }
        }
    }
    Ok(())
}
