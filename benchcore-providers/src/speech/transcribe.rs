//! [`OpenAiTranscriber`]: OpenAI's speech-to-text endpoint, sent the audio as a WAV in a
//! `multipart/form-data` body; and [`TranscriberConfig`], which chooses a transcriber by
//! `kind`.

use super::error::{for_status, from_reqwest};
use crate::http::{self, endpoint, retry_after};
use benchcore::async_trait;
use benchcore::voice::{Audio, SpeechError, SpeechErrorKind, Transcriber};
use benchcore::Secret;
use reqwest::header::CONTENT_TYPE;
use reqwest::Url;
use serde::Deserialize;
use std::fmt;
use std::time::{Duration, SystemTime};

#[path = "transcribe_config.rs"]
mod config;

pub use config::TranscriberConfig;

/// How messages of this endpoint's failures start.
const LABEL: &str = "OpenAI transcription";

/// The largest reply read: 1 MiB of JSON, far more than any transcript.
const MAX_REPLY_BYTES: u64 = 1024 * 1024;

/// The file part's name and type, as the API reads the format from them.
const FILE_NAME: &str = "audio.wav";
const FILE_TYPE: &str = "audio/wav";

/// Transcripts from OpenAI's `POST {base_url}/audio/transcriptions`: the audio goes as a
/// mono 16-bit WAV at its own rate (`file`, named `audio.wav`, type `audio/wav`) with the
/// `model`, `response_format=json` and any `language`, in a `multipart/form-data` body; the
/// reply is `{"text": "…"}`.
///
/// Each `transcribe` is one exchange, never retried here; failures are classified by
/// [`SpeechErrorKind`] as the speech provider classifies them. `Debug` shows no key.
///
/// ```no_run
/// # async fn demo(audio: benchcore::voice::Audio) -> Result<(), Box<dyn std::error::Error>> {
/// use benchcore::voice::check_speech;
/// use benchcore_providers::speech::OpenAiTranscriber;
/// let transcriber = OpenAiTranscriber::new(benchcore::Secret::new("sk-…"))?.language("en");
/// let (heard, wer) = check_speech(&transcriber, &audio, "Hello there.").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct OpenAiTranscriber {
    name: Option<String>,
    default_name: String,
    client: reqwest::Client,
    url: Url,
    key: Secret,
    model: String,
    language: Option<String>,
    timeout: Duration,
}

impl OpenAiTranscriber {
    /// The API root unless told otherwise.
    pub const DEFAULT_BASE_URL: &'static str = "https://api.openai.com/v1";
    /// The transcription model unless told otherwise.
    pub const DEFAULT_MODEL: &'static str = "gpt-4o-mini-transcribe";
    /// How long one clip may take unless told otherwise.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

    /// A transcriber with `api_key`, the default model and API root. The error says why the
    /// key cannot be sent.
    pub fn new(api_key: Secret) -> Result<Self, String> {
        let (client, key) = super::client::bearer_client(&api_key)?;
        Ok(Self {
            name: None,
            default_name: format!("openai:{}", Self::DEFAULT_MODEL),
            client,
            url: transcriptions_url(Self::DEFAULT_BASE_URL)?,
            key,
            model: Self::DEFAULT_MODEL.to_owned(),
            language: None,
            timeout: Self::DEFAULT_TIMEOUT,
        })
    }

    /// Sends to another API root (`http://127.0.0.1:8080/v1`, a gateway). The error says
    /// what is wrong with it.
    pub fn base_url(mut self, base_url: &str) -> Result<Self, String> {
        self.url = transcriptions_url(base_url)?;
        Ok(self)
    }

