//! Speech-to-speech agents on the OpenAI Realtime API (GA) over WebSocket: kind `realtime`.
//!
//! A [`RealtimeAgent`] keeps one session per conversation (per case and sample). The first
//! turn opens it with `session.update` (the conversation's system prompt as instructions,
//! the voice, audio or text output, 24 kHz PCM both ways, turn detection, input
//! transcription); each later turn sends only what is new and asks for a reply; the
//! conversation's end closes it.
//!
//! - **Text mode** (default): the other side's turn is a text item; the model answers in
//!   speech plus its transcript.
//! - **Audio mode**: the other side's turn is spoken by a [`Speech`](benchcore::voice::Speech)
//!   engine (offline `espeak-ng` by default) and streamed in 100 ms chunks at real-time pace;
//!   the server's turn detection (or a commit, with `turn_detection: none`) starts the reply,
//!   and its transcription of what it heard is kept. The other side waits for the reply to
//!   finish playing, or speaks over it at `barge_in_ms`, truncating the reply where it was
//!   cut (`conversation.item.truncate`).
//!
//! Robustness: a socket that drops during a reply is replayed once on a new session (the
//! conversation so far sent as items); `error` events and refused handshakes are classified
//! for the engine (429 and `rate_limit_exceeded` slow the run through its limiter, as does a
//! `rate_limits.updated` that says a budget is spent); a reply that never finishes meets
//! the turn's deadline; unknown events are kept in the reply's raw log.

mod agent;
mod config;
mod response;
mod session;
mod session_log;
mod socket;
mod socket_error;
mod wire;

pub use agent::RealtimeAgent;
pub use config::{RealtimeConfig, RealtimeMode, TurnDetection};
