//! Voice: the audio core of speech-to-speech conversations.
//!
//! - [`Audio`] is one mono 16-bit clip at a known rate: raw PCM and WAV in and out (WAVs
//!   streamed to a pipe included), resampling (to [`REALTIME_RATE`], 24 kHz, the OpenAI
//!   Realtime API's rate), real-time chunks, level.
//! - [`Speech`] is the text-to-speech plug point; [`CommandSpeech`] runs any local engine
//!   (text on stdin, WAV on stdout), with an `espeak-ng` preset. OpenAI's speech API is in
//!   `benchcore-providers` (feature `realtime`).
//! - [`Recording`] puts a conversation on one timeline, the interviewer and the participant
//!   on two channels, and finds where they talk over each other ([`Recording::overlaps`]) or
//!   both fall silent ([`Recording::silences`]).
//! - [`words_per_minute`], [`word_error_rate`] and [`silences_in`] measure one turn.
//!
//! Sound is detected in [`FRAME_MS`] frames whose RMS is above [`AUDIBLE_RMS`].

mod activity;
mod audio;
mod command_speech;
mod engine_run;
mod error;
mod metrics;
mod recording;
mod resample;
mod span;
mod speech;
mod transcriber;
mod wav;

pub use activity::{AUDIBLE_RMS, FRAME_MS};
pub use audio::{Audio, REALTIME_RATE};
pub use command_speech::{CommandSpeech, DEFAULT_SPEECH_TIMEOUT};
pub use error::VoiceError;
pub use metrics::{silences_in, word_error_rate, words, words_per_minute};
pub use recording::{Channel, Recording};
pub use span::Span;
pub use speech::{silence_for_empty, Speech, SpeechError, SpeechErrorKind, EMPTY_TEXT_SILENCE_MS};
pub use transcriber::{check_speech, CommandTranscriber, Transcriber, DEFAULT_TRANSCRIBE_TIMEOUT};
