//! [`SpeechConfig`]: which speech engine speaks for the simulated participant, by `kind`.

use super::openai::OpenAiSpeech;
use crate::http::{check_env_name, key_from_env};
use benchcore::voice::{CommandSpeech, Speech};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// A speech engine's configuration, tagged by `kind`:
///
/// ```json
/// {"kind": "espeak-ng", "voice": "en-us", "words_per_minute": 160}
/// {"kind": "command", "program": "my-tts", "args": ["--wav"]}
/// {"kind": "openai", "model": "gpt-4o-mini-tts", "voice": "alloy", "api_key_env": "OPENAI_API_KEY"}
/// ```
///
/// Unknown fields are refused. The default is `espeak-ng` with its own voice and rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", deny_unknown_fields)]
#[non_exhaustive]
pub enum SpeechConfig {
    /// The local `espeak-ng` program (`apt-get install espeak-ng`).
    #[serde(rename = "espeak-ng")]
    EspeakNg {
        /// The voice or language (`-v`), like `en-us` or `de`; espeak-ng's default when unset.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        voice: Option<String>,
        /// The speaking rate (`-s`), 1 to 1,000; espeak-ng's default (175) when unset.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        words_per_minute: Option<u32>,
        /// How long one utterance may take, in milliseconds (default 30,000).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_ms: Option<u64>,
    },
    /// Any local program that reads the text on stdin and writes a WAV to stdout.
    #[serde(rename = "command")]
    Command {
        /// The program, on `PATH` or by path.
        program: String,
        /// Its arguments (the text is never one of them).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        args: Vec<String>,
        /// Its name in records (default: the program's file name).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// How long one utterance may take, in milliseconds (default 30,000).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_ms: Option<u64>,
    },
    /// OpenAI's speech API (`POST {base_url}/audio/speech`).
    #[serde(rename = "openai")]
    OpenAi {
        /// The model (default `gpt-4o-mini-tts`).
        #[serde(default = "default_model")]
        model: String,
        /// The voice (default `alloy`).
        #[serde(default = "default_voice")]
        voice: String,
        /// How to speak ("calm, a little hesitant"); `gpt-4o-mini-tts` follows it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        instructions: Option<String>,
        /// The API root (default `https://api.openai.com/v1`).
        #[serde(default = "default_base_url")]
        base_url: String,
        /// The environment variable holding the API key (default `OPENAI_API_KEY`).
        #[serde(default = "default_api_key_env")]
        api_key_env: String,
        /// How long one utterance may take, in milliseconds (default 60,000).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_ms: Option<u64>,
    },
}

fn default_model() -> String {
    OpenAiSpeech::DEFAULT_MODEL.to_owned()
}

fn default_voice() -> String {
    OpenAiSpeech::DEFAULT_VOICE.to_owned()
}

fn default_base_url() -> String {
    OpenAiSpeech::DEFAULT_BASE_URL.to_owned()
}

fn default_api_key_env() -> String {
    "OPENAI_API_KEY".to_owned()
}

impl Default for SpeechConfig {
    fn default() -> Self {
        Self::EspeakNg {
            voice: None,
            words_per_minute: None,
            timeout_ms: None,
        }
    }
}

impl SpeechConfig {
    /// The `openai` kind with every default.
    pub fn openai() -> Self {
        Self::OpenAi {
            model: default_model(),
            voice: default_voice(),
            instructions: None,
            base_url: default_base_url(),
            api_key_env: default_api_key_env(),
            timeout_ms: None,
        }
    }

    /// The config's `kind`: `espeak-ng`, `command` or `openai`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::EspeakNg { .. } => "espeak-ng",
            Self::Command { .. } => "command",
            Self::OpenAi { .. } => "openai",
        }
    }

    /// Checks every field without reading the environment or running anything. The error
    /// names the bad field.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Self::OpenAi {
                model,
                voice,
                base_url,
                api_key_env,
                timeout_ms,
                ..
            } => {
                if model.trim().is_empty() {
                    return Err("model: is empty".into());
                }
                if voice.trim().is_empty() {
                    return Err("voice: is empty".into());
                }
                check_env_name(api_key_env).map_err(|err| format!("api_key_env: {err}"))?;
                reqwest::Url::parse(base_url.trim())
                    .map_err(|err| format!("base_url: `{base_url}` is not a URL ({err})"))?;
                timeout(*timeout_ms).map(|_| ())
            }
            // Building a local engine reads nothing and runs nothing.
            _ => self.build().map(|_| ()),
        }
    }

    /// Checks every field and builds the engine, reading an API key from the environment
    /// variable the config names. The error names the bad field (`base_url: not a URL …`)
    /// or the unset variable. A missing local program is found when it is first run
    /// ([`SpeechErrorKind::NotInstalled`](benchcore::voice::SpeechErrorKind::NotInstalled)).
    pub fn build(&self) -> Result<Arc<dyn Speech>, String> {
        match self {
            Self::EspeakNg {
                voice,
                words_per_minute,
                timeout_ms,
            } => {
                let mut speech = CommandSpeech::espeak_ng();
                if let Some(voice) = voice {
                    if voice.trim().is_empty() {
                        return Err("voice: is empty; leave it out for espeak-ng's default".into());
                    }
                    speech = speech.voice(voice.trim());
                }
                if let Some(rate) = *words_per_minute {
                    if !(1..=1_000).contains(&rate) {
                        return Err(format!(
                            "words_per_minute: {rate} is not between 1 and 1000"
                        ));
                    }
                    speech = speech.words_per_minute(rate);
                }
                if let Some(timeout) = timeout(*timeout_ms)? {
                    speech = speech.timeout(timeout);
                }
                Ok(Arc::new(speech))
            }
            Self::Command {
                program,
                args,
                name,
                timeout_ms,
            } => {
                if program.trim().is_empty() {
                    return Err("program: is required (the speech engine to run)".into());
                }
                let mut speech = CommandSpeech::new(program.trim(), args.iter().cloned());
                if let Some(name) = name {
                    speech = speech.named(name);
                }
                if let Some(timeout) = timeout(*timeout_ms)? {
                    speech = speech.timeout(timeout);
                }
                Ok(Arc::new(speech))
            }
            Self::OpenAi {
                model,
                voice,
                instructions,
                base_url,
                api_key_env,
                timeout_ms,
            } => {
                if model.trim().is_empty() {
                    return Err("model: is empty".into());
                }
                if voice.trim().is_empty() {
                    return Err("voice: is empty".into());
                }
                check_env_name(api_key_env).map_err(|err| format!("api_key_env: {err}"))?;
                let key = key_from_env(api_key_env)?;
                let mut speech = OpenAiSpeech::new(key)?
                    .base_url(base_url)
                    .map_err(|err| format!("base_url: {err}"))?
                    .model(model.trim())
                    .voice(voice.trim());
                if let Some(instructions) = instructions {
                    speech = speech.instructions(instructions);
                }
                if let Some(timeout) = timeout(*timeout_ms)? {
                    speech = speech.timeout(timeout);
                }
                Ok(Arc::new(speech))
            }
        }
    }
}

