//! [`JudgeConfig`]: an LLM judge as a file or a stored run spec describes it.

use super::JudgeEvaluator;
use crate::{build_agent, AgentConfig};
use benchcore::config::{self, ConfigText, Format};
use benchcore::evaluator::EvaluatorConfig;
use benchcore::{Agent, ConfigError, RetryPolicy};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The rubric used when a [`JudgeConfig`] gives none.
pub const DEFAULT_RUBRIC: &str = "Judge whether the response answers the task correctly and \
completely. When a reference answer is given, the response must agree with it in substance; \
wording, format and length may differ. Penalise factual errors, missing parts and claims the \
task does not support. Do not reward length or confidence for their own sake.";

pub(crate) fn default_name() -> String {
    "judge".to_owned()
}
pub(crate) fn default_pass_threshold() -> f64 {
    0.5
}
pub(crate) fn default_scale() -> f64 {
    10.0
}
pub(crate) fn default_max_retries() -> u32 {
    3
}
pub(crate) fn default_timeout_ms() -> u64 {
    120_000
}
pub(crate) fn default_initial_backoff_ms() -> u64 {
    500
}
pub(crate) fn default_max_total_ms() -> u64 {
    600_000
}

/// An LLM judge as configuration: which agent judges, against which rubric, and what counts
/// as a pass. It is what `--judge FILE` reads and what a run spec stores (see
/// [`to_evaluator_config`](Self::to_evaluator_config)).
///
/// ```
/// # #[cfg(feature = "openai-compatible")] {
/// use benchcore_providers::judge::JudgeConfig;
/// let config = JudgeConfig::from_json(r#"{
///     "agent": {"kind": "openai", "model": "gpt-4o-mini", "temperature": 0},
///     "rubric": "Is the capital right?",
///     "pass_threshold": 0.7
/// }"#).unwrap();
/// assert_eq!((config.name.as_str(), config.scale), ("judge", 10.0));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct JudgeConfig {
    /// The evaluator's name in records (default `judge`); unique within a run.
    #[serde(default = "default_name")]
    pub name: String,
    /// The judge agent: any agent config (`{"kind": "openai", "model": "gpt-4o-mini"}`).
    /// Setting its temperature to 0 makes grades repeatable.
    pub agent: AgentConfig,
    /// What the judge grades against; [`DEFAULT_RUBRIC`] (correct and complete, agreeing
    /// with the reference answer) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rubric: Option<String>,
    /// The least normalised score (0 to 1) that passes (default 0.5).
    #[serde(default = "default_pass_threshold")]
    pub pass_threshold: f64,
    /// The top of the score range the judge is asked to use (default 10, for 0–10; 100 asks
    /// for a percentage, 1 for 0–1). Scores are normalised to 0–1 whatever the scale.
    #[serde(default = "default_scale")]
    pub scale: f64,
    /// Retries of a judge request that failed in a retryable way (rate limit, server error,
    /// timeout); default 3. The engine retries only agents under test, so the judge retries
    /// here, honouring `Retry-After`.
    #[serde(default = "default_max_retries")]
    pub max_retries: u32,
    /// The first wait between retries, in milliseconds (default 500); it doubles each retry.
    #[serde(default = "default_initial_backoff_ms")]
    pub initial_backoff_ms: u64,
    /// How long one judge request may take, in milliseconds (default 120 000).
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// How long judging one attempt may take in all, waits included, in milliseconds
    /// (default 600 000).
    #[serde(default = "default_max_total_ms")]
    pub max_total_ms: u64,
}

impl JudgeConfig {
    /// A judge using `agent`, with every other setting default.
    pub fn new(agent: AgentConfig) -> Self {
        Self {
            name: default_name(),
            agent,
            rubric: None,
            pass_threshold: default_pass_threshold(),
            scale: default_scale(),
            max_retries: default_max_retries(),
            initial_backoff_ms: default_initial_backoff_ms(),
            timeout_ms: default_timeout_ms(),
            max_total_ms: default_max_total_ms(),
        }
    }

    /// Sets the evaluator's name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the rubric.
    pub fn with_rubric(mut self, rubric: impl Into<String>) -> Self {
        self.rubric = Some(rubric.into());
        self
    }

    /// Sets the least normalised score that passes.
    pub fn with_pass_threshold(mut self, threshold: f64) -> Self {
        self.pass_threshold = threshold;
        self
    }

    /// Sets the top of the score range the judge is asked to use.
    pub fn with_scale(mut self, scale: f64) -> Self {
        self.scale = scale;
        self
    }

    /// Sets the retries of a failed judge request and the first wait between them.
    pub fn with_retries(mut self, max_retries: u32, initial_backoff: Duration) -> Self {
        self.max_retries = max_retries;
        self.initial_backoff_ms = initial_backoff.as_millis().try_into().unwrap_or(u64::MAX);
        self
    }

