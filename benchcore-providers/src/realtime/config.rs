//! [`RealtimeConfig`]: how to reach a speech-to-speech model on the OpenAI Realtime API, and
//! how the conversation is put to it (text or speech, turn detection, transcription).

use super::RealtimeAgent;
use crate::keys::{config_fields, Keys};
use crate::registry::{field_error, inherent_kind_methods, model_arg, AgentKind, KindInfo};
use crate::speech::{SpeechConfig, TranscriberConfig};
use benchcore::ConfigError;
use reqwest::Url;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How the other side's turns reach the model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RealtimeMode {
    /// As text items: cheap and deterministic; the model answers in speech (and its
    /// transcript).
    #[default]
    Text,
    /// As speech: the text is spoken by `speech` and streamed in real-time-paced chunks, so
    /// the model's own turn detection and transcription are under test.
    Audio,
}

/// Who decides that the other side has finished speaking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TurnDetection {
    /// Nobody: the agent commits the audio and asks for a reply itself.
    None,
    /// The server's voice activity detection (silence after speech).
    ServerVad,
    /// The server's semantic detection (a model judges that the speaker is done).
    SemanticVad,
}

config_fields! {
    /// How to reach a speech-to-speech model on the OpenAI Realtime API (GA) over WebSocket
    /// (`wss://api.openai.com/v1/realtime?model=…`, bearer `OPENAI_API_KEY`), and how the
    /// conversation is put to it.
    ///
    /// One Realtime session serves each conversation: the first turn opens it (the system
    /// prompt becomes the session's instructions), later turns add only what is new, and the
    /// session closes when the conversation ends. A socket that drops during a reply is
    /// replayed once on a new session, the conversation so far sent as items.
    ///
    /// ```
    /// use benchcore_providers::realtime::{RealtimeConfig, RealtimeMode};
    /// let config = RealtimeConfig::new("gpt-realtime")
    ///     .with_api_key("sk-test")
    ///     .with_mode(RealtimeMode::Audio);
    /// config.validate().unwrap();
    /// assert_eq!(config.agent_name(), "gpt-realtime");
    /// ```
    pub struct RealtimeConfig {
        name,
        /// The model (`gpt-realtime`, the default).
        pub model: String,
        /// The WebSocket endpoint; default `wss://api.openai.com/v1/realtime`. `https://` and
        /// `http://` are read as `wss://` and `ws://`. `?model=` is added unless the URL's
        /// query already names a `model` or a `deployment` (Azure-style endpoints: give the
        /// whole URL, and the key header with `headers` and `api_key_env`).
        pub base_url: Option<String> => with_base_url,
        api_key, headers, max_tokens, limits, system_prompt,
        /// How the other side's turns reach the model: `text` (default) or `audio`.
        pub mode: RealtimeMode,
        /// Turn detection: `none`, `server_vad` or `semantic_vad`. Default: `none` in text
        /// mode, `server_vad` in audio mode.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub turn_detection: Option<TurnDetection>,
        /// The model's voice (default `marin`).
        pub voice: Option<String> => with_voice,
        /// Answer in text instead of speech (no audio output).
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        pub text_output: bool,
        /// The model that transcribes the speech the agent hears (audio mode); default
        /// `gpt-4o-mini-transcribe`.
        pub transcription_model: Option<String> => with_transcription_model,
        /// The speech engine that speaks the other side's turns in audio mode; default the
        /// offline `espeak-ng`.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub speech: Option<Box<SpeechConfig>>,
        /// Audio mode: how long the other side waits after this agent's reply has finished
        /// playing before it speaks, in milliseconds (default 300).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub pause_ms: Option<u64>,
        /// Audio mode: the other side starts speaking this many milliseconds into this
        /// agent's reply instead of waiting for it to end (a barge-in; the agent truncates
        /// its reply where playback was). Unset: it waits.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub barge_in_ms: Option<u64>,
        /// Check each spoken reply with a speech-to-text engine against the reply's own
        /// transcript; the word error rate is reported per turn (`Voice turns`) and per
        /// conversation (`spoken_word_error_rate`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub check_speech: Option<Box<TranscriberConfig>>,
        /// Write every session's events, both ways and audio included, to a log file in
        /// this folder (`{case}-{digest}.{sample}.{session}.jsonl`), for `replay_dir`.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub record_dir: Option<std::path::PathBuf>,
        /// Play the sessions logged in this folder back instead of calling the server: the
        /// conversation runs again offline, without a key, with the same words, audio and
        /// timings (faster with `fast_audio`), and is scored anew.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub replay_dir: Option<std::path::PathBuf>,
        /// Stream audio faster than real time (tests and replays; a real model's turn
        /// detection expects real-time pacing).
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        pub fast_audio: bool,
    }
}

