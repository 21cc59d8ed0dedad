//! [`VoiceTurn`]: what a speaking agent's reply carries besides its text — the audio it
//! spoke and heard, and the timings only a voice exchange has.

use crate::voice::Audio;
use serde::{Deserialize, Serialize};

/// Token counts of a speech-to-speech exchange, split the way voice models price them.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(default)]
pub struct VoiceUsage {
    /// Text tokens read (instructions, text items, transcripts).
    pub text_input_tokens: u64,
    /// Audio tokens heard.
    pub audio_input_tokens: u64,
    /// Input tokens served from the provider's cache (text and audio).
    pub cached_input_tokens: u64,
    /// Cached input tokens that were audio.
    pub cached_audio_input_tokens: u64,
    /// Text tokens written (the transcript of the spoken reply, or text output).
    pub text_output_tokens: u64,
    /// Audio tokens spoken.
    pub audio_output_tokens: u64,
}

impl VoiceUsage {
    /// All input tokens.
    pub fn input_tokens(&self) -> u64 {
        self.text_input_tokens + self.audio_input_tokens
    }

    /// All output tokens.
    pub fn output_tokens(&self) -> u64 {
        self.text_output_tokens + self.audio_output_tokens
    }
}

impl std::ops::AddAssign for VoiceUsage {
    fn add_assign(&mut self, other: Self) {
        self.text_input_tokens += other.text_input_tokens;
        self.audio_input_tokens += other.audio_input_tokens;
        self.cached_input_tokens += other.cached_input_tokens;
        self.cached_audio_input_tokens += other.cached_audio_input_tokens;
        self.text_output_tokens += other.text_output_tokens;
        self.audio_output_tokens += other.audio_output_tokens;
    }
}

/// The voice side of one spoken reply. The conversation episode places these on the
/// recording's timeline, writes the audio as artifacts (never into the store) and computes
/// the voice metrics from them.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct VoiceTurn {
    /// The speech the agent heard this turn (audio mode: the other side's words, spoken by a
    /// speech engine and streamed to it); `None` when it was sent text.
    pub heard: Option<Audio>,
    /// When the heard speech started streaming, in milliseconds since the Unix epoch.
    pub heard_at_ms: Option<u64>,
    /// What the provider transcribed of the heard speech.
    pub heard_transcript: Option<String>,
    /// The agent's spoken reply (24 kHz mono); empty when it answered in text only.
    pub spoken: Audio,
    /// When the first audio of the reply arrived, in milliseconds since the Unix epoch.
    pub spoken_at_ms: Option<u64>,
    /// From the end of the other side's turn (the last audio sent, or the request for a
    /// reply in text mode) to the first audio byte of the reply.
    pub first_audio_ms: Option<u64>,
    /// From the same point to the first delta of the reply's transcript.
    pub first_transcript_ms: Option<u64>,
    /// The other side started speaking before this agent's previous reply had finished
    /// playing (a barge-in): how much of that reply had played, in milliseconds.
    pub barged_in_at_ms: Option<u64>,
    /// The reply was cut short by the provider (turn detection heard speech over it).
    pub interrupted: bool,
    /// The socket dropped during the exchange and it was replayed on a new session.
    pub reconnected: bool,
    /// The exchange went at the pace of speech (audio streamed in real time, the reply
    /// played as it came), so its clock times place it on the recording; otherwise the
    /// recording lays the turns end to end.
    pub real_time: bool,
    /// Tokens, split into text and audio.
    pub usage: VoiceUsage,
    /// Word error rate of a speech-to-text check of the spoken audio against the reply's own
    /// transcript, when one was configured.
    pub word_error_rate: Option<f64>,
}

impl VoiceTurn {
    /// How long the spoken reply lasts, in milliseconds.
    pub fn spoken_ms(&self) -> u64 {
        self.spoken.duration_ms()
    }

    /// How long the heard speech lasts, in milliseconds (0 in text mode).
    pub fn heard_ms(&self) -> u64 {
        self.heard.as_ref().map_or(0, Audio::duration_ms)
    }
}
