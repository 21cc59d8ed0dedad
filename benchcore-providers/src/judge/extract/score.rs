//! What a reading finds: a score, its label and how it was written; and the helpers every
//! reading shares.

use regex::Regex;
use serde::Serialize;
use std::sync::OnceLock;

/// How a score was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ScoreFormat {
    /// A JSON object.
    Json,
    /// A labelled value (`Score: 7/10`, `[[7]]`).
    Labelled,
    /// A fraction in prose (`7/10`, `8.5 out of 10`).
    Fraction,
    /// A percentage in prose.
    Percent,
    /// A line that is only a value.
    Alone,
    /// An upper-case PASS or FAIL in prose.
    Verdict,
    /// Words such as `correct` or `incorrect`.
    Words,
}

/// A score read from a judge's reply.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ExtractedScore {
    /// The score, normalised to [0, 1].
    pub score: f64,
    /// What was read, as written or normalised for people: `8/10`, `85%`, `B+`, `pass`.
    pub label: String,
    /// How it was written.
    pub format: ScoreFormat,
    /// The judge's reasoning: the JSON rationale, else the reply without the score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
}

/// A score and how to show it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Value {
    pub(super) score: f64,
    pub(super) label: String,
}

/// A value found at a place in the text (byte range of the whole expression).
pub(super) type Found = (Value, (usize, usize), ScoreFormat);

/// Drops emphasis and code markers (`**`, `*`, `__`, `` ` ``) so labels read as plain text.
pub(super) fn strip_markup(text: &str) -> String {
    text.replace("**", "")
        .replace("__", "")
        .replace(['*', '`'], "")
}

pub(super) fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("score pattern compiles"))
}

/// A non-negative decimal number.
pub(super) const NUM: &str = r"(?:\d+(?:\.\d+)?|\.\d+)";