impl RealtimeConfig {
    /// The model used when the config names none.
    pub const DEFAULT_MODEL: &str = "gpt-realtime";
    /// The Realtime API's WebSocket endpoint.
    pub const BASE_URL: &str = "wss://api.openai.com/v1/realtime";
    /// The environment variable read for the key unless `api_key_env` says otherwise.
    pub const API_KEY_ENV: &str = "OPENAI_API_KEY";
    /// The voice used when the config names none.
    pub const DEFAULT_VOICE: &str = "marin";
    /// The transcription model used in audio mode when the config names none.
    pub const DEFAULT_TRANSCRIPTION_MODEL: &str = "gpt-4o-mini-transcribe";

    /// A config for `model`, with everything else default.
    pub fn new(model: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            ..Self::default()
        }
    }

    /// Sets the mode.
    pub fn with_mode(mut self, mode: RealtimeMode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets the turn detection.
    pub fn with_turn_detection(mut self, detection: TurnDetection) -> Self {
        self.turn_detection = Some(detection);
        self
    }

    /// Sets the speech engine for audio mode.
    pub fn with_speech(mut self, speech: SpeechConfig) -> Self {
        self.speech = Some(Box::new(speech));
        self
    }

    /// Sets a barge-in: the other side speaks `ms` into each reply.
    pub fn with_barge_in(mut self, ms: u64) -> Self {
        self.barge_in_ms = Some(ms);
        self
    }

    /// Checks each spoken reply with `check` (see `check_speech`).
    pub fn with_speech_check(mut self, check: TranscriberConfig) -> Self {
        self.check_speech = Some(Box::new(check));
        self
    }

    /// Streams audio as fast as the socket takes it.
    pub fn with_fast_audio(mut self) -> Self {
        self.fast_audio = true;
        self
    }

    /// The agent's name: `name`, else the model.
    pub fn agent_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| self.model_or_default().to_owned())
    }

    /// The model sessions name: `model`, else [`Self::DEFAULT_MODEL`].
    pub fn model_or_default(&self) -> &str {
        match self.model.trim() {
            "" => Self::DEFAULT_MODEL,
            model => model,
        }
    }

    /// The turn detection in effect: the configured one, else by mode.
    pub fn turn_detection_or_default(&self) -> TurnDetection {
        self.turn_detection.unwrap_or(match self.mode {
            RealtimeMode::Text => TurnDetection::None,
            RealtimeMode::Audio => TurnDetection::ServerVad,
        })
    }

    /// Checks every field without reading the environment. Errors name the field as
    /// `agents.<name>.<field>`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.check().map(|_| ())
    }

    /// Checks every field, resolves the key and builds the agent.
    pub fn build(self) -> Result<RealtimeAgent, ConfigError> {
        let (url, mut headers) = self.check()?;
        let name = self.agent_name();
        let keys = self.keys();
        // A replay calls no server: it needs no key.
        let key = match self.replay_dir {
            Some(_) => None,
            None => keys.resolve_key(&name, Some(Self::API_KEY_ENV))?,
        };
        if let Some(key) = key {
            let bearer = format!("Bearer {}", key.secret.expose());
            headers.insert(
                reqwest::header::AUTHORIZATION,
                Keys::key_header(&name, &bearer)?,
            );
        }
        let speech = match (&self.speech, self.mode) {
            (_, RealtimeMode::Text) => None,
            (Some(speech), RealtimeMode::Audio) => Some(
                speech
                    .build()
                    .map_err(|why| field_error(&name, "speech", why))?,
            ),
            (None, RealtimeMode::Audio) => Some(
                SpeechConfig::default()
                    .build()
                    .map_err(|why| field_error(&name, "speech", why))?,
            ),
        };
        let check = self
            .check_speech
            .as_ref()
            .map(|check| check.build())
            .transpose()
            .map_err(|why| field_error(&name, "check_speech", why))?;
        Ok(RealtimeAgent::new(self, url, headers, speech, check))
    }

    /// Checks every field: the URL sessions open, then the shared keys (returned as the
    /// extra headers).
    fn check(&self) -> Result<(Url, reqwest::header::HeaderMap), ConfigError> {
        let name = self.agent_name();
        let url = session_url(
            self.base_url.as_deref().unwrap_or(Self::BASE_URL),
            self.model_or_default(),
        )
        .map_err(|why| field_error(&name, "base_url", why))?;
        for (field, value) in [
            ("voice", &self.voice),
            ("transcription_model", &self.transcription_model),
        ] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                return Err(field_error(&name, field, "is empty"));
            }
        }
        if self.mode == RealtimeMode::Text && self.barge_in_ms.is_some() {
            return Err(field_error(
                &name,
                "barge_in_ms",
                "needs `mode: audio` (in text mode nobody speaks over the reply)",
            ));
        }
        if self.replay_dir.is_some() && self.record_dir.is_some() {
            return Err(field_error(
                &name,
                "replay_dir",
                "cannot be used with record_dir (a replay records nothing new)",
            ));
        }
        if let Some(speech) = &self.speech {
            speech
                .validate()
                .map_err(|why| field_error(&name, "speech", why))?;
        }
        if let Some(check) = &self.check_speech {
            check
                .validate()
                .map_err(|why| field_error(&name, "check_speech", why))?;
        }
        Ok((url, self.keys().check(&name, 2.0)?))
    }
}

