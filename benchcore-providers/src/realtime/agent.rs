//! [`RealtimeAgent`]: a speech-to-speech model on the Realtime API as an [`Agent`], one
//! session per conversation.

use super::config::RealtimeConfig;
use super::response::{RateLimits, ReplyError};
use super::session::{Heard, Session, Turn};
use super::session_log::{log_path, Recorder, Replay};
use super::socket::{Socket, SocketError};
use benchcore::agent::{StopReason, VoiceTurn};
use benchcore::voice::{check_speech, Audio, Speech, SpeechErrorKind, Transcriber, REALTIME_RATE};
use benchcore::{async_trait, Agent, AgentCapabilities, AgentError, AgentErrorKind};
use benchcore::{AgentReply, AgentRequest, Case, Message, Role, Usage};
use reqwest::header::HeaderMap;
use reqwest::Url;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The largest server event accepted (an audio delta of a few seconds is well under it).
const DEFAULT_MAX_EVENT_BYTES: u64 = 8 * 1024 * 1024;

/// Which conversation a session serves: the case and the sample.
type ConversationKey = (String, u32);

/// A speech-to-speech model on the OpenAI Realtime API. Build it from a
/// [`RealtimeConfig`]; the kind is `realtime` (`realtime:gpt-realtime` on the command line).
///
/// Each reply carries its [`VoiceTurn`]: the audio spoken (and, in audio mode, heard), the
/// time from the end of the other side's turn to the first audio byte and the first
/// transcript delta, and the tokens split into text and audio (priced by the price table's
/// Realtime prices). The raw body of a reply is the session's event log (audio payloads
/// replaced by their size), unknown events included.
pub struct RealtimeAgent {
    name: String,
    config: RealtimeConfig,
    url: Url,
    headers: HeaderMap,
    speech: Option<Arc<dyn Speech>>,
    check: Option<Arc<dyn Transcriber>>,
    sessions: Mutex<HashMap<ConversationKey, Session>>,
    /// Sessions opened per conversation so far (they name the session logs).
    opened: Mutex<HashMap<ConversationKey, usize>>,
    /// Until when the server said a budget is spent (`rate_limits.updated`).
    paused_until: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for RealtimeAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RealtimeAgent")
            .field("name", &self.name)
            .field("url", &self.url.as_str())
            .field("mode", &self.config.mode)
            .finish_non_exhaustive()
    }
}

impl RealtimeAgent {
    pub(crate) fn new(
        config: RealtimeConfig,
        url: Url,
        headers: HeaderMap,
        speech: Option<Arc<dyn Speech>>,
        check: Option<Arc<dyn Transcriber>>,
    ) -> Self {
        Self {
            name: config.agent_name(),
            config,
            url,
            headers,
            speech,
            check,
            sessions: Mutex::new(HashMap::new()),
            opened: Mutex::new(HashMap::new()),
            paused_until: Mutex::new(None),
        }
    }

    /// How many sessions are open (one per conversation in progress).
    pub fn open_sessions(&self) -> usize {
        self.sessions.lock().map(|s| s.len()).unwrap_or(0)
    }

    fn error(&self, kind: AgentErrorKind, message: impl Into<String>) -> AgentError {
        AgentError::new(kind, message).with_provider(self.name.clone())
    }

    /// The session's instructions: the config's system prompt, then the request's.
    fn instructions(&self, messages: &[Message]) -> String {
        let mut parts: Vec<&str> = self
            .config
            .system_prompt
            .iter()
            .map(String::as_str)
            .collect();
        parts.extend(
            messages
                .iter()
                .filter(|m| m.role == Role::System)
                .map(|m| m.content.as_str()),
        );
        parts.join("\n\n")
    }

    /// Opens the next session of conversation `key`: a live socket (its events logged
    /// with `record_dir`), or its recording played back with `replay_dir`.
    async fn open(&self, key: &ConversationKey, instructions: &str) -> Result<Session, ReplyError> {
        let n = {
            let mut opened = self.opened.lock().unwrap_or_else(|e| e.into_inner());
            let n = opened.entry(key.clone()).or_insert(0);
            *n += 1;
            *n - 1
        };
        let socket = if let Some(dir) = &self.config.replay_dir {
            let path = log_path(dir, &key.0, key.1, n);
            Socket::replay(Replay::open(path, self.config.fast_audio)?)
        } else {
            let recorder = match &self.config.record_dir {
                Some(dir) => Some(Recorder::create(log_path(dir, &key.0, key.1, n))?),
                None => None,
            };
            let max = self
                .config
                .max_response_bytes
                .unwrap_or(DEFAULT_MAX_EVENT_BYTES);
            let max = usize::try_from(max).unwrap_or(usize::MAX);
            Socket::open(&self.url, &self.headers, max, recorder).await?
        };
        Session::open(&self.config, socket, instructions).await
    }

