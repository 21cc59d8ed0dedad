//! [`QualityConfig`]: the LLM judge of conversation quality, as a file describes it.

use super::criterion::{default_criteria, Criterion};
use super::judge::{QualityJudge, FRAMING};
use crate::judge::{self, JudgeConfig};
use crate::{build_agent, AgentConfig};
use benchcore::config::{ConfigText, Format};
use benchcore::{Agent, ConfigError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn default_concurrency() -> usize {
    4
}

/// An LLM judge of conversation quality: which agent judges, against which rubric. It is
/// what `benchcore metrics RUN --judge FILE` reads.
///
/// ```
/// # #[cfg(feature = "openai-compatible")] {
/// use benchcore_providers::quality::QualityConfig;
/// let config = QualityConfig::from_toml(r#"
///     [agent]
///     kind = "openai"
///     model = "gpt-4o-mini"
///     temperature = 0
///
///     [[criteria]]
///     name = "empathy"
///     rubric = "Does the interviewer acknowledge the participant's feelings?"
/// "#).unwrap();
/// assert_eq!(config.criteria[0].name, "empathy");
/// assert_eq!(config.scale, 10.0);
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "QualityConfig",
    description = "An LLM judge of conversation quality: one metric per rubric criterion."
)]
#[non_exhaustive]
pub struct QualityConfig {
    /// The judge agent: any agent config (`{"kind": "openai", "model": "gpt-4o-mini"}`).
    /// A temperature of 0 makes grades repeatable.
    pub agent: AgentConfig,
    /// The rubric, one metric per criterion (default: `rapport`, `question_quality`,
    /// `active_listening`, `goal_coverage`).
    #[serde(default = "default_criteria")]
    pub criteria: Vec<Criterion>,
    /// The top of the score range the judge is asked to use (default 10); scores are stored
    /// normalised to 0–1.
    #[serde(default = "crate::judge::default_scale")]
    pub scale: f64,
    /// Retries of a judge request that failed in a retryable way (default 3).
    #[serde(default = "crate::judge::default_max_retries")]
    pub max_retries: u32,
    /// The first wait between retries in milliseconds (default 500); it doubles each retry.
    #[serde(default = "crate::judge::default_initial_backoff_ms")]
    pub initial_backoff_ms: u64,
    /// How long one judge request may take, in milliseconds (default 120 000).
    #[serde(default = "crate::judge::default_timeout_ms")]
    pub timeout_ms: u64,
    /// How long judging one metric may take in all, waits included, in milliseconds
    /// (default 600 000).
    #[serde(default = "crate::judge::default_max_total_ms")]
    pub max_total_ms: u64,
    /// Judge requests in flight at once (default 4).
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
}

impl QualityConfig {
    /// A judge using `agent`, with the default rubric and settings.
    pub fn new(agent: AgentConfig) -> Self {
        Self {
            agent,
            criteria: default_criteria(),
            scale: judge::default_scale(),
            max_retries: judge::default_max_retries(),
            initial_backoff_ms: judge::default_initial_backoff_ms(),
            timeout_ms: judge::default_timeout_ms(),
            max_total_ms: judge::default_max_total_ms(),
            concurrency: default_concurrency(),
        }
    }

    /// Sets the rubric.
    pub fn with_criteria(mut self, criteria: Vec<Criterion>) -> Self {
        self.criteria = criteria;
        self
    }

    /// Sets the retries of a failed judge request and the first wait between them.
    pub fn with_retries(mut self, max_retries: u32, initial_backoff: Duration) -> Self {
        self.max_retries = max_retries;
        self.initial_backoff_ms = initial_backoff.as_millis().try_into().unwrap_or(u64::MAX);
        self
    }

