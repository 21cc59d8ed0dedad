//! [`MetricRecord`]: a quality metric of one attempt, computed on request and stored with
//! its run.

use crate::AttemptKey;
use serde::{Deserialize, Serialize};

/// One quality metric of one attempt (an LLM judge's rubric score of a conversation, say),
/// computed on request and kept by the [`RunStore`](super::RunStore) with the run, so later
/// reads return it without computing it again.
///
/// ```
/// use benchcore::store::MetricRecord;
/// use benchcore::AttemptKey;
/// let m = MetricRecord::new(AttemptKey::new("coffee", "gpt-4o", 0), "rapport", 0.8)
///     .with_label("8/10")
///     .with_rationale("Warm and attentive.");
/// assert_eq!(m.metric, "rapport");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MetricRecord {
    /// The attempt it measures.
    #[serde(flatten)]
    pub key: AttemptKey,
    /// The metric's name, unique per attempt.
    pub metric: String,
    /// The score, from 0 to 1.
    pub score: f64,
    /// The score as read or written for people (`8/10`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Why, in the judge's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
    /// Anything else: the judge, its model, raw reply, usage, cost.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub details: serde_json::Value,
    /// When it was computed, in milliseconds since the Unix epoch.
    pub computed_at_ms: u64,
}

impl MetricRecord {
    /// A metric of an attempt, computed now.
    pub fn new(key: AttemptKey, metric: impl Into<String>, score: f64) -> Self {
        Self {
            key,
            metric: metric.into(),
            score,
            label: None,
            rationale: None,
            details: serde_json::Value::Null,
            computed_at_ms: crate::now_ms(),
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

    /// Sets the details.
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }

    /// Sets when it was computed.
    pub fn computed_at(mut self, at_ms: u64) -> Self {
        self.computed_at_ms = at_ms;
        self
    }
}
