//! [`OpenAiSpeech`]: OpenAI's text-to-speech endpoint, asked for raw 24 kHz PCM.

use super::error::{for_status, from_reqwest};
use super::wire::SpeechRequest;
use crate::http::{self, endpoint, retry_after};
use benchcore::async_trait;
use benchcore::voice::{
    silence_for_empty, Audio, Speech, SpeechError, SpeechErrorKind, REALTIME_RATE,
};
use benchcore::Secret;
use reqwest::header::CONTENT_TYPE;
use reqwest::Url;
use std::fmt;
use std::time::{Duration, SystemTime};

/// The largest reply read: 64 MiB, about 23 minutes of 24 kHz speech.
const MAX_AUDIO_BYTES: u64 = 64 * 1024 * 1024;

/// Speech from OpenAI's `POST {base_url}/audio/speech`, with `response_format: "pcm"`
/// (raw 24 kHz 16-bit little-endian mono, the Realtime API's own format).
///
/// Each `speak` is one exchange, never retried here; failures are classified by
/// [`SpeechErrorKind`]. `Debug` shows no key.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use benchcore::voice::Speech;
/// use benchcore_providers::speech::OpenAiSpeech;
/// let speech = OpenAiSpeech::new(benchcore::Secret::new("sk-…"))?
///     .voice("coral")
///     .instructions("Speak calmly.");
/// let audio = speech.speak("Hello there.").await?;
/// assert_eq!(audio.rate, 24_000);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct OpenAiSpeech {
    name: Option<String>,
    default_name: String,
    client: reqwest::Client,
    url: Url,
    key: Secret,
    model: String,
    voice: String,
    instructions: Option<String>,
    timeout: Duration,
}

impl OpenAiSpeech {
    /// The API root unless told otherwise.
    pub const DEFAULT_BASE_URL: &'static str = "https://api.openai.com/v1";
    /// The speech model unless told otherwise.
    pub const DEFAULT_MODEL: &'static str = "gpt-4o-mini-tts";
    /// The voice unless told otherwise.
    pub const DEFAULT_VOICE: &'static str = "alloy";
    /// How long one utterance may take unless told otherwise.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

    /// Speech with `api_key`, the default model, voice and API root. The error says why the
    /// key cannot be sent.
    pub fn new(api_key: Secret) -> Result<Self, String> {
        let (client, key) = super::client::bearer_client(&api_key)?;
        Ok(Self {
            name: None,
            default_name: format!("openai:{}", Self::DEFAULT_MODEL),
            client,
            url: speech_url(Self::DEFAULT_BASE_URL)?,
            key,
            model: Self::DEFAULT_MODEL.to_owned(),
            voice: Self::DEFAULT_VOICE.to_owned(),
            instructions: None,
            timeout: Self::DEFAULT_TIMEOUT,
        })
    }

    /// Sends to another API root (`http://127.0.0.1:8080/v1`, a gateway). The error says
    /// what is wrong with it.
    pub fn base_url(mut self, base_url: &str) -> Result<Self, String> {
        self.url = speech_url(base_url)?;
        Ok(self)
    }

    /// Sets the model (`gpt-4o-mini-tts`, `tts-1`, `tts-1-hd` …).
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = model.into();
        self.default_name = format!("openai:{}", self.model);
        self
    }

    /// Sets the voice (`alloy`, `coral`, `verse` …).
    pub fn voice(mut self, voice: impl Into<String>) -> Self {
        self.voice = voice.into();
        self
    }

    /// Sets how to speak ("calm and slow"); `gpt-4o-mini-tts` follows it, `tts-1` does not.
    pub fn instructions(mut self, instructions: impl Into<String>) -> Self {
        self.instructions = Some(instructions.into());
        self
    }

    /// Sets how long one utterance may take, reply included.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the name in records (default `openai:MODEL`).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The URL requests go to.
    pub fn url(&self) -> &Url {
        &self.url
    }

    async fn exchange(&self, text: &str) -> Result<Audio, SpeechError> {
        let body = SpeechRequest {
            model: &self.model,
            input: text,
            voice: &self.voice,
            response_format: "pcm",
            instructions: self.instructions.as_deref(),
        };
        let response = self
            .client
            .post(self.url.clone())
            .json(&body)
            .send()
            .await
            .map_err(from_reqwest)?;
        let status = response.status();
        if !status.is_success() {
            let wait = retry_after(response.headers(), SystemTime::now());
            let body = http::read_error_body(response).await;
            return Err(for_status(status.as_u16(), &body, wait, self.key.expose()));
        }
        let says_json = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
        let bytes = http::read_body(response, MAX_AUDIO_BYTES)
            .await
            .map_err(|err| {
                let kind = if err.is_retryable() {
                    SpeechErrorKind::Transient
                } else {
                    SpeechErrorKind::Failed
                };
                SpeechError::new(kind, format!("OpenAI speech: {}", err.message))
            })?;
        pcm_audio(&bytes, says_json)
    }
}

