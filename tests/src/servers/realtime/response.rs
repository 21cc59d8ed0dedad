//! One response in progress: its events planned in the reference's order, each due at a
//! time (at once, after `first_delta_delay_ms`, or at the pace of the audio), sent as they
//! fall due; cancelled responses end with what was already sent.
//!
//! Order: `response.created`, `rate_limits.updated`, `response.output_item.added`,
//! `conversation.item.added`, `response.content_part.added`, the deltas (each word's
//! transcript delta just before the audio delta its word starts in), then
//! `response.output_audio.done` / `response.output_audio_transcript.done` (or
//! `response.output_text.done`), `response.content_part.done`, `response.output_item.done`,
//! `conversation.item.done`, `response.done`.

use super::audio::{self, assistant_audio_tokens, CHUNK_MS};
use super::events;
use super::items::{Item, Tokens};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// What the session's socket should do next.
#[derive(Debug)]
pub(super) enum Emit {
    /// Send this event.
    Event(Value),
    /// Close the TCP connection at once, without a close frame.
    Drop,
    /// Send nothing more, ever (the connection stays open).
    Hang,
}

/// Everything a response needs, decided when it is created.
#[derive(Debug)]
pub(super) struct Spec {
    pub(super) id: String,
    pub(super) item_id: String,
    pub(super) text: String,
    /// `audio` or `text`.
    pub(super) modality: String,
    /// The conversation it writes to; `None` out of band.
    pub(super) conversation_id: Option<String>,
    pub(super) previous_item_id: Option<String>,
    pub(super) voice: Value,
    pub(super) max_output_tokens: Value,
    pub(super) metadata: Value,
    pub(super) rate_limits: Value,
    pub(super) input: Tokens,
    pub(super) cached: Tokens,
    pub(super) start: Instant,
    pub(super) first_delta_delay: Duration,
    pub(super) pacing: bool,
    pub(super) ms_per_word: u64,
    /// Go silent after the first delta.
    pub(super) stall: bool,
    /// Drop the connection after this many deltas.
    pub(super) drop_after: Option<usize>,
    /// Send `response.future_thing` before `response.done`.
    pub(super) extra_unknown: bool,
}

#[derive(Debug, Clone, Copy)]
enum Step {
    Created,
    RateLimits,
    ItemAdded,
    PartAdded,
    Transcript(usize),
    Audio(usize),
    Text(usize),
    Finish,
}

/// A response being sent.
#[derive(Debug)]
pub(super) struct Active {
    spec: Spec,
    words: Vec<String>,
    audio: Vec<u8>,
    steps: VecDeque<(Instant, Step)>,
    item_added: bool,
    part_added: bool,
    sent_bytes: usize,
    sent_words: usize,
    deltas: usize,
    done: bool,
    /// The output item's status: `in_progress`, then `completed` or `incomplete`.
    item_status: &'static str,
}

impl Active {
    pub(super) fn new(spec: Spec) -> Active {
        let words: Vec<String> = spec.text.split_whitespace().map(str::to_owned).collect();
        let audio = if spec.modality == "audio" {
            audio::voice(words.len(), spec.ms_per_word)
        } else {
            Vec::new()
        };
        let mut steps = VecDeque::new();
        for step in [
            Step::Created,
            Step::RateLimits,
            Step::ItemAdded,
            Step::PartAdded,
        ] {
            steps.push_back((spec.start, step));
        }
        let first = spec.start + spec.first_delta_delay;
        let at = |ms: u64| {
            if spec.pacing {
                first + Duration::from_millis(ms)
            } else {
                first
            }
        };
        let end_ms = if spec.modality == "audio" {
            let chunk = audio::bytes_of(CHUNK_MS);
            let chunks = audio.len().div_ceil(chunk);
            let mut word = 0;
            for k in 0..chunks {
                let chunk_end = (k as u64 + 1) * CHUNK_MS;
                while word < words.len() && word as u64 * spec.ms_per_word < chunk_end {
                    steps.push_back((at(k as u64 * CHUNK_MS), Step::Transcript(word)));
                    word += 1;
                }
                steps.push_back((at(k as u64 * CHUNK_MS), Step::Audio(k)));
            }
            audio::ms_of(audio.len())
        } else {
            for i in 0..words.len() {
                steps.push_back((at(i as u64 * spec.ms_per_word), Step::Text(i)));
            }
            words.len() as u64 * spec.ms_per_word
        };
        steps.push_back((at(end_ms), Step::Finish));
        Active {
            spec,
            words,
            audio,
            steps,
            item_added: false,
            part_added: false,
            sent_bytes: 0,
            sent_words: 0,
            deltas: 0,
            done: false,
            item_status: "in_progress",
        }
    }

