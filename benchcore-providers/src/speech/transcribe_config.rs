//! [`TranscriberConfig`]: which speech-to-text engine checks a voice agent's audio, by
//! `kind`.

use super::OpenAiTranscriber;
use crate::http::{check_env_name, endpoint, key_from_env};
use benchcore::voice::{CommandTranscriber, Transcriber};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// A speech-to-text engine's configuration, tagged by `kind`:
///
/// ```json
/// {"kind": "openai", "model": "gpt-4o-mini-transcribe", "api_key_env": "OPENAI_API_KEY", "language": "en"}
/// {"kind": "command", "program": "whisper-stdin", "args": ["--model", "base.en"], "timeout_ms": 60000}
/// ```
///
/// Unknown fields are refused. [`validate`](Self::validate) checks the fields without
/// reading the environment; [`build`](Self::build) also reads the API key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", deny_unknown_fields)]
#[non_exhaustive]
pub enum TranscriberConfig {
    /// OpenAI's transcription API (`POST {base_url}/audio/transcriptions`).
    #[serde(rename = "openai")]
    OpenAi {
        /// The model (default `gpt-4o-mini-transcribe`).
        #[serde(default = "default_model")]
        model: String,
        /// The API root (default `https://api.openai.com/v1`).
        #[serde(default = "default_base_url")]
        base_url: String,
        /// The environment variable holding the API key (default `OPENAI_API_KEY`).
        #[serde(default = "default_api_key_env")]
        api_key_env: String,
        /// The language of the audio (ISO-639-1, like `en`); the model detects it when unset.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        language: Option<String>,
        /// How long one clip may take, in milliseconds (default 60,000).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_ms: Option<u64>,
    },
    /// Any local program that reads a WAV on stdin and writes the transcript to stdout.
    #[serde(rename = "command")]
    Command {
        /// The program, on `PATH` or by path.
        program: String,
        /// Its arguments (the audio is never one of them).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        args: Vec<String>,
        /// Its name in records (default: the program's file name).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// The sample rate the audio is resampled to before it is written, 8,000 to 192,000
        /// (whisper.cpp reads 16,000); the audio's own rate when unset.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sample_rate: Option<u32>,
        /// How long one clip may take, in milliseconds (default 60,000).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_ms: Option<u64>,
    },
}

fn default_model() -> String {
    OpenAiTranscriber::DEFAULT_MODEL.to_owned()
}

fn default_base_url() -> String {
    OpenAiTranscriber::DEFAULT_BASE_URL.to_owned()
}

fn default_api_key_env() -> String {
    "OPENAI_API_KEY".to_owned()
}

impl TranscriberConfig {
    /// The `openai` kind with every default.
    pub fn openai() -> Self {
        Self::OpenAi {
            model: default_model(),
            base_url: default_base_url(),
            api_key_env: default_api_key_env(),
            language: None,
            timeout_ms: None,
        }
    }

    /// The config's `kind`: `openai` or `command`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::OpenAi { .. } => "openai",
            Self::Command { .. } => "command",
        }
    }

    /// Checks every field without reading the environment; the error names the bad field
    /// (`base_url: not a URL …`). A missing local program is found when it is first run
    /// ([`SpeechErrorKind::NotInstalled`](benchcore::voice::SpeechErrorKind::NotInstalled)).
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Self::OpenAi {
                model,
                base_url,
                api_key_env,
                language,
                timeout_ms,
            } => {
                if model.trim().is_empty() {
                    return Err("model: is empty".into());
                }
                endpoint(base_url, &[], OpenAiTranscriber::DEFAULT_BASE_URL)
                    .map_err(|err| format!("base_url: {err}"))?;
                check_env_name(api_key_env).map_err(|err| format!("api_key_env: {err}"))?;
                if let Some(language) = language {
                    check_language(language).map_err(|err| format!("language: {err}"))?;
                }
                timeout(*timeout_ms)?;
            }
            Self::Command {
                program,
                name,
                sample_rate,
                timeout_ms,
                ..
            } => {
                if program.trim().is_empty() {
                    return Err("program: is required (the speech-to-text engine to run)".into());
                }
                if name.as_ref().is_some_and(|name| name.trim().is_empty()) {
                    return Err("name: is empty; leave it out for the program's file name".into());
                }
                if let Some(rate) = *sample_rate {
                    if !(8_000..=192_000).contains(&rate) {
                        return Err(format!(
                            "sample_rate: {rate} is not between 8000 and 192000"
                        ));
                    }
                }
                timeout(*timeout_ms)?;
            }
        }
        Ok(())
    }

    /// Checks every field ([`validate`](Self::validate)) and builds the engine, reading the
    /// API key from the environment variable the config names; an unset or empty variable
    /// is an error naming it.
    pub fn build(&self) -> Result<Arc<dyn Transcriber>, String> {
        self.validate()?;
        match self {
            Self::OpenAi {
                model,
                base_url,
                api_key_env,
                language,
                timeout_ms,
            } => {
                let key = key_from_env(api_key_env)?;
                let mut transcriber = OpenAiTranscriber::new(key)?
                    .base_url(base_url)
                    .map_err(|err| format!("base_url: {err}"))?
                    .model(model.trim());
                if let Some(language) = language {
                    transcriber = transcriber.language(language.trim());
                }
                if let Some(timeout) = timeout(*timeout_ms)? {
                    transcriber = transcriber.timeout(timeout);
                }
                Ok(Arc::new(transcriber))
            }
            Self::Command {
                program,
                args,
                name,
                sample_rate,
                timeout_ms,
            } => {
                let mut transcriber = CommandTranscriber::new(program.trim(), args.iter().cloned());
                if let Some(name) = name {
                    transcriber = transcriber.named(name.trim());
                }
                if let Some(rate) = *sample_rate {
                    transcriber = transcriber.sample_rate(rate);
                }
                if let Some(timeout) = timeout(*timeout_ms)? {
                    transcriber = transcriber.timeout(timeout);
                }
                Ok(Arc::new(transcriber))
            }
        }
    }
}