/// The audio in a successful reply's body: raw 16-bit PCM at 24 kHz. A JSON body (by its
/// `Content-Type` or its content), an empty one or one of odd length is `Failed`.
fn pcm_audio(bytes: &[u8], says_json: bool) -> Result<Audio, SpeechError> {
    let failed =
        |what: String| SpeechError::new(SpeechErrorKind::Failed, format!("OpenAI speech: {what}"));
    let is_json = says_json
        || serde_json::from_slice::<serde_json::Value>(bytes).is_ok_and(|v| v.is_object());
    if is_json {
        let said = http::ProviderError::from_body(bytes)
            .message
            .unwrap_or_else(|| {
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned()
            });
        return Err(failed(format!("the reply is JSON, not audio: {said}")));
    }
    if bytes.is_empty() {
        return Err(failed("the reply holds no audio".to_owned()));
    }
    if bytes.len() % 2 == 1 {
        return Err(failed(format!(
            "the reply is {} bytes long, an odd length: not 16-bit PCM",
            bytes.len()
        )));
    }
    Ok(Audio::from_pcm16_le(bytes, REALTIME_RATE))
}

fn speech_url(base_url: &str) -> Result<Url, String> {
    endpoint(
        base_url,
        &["audio", "speech"],
        OpenAiSpeech::DEFAULT_BASE_URL,
    )
}

#[async_trait]
impl Speech for OpenAiSpeech {
    fn name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.default_name)
    }

    async fn speak(&self, text: &str) -> Result<Audio, SpeechError> {
        if let Some(silence) = silence_for_empty(text) {
            return Ok(silence);
        }
        tokio::time::timeout(self.timeout, self.exchange(text))
            .await
            .unwrap_or_else(|_| {
                Err(SpeechError::new(
                    SpeechErrorKind::Timeout,
                    format!(
                        "OpenAI speech: no audio within {} ms",
                        self.timeout.as_millis()
                    ),
                ))
            })
    }
}

impl fmt::Debug for OpenAiSpeech {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiSpeech")
            .field("name", &self.name())
            .field("url", &self.url.as_str())
            .field("model", &self.model)
            .field("voice", &self.voice)
            .field("instructions", &self.instructions)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_that_are_not_pcm_fail() {
        let tone = Audio::tone(REALTIME_RATE, 440.0, 100, 8_000);
        assert_eq!(pcm_audio(&tone.to_pcm16_le(), false).unwrap(), tone);
        for (body, json, says) in [
            (&b"abc"[..], false, "odd length"),
            (&b""[..], false, "no audio"),
            (
                &br#"{"error": {"message": "nope"}}"#[..],
                false,
                "JSON, not audio: nope",
            ),
            (&b"\x00\x01"[..], true, "JSON"),
        ] {
            let err = pcm_audio(body, json).unwrap_err();
            assert_eq!(err.kind, SpeechErrorKind::Failed);
            assert!(err.message.contains(says), "{err}");
        }
    }

    #[test]
    fn debug_shows_no_key_and_names_follow_the_model() {
        let speech = OpenAiSpeech::new(Secret::new("sk-very-secret")).unwrap();
        assert_eq!(speech.name(), "openai:gpt-4o-mini-tts");
        assert_eq!(
            speech.url().as_str(),
            "https://api.openai.com/v1/audio/speech"
        );
        let speech = speech.model("tts-1");
        assert_eq!(speech.name(), "openai:tts-1");
        assert!(!format!("{speech:?}").contains("sk-very-secret"));
        assert_eq!(speech.named("narrator").name(), "narrator");
        assert!(OpenAiSpeech::new(Secret::new(" ")).is_err());
        let err = OpenAiSpeech::new(Secret::new("sk"))
            .unwrap()
            .base_url("ftp://x")
            .unwrap_err();
        assert!(err.contains("not an http(s) URL"), "{err}");
    }
}