    /// Plays the turn on `session` (or a new one when it is `None` or holds another
    /// history); a socket that drops during the turn is replayed once on a new session.
    async fn play(
        &self,
        key: &ConversationKey,
        session: Option<Session>,
        instructions: &str,
        history: &[Message],
        said: &str,
        heard: &Option<Audio>,
    ) -> Result<(Session, Turn, bool), ReplyError> {
        let mut session = match session {
            Some(s) if s.holds_prefix_of(history) => s,
            other => {
                if let Some(stale) = other {
                    stale.close().await;
                }
                self.open(key, instructions).await?
            }
        };
        let mut reconnected = false;
        loop {
            session.catch_up(history).await?;
            let heard_as = match heard {
                Some(audio) => Heard::Speech(audio),
                None => Heard::Text(said),
            };
            match session.turn(&self.config, said, heard_as).await {
                Ok(turn) => return Ok((session, turn, reconnected)),
                Err(ReplyError::Socket(SocketError::Dropped(_))) if !reconnected => {
                    reconnected = true;
                    session = self.open(key, instructions).await?;
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn classify(&self, error: ReplyError) -> AgentError {
        use AgentErrorKind as K;
        match error {
            ReplyError::Socket(SocketError::Refused { status, body }) => {
                let kind = match status {
                    401 | 403 => K::Auth,
                    429 => K::RateLimited,
                    500.. => K::Transient,
                    _ => K::BadRequest,
                };
                let shown = SocketError::Refused { status, body };
                self.error(kind, shown.to_string()).with_status(status)
            }
            ReplyError::Socket(e @ SocketError::Dropped(_)) => {
                self.error(K::Transient, e.to_string())
            }
            ReplyError::Socket(e @ SocketError::Malformed(_)) => {
                self.error(K::MalformedReply, e.to_string())
            }
            // Playing it again gives the same answer: never retried.
            ReplyError::Socket(SocketError::Replay(why)) => self.error(K::BadRequest, why),
            ReplyError::Api {
                code,
                kind,
                message,
            } => {
                let kind = if code.contains("rate_limit") {
                    K::RateLimited
                } else if code.contains("context") || code.contains("too_long") {
                    K::ContextTooLong
                } else if code.contains("api_key") || kind.contains("authentication") {
                    K::Auth
                } else if kind == "server_error" {
                    K::Transient
                } else {
                    K::BadRequest
                };
                self.error(kind, format!("the server sent an error: {message}"))
            }
            ReplyError::Failed(why) => {
                self.error(K::Transient, format!("the response failed: {why}"))
            }
        }
    }

    /// Remembers a spent budget so the next turns wait (through the engine's limiter).
    fn note_rate_limits(&self, limits: Option<RateLimits>) {
        let Some(limits) = limits else { return };
        let spent = limits.requests_remaining == Some(0) || limits.tokens_remaining == Some(0);
        if let (true, Some(reset)) = (spent, limits.reset) {
            if let Ok(mut paused) = self.paused_until.lock() {
                *paused = Some(Instant::now() + reset);
            }
        }
    }

    fn check_paused(&self) -> Result<(), AgentError> {
        let until = self.paused_until.lock().ok().and_then(|p| *p);
        match until.map(|u| u.saturating_duration_since(Instant::now())) {
            Some(wait) if !wait.is_zero() => Err(AgentError::rate_limited(
                "the Realtime API said the rate limit is spent (rate_limits.updated)",
                Some(wait),
            )
            .with_provider(self.name.clone())),
            _ => Ok(()),
        }
    }

    async fn speak(&self, text: &str) -> Result<Option<Audio>, AgentError> {
        let Some(speech) = &self.speech else {
            return Ok(None);
        };
        let audio = speech.speak(text).await.map_err(|e| {
            let kind = match e.kind {
                SpeechErrorKind::Transient => AgentErrorKind::Transient,
                SpeechErrorKind::Auth => AgentErrorKind::Auth,
                _ => AgentErrorKind::BadRequest,
            };
            self.error(
                kind,
                format!("speaking the turn with {}: {e}", speech.name()),
            )
        })?;
        Ok(Some(audio.resampled(REALTIME_RATE)))
    }

    /// With `check_speech`: transcribes the spoken reply and sets its word error rate
    /// against the reply's transcript. A check that fails leaves the rate unset (and says
    /// why in the trace); the turn itself stands.
    async fn check_spoken(&self, reply: &mut AgentReply) {
        let (Some(check), Some(voice)) = (&self.check, reply.voice.as_mut()) else {
            return;
        };
        if voice.spoken.is_empty() {
            return;
        }
        match check_speech(check.as_ref(), &voice.spoken, &reply.text).await {
            Ok((_, rate)) => Arc::make_mut(voice).word_error_rate = Some(rate),
            Err(e) => tracing::warn!(agent = %self.name, error = %e, "the speech check failed"),
        }
    }

    fn reply_of(&self, turn: Turn, heard: Option<Audio>, reconnected: bool) -> AgentReply {
        let Turn {
            reply,
            ended_at,
            heard_at_ms,
            barged_in_at_ms,
        } = turn;
        let since_end = |at: Option<Instant>| {
            at.map(|t| t.saturating_duration_since(ended_at).as_millis() as u64)
        };
        let spoken_at_ms = reply.first_audio.map(|t| {
            let ago = Instant::now().saturating_duration_since(t).as_millis() as u64;
            benchcore::now_ms().saturating_sub(ago)
        });
        let mut voice = VoiceTurn::default();
        voice.heard = heard;
        voice.heard_at_ms = heard_at_ms;
        voice.heard_transcript = reply.heard_transcript.clone();
        voice.spoken = Audio::new(REALTIME_RATE, reply.audio);
        voice.spoken_at_ms = spoken_at_ms;
        voice.first_audio_ms = since_end(reply.first_audio);
        voice.first_transcript_ms = since_end(reply.first_text);
        voice.barged_in_at_ms = barged_in_at_ms;
        voice.interrupted = reply.cancelled;
        voice.reconnected = reconnected;
        voice.real_time = Session::hears_speech(&self.config) && !self.config.fast_audio;
        voice.usage = reply.usage;
        let usage = Usage::new(reply.usage.input_tokens(), reply.usage.output_tokens());
        let mut out = AgentReply::text(reply.text)
            .with_usage(usage)
            .with_model(self.config.model_or_default())
            .with_stop_reason(if reply.incomplete {
                StopReason::MaxTokens
            } else {
                StopReason::EndTurn
            })
            .with_voice(voice);
        out.time_to_first_token = reply
            .first_text
            .map(|t| t.saturating_duration_since(ended_at));
        out.raw = Some(serde_json::json!({
            "events": reply.log,
            "deltas": reply.deltas,
            "unlogged_events": reply.unlogged,
        }));
        out
    }
}

#[async_trait]
impl Agent for RealtimeAgent {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> AgentCapabilities {
        let mut caps = AgentCapabilities::default();
        caps.streaming = true;
        caps.usage = true;
        caps
    }

    async fn respond(&self, request: &AgentRequest) -> Result<AgentReply, AgentError> {
        self.check_paused()?;
        let turns: Vec<Message> = request
            .messages
            .iter()
            .filter(|m| matches!(m.role, Role::User | Role::Assistant))
            .cloned()
            .collect();
        let Some((last, history)) = turns.split_last().filter(|(l, _)| l.role == Role::User) else {
            return Err(self.error(
                AgentErrorKind::BadRequest,
                "a Realtime turn answers the other side: the last message must be a user message",
            ));
        };
        let key: ConversationKey = (
            request
                .case
                .as_ref()
                .map(|c| c.id.clone())
                .unwrap_or_default(),
            request.sample,
        );
        let mut deadline = request.deadline;
        if let Some(ms) = self.config.timeout_ms {
            let limit = Instant::now() + Duration::from_millis(ms);
            deadline = Some(deadline.map_or(limit, |d| d.min(limit)));
        }
        let instructions = self.instructions(&request.messages);
        let work = async {
            // A conversation's start cue is a stage direction, not speech: it goes as text.
            let cue = request
                .case
                .as_ref()
                .and_then(|c| c.metadata.pointer("/scenario/start_cue"))
                .and_then(serde_json::Value::as_str);
            let heard = if Session::hears_speech(&self.config) && cue != Some(&last.content) {
                self.speak(&last.content).await?
            } else {
                None
            };
            let session = self.sessions.lock().ok().and_then(|mut s| s.remove(&key));
            let (session, turn, reconnected) = self
                .play(&key, session, &instructions, history, &last.content, &heard)
                .await
                .map_err(|e| self.classify(e))?;
            self.note_rate_limits(turn.reply.rate_limits);
            if let Ok(mut sessions) = self.sessions.lock() {
                sessions.insert(key.clone(), session);
            }
            let mut reply = self.reply_of(turn, heard, reconnected);
            self.check_spoken(&mut reply).await;
            Ok(reply)
        };
        match deadline {
            // A session dropped here (the future cancelled) closes its socket.
            Some(deadline) => tokio::time::timeout_at(deadline.into(), work)
                .await
                .unwrap_or_else(|_| {
                    Err(self.error(
                        AgentErrorKind::Timeout,
                        "the Realtime reply did not finish before the turn's deadline",
                    ))
                }),
            None => work.await,
        }
    }

    async fn conversation_ended(&self, case: &Case, sample: u32) {
        let key = (case.id.clone(), sample);
        if let Ok(mut opened) = self.opened.lock() {
            opened.remove(&key);
        }
        let session = self.sessions.lock().ok().and_then(|mut s| s.remove(&key));
        if let Some(session) = session {
            session.close().await;
        }
    }
}
