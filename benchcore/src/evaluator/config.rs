use super::{Choice, Evaluator, Exact, Includes, Normalize, NotTruncated, Numeric, RegexMatch};
use crate::ConfigError;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A built-in evaluator as configuration: what a run spec stores and the CLI parses.
///
/// ```
/// use benchcore::evaluator::EvaluatorConfig;
/// let config: EvaluatorConfig = "numeric:0.01".parse().unwrap();
/// assert_eq!(config.build().unwrap().name(), "numeric");
/// assert!("regex:(".parse::<EvaluatorConfig>().unwrap().build().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum EvaluatorConfig {
    /// Reply equals a target.
    Exact {
        /// Normalisation before comparing.
        #[serde(default, flatten)]
        normalize: Normalize,
    },
    /// Reply contains a target.
    Includes {
        /// Normalisation before comparing.
        #[serde(default, flatten)]
        normalize: Normalize,
    },
    /// Reply matches a pattern (the target when none is given).
    Regex {
        /// The pattern; when absent, each case's target is the pattern.
        #[serde(default)]
        pattern: Option<String>,
    },
    /// The reply's last number is within a tolerance of the target.
    Numeric {
        /// Allowed difference.
        #[serde(default)]
        tolerance: f64,
        /// Read `tolerance` as a fraction of the target.
        #[serde(default)]
        relative: bool,
    },
    /// Fails a reply cut at the token limit (`--fail-on-truncation`).
    NotTruncated,
    /// Multiple choice: the choice the reply gives is the target (see
    /// [`Choice`](super::Choice)).
    Choice,
    /// An LLM judge: another agent scores the reply against a rubric. Built by
    /// `benchcore_providers::build_evaluator` (this crate knows no HTTP), which reads
    /// `config` as a `benchcore_providers::JudgeConfig`.
    Judge {
        /// The judge's config (a `JudgeConfig` as JSON, without secrets).
        config: serde_json::Value,
    },
}

impl EvaluatorConfig {
    /// Builds the evaluator.
    ///
    /// # Errors
    /// A regex pattern that does not compile, or a negative or non-finite tolerance. A
    /// `judge` is refused: it needs an agent, so `benchcore_providers::build_evaluator`
    /// builds it.
    pub fn build(&self) -> Result<Arc<dyn Evaluator>, ConfigError> {
        Ok(match self {
            Self::Exact { normalize } => Arc::new(Exact::new(normalize.clone())),
            Self::Includes { normalize } => Arc::new(Includes::new(normalize.clone())),
            Self::Regex { pattern: Some(p) } => Arc::new(
                RegexMatch::new(p)
                    .map_err(|e| ConfigError::field("evaluators.regex.pattern", e.message))?,
            ),
            Self::Regex { pattern: None } => Arc::new(RegexMatch::from_targets()),
            Self::Numeric {
                tolerance,
                relative,
            } => {
                if !tolerance.is_finite() || *tolerance < 0.0 {
                    return Err(ConfigError::field(
                        "evaluators.numeric.tolerance",
                        format!("must be a finite number >= 0, got {tolerance}"),
                    ));
                }
                if *relative {
                    Arc::new(Numeric::relative(*tolerance))
                } else {
                    Arc::new(Numeric::absolute(*tolerance))
                }
            }
            Self::NotTruncated => Arc::new(NotTruncated),
            Self::Choice => Arc::new(Choice),
            Self::Judge { .. } => {
                return Err(ConfigError::field(
                    "evaluators.judge",
                    "judge evaluators are built by benchcore-providers: use \
                     benchcore_providers::build_evaluator",
                ))
            }
        })
    }
}

impl std::str::FromStr for EvaluatorConfig {
    type Err = ConfigError;

    /// Parses the short form the CLI takes: `exact`, `exact:ignore_case`, `includes`,
    /// `regex`, `regex:PATTERN`, `numeric`, `numeric:TOL`, `numeric:TOL%`, `choice` or
    /// `not_truncated`.
    fn from_str(spec: &str) -> Result<Self, ConfigError> {
        let (kind, arg) = match spec.split_once(':') {
            Some((k, a)) => (k, Some(a)),
            None => (spec, None),
        };
        let normalize = |arg: Option<&str>| -> Result<Normalize, ConfigError> {
            let mut n = Normalize::default();
            for flag in arg
                .into_iter()
                .flat_map(|a| a.split(','))
                .filter(|f| !f.is_empty())
            {
                match flag {
                    "ignore_case" => n.ignore_case = true,
                    "strip_punctuation" => n.strip_punctuation = true,
                    "strict" => n = Normalize::none(),
                    other => {
                        return Err(ConfigError::field(
                            "evaluator",
                            format!("unknown option {other:?} in {spec:?} (ignore_case, strip_punctuation, strict)"),
                        ))
                    }
                }
            }
            Ok(n)
        };
        match kind {
            "exact" => Ok(Self::Exact {
                normalize: normalize(arg)?,
            }),
            "includes" => Ok(Self::Includes {
                normalize: normalize(arg)?,
            }),
            "regex" => Ok(Self::Regex {
                pattern: arg.map(str::to_owned),
            }),
            "numeric" => {
                let (text, relative) = match arg {
                    Some(a) => match a.strip_suffix('%') {
                        Some(pct) => (pct, true),
                        None => (a, false),
                    },
                    None => ("0", false),
                };
                let value: f64 = text.parse().map_err(|_| {
                    ConfigError::field(
                        "evaluator",
                        format!("{spec:?}: tolerance {text:?} is not a number"),
                    )
                })?;
                Ok(Self::Numeric {
                    tolerance: if relative { value / 100.0 } else { value },
                    relative,
                })
            }
            "not_truncated" => Ok(Self::NotTruncated),
            "choice" if arg.is_none() => Ok(Self::Choice),
            "choice" => Err(ConfigError::field(
                "evaluator",
                format!("{spec:?}: `choice` takes no option"),
            )),
            "judge" => Err(ConfigError::field(
                "evaluator",
                format!("{spec:?}: a judge is configured by a file: use --judge FILE"),
            )),
            other => Err(ConfigError::field(
                "evaluator",
                format!(
                    "unknown evaluator {other:?} (exact, includes, regex, numeric, choice, \
                     not_truncated)"
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_judge_is_stored_but_not_built_here() {
        let config: EvaluatorConfig = serde_json::from_value(serde_json::json!({
            "kind": "judge",
            "config": {"agent": {"kind": "gold"}},
        }))
        .unwrap();
        let err = config.build().err().unwrap();
        assert!(
            err.to_string()
                .contains("use benchcore_providers::build_evaluator"),
            "{err}"
        );
        let back = serde_json::to_value(&config).unwrap();
        assert_eq!(back["kind"], "judge");
        assert_eq!(back["config"]["agent"]["kind"], "gold");
        let err = "judge".parse::<EvaluatorConfig>().unwrap_err();
        assert!(err.to_string().contains("--judge FILE"), "{err}");
    }
}
