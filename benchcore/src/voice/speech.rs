//! [`Speech`]: the text-to-speech plug point (a local engine, a speech API), and its error.

use super::audio::{Audio, REALTIME_RATE};
use async_trait::async_trait;
use std::fmt;
use std::time::Duration;

/// How long the audio for empty text is: a short pause, so every turn has some audio.
pub const EMPTY_TEXT_SILENCE_MS: u64 = 100;

/// Turns text into speech.
///
/// Implementations: [`CommandSpeech`](super::CommandSpeech) (any local engine that reads
/// text and writes a WAV, with an `espeak-ng` preset) and, in `benchcore-providers`
/// (feature `realtime`), OpenAI's speech API.
///
/// # Contract
///
/// - `speak` returns mono audio at [`REALTIME_RATE`] (24 kHz).
/// - Text that is empty or only whitespace is not an error: it returns
///   [`EMPTY_TEXT_SILENCE_MS`] of silence without calling the engine
///   ([`silence_for_empty`] does this).
/// - The text is data, never instructions to the machine: no text reaches a shell or a
///   command line.
/// - `speak` never retries by itself; it classifies a failure by [`SpeechErrorKind`] and the
///   caller decides.
/// - Dropping the future cancels the work (a child process is killed).
#[async_trait]
pub trait Speech: Send + Sync + fmt::Debug + 'static {
    /// The engine's name in records (`espeak-ng`, `openai:gpt-4o-mini-tts` …).
    fn name(&self) -> &str;

    /// Speaks `text`.
    async fn speak(&self, text: &str) -> Result<Audio, SpeechError>;
}

const _: fn(&dyn Speech) = |_| {};

/// The audio for empty or whitespace-only text: [`EMPTY_TEXT_SILENCE_MS`] of silence at
/// 24 kHz; `None` for text with something to say.
pub fn silence_for_empty(text: &str) -> Option<Audio> {
    text.trim()
        .is_empty()
        .then(|| Audio::silence(REALTIME_RATE, EMPTY_TEXT_SILENCE_MS))
}

/// What kind of failure a [`SpeechError`] is; callers branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SpeechErrorKind {
    /// The engine's program is missing; the message says what to install.
    NotInstalled,
    /// The engine ran and failed (a non-zero exit, output that is not audio); the message
    /// carries the end of its error output.
    Failed,
    /// The engine did not finish within its time limit.
    Timeout,
    /// A failure that may pass: HTTP 429 or 5xx, a network error. The message carries any
    /// `Retry-After`.
    Transient,
    /// The credentials were refused (HTTP 401, 403).
    Auth,
    /// The request was refused as wrong (another HTTP 4xx): a bad model, voice or text.
    BadRequest,
}

impl SpeechErrorKind {
    /// The kind's name as a message starts with it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::NotInstalled => "not installed",
            Self::Failed => "failed",
            Self::Timeout => "timed out",
            Self::Transient => "transient failure",
            Self::Auth => "authentication failed",
            Self::BadRequest => "bad request",
        }
    }
}

impl fmt::Display for SpeechErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why speaking failed: a kind to branch on and a one-line message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("speech {kind}: {message}")]
#[non_exhaustive]
pub struct SpeechError {
    /// What kind of failure it is.
    pub kind: SpeechErrorKind,
    /// What happened, on one line.
    pub message: String,
    /// How long the service asked to wait before trying again, if it said.
    pub retry_after: Option<Duration>,
}

impl SpeechError {
    /// An error of `kind`; the message is joined onto one line.
    pub fn new(kind: SpeechErrorKind, message: impl Into<String>) -> Self {
        let message: String = message.into();
        let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
        Self {
            kind,
            message,
            retry_after: None,
        }
    }

    /// The same error, with the wait the service asked for.
    pub fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.retry_after = retry_after;
        self
    }

    /// Whether trying again later may succeed: `Transient` and `Timeout`.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            SpeechErrorKind::Transient | SpeechErrorKind::Timeout
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_one_line() {
        let err = SpeechError::new(
            SpeechErrorKind::Failed,
            "espeak-ng exited with status 1:\n  bad voice\n",
        );
        assert_eq!(
            err.to_string(),
            "speech failed: espeak-ng exited with status 1: bad voice"
        );
        assert!(!err.is_retryable());
        let err = SpeechError::new(SpeechErrorKind::Transient, "HTTP 429")
            .with_retry_after(Some(Duration::from_secs(2)));
        assert!(err.is_retryable());
        assert_eq!(err.retry_after, Some(Duration::from_secs(2)));
    }

    #[test]
    fn empty_text_is_a_short_silence() {
        let silence = silence_for_empty(" \n\t ").unwrap();
        assert_eq!(silence.rate, REALTIME_RATE);
        assert_eq!(silence.duration_ms(), EMPTY_TEXT_SILENCE_MS);
        assert!(silence.is_silent(0));
        assert_eq!(silence_for_empty("hi"), None);
    }
}
