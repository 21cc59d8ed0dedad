//! Built-in transcript tests for interviews: deterministic measurements of a finished
//! conversation between an interviewer (`AGENT`) and a participant (`PARTICIPANT`), each
//! variable graded `good`, `warning` or `poor` against a configurable [`Band`].
//!
//! | test | title | variables |
//! | --- | --- | --- |
//! | [`ConversationFlow`] | Conversation flow | `turns`, `agent_word_share`, `participant_word_share`, `questions_per_agent_turn`, `longest_agent_monologue`, `repeated_agent_questions`, `ended_naturally` |
//! | [`QuestionQuality`] | Question quality | `agent_questions`, `open_questions`, `closed_questions`, `open_question_share`, `leading_questions` |
//! | [`ActiveListening`] | Active listening | `follow_up_share`, `acknowledgement_share` |
//! | [`Pacing`] | Pacing | `mean_agent_latency_ms`, `max_agent_latency_ms`, `mean_agent_words` |
//!
//! [`TranscriptTestsConfig`](super::TranscriptTestsConfig) chooses among them and sets their
//! thresholds.

mod band;
mod flow;
mod listening;
mod pacing;
mod questions;
mod text;

pub use band::Band;
pub use flow::{ConversationFlow, FlowConfig};
pub use listening::{ActiveListening, ActiveListeningConfig};
pub use pacing::{Pacing, PacingConfig};
pub use questions::{QuestionQuality, QuestionQualityConfig};

use crate::{Status, Variable};

/// The names of the built-in tests, in report order.
pub const BUILTIN_TESTS: [&str; 4] = [
    "conversation_flow",
    "question_quality",
    "active_listening",
    "pacing",
];

/// A variable.
fn variable(metric: &str, value: impl Into<serde_json::Value>, status: Status) -> Variable {
    Variable {
        metric: metric.to_owned(),
        value: value.into(),
        status,
    }
}

/// `part / whole`, rounded to four decimals and graded by `band`; when `whole` is zero, a
/// poor variable whose value says `why` it cannot be measured.
fn ratio_variable(metric: &str, part: usize, whole: usize, band: &Band, why: &str) -> Variable {
    if whole == 0 {
        return variable(metric, why, Status::Poor);
    }
    let ratio = part as f64 / whole as f64;
    variable(
        metric,
        (ratio * 10_000.0).round() / 10_000.0,
        band.status(ratio),
    )
}