fn timeout(timeout_ms: Option<u64>) -> Result<Option<Duration>, String> {
    match timeout_ms {
        Some(0) => Err("timeout_ms: must be more than 0".into()),
        other => Ok(other.map(Duration::from_millis)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<SpeechConfig, String> {
        serde_json::from_str(json).map_err(|err| err.to_string())
    }

    #[test]
    fn each_kind_parses_with_defaults() {
        assert_eq!(
            parse(r#"{"kind": "espeak-ng"}"#).unwrap(),
            SpeechConfig::default()
        );
        assert_eq!(
            parse(r#"{"kind": "espeak-ng", "voice": "en-us", "words_per_minute": 160}"#).unwrap(),
            SpeechConfig::EspeakNg {
                voice: Some("en-us".into()),
                words_per_minute: Some(160),
                timeout_ms: None,
            }
        );
        assert_eq!(
            parse(r#"{"kind": "command", "program": "tts", "args": ["-q", "--wav"]}"#).unwrap(),
            SpeechConfig::Command {
                program: "tts".into(),
                args: vec!["-q".into(), "--wav".into()],
                name: None,
                timeout_ms: None,
            }
        );
        assert_eq!(
            parse(r#"{"kind": "openai"}"#).unwrap(),
            SpeechConfig::openai()
        );
        let openai = parse(
            r#"{"kind": "openai", "model": "tts-1", "voice": "coral",
                "base_url": "http://127.0.0.1:9/v1", "api_key_env": "MY_KEY"}"#,
        )
        .unwrap();
        assert_eq!(openai.kind(), "openai");
        let back: SpeechConfig =
            serde_json::from_str(&serde_json::to_string(&openai).unwrap()).unwrap();
        assert_eq!(back, openai);
    }

    #[test]
    fn unknown_fields_and_kinds_are_refused() {
        let err = parse(r#"{"kind": "espeak-ng", "speed": 2}"#).unwrap_err();
        assert!(err.contains("unknown field `speed`"), "{err}");
        let err = parse(r#"{"kind": "openai", "modle": "tts-1"}"#).unwrap_err();
        assert!(err.contains("unknown field `modle`"), "{err}");
        let err = parse(r#"{"kind": "festival"}"#).unwrap_err();
        assert!(err.contains("festival"), "{err}");
        assert!(parse(r#"{"kind": "command"}"#)
            .unwrap_err()
            .contains("program"));
    }

    #[test]
    fn build_names_the_bad_field_or_variable() {
        let missing = "BENCHCORE_TEST_SPEECH_KEY_THAT_IS_NEVER_SET";
        let config = SpeechConfig::OpenAi {
            model: default_model(),
            voice: default_voice(),
            instructions: None,
            base_url: default_base_url(),
            api_key_env: missing.into(),
            timeout_ms: None,
        };
        let err = config.build().unwrap_err();
        assert!(err.contains(missing), "{err}");
        assert!(err.contains("not set"), "{err}");
        let err = SpeechConfig::EspeakNg {
            voice: None,
            words_per_minute: Some(0),
            timeout_ms: None,
        }
        .build()
        .unwrap_err();
        assert!(err.starts_with("words_per_minute:"), "{err}");
        let err = SpeechConfig::Command {
            program: " ".into(),
            args: vec![],
            name: None,
            timeout_ms: None,
        }
        .build()
        .unwrap_err();
        assert!(err.starts_with("program:"), "{err}");
        let err = SpeechConfig::EspeakNg {
            voice: None,
            words_per_minute: None,
            timeout_ms: Some(0),
        }
        .build()
        .unwrap_err();
        assert!(err.starts_with("timeout_ms:"), "{err}");
    }

    #[test]
    fn local_engines_build() {
        let speech = SpeechConfig::default().build().unwrap();
        assert_eq!(speech.name(), "espeak-ng");
        let speech = SpeechConfig::Command {
            program: "/opt/tts/bin/say-wav".into(),
            args: vec![],
            name: None,
            timeout_ms: Some(5_000),
        }
        .build()
        .unwrap();
        assert_eq!(speech.name(), "say-wav");
    }

    #[test]
    fn the_schema_lists_every_kind() {
        let schema = serde_json::to_string(&schemars::schema_for!(SpeechConfig)).unwrap();
        for kind in ["espeak-ng", "command", "openai", "api_key_env"] {
            assert!(schema.contains(kind), "{kind} missing from {schema}");
        }
    }
}