/// The URL a session opens: `base` with `ws`/`wss`, and `model=` added unless its query
/// already names a model or a deployment.
pub(crate) fn session_url(base: &str, model: &str) -> Result<Url, String> {
    let mut url = Url::parse(base.trim()).map_err(|e| {
        format!(
            "`{base}` is not a URL ({e}); for example {}",
            RealtimeConfig::BASE_URL
        )
    })?;
    let scheme = match url.scheme() {
        "wss" | "https" => "wss",
        "ws" | "http" => "ws",
        other => {
            return Err(format!(
                "`{other}://` is not a WebSocket scheme; use wss://"
            ))
        }
    };
    url.set_scheme(scheme)
        .map_err(|()| format!("`{base}` cannot be given the scheme {scheme}"))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("`{base}` names no host"));
    }
    let named = url
        .query_pairs()
        .any(|(k, _)| k == "model" || k == "deployment");
    if !named {
        url.query_pairs_mut().append_pair("model", model);
    }
    Ok(url)
}

impl AgentKind for RealtimeConfig {
    const INFO: KindInfo = KindInfo {
        spec: Some("realtime:MODEL"),
        key_env: Some(Self::API_KEY_ENV),
        base_url: Some(Self::BASE_URL),
        default_model: Some(Self::DEFAULT_MODEL),
        ..KindInfo::REMOTE
    };

    fn from_spec(arg: Option<&str>) -> Result<Self, String> {
        model_arg(arg, Self::INFO.default_model).map(Self::new)
    }

    inherent_kind_methods!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_urls_take_ws_schemes_and_a_model() {
        let url = |base: &str| session_url(base, "gpt-realtime").map(|u| u.to_string());
        assert_eq!(
            url("wss://api.openai.com/v1/realtime").unwrap(),
            "wss://api.openai.com/v1/realtime?model=gpt-realtime"
        );
        assert_eq!(
            url("http://127.0.0.1:9/v1/realtime").unwrap(),
            "ws://127.0.0.1:9/v1/realtime?model=gpt-realtime"
        );
        let azure =
            "https://x.openai.azure.com/openai/realtime?api-version=2025-04-01&deployment=d";
        assert_eq!(
            url(azure).unwrap(),
            "wss://x.openai.azure.com/openai/realtime?api-version=2025-04-01&deployment=d"
        );
        assert!(url("ftp://x/y").unwrap_err().contains("WebSocket scheme"));
        assert!(url("not a url").unwrap_err().contains("is not a URL"));
    }

    #[test]
    fn fields_are_checked_and_named() {
        let err = |c: RealtimeConfig| c.validate().unwrap_err().to_string();
        let base = || RealtimeConfig::new("m").with_api_key("k");
        assert!(err(base().with_base_url("ftp://x")).contains("agents.m.base_url"));
        assert!(err(base().with_voice(" ")).contains("agents.m.voice: is empty"));
        assert!(err(base().with_barge_in(500)).contains("agents.m.barge_in_ms"));
        base()
            .with_mode(RealtimeMode::Audio)
            .with_barge_in(500)
            .validate()
            .unwrap();
    }

    #[test]
    fn turn_detection_follows_the_mode_unless_set() {
        let text = RealtimeConfig::new("m");
        assert_eq!(text.turn_detection_or_default(), TurnDetection::None);
        let audio = RealtimeConfig::new("m").with_mode(RealtimeMode::Audio);
        assert_eq!(audio.turn_detection_or_default(), TurnDetection::ServerVad);
        let semantic = audio.with_turn_detection(TurnDetection::SemanticVad);
        assert_eq!(
            semantic.turn_detection_or_default(),
            TurnDetection::SemanticVad
        );
    }
}