    pub(super) fn id(&self) -> &str {
        &self.spec.id
    }

    pub(super) fn item_id(&self) -> &str {
        &self.spec.item_id
    }

    /// Whether it speaks (rather than writes).
    pub(super) fn is_audio(&self) -> bool {
        self.spec.modality == "audio"
    }

    /// Whether it writes to the session's conversation.
    pub(super) fn in_conversation(&self) -> bool {
        self.spec.conversation_id.is_some()
    }

    pub(super) fn is_done(&self) -> bool {
        self.done
    }

    /// Whether its output item has been announced (so it belongs in the conversation).
    pub(super) fn item_added(&self) -> bool {
        self.item_added
    }

    /// When its next event is due.
    pub(super) fn due(&self) -> Option<Instant> {
        self.steps.front().map(|(at, _)| *at)
    }

    /// The length of the audio sent so far.
    pub(super) fn sent_ms(&self) -> u64 {
        audio::ms_of(self.sent_bytes)
    }

    /// Sends the events due by `now`; stops early at a fault (`Drop` or `Hang`).
    pub(super) fn run(&mut self, now: Instant, out: &mut Vec<Emit>) {
        while let Some(&(at, step)) = self.steps.front() {
            if at > now {
                return;
            }
            self.steps.pop_front();
            if !self.step(step, out) {
                self.steps.clear();
                return;
            }
        }
    }

    /// Ends it as `cancelled` for `reason` (`client_cancelled`, `turn_detected`) with what
    /// was sent so far.
    pub(super) fn cancel(&mut self, reason: &str, out: &mut Vec<Emit>) {
        self.steps.clear();
        if !self.done {
            self.finish(Some(reason), out);
        }
    }

    /// Does one step; `false` after a fault.
    fn step(&mut self, step: Step, out: &mut Vec<Emit>) -> bool {
        let id = self.spec.id.clone();
        let item_id = self.spec.item_id.clone();
        let part = |kind: &str, extra: Value| {
            let mut event = json!({
                "type": kind,
                "response_id": id,
                "item_id": item_id,
                "output_index": 0,
                "content_index": 0,
            });
            if let (Some(event), Some(extra)) = (event.as_object_mut(), extra.as_object()) {
                event.extend(extra.clone());
            }
            Emit::Event(event)
        };
        match step {
            Step::Created => {
                let response = self.response("in_progress", Value::Null, Value::Null);
                out.push(Emit::Event(
                    json!({"type": "response.created", "response": response}),
                ));
            }
            Step::RateLimits => out.push(Emit::Event(self.spec.rate_limits.clone())),
            Step::ItemAdded => {
                self.item_added = true;
                let item = self.item_json("in_progress", false);
                out.push(Emit::Event(json!({
                    "type": "response.output_item.added",
                    "response_id": id,
                    "output_index": 0,
                    "item": item,
                })));
                if self.in_conversation() {
                    let previous = self.spec.previous_item_id.as_deref();
                    out.push(Emit::Event(events::item(
                        "conversation.item.added",
                        &item,
                        previous,
                    )));
                }
            }
            Step::PartAdded => {
                self.part_added = true;
                out.push(part(
                    "response.content_part.added",
                    json!({"part": self.part_json(false)}),
                ));
            }
            Step::Transcript(i) => {
                self.sent_words = i + 1;
                out.push(part(
                    "response.output_audio_transcript.delta",
                    json!({"delta": self.word_delta(i)}),
                ));
            }
            Step::Text(i) | Step::Audio(i) => {
                if self.spec.drop_after == Some(0) {
                    out.push(Emit::Drop);
                    return false;
                }
                if let Step::Text(_) = step {
                    self.sent_words = i + 1;
                    out.push(part(
                        "response.output_text.delta",
                        json!({"delta": self.word_delta(i)}),
                    ));
                } else {
                    let chunk = audio::bytes_of(CHUNK_MS);
                    let bytes = &self.audio[i * chunk..((i + 1) * chunk).min(self.audio.len())];
                    self.sent_bytes += bytes.len();
                    out.push(part(
                        "response.output_audio.delta",
                        json!({"delta": audio::encode(bytes)}),
                    ));
                }
                self.deltas += 1;
                if self.spec.stall {
                    out.push(Emit::Hang);
                    return false;
                }
                if self.spec.drop_after == Some(self.deltas) {
                    out.push(Emit::Drop);
                    return false;
                }
            }
            Step::Finish => self.finish(None, out),
        }
        true
    }

