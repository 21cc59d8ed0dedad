//! The [`Evaluator`] trait and the built-in evaluators.

mod choice;
mod config;
mod exact;
mod extract;
mod includes;
mod normalize;
mod numeric;
mod regex;
mod truncation;

pub use self::choice::{case_choices, choice_letter, read_choice, Choice};
pub use self::config::EvaluatorConfig;
pub use self::exact::Exact;
pub use self::extract::Extractor;
pub use self::includes::Includes;
pub use self::normalize::Normalize;
pub use self::numeric::Numeric;
pub use self::regex::RegexMatch;
pub use self::truncation::NotTruncated;

use crate::{Case, Transcript};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What an evaluator looks at.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct EvalContext<'a> {
    /// The case, with its target and metadata.
    pub case: &'a Case,
    /// The agent's final reply.
    pub reply: &'a str,
    /// The whole exchange.
    pub transcript: &'a Transcript,
    /// The attempt's artifacts folder (it may not exist when nothing was written).
    pub artifacts: Option<&'a Path>,
}

impl<'a> EvalContext<'a> {
    /// A context over a case, a reply and the transcript.
    pub fn new(case: &'a Case, reply: &'a str, transcript: &'a Transcript) -> Self {
        Self {
            case,
            reply,
            transcript,
            artifacts: None,
        }
    }

    /// The case's acceptable answers, or an error saying the evaluator needs one.
    pub fn require_targets(&self, evaluator: &str) -> Result<Vec<String>, EvalError> {
        let targets = self.case.targets();
        if targets.is_empty() {
            return Err(EvalError::new(format!(
                "{evaluator}: case `{}` has no target",
                self.case.id
            )));
        }
        Ok(targets)
    }
}

/// One evaluator's judgement of one attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct Evaluation {
    /// The evaluator's name.
    pub evaluator: String,
    /// Score in [0, 1]; absent when the evaluator could not judge.
    pub score: Option<f64>,
    /// Whether the attempt passed; absent when the evaluator could not judge.
    pub passed: Option<bool>,
    /// A short label (`match`, `mismatch`, a letter grade …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Why: the judge's reasoning, or what was compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
    /// Free-form details.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub details: serde_json::Value,
    /// Why the evaluator could not judge, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What judging cost in US dollars (an LLM judge's call), added to the attempt's cost and
    /// to the run's cost budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
}

impl Evaluation {
    /// A pass or a fail with score 1 or 0.
    pub fn binary(evaluator: impl Into<String>, passed: bool) -> Self {
        Self {
            evaluator: evaluator.into(),
            score: Some(if passed { 1.0 } else { 0.0 }),
            passed: Some(passed),
            label: None,
            rationale: None,
            details: serde_json::Value::Null,
            error: None,
            cost_usd: None,
        }
    }

    /// A graded score, passing at `threshold` or above.
    pub fn scored(evaluator: impl Into<String>, score: f64, threshold: f64) -> Self {
        let score = score.clamp(0.0, 1.0);
        Self {
            score: Some(score),
            passed: Some(score >= threshold),
            ..Self::binary(evaluator, false)
        }
    }

    /// The record of an evaluator that could not judge.
    pub fn could_not_judge(evaluator: impl Into<String>, error: &EvalError) -> Self {
        Self {
            score: None,
            passed: None,
            error: Some(error.message.clone()),
            ..Self::binary(evaluator, false)
        }
    }

    /// Sets the label.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Sets the rationale.
    pub fn with_rationale(mut self, rationale: impl Into<String>) -> Self {
        self.rationale = Some(rationale.into());
        self
    }

    /// Sets what judging cost, in US dollars.
    pub fn with_cost(mut self, cost_usd: Option<f64>) -> Self {
        self.cost_usd = cost_usd;
        self
    }

    /// Sets the details.
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// The evaluator could not judge (no target, an unreadable judge reply …). The attempt's
/// outcome becomes `invalid`, never a silent zero; or `error` when the evaluator's own
/// infrastructure broke ([`EvalError::infrastructure`]), which says nothing of the answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
#[non_exhaustive]
pub struct EvalError {
    /// What went wrong.
    pub message: String,
    /// The evaluator's machinery failed (a sandbox that could not be copied or started), not
    /// the answer: the attempt becomes an `error`, kept out of accuracy and rerun by
    /// `resume --retry-errors`.
    pub infrastructure: bool,
}

impl EvalError {
    /// An error with this message: the answer could not be judged.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            infrastructure: false,
        }
    }

    /// The evaluator's own machinery failed; the attempt becomes an `error`.
    pub fn infrastructure(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            infrastructure: true,
        }
    }

    /// Whether the evaluator's machinery failed rather than the answer.
    pub fn is_infrastructure(&self) -> bool {
        self.infrastructure
    }
}

/// Scores an attempt.
///
/// ```
/// use benchcore::{async_trait, EvalContext, EvalError, Evaluation, Evaluator};
///
/// struct ShortAnswer;
///
/// #[async_trait]
/// impl Evaluator for ShortAnswer {
///     fn name(&self) -> &str {
///         "short"
///     }
///     async fn evaluate(&self, cx: &EvalContext<'_>) -> Result<Evaluation, EvalError> {
///         Ok(Evaluation::binary("short", cx.reply.len() < 20))
///     }
/// }
/// ```
///
/// # Contract
/// - `evaluate` returns `Err` only when it cannot judge; a wrong answer is `Ok` with
///   `passed: Some(false)`.
/// - Scores lie in [0, 1].
#[async_trait]
pub trait Evaluator: Send + Sync + 'static {
    /// A short name, unique within a run.
    fn name(&self) -> &str;

    /// Judges one attempt.
    async fn evaluate(&self, cx: &EvalContext<'_>) -> Result<Evaluation, EvalError>;
}

const _: fn(&dyn Evaluator) = |_| {};
