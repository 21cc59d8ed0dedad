//! [`build_evaluator`]: every evaluator a run spec can store, the judge included.

use crate::judge::JudgeConfig;
use benchcore::evaluator::EvaluatorConfig;
use benchcore::{ConfigError, Evaluator};
use std::sync::Arc;

/// Builds the evaluator a config describes: a judge from its stored [`JudgeConfig`] (its
/// agent's key read from the environment again), every built-in through
/// [`EvaluatorConfig::build`].
///
/// ```
/// use benchcore::evaluator::EvaluatorConfig;
/// use benchcore_providers::build_evaluator;
/// let exact = build_evaluator(&"exact".parse().unwrap()).unwrap();
/// assert_eq!(exact.name(), "exact");
/// let judge = EvaluatorConfig::Judge {
///     config: serde_json::json!({"name": "strict", "agent": {"kind": "gold"}}),
/// };
/// assert_eq!(build_evaluator(&judge).unwrap().name(), "strict");
/// ```
///
/// # Errors
/// The config does not describe a usable evaluator; the error names the field.
pub fn build_evaluator(config: &EvaluatorConfig) -> Result<Arc<dyn Evaluator>, ConfigError> {
    match config {
        EvaluatorConfig::Judge { config } => {
            Ok(Arc::new(JudgeConfig::from_value(config)?.build()?))
        }
        other => other.build(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_stored_judges_name_the_field() {
        let bad = EvaluatorConfig::Judge {
            config: serde_json::json!({"agent": {"kind": "gold"}, "pass_threshold": 2}),
        };
        let err = build_evaluator(&bad).err().unwrap();
        assert_eq!(
            err.field.as_deref(),
            Some("evaluators.judge.pass_threshold")
        );
        let bad = EvaluatorConfig::Judge {
            config: serde_json::json!({"agnt": {"kind": "gold"}}),
        };
        let err = build_evaluator(&bad).err().unwrap();
        assert!(err.message.contains("agnt"), "{err}");
        assert!(build_evaluator(&"regex:(".parse().unwrap()).is_err());
    }
}
