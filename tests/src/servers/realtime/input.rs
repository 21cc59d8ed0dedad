//! The input audio buffer of a session: `input_audio_buffer.append`, `.commit` and `.clear`,
//! and server VAD over it — speech starts (cancelling the response in progress when
//! `interrupt_response`), speech stops, the turn is committed and (with `create_response`)
//! answered.

use super::audio::{self, bytes_of, ms_of};
use super::check::{string, Invalid};
use super::config::ResponseParams;
use super::events;
use super::items::Item;
use super::new_id;
use super::response::Active;
use super::script::TranscribeContext;
use super::session::Session;
use super::vad::VadEvent;
use serde_json::Value;

/// The most audio one `input_audio_buffer.append` may carry (15 MiB).
const MAX_APPEND: usize = 15 * 1024 * 1024;
/// The least audio a commit takes, per the real API's error.
const MIN_COMMIT_MS: f64 = 100.0;

impl Session {
    /// `input_audio_buffer.append`: adds the audio, then lets VAD read it.
    pub(super) fn append(&mut self, audio: &Value) -> Result<(), Invalid> {
        let bytes = audio::decode(string(audio, "audio")?)
            .ok_or_else(|| Invalid::value("audio", "Invalid base64-encoded audio."))?;
        if bytes.len() > MAX_APPEND {
            return Err(Invalid::value(
                "audio",
                "An append may carry at most 15 MiB of audio.",
            ));
        }
        self.shared.appended(bytes.len());
        self.buffer.extend_from_slice(&bytes);
        self.detect();
        Ok(())
    }

    /// `input_audio_buffer.commit`: the whole buffer becomes a user message.
    pub(super) fn commit_buffer(&mut self) -> Result<(), Invalid> {
        let ms = self.buffer.len() as f64 / audio::BYTES_PER_MS as f64;
        if ms < MIN_COMMIT_MS {
            return Err(Invalid::new(
                "input_audio_buffer_commit_empty",
                format!("Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has {ms:.2}ms of audio."),
                None,
            ));
        }
        let audio = std::mem::take(&mut self.buffer);
        self.restart_buffer(audio.len());
        self.commit(new_id("item"), audio);
        Ok(())
    }

    /// `input_audio_buffer.clear`.
    pub(super) fn clear_buffer(&mut self) {
        let len = self.buffer.len();
        self.buffer.clear();
        self.restart_buffer(len);
        self.emit(events::cleared());
    }

    /// The buffer was emptied of its `len` bytes: VAD forgets any speech in progress.
    fn restart_buffer(&mut self, len: usize) {
        self.buffer_start += len as u64;
        if let Some(vad) = &mut self.vad {
            vad.reset(self.buffer_start);
        }
        self.speech = None;
    }

    /// Makes `audio` user message `item_id`: `committed`, the item's `added` and `done`, and
    /// the transcription when the session asks for one.
    fn commit(&mut self, item_id: String, audio: Vec<u8>) {
        let previous = self.conversation.last_id();
        self.emit(events::committed(&item_id, previous.as_deref()));
        let audio_ms = ms_of(audio.len());
        let script = &self.shared.script;
        let transcript = match script.transcripts.get(self.transcripts_used) {
            Some(text) => {
                self.transcripts_used += 1;
                text.clone()
            }
            None => script.transcribe.text(&TranscribeContext {
                session: self.index,
                turn: self.commits,
                audio_ms,
            }),
        };
        self.commits += 1;
        let item = Item::committed(item_id.clone(), audio, transcript.clone());
        let shown = item.json.clone();
        let before = self.conversation.push(item);
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
        if !self.session["audio"]["input"]["transcription"].is_null() {
            self.emit(events::transcription(&item_id, &transcript, audio_ms));
        }
    }

    /// Lets VAD read the buffer, acting on each change it finds.
    fn detect(&mut self) {
        loop {
            let Some(vad) = &mut self.vad else { return };
            let turns = vad.turns();
            let Some(event) = vad.step(&self.buffer, self.buffer_start) else {
                return;
            };
            match event {
                VadEvent::Started { audio_start_ms } => {
                    let item_id = new_id("item");
                    self.emit(events::speech_started(audio_start_ms, &item_id));
                    self.speech = Some((item_id, audio_start_ms));
                    if turns.interrupt_response {
                        if let Some(active) =
                            self.responses.iter_mut().find(|r| r.in_conversation())
                        {
                            active.cancel("turn_detected", &mut self.out);
                        }
                        self.settle();
                    }
                }
                VadEvent::Stopped { audio_end_ms } => {
                    let (item_id, start_ms) = self
                        .speech
                        .take()
                        .unwrap_or_else(|| (new_id("item"), ms_of(self.buffer_start as usize)));
                    self.emit(events::speech_stopped(audio_end_ms, &item_id));
                    let end = (bytes_of(audio_end_ms) as u64).clamp(
                        self.buffer_start,
                        self.buffer_start + self.buffer.len() as u64,
                    );
                    let start = (bytes_of(start_ms) as u64).clamp(self.buffer_start, end);
                    let cut = (end - self.buffer_start) as usize;
                    let turn = self.buffer[(start - self.buffer_start) as usize..cut].to_vec();
                    self.buffer.drain(..cut);
                    self.buffer_start = end;
                    self.commit(item_id, turn);
                    let responding = self.responses.iter().any(Active::in_conversation);
                    if turns.create_response && !responding {
                        self.create_response(ResponseParams::default(), None);
                    }
                }
            }
        }
    }
}