/// A language code: letters, optionally with `-` parts (`en`, `pt-BR`), as sent in the form.
fn check_language(language: &str) -> Result<(), String> {
    let code = language.trim();
    if code.is_empty() {
        return Err("is empty; leave it out for the model to detect the language".into());
    }
    let well_formed = code.len() <= 16
        && code
            .split('-')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphabetic()));
    if !well_formed {
        return Err(format!(
            "`{code}` is not a language code (ISO-639-1, like `en`)"
        ));
    }
    Ok(())
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

    fn parse(json: &str) -> Result<TranscriberConfig, String> {
        serde_json::from_str(json).map_err(|err| err.to_string())
    }

    /// An environment variable no test ever sets.
    const UNSET: &str = "BENCHCORE_TEST_TRANSCRIBER_KEY_THAT_IS_NEVER_SET";

    fn openai_with(f: impl FnOnce(&mut TranscriberConfig)) -> TranscriberConfig {
        let mut config = TranscriberConfig::openai();
        f(&mut config);
        config
    }

    #[test]
    fn each_kind_parses_with_defaults() {
        assert_eq!(
            parse(r#"{"kind": "openai"}"#).unwrap(),
            TranscriberConfig::openai()
        );
        let openai = parse(
            r#"{"kind": "openai", "model": "whisper-1", "base_url": "http://127.0.0.1:9/v1",
                "api_key_env": "MY_KEY", "language": "en", "timeout_ms": 5000}"#,
        )
        .unwrap();
        assert_eq!(
            openai,
            TranscriberConfig::OpenAi {
                model: "whisper-1".into(),
                base_url: "http://127.0.0.1:9/v1".into(),
                api_key_env: "MY_KEY".into(),
                language: Some("en".into()),
                timeout_ms: Some(5_000),
            }
        );
        assert_eq!(openai.kind(), "openai");
        let back: TranscriberConfig =
            serde_json::from_str(&serde_json::to_string(&openai).unwrap()).unwrap();
        assert_eq!(back, openai);
        let command = parse(
            r#"{"kind": "command", "program": "whisper-stdin", "args": ["-m", "base.en"],
                "timeout_ms": 90000}"#,
        )
        .unwrap();
        assert_eq!(
            command,
            TranscriberConfig::Command {
                program: "whisper-stdin".into(),
                args: vec!["-m".into(), "base.en".into()],
                name: None,
                sample_rate: None,
                timeout_ms: Some(90_000),
            }
        );
        assert_eq!(command.kind(), "command");
    }

    #[test]
    fn unknown_fields_and_kinds_are_refused() {
        let err = parse(r#"{"kind": "openai", "modle": "whisper-1"}"#).unwrap_err();
        assert!(err.contains("unknown field `modle`"), "{err}");
        let err = parse(r#"{"kind": "command", "program": "w", "voice": "x"}"#).unwrap_err();
        assert!(err.contains("unknown field `voice`"), "{err}");
        let err = parse(r#"{"kind": "deepgram"}"#).unwrap_err();
        assert!(err.contains("deepgram"), "{err}");
        let err = parse(r#"{"kind": "command"}"#).unwrap_err();
        assert!(err.contains("program"), "{err}");
    }

    #[test]
    fn validate_names_the_bad_field_and_reads_no_environment() {
        let unset = openai_with(|c| {
            if let TranscriberConfig::OpenAi { api_key_env, .. } = c {
                *api_key_env = UNSET.into();
            }
        });
        unset.validate().unwrap();
        for (config, field) in [
            (
                openai_with(|c| {
                    if let TranscriberConfig::OpenAi { model, .. } = c {
                        *model = " ".into();
                    }
                }),
                "model:",
            ),
            (
                openai_with(|c| {
                    if let TranscriberConfig::OpenAi { base_url, .. } = c {
                        *base_url = "ftp://example.com".into();
                    }
                }),
                "base_url:",
            ),
            (
                openai_with(|c| {
                    if let TranscriberConfig::OpenAi { api_key_env, .. } = c {
                        *api_key_env = "A=B".into();
                    }
                }),
                "api_key_env:",
            ),
            (
                openai_with(|c| {
                    if let TranscriberConfig::OpenAi { language, .. } = c {
                        *language = Some("en; rm".into());
                    }
                }),
                "language:",
            ),
            (
                openai_with(|c| {
                    if let TranscriberConfig::OpenAi { timeout_ms, .. } = c {
                        *timeout_ms = Some(0);
                    }
                }),
                "timeout_ms:",
            ),
            (
                TranscriberConfig::Command {
                    program: "  ".into(),
                    args: vec![],
                    name: None,
                    sample_rate: None,
                    timeout_ms: None,
                },
                "program:",
            ),
            (
                TranscriberConfig::Command {
                    program: "w".into(),
                    args: vec![],
                    name: None,
                    sample_rate: Some(100),
                    timeout_ms: None,
                },
                "sample_rate:",
            ),
            (
                TranscriberConfig::Command {
                    program: "w".into(),
                    args: vec![],
                    name: Some(String::new()),
                    sample_rate: None,
                    timeout_ms: None,
                },
                "name:",
            ),
        ] {
            let err = config.validate().unwrap_err();
            assert!(err.starts_with(field), "{field} {err}");
            assert_eq!(config.build().unwrap_err(), err);
        }
        for good in ["en", "pt-BR", "yue"] {
            check_language(good).unwrap();
        }
    }

    #[test]
    fn build_reads_the_key_and_names_an_unset_variable() {
        let config = openai_with(|c| {
            if let TranscriberConfig::OpenAi { api_key_env, .. } = c {
                *api_key_env = UNSET.into();
            }
        });
        let err = config.build().unwrap_err();
        assert!(err.contains(UNSET), "{err}");
        assert!(err.contains("not set"), "{err}");
        // PATH is set wherever tests run: it stands in for a key (nothing is sent).
        let transcriber = TranscriberConfig::OpenAi {
            model: "whisper-1".into(),
            base_url: "http://127.0.0.1:9/v1".into(),
            api_key_env: "PATH".into(),
            language: Some("en".into()),
            timeout_ms: Some(1_000),
        }
        .build()
        .unwrap();
        assert_eq!(transcriber.name(), "openai:whisper-1");
        let debug = format!("{transcriber:?}");
        assert!(
            debug.contains("127.0.0.1:9/v1/audio/transcriptions"),
            "{debug}"
        );
        let path = std::env::var("PATH").unwrap();
        assert!(!debug.contains(&path), "{debug}");
    }

    #[test]
    fn local_engines_build() {
        let transcriber = TranscriberConfig::Command {
            program: "/opt/whisper/bin/whisper-stdin".into(),
            args: vec!["-m".into(), "base.en".into()],
            name: None,
            sample_rate: Some(16_000),
            timeout_ms: Some(5_000),
        }
        .build()
        .unwrap();
        assert_eq!(transcriber.name(), "whisper-stdin");
        let named = TranscriberConfig::Command {
            program: "w".into(),
            args: vec![],
            name: Some("whisper.cpp".into()),
            sample_rate: None,
            timeout_ms: None,
        }
        .build()
        .unwrap();
        assert_eq!(named.name(), "whisper.cpp");
    }

    #[test]
    fn the_schema_lists_every_kind() {
        let schema = serde_json::to_string(&schemars::schema_for!(TranscriberConfig)).unwrap();
        for word in [
            "openai",
            "command",
            "api_key_env",
            "language",
            "sample_rate",
        ] {
            assert!(schema.contains(word), "{word} missing from {schema}");
        }
    }
}
