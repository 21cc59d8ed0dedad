//! [`Session`]: one Realtime session serving one conversation — opened with the
//! conversation's instructions, fed only what is new each turn, and speaking the other
//! side's words in audio mode at real-time pace.

use super::config::{RealtimeConfig, RealtimeMode, TurnDetection};
use super::response::{read_reply, wait_for, Reply, ReplyError};
use super::socket::Socket;
use super::wire;
use benchcore::voice::Audio;
use benchcore::{Message, Role};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Speech is streamed in chunks of this length, as a microphone would send it.
const CHUNK_MS: u64 = 100;
/// Silence streamed after the speech so the server's turn detection hears the end.
const TRAILING_SILENCE_MS: u64 = 900;
/// Default wait after the reply has played before the other side speaks.
const DEFAULT_PAUSE_MS: u64 = 300;

/// The other side's turn, as this session is to hear it.
#[derive(Debug)]
pub(crate) enum Heard<'a> {
    /// As a text item.
    Text(&'a str),
    /// As speech, streamed.
    Speech(&'a Audio),
}

/// A reply with the voice timings of the turn that produced it.
#[derive(Debug)]
pub(crate) struct Turn {
    pub(crate) reply: Reply,
    /// When the end of the other side's turn was sent (the last speech chunk, or the
    /// request for a reply).
    pub(crate) ended_at: Instant,
    /// When the speech started streaming, in milliseconds since the epoch (audio mode).
    pub(crate) heard_at_ms: Option<u64>,
    /// How much of the previous reply had played when the other side spoke over it.
    pub(crate) barged_in_at_ms: Option<u64>,
}

/// The previous reply, for pacing the next turn behind its playback.
#[derive(Debug, Clone)]
struct Playback {
    item_id: Option<String>,
    started: Instant,
    duration: Duration,
}

/// One open session.
#[derive(Debug)]
pub(crate) struct Session {
    socket: Socket,
    /// The conversation's messages this session holds, in order.
    mirrored: Vec<(Role, String)>,
    playback: Option<Playback>,
    /// Events of opening the session, handed to the first turn's log.
    pub(crate) opening_log: Vec<Value>,
}

impl Session {
    /// Opens a session on `socket`: waits for `session.created`, sends the session's
    /// configuration and waits for `session.updated`.
    pub(crate) async fn open(
        config: &RealtimeConfig,
        mut socket: Socket,
        instructions: &str,
    ) -> Result<Self, ReplyError> {
        let mut log = Vec::new();
        wait_for(&mut socket, &["session.created"], &mut log).await?;
        socket
            .send(&wire::session_update(config, instructions))
            .await?;
        let updated = wait_for(&mut socket, &["session.updated"], &mut log).await?;
        log.push(wire::for_log(&updated));
        Ok(Self {
            socket,
            mirrored: Vec::new(),
            playback: None,
            opening_log: log,
        })
    }

    /// Whether the session holds exactly `history` so far (every message before the turn
    /// to answer), so only what is new needs sending.
    pub(crate) fn holds_prefix_of(&self, history: &[Message]) -> bool {
        self.mirrored.len() <= history.len()
            && self
                .mirrored
                .iter()
                .zip(history)
                .all(|((role, text), m)| *role == m.role && *text == m.content)
    }

    /// Sends the messages of `history` the session does not hold yet as text items.
    pub(crate) async fn catch_up(&mut self, history: &[Message]) -> Result<(), ReplyError> {
        for message in &history[self.mirrored.len()..] {
            // The server adds items in order; their `conversation.item.added` events are
            // read (and logged) with the reply.
            if let Some(item) = wire::text_item(message) {
                self.socket.send(&item).await?;
            }
            self.mirrored.push((message.role, message.content.clone()));
        }
        Ok(())
    }

    /// Plays one turn: the other side's words (`heard`, whose text is `said`), then the
    /// reply. Audio mode waits for the previous reply's playback (or speaks over it at
    /// `barge_in_ms`), streams the speech, and lets turn detection (or a commit) start the
    /// reply.
    pub(crate) async fn turn(
        &mut self,
        config: &RealtimeConfig,
        said: &str,
        heard: Heard<'_>,
    ) -> Result<Turn, ReplyError> {
        let mut log = std::mem::take(&mut self.opening_log);
        let (ended_at, heard_at_ms, barged_in_at_ms) = match heard {
            Heard::Text(text) => {
                let message = Message::user(text.to_owned());
                if let Some(item) = wire::text_item(&message) {
                    self.socket.send(&item).await?;
                }
                self.socket.send(&wire::bare("response.create")).await?;
                (Instant::now(), None, None)
            }
            Heard::Speech(audio) => {
                let barged = self.wait_for_playback(config).await?;
                let heard_at = benchcore::now_ms();
                let paced = !config.fast_audio;
                stream(&mut self.socket, audio, paced).await?;
                let ended = Instant::now();
                if config.turn_detection_or_default() == TurnDetection::None {
                    self.socket
                        .send(&wire::bare("input_audio_buffer.commit"))
                        .await?;
                    self.socket.send(&wire::bare("response.create")).await?;
                } else {
                    let silence = Audio::silence(audio.rate, TRAILING_SILENCE_MS);
                    stream(&mut self.socket, &silence, paced).await?;
                }
                (ended, Some(heard_at), barged)
            }
        };
        let mut reply = read_reply(&mut self.socket).await?;
        log.append(&mut reply.log);
        reply.log = log;
        self.mirrored.push((Role::User, said.to_owned()));
        self.mirrored.push((Role::Assistant, reply.text.clone()));
        self.playback = reply.first_audio.map(|started| Playback {
            item_id: reply.item_id.clone(),
            started,
            duration: Duration::from_millis(reply.audio.len() as u64 * 1000 / 24_000),
        });
        Ok(Turn {
            reply,
            ended_at,
            heard_at_ms,
            barged_in_at_ms,
        })
    }

    /// Audio mode: waits until the previous reply has played and the pause has passed, or,
    /// with a barge-in, until `barge_in_ms` into it, then truncates the reply where it was
    /// cut. Returns how much had played at a barge-in.
    async fn wait_for_playback(
        &mut self,
        config: &RealtimeConfig,
    ) -> Result<Option<u64>, ReplyError> {
        let Some(playback) = self.playback.take() else {
            return Ok(None);
        };
        let duration_ms = playback.duration.as_millis() as u64;
        match config.barge_in_ms {
            Some(at) if at < duration_ms => {
                if !config.fast_audio {
                    let when = playback.started + Duration::from_millis(at);
                    tokio::time::sleep_until(when.into()).await;
                }
                if let Some(item) = &playback.item_id {
                    self.socket.send(&wire::truncate(item, at)).await?;
                }
                Ok(Some(at))
            }
            _ => {
                if !config.fast_audio {
                    let pause = config.pause_ms.unwrap_or(DEFAULT_PAUSE_MS);
                    let when = playback.started + playback.duration + Duration::from_millis(pause);
                    tokio::time::sleep_until(when.into()).await;
                }
                Ok(None)
            }
        }
    }

    /// Whether the conversation is in audio mode with this config.
    pub(crate) fn hears_speech(config: &RealtimeConfig) -> bool {
        config.mode == RealtimeMode::Audio
    }

    /// Closes the session.
    pub(crate) async fn close(self) {
        self.socket.close().await;
    }
}

/// Streams `audio` in [`CHUNK_MS`] chunks, at real-time pace when `paced`.
async fn stream(socket: &mut Socket, audio: &Audio, paced: bool) -> Result<(), ReplyError> {
    let start = tokio::time::Instant::now();
    for (i, chunk) in audio.chunks(CHUNK_MS).enumerate() {
        if paced {
            tokio::time::sleep_until(start + Duration::from_millis(i as u64 * CHUNK_MS)).await;
        }
        socket.send(&wire::append_audio(&chunk.samples)).await?;
    }
    Ok(())
}