    /// The closing events; `cancelled` holds the reason of a cancellation.
    fn finish(&mut self, cancelled: Option<&str>, out: &mut Vec<Emit>) {
        self.done = true;
        let base = json!({
            "response_id": self.spec.id,
            "item_id": self.spec.item_id,
            "output_index": 0,
            "content_index": 0,
        });
        let event = |kind: &str, extra: Value| {
            let mut event = base.clone();
            event["type"] = json!(kind);
            if let (Some(event), Some(extra)) = (event.as_object_mut(), extra.as_object()) {
                event.extend(extra.clone());
            }
            Emit::Event(event)
        };
        let said = self.said();
        if self.part_added {
            if self.spec.modality == "audio" {
                out.push(event("response.output_audio.done", json!({})));
                out.push(event(
                    "response.output_audio_transcript.done",
                    json!({"transcript": said}),
                ));
            } else {
                out.push(event("response.output_text.done", json!({"text": said})));
            }
            out.push(event(
                "response.content_part.done",
                json!({"part": self.part_json(true)}),
            ));
        }
        self.item_status = if cancelled.is_some() {
            "incomplete"
        } else {
            "completed"
        };
        let mut output = Vec::new();
        if self.item_added {
            let item = self.item_json(self.item_status, true);
            out.push(Emit::Event(json!({
                "type": "response.output_item.done",
                "response_id": self.spec.id,
                "output_index": 0,
                "item": item,
            })));
            if self.in_conversation() {
                let previous = self.spec.previous_item_id.as_deref();
                out.push(Emit::Event(events::item(
                    "conversation.item.done",
                    &item,
                    previous,
                )));
            }
            output.push(item);
        }
        if self.spec.extra_unknown {
            out.push(Emit::Event(json!({
                "type": "response.future_thing",
                "response_id": self.spec.id,
                "detail": "an event type this client has not heard of",
            })));
        }
        let output_tokens = Tokens {
            text: self.sent_words as u64,
            audio: if self.spec.modality == "audio" {
                assistant_audio_tokens(self.sent_ms())
            } else {
                0
            },
        };
        let usage = events::usage(self.spec.input, self.spec.cached, output_tokens);
        let (status, details) = match cancelled {
            Some(reason) => ("cancelled", json!({"type": "cancelled", "reason": reason})),
            None => ("completed", Value::Null),
        };
        let mut response = self.response(status, details, usage);
        response["output"] = Value::Array(output);
        out.push(Emit::Event(
            json!({"type": "response.done", "response": response}),
        ));
    }

    /// The words sent so far, joined.
    fn said(&self) -> String {
        self.words[..self.sent_words].join(" ")
    }

    /// Word `i` as a delta: the words' deltas concatenate to the text.
    fn word_delta(&self, i: usize) -> String {
        if i == 0 {
            self.words[0].clone()
        } else {
            format!(" {}", self.words[i])
        }
    }

    /// The content part, empty while being added.
    fn part_json(&self, filled: bool) -> Value {
        let said = if filled { self.said() } else { String::new() };
        if self.spec.modality == "audio" {
            json!({"type": "audio", "transcript": said})
        } else {
            json!({"type": "text", "text": said})
        }
    }

    /// The output item (no audio bytes), with its content once `filled`.
    fn item_json(&self, status: &str, filled: bool) -> Value {
        let content = if !filled {
            json!([])
        } else if self.spec.modality == "audio" {
            json!([{"type": "output_audio", "transcript": self.said()}])
        } else {
            json!([{"type": "output_text", "text": self.said()}])
        };
        json!({
            "id": self.spec.item_id,
            "object": "realtime.item",
            "type": "message",
            "status": status,
            "role": "assistant",
            "content": content,
        })
    }

    /// The response resource.
    fn response(&self, status: &str, details: Value, usage: Value) -> Value {
        json!({
            "object": "realtime.response",
            "id": self.spec.id,
            "status": status,
            "status_details": details,
            "output": [],
            "conversation_id": self.spec.conversation_id,
            "output_modalities": [self.spec.modality],
            "max_output_tokens": self.spec.max_output_tokens,
            "audio": {"output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": self.spec.voice}},
            "usage": usage,
            "metadata": self.spec.metadata,
        })
    }

    /// Its output item as the conversation holds it: what was sent so far.
    pub(super) fn item(&self) -> Item {
        let said = self.said();
        let audio = self.spec.modality == "audio";
        Item {
            id: self.spec.item_id.clone(),
            role: "assistant".into(),
            json: self.item_json(self.item_status, self.done),
            text: if audio { String::new() } else { said.clone() },
            audio: self.audio[..self.sent_bytes].to_vec(),
            transcript: audio.then_some(said),
            truncated_ms: None,
        }
    }
}
