//! Reading one reply off a Realtime session: audio, transcript and text deltas until
//! `response.done`, with the timings, the usage and every other event kept for the log.

use super::socket::{Socket, SocketError};
use super::wire;
use benchcore::agent::VoiceUsage;
use serde_json::Value;
use std::time::{Duration, Instant};

/// The longest spoken reply accepted: ten minutes at 24 kHz. A server that streams on and
/// on meets this bound (or the turn's deadline) instead of filling memory.
const MAX_REPLY_SAMPLES: usize = 10 * 60 * 24_000;
/// The most events of one reply kept in its log; later ones are counted, not kept.
const MAX_LOGGED_EVENTS: usize = 2_000;

/// How a reply failed, before it is classified for the engine.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ReplyError {
    /// The socket failed (see [`SocketError`]).
    Socket(SocketError),
    /// The server sent an `error` event instead of the reply: its code, its type
    /// (`invalid_request_error`, `server_error` …) and one line.
    Api {
        code: String,
        kind: String,
        message: String,
    },
    /// `response.done` said `failed`.
    Failed(String),
}

impl From<SocketError> for ReplyError {
    fn from(e: SocketError) -> Self {
        Self::Socket(e)
    }
}

/// What the server said about its request and token budgets (`rate_limits.updated`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct RateLimits {
    /// Requests left, when reported.
    pub(crate) requests_remaining: Option<u64>,
    /// Tokens left, when reported.
    pub(crate) tokens_remaining: Option<u64>,
    /// When the exhausted budget (requests, else tokens) refills.
    pub(crate) reset: Option<Duration>,
}

/// One reply as read.
#[derive(Debug, Default)]
pub(crate) struct Reply {
    /// The spoken reply's transcript, or the text reply.
    pub(crate) text: String,
    /// PCM16 24 kHz samples of the spoken reply.
    pub(crate) audio: Vec<i16>,
    /// When the first audio delta arrived.
    pub(crate) first_audio: Option<Instant>,
    /// When the first transcript or text delta arrived.
    pub(crate) first_text: Option<Instant>,
    /// What the server transcribed of the speech it heard this turn.
    pub(crate) heard_transcript: Option<String>,
    /// The reply's conversation item (for truncation after a barge-in).
    pub(crate) item_id: Option<String>,
    /// Tokens, split into text and audio.
    pub(crate) usage: VoiceUsage,
    /// `response.done` said `cancelled` (turn detection heard speech over it).
    pub(crate) cancelled: bool,
    /// `response.done` said `incomplete` (the output token limit).
    pub(crate) incomplete: bool,
    /// The last rate limits reported.
    pub(crate) rate_limits: Option<RateLimits>,
    /// Every event but the deltas, audio payloads replaced by their size.
    pub(crate) log: Vec<Value>,
    /// How many delta events came (they are not logged one by one).
    pub(crate) deltas: u64,
    /// Events past the log's bound, counted only.
    pub(crate) unlogged: u64,
}

/// Reads events until the reply's `response.done`. Events before `response.created` (turn
/// detection, the committed buffer, transcription) are read as part of the turn.
pub(crate) async fn read_reply(socket: &mut Socket) -> Result<Reply, ReplyError> {
    let mut reply = Reply::default();
    let mut transcript_done: Option<String> = None;
    loop {
        let event = socket.next().await?;
        let kind = wire::kind(&event);
        match kind {
            "response.output_audio.delta" | "response.audio.delta" => {
                reply.deltas += 1;
                let samples = wire::audio_delta(&event).ok_or_else(|| {
                    ReplyError::Socket(SocketError::Malformed(
                        "an audio delta that is not base64 PCM16".into(),
                    ))
                })?;
                reply.first_audio.get_or_insert_with(Instant::now);
                if reply.audio.len() + samples.len() > MAX_REPLY_SAMPLES {
                    return Err(ReplyError::Socket(SocketError::Malformed(
                        "a reply longer than ten minutes of audio".into(),
                    )));
                }
                reply.audio.extend_from_slice(&samples);
                continue;
            }
            "response.output_audio_transcript.delta"
            | "response.audio_transcript.delta"
            | "response.output_text.delta"
            | "response.text.delta" => {
                reply.deltas += 1;
                reply.first_text.get_or_insert_with(Instant::now);
                reply.text.push_str(wire::text(&event, "delta"));
                continue;
            }
            _ => {}
        }
        if reply.log.len() < MAX_LOGGED_EVENTS {
            reply.log.push(wire::for_log(&event));
        } else {
            reply.unlogged += 1;
        }
        match kind {
            "response.output_audio_transcript.done" | "response.audio_transcript.done" => {
                transcript_done = Some(wire::text(&event, "transcript").to_owned());
            }
            "response.output_text.done" | "response.text.done" => {
                transcript_done = Some(wire::text(&event, "text").to_owned());
            }
            "response.output_item.added" => {
                if let Some(id) = event["item"]["id"].as_str() {
                    reply.item_id.get_or_insert_with(|| id.to_owned());
                }
            }
            "conversation.item.input_audio_transcription.completed" => {
                reply.heard_transcript = Some(wire::text(&event, "transcript").to_owned());
            }
            "rate_limits.updated" => reply.rate_limits = Some(rate_limits(&event)),
            "error" => {
                let (code, kind, message) = wire::error_line(&event);
                return Err(ReplyError::Api {
                    code,
                    kind,
                    message,
                });
            }
            "response.done" => {
                let response = &event["response"];
                reply.usage = wire::usage(response);
                match response["status"].as_str().unwrap_or("completed") {
                    "cancelled" => reply.cancelled = true,
                    "incomplete" => reply.incomplete = true,
                    "failed" => {
                        let details = &response["status_details"];
                        let why = details["error"]["message"]
                            .as_str()
                            .or_else(|| details["reason"].as_str())
                            .unwrap_or("no reason given");
                        return Err(ReplyError::Failed(why.to_owned()));
                    }
                    _ => {}
                }
                if let Some(text) = transcript_done {
                    reply.text = text;
                }
                return Ok(reply);
            }
            _ => {}
        }
    }
}

