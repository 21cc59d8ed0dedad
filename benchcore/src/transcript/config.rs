//! [`TranscriptTestsConfig`]: which transcript tests run after a conversation, and their
//! thresholds.

use super::builtin::{
    ActiveListening, ActiveListeningConfig, ConversationFlow, FlowConfig, Pacing, PacingConfig,
    QuestionQuality, QuestionQualityConfig, BUILTIN_TESTS,
};
use super::python::PythonTests;
use crate::{ConfigError, TranscriptTest};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

fn all_builtin() -> Vec<String> {
    BUILTIN_TESTS.map(str::to_owned).to_vec()
}

fn default_python_timeout_secs() -> f64 {
    super::python::DEFAULT_PYTHON_TIMEOUT.as_secs_f64()
}

/// Which transcript tests run after each conversation: built-in tests by name with their
/// thresholds, and a folder of Python tests. Every field has a default: all built-in tests
/// with default thresholds, no Python tests.
///
/// ```
/// use benchcore::transcript::TranscriptTestsConfig;
/// let config: TranscriptTestsConfig = toml::from_str(r#"
///     builtin = ["conversation_flow", "question_quality"]
///     [conversation_flow]
///     agent_word_share = { good_max = 0.3, warning_max = 0.5 }
/// "#).unwrap();
/// config.validate("transcript_tests").unwrap();
/// assert_eq!(config.builtin_tests().len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct TranscriptTestsConfig {
    /// The built-in tests to run, by name: `conversation_flow`, `question_quality`,
    /// `active_listening`, `pacing` (default: all; an empty list runs none).
    pub builtin: Vec<String>,
    /// Thresholds of `conversation_flow`.
    pub conversation_flow: FlowConfig,
    /// Thresholds and phrases of `question_quality`.
    pub question_quality: QuestionQualityConfig,
    /// Thresholds and phrases of `active_listening`.
    pub active_listening: ActiveListeningConfig,
    /// Thresholds of `pacing`.
    pub pacing: PacingConfig,
    /// A folder of Python transcript tests (`*.py`, each exporting
    /// `run(transcript: str) -> dict`), relative to the file this config is in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub python: Option<PathBuf>,
    /// The time limit of all Python tests of one conversation, in seconds (default 60).
    #[serde(default = "default_python_timeout_secs")]
    pub python_timeout_secs: f64,
}

impl Default for TranscriptTestsConfig {
    fn default() -> Self {
        Self {
            builtin: all_builtin(),
            conversation_flow: FlowConfig::default(),
            question_quality: QuestionQualityConfig::default(),
            active_listening: ActiveListeningConfig::default(),
            pacing: PacingConfig::default(),
            python: None,
            python_timeout_secs: default_python_timeout_secs(),
        }
    }
}

impl TranscriptTestsConfig {
    /// Checks every field; errors name it under `prefix` (`transcript_tests.pacing.…`).
    pub fn validate(&self, prefix: &str) -> Result<(), ConfigError> {
        for (i, name) in self.builtin.iter().enumerate() {
            if !BUILTIN_TESTS.contains(&name.as_str()) {
                return Err(ConfigError::field(
                    format!("{prefix}.builtin.{i}"),
                    format!(
                        "`{name}` is not a built-in transcript test: use {}",
                        BUILTIN_TESTS.join(", ")
                    ),
                ));
            }
        }
        self.conversation_flow
            .validate(&format!("{prefix}.conversation_flow"))?;
        self.question_quality
            .validate(&format!("{prefix}.question_quality"))?;
        self.active_listening
            .validate(&format!("{prefix}.active_listening"))?;
        self.pacing.validate(&format!("{prefix}.pacing"))?;
        if !(self.python_timeout_secs.is_finite() && self.python_timeout_secs > 0.0) {
            return Err(ConfigError::field(
                format!("{prefix}.python_timeout_secs"),
                format!(
                    "must be a positive number of seconds, got {}",
                    self.python_timeout_secs
                ),
            ));
        }
        Ok(())
    }

    /// The built-in tests chosen, in [`BUILTIN_TESTS`] order.
    pub fn builtin_tests(&self) -> Vec<Arc<dyn TranscriptTest>> {
        BUILTIN_TESTS
            .iter()
            .filter(|name| self.builtin.iter().any(|b| b == *name))
            .map(|name| -> Arc<dyn TranscriptTest> {
                match *name {
                    "conversation_flow" => {
                        Arc::new(ConversationFlow::new(self.conversation_flow.clone()))
                    }
                    "question_quality" => {
                        Arc::new(QuestionQuality::new(self.question_quality.clone()))
                    }
                    "active_listening" => {
                        Arc::new(ActiveListening::new(self.active_listening.clone()))
                    }
                    _ => Arc::new(Pacing::new(self.pacing.clone())),
                }
            })
            .collect()
    }

    /// The Python tests of the `python` folder, resolved against `base` (the folder of the
    /// file the config is in), with the time limit set; `None` when there is no folder.
    ///
    /// # Errors
    /// The folder cannot be read or holds no test; the error names it.
    pub fn python_tests(&self, base: &Path) -> Result<Option<PythonTests>, ConfigError> {
        let Some(dir) = &self.python else {
            return Ok(None);
        };
        let tests = PythonTests::open(base.join(dir))?
            .with_timeout(Duration::from_secs_f64(self.python_timeout_secs));
        Ok(Some(tests))
    }
}