    /// Checks every field, the agent's included, without reading the environment. Errors
    /// name the field (`criteria.1.name`, `scale` …).
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.criteria.is_empty() {
            return Err(ConfigError::field(
                "criteria",
                "is empty: leave it out for the default rubric",
            ));
        }
        for (i, c) in self.criteria.iter().enumerate() {
            let plain = !c.name.is_empty()
                && c.name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-'));
            if !plain {
                return Err(ConfigError::field(
                    format!("criteria.{i}.name"),
                    format!(
                        "`{}` is not a metric name (letters, digits, _ and -)",
                        c.name
                    ),
                ));
            }
            if self.criteria[..i].iter().any(|o| o.name == c.name) {
                return Err(ConfigError::field(
                    format!("criteria.{i}.name"),
                    format!("`{}` names two criteria", c.name),
                ));
            }
            if c.rubric.trim().is_empty() {
                return Err(ConfigError::field(
                    format!("criteria.{i}.rubric"),
                    "is empty",
                ));
            }
        }
        if !(self.scale.is_finite() && self.scale > 0.0) {
            return Err(ConfigError::field(
                "scale",
                format!("must be a number above 0, got {}", self.scale),
            ));
        }
        for (field, value) in [
            ("timeout_ms", self.timeout_ms),
            ("max_total_ms", self.max_total_ms),
            ("concurrency", self.concurrency as u64),
        ] {
            if value == 0 {
                return Err(ConfigError::field(field, "must be at least 1"));
            }
        }
        self.agent.validate().map_err(|mut e| {
            e.field = Some(match e.field.take() {
                Some(field) => format!("agent: {field}"),
                None => "agent".to_owned(),
            });
            e
        })
    }

    /// Checks every field and builds the judge, building its agent with [`build_agent`]
    /// (which reads its API key from the environment).
    pub fn build(&self) -> Result<QualityJudge, ConfigError> {
        self.validate()?;
        self.build_with(build_agent(&self.agent)?)
    }

    /// Checks every field and builds the judge around an agent built elsewhere (priced, or
    /// behind a response cache).
    pub fn build_with(&self, agent: Arc<dyn Agent>) -> Result<QualityJudge, ConfigError> {
        self.validate()?;
        let mut criteria = Vec::with_capacity(self.criteria.len());
        for criterion in &self.criteria {
            let mut judge = JudgeConfig::new(self.agent.clone())
                .with_name(criterion.name.clone())
                .with_rubric(format!("{}\n\n{}", criterion.rubric.trim(), FRAMING))
                .with_scale(self.scale)
                .with_retries(
                    self.max_retries,
                    Duration::from_millis(self.initial_backoff_ms),
                )
                .with_timeout(Duration::from_millis(self.timeout_ms));
            judge.max_total_ms = self.max_total_ms;
            criteria.push((criterion.clone(), judge.build_with(Arc::clone(&agent))?));
        }
        Ok(QualityJudge::new(
            agent.name().to_owned(),
            criteria,
            self.concurrency,
        ))
    }

    /// Reads a config from a JSON or (by extension) TOML file and checks it; errors name the
    /// file, the line when known, and the field.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        ConfigText::read(path, "quality judge file")?.parse_checked(Self::validate)
    }

    /// Reads a config from JSON text and checks it.
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        ConfigText::new(text, Format::Json).parse_checked(Self::validate)
    }

    /// Reads a config from TOML text (the agent as an `[agent]` table, criteria as
    /// `[[criteria]]`) and checks it.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        ConfigText::new(text, Format::Toml).parse_checked(Self::validate)
    }
}

/// The JSON Schema of [`QualityConfig`], for editors and `benchcore schema quality`.
pub fn quality_config_schema() -> serde_json::Value {
    schemars::schema_for!(QualityConfig).to_value()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_are_checked_field_by_field() {
        let base = || QualityConfig::new(AgentConfig::Gold);
        let err = |c: QualityConfig| c.validate().unwrap_err().field.unwrap();
        assert_eq!(err(base().with_criteria(vec![])), "criteria");
        assert_eq!(
            err(base().with_criteria(vec![Criterion::new("a b", "x")])),
            "criteria.0.name"
        );
        assert_eq!(
            err(base().with_criteria(vec![Criterion::new("a", "x"), Criterion::new("a", "y")])),
            "criteria.1.name"
        );
        assert_eq!(
            err(base().with_criteria(vec![Criterion::new("a", " ")])),
            "criteria.0.rubric"
        );
        let mut c = base();
        c.scale = 0.0;
        assert_eq!(err(c), "scale");
        let e =
            QualityConfig::from_json(r#"{"agent": {"kind": "gold"}, "critera": []}"#).unwrap_err();
        assert!(e.message.contains("unknown field `critera`"), "{e}");
        let e = QualityConfig::from_toml("scale = 10\n\n[agent]\nkind = \"gold\"\nmodel = 1\n")
            .unwrap_err();
        assert_eq!(e.line, Some(5), "{e}");
    }

    #[test]
    fn the_default_rubric_has_four_metrics() {
        let config = QualityConfig::from_json(r#"{"agent": {"kind": "gold"}}"#).unwrap();
        let names: Vec<&str> = config.criteria.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "rapport",
                "question_quality",
                "active_listening",
                "goal_coverage"
            ]
        );
        assert!(quality_config_schema().to_string().contains("criteria"));
    }
}