/// Reads events until one of `kinds` arrives (or an `error`), logging the others.
pub(crate) async fn wait_for(
    socket: &mut Socket,
    kinds: &[&str],
    log: &mut Vec<Value>,
) -> Result<Value, ReplyError> {
    loop {
        let event = socket.next().await?;
        let kind = wire::kind(&event);
        if kinds.contains(&kind) {
            return Ok(event);
        }
        if kind == "error" {
            let (code, kind, message) = wire::error_line(&event);
            return Err(ReplyError::Api {
                code,
                kind,
                message,
            });
        }
        log.push(wire::for_log(&event));
    }
}

/// The budgets of a `rate_limits.updated` event.
fn rate_limits(event: &Value) -> RateLimits {
    let mut limits = RateLimits::default();
    let mut resets = (None, None);
    for limit in event["rate_limits"].as_array().into_iter().flatten() {
        let remaining = limit["remaining"].as_u64();
        let reset = limit["reset_seconds"]
            .as_f64()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(|s| Duration::from_secs_f64(s.min(3600.0)));
        match limit["name"].as_str() {
            Some("requests") => {
                limits.requests_remaining = remaining;
                resets.0 = reset;
            }
            Some("tokens") => {
                limits.tokens_remaining = remaining;
                resets.1 = reset;
            }
            _ => {}
        }
    }
    limits.reset = if limits.requests_remaining == Some(0) {
        resets.0
    } else {
        resets.1
    };
    limits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realtime::session_log::{Recorder, Replay};
    use serde_json::json;

    /// A socket that plays `events` (server events) back.
    fn socket_of(events: &[Value]) -> (tempfile::TempDir, Socket) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        let mut recorder = Recorder::create(path.clone()).unwrap();
        for event in events {
            recorder.write(true, event).unwrap();
        }
        drop(recorder);
        let socket = Socket::replay(Replay::open(path, true).unwrap());
        (dir, socket)
    }

    #[tokio::test]
    async fn a_reply_that_never_stops_speaking_is_cut_off() {
        use base64::Engine as _;
        // One minute of audio a delta, eleven of them.
        let minute = base64::engine::general_purpose::STANDARD.encode(vec![0u8; 60 * 48_000]);
        let delta = json!({"type": "response.output_audio.delta", "delta": minute});
        let (_dir, mut socket) = socket_of(&vec![delta; 11]);
        let err = read_reply(&mut socket).await.unwrap_err();
        assert!(format!("{err:?}").contains("ten minutes"), "{err:?}");
    }

    #[tokio::test]
    async fn a_reply_of_endless_events_keeps_a_bounded_log() {
        let mut events = vec![json!({"type": "response.future_thing"}); MAX_LOGGED_EVENTS + 50];
        events.push(json!({"type": "response.done", "response": {"status": "completed"}}));
        let (_dir, mut socket) = socket_of(&events);
        let reply = read_reply(&mut socket).await.unwrap();
        assert_eq!(reply.log.len(), MAX_LOGGED_EVENTS);
        assert_eq!(reply.unlogged, 51);
    }

    #[tokio::test]
    async fn a_failed_response_says_why() {
        let done = json!({"type": "response.done", "response": {"status": "failed",
            "status_details": {"error": {"message": "the model is overloaded"}}}});
        let (_dir, mut socket) = socket_of(&[done]);
        let err = read_reply(&mut socket).await.unwrap_err();
        assert_eq!(err, ReplyError::Failed("the model is overloaded".into()));
    }

    #[test]
    fn rate_limits_name_the_exhausted_budget() {
        let event = json!({"rate_limits": [
            {"name": "requests", "limit": 100, "remaining": 0, "reset_seconds": 1.5},
            {"name": "tokens", "limit": 1000, "remaining": 900, "reset_seconds": 9},
        ]});
        let limits = rate_limits(&event);
        assert_eq!(limits.requests_remaining, Some(0));
        assert_eq!(limits.tokens_remaining, Some(900));
        assert_eq!(limits.reset, Some(Duration::from_millis(1500)));
        let hostile =
            json!({"rate_limits": [{"name": "requests", "remaining": 0, "reset_seconds": -1}]});
        assert_eq!(rate_limits(&hostile).reset, None);
    }
}
