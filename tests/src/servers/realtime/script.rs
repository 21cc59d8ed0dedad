//! [`RealtimeScript`]: how the loopback Realtime server behaves — what it replies, what it
//! hears in input audio, how fast it speaks and which faults it injects.

use std::fmt;
use std::sync::Arc;

/// What a reply may depend on, handed to [`RealtimeReply::With`].
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyContext {
    /// The session's index, in accept order from 0.
    pub session: usize,
    /// The response's index within the session, from 0 (responses created by VAD count).
    pub response: usize,
    /// The latest user message's text: its `input_text`, or for audio the transcript the
    /// server assigned. `None` when the context has no user message.
    pub last_user_text: Option<String>,
    /// The instructions in force (the response's own, else the session's).
    pub instructions: String,
}

/// How the server decides a reply's text once [`RealtimeScript::replies`] is used up.
#[derive(Clone, Default)]
pub enum RealtimeReply {
    /// `"You said: {last user text}"` (`"You said: nothing"` without a user message).
    #[default]
    Echo,
    /// The closure's text.
    With(Arc<dyn Fn(&ReplyContext) -> String + Send + Sync>),
}

impl fmt::Debug for RealtimeReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RealtimeReply::Echo => f.write_str("Echo"),
            RealtimeReply::With(_) => f.write_str("With(..)"),
        }
    }
}

impl RealtimeReply {
    /// The reply for `context`.
    pub fn text(&self, context: &ReplyContext) -> String {
        match self {
            RealtimeReply::Echo => format!(
                "You said: {}",
                context.last_user_text.as_deref().unwrap_or("nothing")
            ),
            RealtimeReply::With(reply) => reply(context),
        }
    }
}

/// What a transcript may depend on, handed to [`RealtimeTranscribe::With`].
#[derive(Debug, Clone, PartialEq)]
pub struct TranscribeContext {
    /// The session's index, in accept order from 0.
    pub session: usize,
    /// The commit's index within the session, from 0 (manual and VAD commits).
    pub turn: usize,
    /// The committed audio's length in milliseconds.
    pub audio_ms: u64,
}

/// How the server transcribes committed input audio once [`RealtimeScript::transcripts`]
/// is used up.
#[derive(Clone, Default)]
pub enum RealtimeTranscribe {
    /// `"heard {N} ms of speech"`, N being the committed audio's length.
    #[default]
    HeardMs,
    /// The closure's text.
    With(Arc<dyn Fn(&TranscribeContext) -> String + Send + Sync>),
}

impl fmt::Debug for RealtimeTranscribe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RealtimeTranscribe::HeardMs => f.write_str("HeardMs"),
            RealtimeTranscribe::With(_) => f.write_str("With(..)"),
        }
    }
}

impl RealtimeTranscribe {
    /// The transcript for `context`.
    pub fn text(&self, context: &TranscribeContext) -> String {
        match self {
            RealtimeTranscribe::HeardMs => format!("heard {} ms of speech", context.audio_ms),
            RealtimeTranscribe::With(transcribe) => transcribe(context),
        }
    }
}

/// The behaviour of a [`RealtimeServer`](super::RealtimeServer). Build it with
/// `RealtimeScript::default()` and the builder methods, or set the fields.
///
/// Sessions and responses are numbered from 0: sessions in accept order over the server's
/// life, responses within their session (each `response.create` that is not refused, and
/// each response VAD creates).
#[derive(Debug, Clone)]
pub struct RealtimeScript {
    /// The key `Authorization: Bearer` must carry; any (or none) when `None`. Default
    /// `None`.
    pub api_key: Option<String>,
    /// How replies are made once `replies` is used up. Default [`RealtimeReply::Echo`].
    pub reply: RealtimeReply,
    /// Replies used in order by each session's responses before `reply`. Default empty.
    pub replies: Vec<String>,
    /// How committed audio is transcribed once `transcripts` is used up. Default
    /// [`RealtimeTranscribe::HeardMs`].
    pub transcribe: RealtimeTranscribe,
    /// Transcripts assigned in order to each session's commits before `transcribe`.
    /// Default empty.
    pub transcripts: Vec<String>,
    /// Milliseconds of synthetic voice a word of the reply lasts. Default 300.
    pub ms_per_word: u64,
    /// Wait between a response's first events and its first delta. Default 0.
    pub first_delta_delay_ms: u64,
    /// Send a response's deltas at the pace of its audio (a 100 ms chunk every 100 ms) rather
    /// than all at once. Default `false`.
    pub realtime_pacing: bool,
    /// `(session, n)`: close that session's TCP connection without a close frame after `n`
    /// deltas (audio deltas, or text deltas for a text response) of its first response.
    /// Default `None`.
    pub drop_after_deltas: Option<(usize, usize)>,
    /// `(session, response)`: that response sends its first events and one delta, then the
    /// session goes silent for good (client events are still read and counted). Default
    /// `None`.
    pub stall_on_response: Option<(usize, usize)>,
    /// `(session, response, code)`: that `response.create` is answered with an `error` event
    /// with this code and no response. Its type is `server_error` when the code is
    /// `server_error`, else `invalid_request_error`. Default `None`.
    pub error_on_response: Option<(usize, usize, String)>,
    /// Send an event of an unknown future type (`response.future_thing`) before each
    /// `response.done`. Default `false`.
    pub extra_unknown_event: bool,
    /// The `remaining` of both rate limits in `rate_limits.updated`; by default the limits
    /// count down from 5000 requests and 400 000 tokens a session.
    pub rate_limit_remaining: Option<u64>,
}