    /// Sets the model (`gpt-4o-mini-transcribe`, `gpt-4o-transcribe`, `whisper-1` …).
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = model.into();
        self.default_name = format!("openai:{}", self.model);
        self
    }

    /// Sets the language of the audio (ISO-639-1, like `en`), which helps accuracy and
    /// latency; unset, the model detects it.
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }

    /// Sets how long one clip may take, upload and reply included.
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

    async fn exchange(&self, wav: &[u8]) -> Result<String, SpeechError> {
        let mut fields = vec![("model", self.model.as_str()), ("response_format", "json")];
        if let Some(language) = &self.language {
            fields.push(("language", language.as_str()));
        }
        let (content_type, body) = multipart_body(&fields, wav);
        let response = self
            .client
            .post(self.url.clone())
            .header(CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .map_err(|err| relabel(from_reqwest(err)))?;
        let status = response.status();
        if !status.is_success() {
            let wait = retry_after(response.headers(), SystemTime::now());
            let body = http::read_error_body(response).await;
            return Err(relabel(for_status(
                status.as_u16(),
                &body,
                wait,
                self.key.expose(),
            )));
        }
        let bytes = http::read_body(response, MAX_REPLY_BYTES)
            .await
            .map_err(|err| {
                let kind = if err.is_retryable() {
                    SpeechErrorKind::Transient
                } else {
                    SpeechErrorKind::Failed
                };
                SpeechError::new(kind, format!("{LABEL}: {}", err.message))
            })?;
        reply_text(&bytes)
    }
}

/// The reply of `response_format=json`; other fields (`usage`, `logprobs`) are ignored.
#[derive(Deserialize)]
struct TranscriptionReply {
    text: Option<String>,
}

/// The transcript in a successful reply's body, trimmed. A body that is not JSON or has no
/// string `text` is `Failed`, quoting the start of the body.
fn reply_text(bytes: &[u8]) -> Result<String, SpeechError> {
    match serde_json::from_slice::<TranscriptionReply>(bytes) {
        Ok(TranscriptionReply { text: Some(text) }) => Ok(text.trim().to_owned()),
        outcome => {
            let start = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned();
            let why = match outcome {
                Err(err) if !err.is_data() => "is not JSON",
                _ => "has no string `text`",
            };
            Err(SpeechError::new(
                SpeechErrorKind::Failed,
                format!("{LABEL}: the reply {why}: {start}"),
            ))
        }
    }
}

/// A `multipart/form-data` body of the text `fields` and the WAV as the `file` part, and
/// its `Content-Type`. The boundary occurs in neither the fields nor the WAV (a counter
/// settles the rare clash).
fn multipart_body(fields: &[(&str, &str)], wav: &[u8]) -> (String, Vec<u8>) {
    let clashes = |boundary: &str| {
        fields.iter().any(|(_, value)| value.contains(boundary))
            || wav
                .windows(boundary.len())
                .any(|window| window == boundary.as_bytes())
    };
    let boundary = (0u32..)
        .map(|n| format!("benchcore-transcription-{n}"))
        .find(|candidate| !clashes(candidate))
        .unwrap_or_default(); // unreachable: a finite body cannot hold every candidate
    let mut body = Vec::with_capacity(wav.len() + 512);
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; \
             filename=\"{FILE_NAME}\"\r\nContent-Type: {FILE_TYPE}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(wav);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The speech provider's classification, with this endpoint's name in the message.
fn relabel(mut err: SpeechError) -> SpeechError {
    if let Some(rest) = err.message.strip_prefix("OpenAI speech") {
        err.message = format!("{LABEL}{rest}");
    }
    err
}

fn transcriptions_url(base_url: &str) -> Result<Url, String> {
    endpoint(
        base_url,
        &["audio", "transcriptions"],
        OpenAiTranscriber::DEFAULT_BASE_URL,
    )
}

#[async_trait]
impl Transcriber for OpenAiTranscriber {
    fn name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.default_name)
    }

    async fn transcribe(&self, audio: &Audio) -> Result<String, SpeechError> {
        if audio.is_empty() {
            return Ok(String::new());
        }
        if audio.rate == 0 {
            return Err(SpeechError::new(
                SpeechErrorKind::BadRequest,
                format!(
                    "{LABEL}: the audio has {} samples but no sample rate (rate 0)",
                    audio.samples.len()
                ),
            ));
        }
        let wav = audio.to_wav();
        tokio::time::timeout(self.timeout, self.exchange(&wav))
            .await
            .unwrap_or_else(|_| {
                Err(SpeechError::new(
                    SpeechErrorKind::Timeout,
                    format!(
                        "{LABEL}: no transcript within {} ms",
                        self.timeout.as_millis()
                    ),
                ))
            })
    }
}

impl fmt::Debug for OpenAiTranscriber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiTranscriber")
            .field("name", &self.name())
            .field("url", &self.url.as_str())
            .field("model", &self.model)
            .field("language", &self.language)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
#[path = "transcribe_tests.rs"]
mod tests;