    /// Sets how long one judge request may take.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout_ms = timeout.as_millis().try_into().unwrap_or(u64::MAX);
        self
    }

    fn field_error(&self, field: &str, message: impl Into<String>) -> ConfigError {
        let name = if self.name.is_empty() {
            "<unnamed>"
        } else {
            &self.name
        };
        ConfigError::field(format!("evaluators.{name}.{field}"), message)
    }

    /// Checks every field, the agent's included, without reading the environment. Errors
    /// name the field as `evaluators.<name>.<field>`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.name.trim().is_empty() || self.name.chars().any(char::is_control) {
            return Err(self.field_error("name", format!("`{}` is not a usable name", self.name)));
        }
        if !(0.0..=1.0).contains(&self.pass_threshold) {
            return Err(self.field_error(
                "pass_threshold",
                format!("{} is outside 0 to 1", self.pass_threshold),
            ));
        }
        if !(self.scale.is_finite() && self.scale > 0.0) {
            return Err(self.field_error(
                "scale",
                format!("must be a number above 0, got {}", self.scale),
            ));
        }
        if self.rubric.as_deref().is_some_and(|r| r.trim().is_empty()) {
            return Err(self.field_error("rubric", "is empty; leave it out for the default"));
        }
        if self.timeout_ms == 0 {
            return Err(self.field_error("timeout_ms", "must be at least 1"));
        }
        if self.max_total_ms == 0 {
            return Err(self.field_error("max_total_ms", "must be at least 1"));
        }
        self.agent.validate().map_err(|mut e| {
            e.field = Some(match e.field.take() {
                Some(field) => format!("evaluators.{}.agent: {field}", self.name),
                None => format!("evaluators.{}.agent", self.name),
            });
            e
        })
    }

    /// Checks every field and builds the judge, building its agent with
    /// [`build_agent`] (which reads its API key from the environment).
    pub fn build(&self) -> Result<JudgeEvaluator, ConfigError> {
        self.validate()?;
        let agent = build_agent(&self.agent)?;
        self.build_with(agent)
    }

    /// Checks every field and builds the judge around an agent built elsewhere (for example
    /// one wrapped in a response cache).
    pub fn build_with(&self, agent: Arc<dyn Agent>) -> Result<JudgeEvaluator, ConfigError> {
        self.validate()?;
        let rubric = self
            .rubric
            .clone()
            .unwrap_or_else(|| DEFAULT_RUBRIC.to_owned());
        let retry = RetryPolicy::default()
            .with_max_retries(self.max_retries)
            .with_backoff(
                Duration::from_millis(self.initial_backoff_ms),
                Duration::from_secs(60),
            )
            .with_max_attempt_time(Duration::from_millis(self.max_total_ms));
        Ok(JudgeEvaluator::new(
            self.name.clone(),
            agent,
            rubric,
            (self.pass_threshold, self.scale),
            retry,
            Duration::from_millis(self.timeout_ms),
        ))
    }

    /// The config as JSON for a stored run spec, without secrets (see
    /// [`AgentConfig::to_stored`]).
    pub fn to_stored(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(map) = value.as_object_mut() {
            map.insert("agent".into(), self.agent.to_stored());
        }
        value
    }

    /// The evaluator config a run spec stores, from which
    /// [`build_evaluator`](crate::build_evaluator) rebuilds the judge on resume.
    pub fn to_evaluator_config(&self) -> EvaluatorConfig {
        EvaluatorConfig::Judge {
            config: self.to_stored(),
        }
    }

    /// Reads a stored config (the `config` of an [`EvaluatorConfig::Judge`]).
    pub fn from_value(value: &serde_json::Value) -> Result<Self, ConfigError> {
        let config: Self = config::from_value(value).map_err(|mut e| {
            e.field = Some(match e.field.take() {
                Some(field) => format!("evaluators.judge.{field}"),
                None => "evaluators.judge".to_owned(),
            });
            e
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Reads a judge config from a JSON or (by extension) TOML file and checks it; errors
    /// name the file, the line when known, and the field.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        ConfigText::read(path, "judge file")?.parse_checked(Self::validate)
    }

    /// Reads a judge config from JSON text and checks it.
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        ConfigText::new(text, Format::Json).parse_checked(Self::validate)
    }

    /// Reads a judge config from TOML text (the agent as an `[agent]` table) and checks it.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        ConfigText::new(text, Format::Toml).parse_checked(Self::validate)
    }
}

/// The JSON Schema of [`JudgeConfig`], for editors.
pub fn judge_config_schema() -> serde_json::Value {
    schemars::schema_for!(JudgeConfig).to_value()
}