impl Default for RealtimeScript {
    fn default() -> Self {
        RealtimeScript {
            api_key: None,
            reply: RealtimeReply::Echo,
            replies: Vec::new(),
            transcribe: RealtimeTranscribe::HeardMs,
            transcripts: Vec::new(),
            ms_per_word: 300,
            first_delta_delay_ms: 0,
            realtime_pacing: false,
            drop_after_deltas: None,
            stall_on_response: None,
            error_on_response: None,
            extra_unknown_event: false,
            rate_limit_remaining: None,
        }
    }
}

impl RealtimeScript {
    /// Requires `Authorization: Bearer {key}`.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Replies with the closure's text (after `replies`).
    pub fn reply_with(
        mut self,
        reply: impl Fn(&ReplyContext) -> String + Send + Sync + 'static,
    ) -> Self {
        self.reply = RealtimeReply::With(Arc::new(reply));
        self
    }

    /// Each session's responses reply with these texts, in order, before `reply`.
    pub fn replies<S: Into<String>>(mut self, replies: impl IntoIterator<Item = S>) -> Self {
        self.replies = replies.into_iter().map(Into::into).collect();
        self
    }

    /// Transcribes committed audio with the closure's text (after `transcripts`).
    pub fn transcribe_with(
        mut self,
        transcribe: impl Fn(&TranscribeContext) -> String + Send + Sync + 'static,
    ) -> Self {
        self.transcribe = RealtimeTranscribe::With(Arc::new(transcribe));
        self
    }

    /// Each session's commits get these transcripts, in order, before `transcribe`.
    pub fn transcripts<S: Into<String>>(mut self, texts: impl IntoIterator<Item = S>) -> Self {
        self.transcripts = texts.into_iter().map(Into::into).collect();
        self
    }

    /// Milliseconds of voice a reply word lasts.
    pub fn ms_per_word(mut self, ms: u64) -> Self {
        self.ms_per_word = ms;
        self
    }

    /// Waits this long before each response's first delta.
    pub fn first_delta_delay_ms(mut self, ms: u64) -> Self {
        self.first_delta_delay_ms = ms;
        self
    }

    /// Sends deltas at the pace of the audio.
    pub fn realtime_pacing(mut self, on: bool) -> Self {
        self.realtime_pacing = on;
        self
    }

    /// Drops session `session`'s connection after `deltas` deltas of its first response.
    pub fn drop_after_deltas(mut self, session: usize, deltas: usize) -> Self {
        self.drop_after_deltas = Some((session, deltas));
        self
    }

    /// Stalls response `response` of session `session` after its first delta.
    pub fn stall_on_response(mut self, session: usize, response: usize) -> Self {
        self.stall_on_response = Some((session, response));
        self
    }

    /// Answers response `response` of session `session` with an `error` event of `code`.
    pub fn error_on_response(
        mut self,
        session: usize,
        response: usize,
        code: impl Into<String>,
    ) -> Self {
        self.error_on_response = Some((session, response, code.into()));
        self
    }

    /// Sends `response.future_thing` before each `response.done`.
    pub fn extra_unknown_event(mut self, on: bool) -> Self {
        self.extra_unknown_event = on;
        self
    }

    /// Reports this `remaining` in both rate limits.
    pub fn rate_limit_remaining(mut self, remaining: u64) -> Self {
        self.rate_limit_remaining = Some(remaining);
        self
    }
}
