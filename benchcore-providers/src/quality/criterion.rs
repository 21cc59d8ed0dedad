//! [`Criterion`]: one rubric criterion, one stored metric per conversation, and the default
//! rubric.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One criterion of the rubric: one stored metric per conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Criterion {
    /// The metric's name (`rapport`): letters, digits, `_` and `-`; unique in the rubric.
    pub name: String,
    /// What the judge grades the interviewer on.
    pub rubric: String,
}

impl Criterion {
    /// A criterion.
    pub fn new(name: impl Into<String>, rubric: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            rubric: rubric.into(),
        }
    }
}

/// The rubric used when a [`QualityConfig`](super::QualityConfig) gives none: four qualities of a research
/// interviewer.
pub fn default_criteria() -> Vec<Criterion> {
    vec![
        Criterion::new(
            "rapport",
            "Rapport: the interviewer is warm and respectful, acknowledges what the \
             participant shares (frustrations included) and never judges, argues or lectures.",
        ),
        Criterion::new(
            "question_quality",
            "Question quality: the interviewer asks open, neutral questions, one at a time. \
             Penalise leading questions, double-barrelled questions, and yes/no questions where \
             an open question would serve.",
        ),
        Criterion::new(
            "active_listening",
            "Active listening: the interviewer builds on what the participant actually said, \
             probes for examples and detail, and does not move on mechanically or ask what was \
             already answered.",
        ),
        Criterion::new(
            "goal_coverage",
            "Goal coverage: the conversation covers the goals in the interviewer's \
             instructions, in a sensible order, and closes as the instructions say, without \
             running long.",
        ),
    ]
}
