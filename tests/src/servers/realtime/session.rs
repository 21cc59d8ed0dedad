//! One WebSocket session: reads client events and answers them, sends the responses in
//! progress as their events fall due, and keeps the session's configuration, conversation
//! and input audio buffer. Everything happens on the connection's one task, so events go out
//! in the order they are decided.

use super::check::{integer, known_keys, string, Invalid};
use super::config::{self, ResponseParams};
use super::events;
use super::items::{input_tokens, last_user_text, parse_item, Conversation, Item, Tokens};
use super::response::{Active, Emit, Spec};
use super::script::ReplyContext;
use super::vad::{Turns, Vad};
use super::{new_id, Shared};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// The client event types of the reference.
const CLIENT_EVENTS: &[&str] = &[
    "session.update",
    "input_audio_buffer.append",
    "input_audio_buffer.commit",
    "input_audio_buffer.clear",
    "conversation.item.create",
    "conversation.item.retrieve",
    "conversation.item.truncate",
    "conversation.item.delete",
    "response.create",
    "response.cancel",
    "output_audio_buffer.clear",
];

/// Serves session `index` on `ws` until the client leaves (or a fault ends it).
pub(super) async fn serve(
    mut ws: WebSocketStream<TcpStream>,
    shared: Arc<Shared>,
    index: usize,
    model: String,
) {
    let mut session = Session::new(shared, index, &model);
    let created = events::session("session.created", &session.session);
    session.emit(created);
    let conversation = events::conversation_created(&session.conversation_id);
    session.emit(conversation);
    loop {
        session.advance();
        if !session.flush(&mut ws).await {
            return;
        }
        let due = session.due();
        let wake = tokio::time::Instant::from_std(due.unwrap_or_else(Instant::now));
        tokio::select! {
            biased;
            message = ws.next() => match message {
                Some(Ok(Message::Text(text))) => session.on_text(text.as_str()),
                Some(Ok(Message::Binary(_))) => session.on_text("<binary>"),
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            () = tokio::time::sleep_until(wake), if due.is_some() => {}
        }
    }
    let _ = ws.close(None).await;
}

/// A session's state.
pub(super) struct Session {
    pub(super) shared: Arc<Shared>,
    pub(super) index: usize,
    conversation_id: String,
    /// The session object, as `session.updated` shows it.
    pub(super) session: Value,
    pub(super) conversation: Conversation,
    /// The input audio buffer, whose first byte is byte `buffer_start` of all the audio
    /// appended during the session.
    pub(super) buffer: Vec<u8>,
    pub(super) buffer_start: u64,
    pub(super) vad: Option<Vad>,
    /// The item id announced by `speech_started` and where that speech starts (ms).
    pub(super) speech: Option<(String, u64)>,
    pub(super) responses: Vec<Active>,
    pub(super) response_count: usize,
    pub(super) commits: usize,
    replies_used: usize,
    pub(super) transcripts_used: usize,
    voice_locked: bool,
    /// The input of the latest response over the conversation (the cached prefix).
    last_input: Tokens,
    tokens_used: u64,
    /// A stalled response silenced the session.
    hung: bool,
    pub(super) out: Vec<Emit>,
}

impl Session {
    fn new(shared: Arc<Shared>, index: usize, model: &str) -> Session {
        let session = config::default_session(&new_id("sess"), model);
        let vad = Turns::of(&session["audio"]["input"]["turn_detection"]).map(|t| Vad::new(t, 0));
        Session {
            shared,
            index,
            conversation_id: new_id("conv"),
            session,
            conversation: Conversation::default(),
            buffer: Vec::new(),
            buffer_start: 0,
            vad,
            speech: None,
            responses: Vec::new(),
            response_count: 0,
            commits: 0,
            replies_used: 0,
            transcripts_used: 0,
            voice_locked: false,
            last_input: Tokens::default(),
            tokens_used: 0,
            hung: false,
            out: Vec::new(),
        }
    }

    /// Queues a server event.
    pub(super) fn emit(&mut self, event: Value) {
        self.out.push(Emit::Event(event));
    }

    /// Queues an `error` event for a refused client event.
    fn refuse(&mut self, event_id: Option<&str>, invalid: &Invalid) {
        let error = events::error(
            "invalid_request_error",
            invalid.code,
            &invalid.message,
            invalid.param.as_deref(),
            event_id,
        );
        self.emit(error);
    }

    /// Sends the queued events; `false` when the connection is to end at once.
    async fn flush(&mut self, ws: &mut WebSocketStream<TcpStream>) -> bool {
        for emit in std::mem::take(&mut self.out) {
            match emit {
                Emit::Event(mut event) => {
                    event["event_id"] = json!(new_id("event"));
                    if event["type"] == "error" {
                        let code = event["error"]["code"].as_str().unwrap_or("").to_owned();
                        self.shared.stats(|s| s.errors_sent.push(code));
                    }
                    if ws.send(Message::text(event.to_string())).await.is_err() {
                        return false;
                    }
                }
                Emit::Drop => return false,
                Emit::Hang => {
                    self.hung = true;
                    return true;
                }
            }
        }
        true
    }

    /// When the next response event is due.
    fn due(&self) -> Option<Instant> {
        if self.hung {
            return None;
        }
        self.responses.iter().filter_map(Active::due).min()
    }

    /// Runs the response events due now.
    fn advance(&mut self) {
        if self.hung {
            return;
        }
        let now = Instant::now();
        for response in &mut self.responses {
            response.run(now, &mut self.out);
        }
        self.settle();
    }

    /// Puts responses' output items in the conversation and forgets finished responses.
    pub(super) fn settle(&mut self) {
        for response in &self.responses {
            let known = self.conversation.get(response.item_id()).is_some();
            if response.in_conversation() && response.item_added() && (!known || response.is_done())
            {
                self.conversation.upsert(response.item());
            }
        }
        self.responses.retain(|r| !r.is_done());
    }

    /// Handles one client message.
    fn on_text(&mut self, text: &str) {
        let event: Value = match serde_json::from_str(text) {
            Ok(event @ Value::Object(_)) => event,
            _ => {
                self.shared
                    .stats(|s| s.client_events.push("<not json>".into()));
                let invalid = Invalid::new("invalid_json", "The event is not a JSON object.", None);
                self.refuse(None, &invalid);
                return;
            }
        };
        let kind = event["type"].as_str().map(str::to_owned);
        let recorded = kind.clone().unwrap_or_else(|| "<missing type>".into());
        self.shared.stats(|s| s.client_events.push(recorded));
        if self.hung {
            return;
        }
        let event_id = event["event_id"].as_str().map(str::to_owned);
        let result = match kind {
            Some(kind) => self.dispatch(&kind, &event, event_id.as_deref()),
            None => Err(Invalid::new(
                "invalid_event",
                "The 'type' field is missing.",
                None,
            )),
        };
        if let Err(invalid) = result {
            self.refuse(event_id.as_deref(), &invalid);
        }
    }

    fn dispatch(
        &mut self,
        kind: &str,
        event: &Value,
        event_id: Option<&str>,
    ) -> Result<(), Invalid> {
        let allowed: &[&str] = match kind {
            "session.update" => &["type", "event_id", "session"],
            "input_audio_buffer.append" => &["type", "event_id", "audio"],
            "conversation.item.create" => &["type", "event_id", "previous_item_id", "item"],
            "conversation.item.truncate" => &[
                "type",
                "event_id",
                "item_id",
                "content_index",
                "audio_end_ms",
            ],
            "conversation.item.delete" | "conversation.item.retrieve" => {
                &["type", "event_id", "item_id"]
            }
            "response.create" => &["type", "event_id", "response"],
            "response.cancel" => &["type", "event_id", "response_id"],
            known if CLIENT_EVENTS.contains(&known) => &["type", "event_id"],
            _ => {
                let listed: Vec<String> = CLIENT_EVENTS.iter().map(|t| format!("'{t}'")).collect();
                return Err(Invalid::value(
                    "type",
                    format!(
                        "Invalid value: '{kind}'. Supported values are: {}.",
                        listed.join(", ")
                    ),
                ));
            }
        };
        let fields = event.as_object().expect("checked to be an object");
        known_keys(fields, allowed, "")?;
        if let Some(id) = fields.get("event_id") {
            string(id, "event_id")?;
        }
        let field = |name: &str| fields.get(name).ok_or_else(|| Invalid::missing(name));
        match kind {
            "session.update" => {
                let update = field("session")?;
                self.shared
                    .stats(|s| s.session_updates.push(update.clone()));
                self.session = config::apply_update(&self.session, update, self.voice_locked)?;
                let turns = Turns::of(&self.session["audio"]["input"]["turn_detection"]);
                if turns != self.vad.as_ref().map(Vad::turns) {
                    self.vad = turns.map(|t| Vad::new(t, self.buffer_start));
                    self.speech = None;
                }
                let updated = events::session("session.updated", &self.session);
                self.emit(updated);
            }
            "input_audio_buffer.append" => self.append(field("audio")?)?,
            "input_audio_buffer.commit" => self.commit_buffer()?,
            "input_audio_buffer.clear" => self.clear_buffer(),
            "output_audio_buffer.clear" => {
                return Err(Invalid::value(
                    "type",
                    "output_audio_buffer.clear is only available over WebRTC and SIP connections.",
                ))
            }
            "conversation.item.create" => {
                let (item, recorded) = parse_item(field("item")?, "item", new_id("item"))?;
                let previous = match fields.get("previous_item_id") {
                    None | Some(Value::Null) => None,
                    Some(id) => Some(string(id, "previous_item_id")?),
                };
                let shown = item.json.clone();
                let before = self.conversation.insert(item, previous)?;
                self.shared.stats(|s| s.items_created.push(recorded));
                self.emit(events::item(
                    "conversation.item.added",
                    &shown,
                    before.as_deref(),
                ));
                self.emit(events::item(
                    "conversation.item.done",
                    &shown,
                    before.as_deref(),
                ));
            }
            "conversation.item.truncate" => {
                self.shared.stats(|s| s.truncations.push(event.clone()));
                let item_id = string(field("item_id")?, "item_id")?;
                let content_index = integer(field("content_index")?, "content_index", 0, i64::MAX)?;
                let audio_end_ms = integer(field("audio_end_ms")?, "audio_end_ms", 0, i64::MAX)?;
                self.truncate(item_id, content_index, audio_end_ms)?;
            }
            "conversation.item.delete" | "conversation.item.retrieve" => {
                let item_id = string(field("item_id")?, "item_id")?;
                let not_found = || {
                    Invalid::value(
                        "item_id",
                        format!("Item with item_id '{item_id}' not found."),
                    )
                };
                if kind.ends_with("delete") {
                    if !self.conversation.remove(item_id) {
                        return Err(not_found());
                    }
                    self.emit(events::deleted(item_id));
                } else {
                    let item = self
                        .conversation
                        .get(item_id)
                        .ok_or_else(not_found)?
                        .with_audio();
                    self.emit(events::retrieved(item));
                }
            }
            "response.create" => {
                let params = config::response_params(fields.get("response"), || new_id("item"))?;
                if !params.out_of_band {
                    if let Some(active) = self.responses.iter().find(|r| r.in_conversation()) {
                        return Err(Invalid::new(
                            "conversation_already_has_active_response",
                            format!("Conversation already has an active response in progress: {}. Wait until the response is finished before creating a new one.", active.id()),
                            None,
                        ));
                    }
                }
                self.create_response(params, event_id);
            }
            _ => {
                let target = match fields.get("response_id") {
                    Some(id) => {
                        let id = string(id, "response_id")?;
                        self.responses.iter().position(|r| r.id() == id)
                    }
                    None => self.responses.iter().position(Active::in_conversation).or(
                        if self.responses.is_empty() {
                            None
                        } else {
                            Some(0)
                        },
                    ),
                };
                let Some(i) = target else {
                    return Err(Invalid::new(
                        "response_cancel_not_active",
                        "Cancellation failed: no active response found.",
                        None,
                    ));
                };
                self.responses[i].cancel("client_cancelled", &mut self.out);
                self.settle();
            }
        }
        Ok(())
    }

    /// `conversation.item.truncate` of an assistant audio item (finished, or still being
    /// sent: then up to the audio sent so far).
    fn truncate(
        &mut self,
        item_id: &str,
        content_index: i64,
        audio_end_ms: i64,
    ) -> Result<(), Invalid> {
        let sending = self
            .responses
            .iter()
            .find(|r| r.item_id() == item_id)
            .map(|r| (r.is_audio(), r.sent_ms()));
        let Some(item) = self.conversation.get_mut(item_id) else {
            return Err(Invalid::value(
                "item_id",
                format!("Item with item_id '{item_id}' not found."),
            ));
        };
        let audio_ms = match sending {
            Some((true, ms)) if content_index == 0 => Some(ms),
            Some(_) => None,
            None => {
                let part = &item.json["content"][content_index as usize];
                (item.role == "assistant" && part["type"] == "output_audio")
                    .then(|| item.audio_ms())
            }
        };
        let Some(audio_ms) = audio_ms else {
            return Err(Invalid::new(
                "unsupported_content_type",
                "Only model output audio messages can be truncated.",
                Some("item_id"),
            ));
        };
        if audio_end_ms as u64 > audio_ms {
            return Err(Invalid::value(
                "audio_end_ms",
                format!("Audio content of {audio_ms}ms is already shorter than {audio_end_ms}ms"),
            ));
        }
        item.truncated_ms = Some(audio_end_ms as u64);
        item.transcript = Some(String::new());
        if let Some(part) = item.json["content"].get_mut(content_index as usize) {
            part["transcript"] = json!("");
        }
        self.emit(events::truncated(item_id, content_index, audio_end_ms));
        Ok(())
    }

    /// Starts a response (for `response.create`, or when VAD ends a turn), unless the
    /// script answers this one with an error.
    pub(super) fn create_response(&mut self, params: ResponseParams, event_id: Option<&str>) {
        let index = self.response_count;
        self.response_count += 1;
        let shared = Arc::clone(&self.shared);
        let script = &shared.script;
        if let Some((session, response, code)) = &script.error_on_response {
            if (*session, *response) == (self.index, index) {
                let kind = if code == "server_error" {
                    "server_error"
                } else {
                    "invalid_request_error"
                };
                let message = "The server had an error while processing your request (scripted).";
                self.emit(events::error(kind, code, message, None, event_id));
                return;
            }
        }
        let instructions = params.instructions.clone().unwrap_or_else(|| {
            self.session["instructions"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        });
        let context: &[Item] = params.input.as_deref().unwrap_or(self.conversation.items());
        let last_user = last_user_text(context);
        let input = input_tokens(&instructions, context);
        let mut cached = Tokens::default();
        if params.input.is_none() {
            cached = Tokens {
                text: self.last_input.text.min(input.text),
                audio: self.last_input.audio.min(input.audio),
            };
            self.last_input = input;
        }
        let text = match script.replies.get(self.replies_used) {
            Some(text) => {
                self.replies_used += 1;
                text.clone()
            }
            None => script.reply.text(&ReplyContext {
                session: self.index,
                response: index,
                last_user_text: last_user,
                instructions,
            }),
        };
        let modality = params.modality.unwrap_or_else(|| {
            self.session["output_modalities"][0]
                .as_str()
                .unwrap_or("audio")
                .to_owned()
        });
        self.voice_locked |= modality == "audio";
        self.tokens_used += input.total();
        let remaining = |limit: u64, used: u64| {
            script
                .rate_limit_remaining
                .unwrap_or(limit.saturating_sub(used))
        };
        let rate_limits = events::rate_limits(
            remaining(5000, self.response_count as u64),
            remaining(400_000, self.tokens_used),
        );
        let in_conversation = !params.out_of_band;
        let spec = Spec {
            id: new_id("resp"),
            item_id: new_id("item"),
            text,
            modality,
            conversation_id: in_conversation.then(|| self.conversation_id.clone()),
            previous_item_id: if in_conversation {
                self.conversation.last_id()
            } else {
                None
            },
            voice: params
                .voice
                .unwrap_or_else(|| self.session["audio"]["output"]["voice"].clone()),
            max_output_tokens: params
                .max_output_tokens
                .unwrap_or_else(|| self.session["max_output_tokens"].clone()),
            metadata: params.metadata,
            rate_limits,
            input,
            cached,
            start: Instant::now(),
            first_delta_delay: Duration::from_millis(script.first_delta_delay_ms),
            pacing: script.realtime_pacing,
            ms_per_word: script.ms_per_word,
            stall: script.stall_on_response == Some((self.index, index)),
            drop_after: script
                .drop_after_deltas
                .filter(|&(session, _)| session == self.index && index == 0)
                .map(|(_, deltas)| deltas),
            extra_unknown: script.extra_unknown_event,
        };
        self.responses.push(Active::new(spec));
    }
}
