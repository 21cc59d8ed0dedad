//! [`QuestionQuality`]: open rather than closed questions, and no leading ones.

use super::band::Band;
use super::text::{has_phrase, normalized, questions};
use super::{ratio_variable, variable};
use crate::{ConfigError, Speaker, TestReport, Transcript, TranscriptTest};
use serde::{Deserialize, Serialize};

/// Thresholds and word lists of [`QuestionQuality`]. Every field has a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct QuestionQualityConfig {
    /// Open questions among the interviewer's questions (default: good from 0.5, a warning
    /// from 0.3).
    pub open_question_share: Band,
    /// Leading questions (default: good at 0, a warning at 1).
    pub leading_questions: Band,
    /// Phrases that make a question leading, matched as whole words, case-insensitively
    /// (default: `don't you think`, `wouldn't you agree`, `isn't it true`, `surely`,
    /// `obviously` …; a question ending in `right?` or `correct?` is leading too).
    pub leading_phrases: Vec<String>,
}

impl Default for QuestionQualityConfig {
    fn default() -> Self {
        Self {
            open_question_share: Band::at_least(0.5, 0.3),
            leading_questions: Band::at_most(0.0, 1.0),
            leading_phrases: [
                "don't you think",
                "do you not think",
                "wouldn't you agree",
                "wouldn't you say",
                "don't you agree",
                "would you agree",
                "isn't it true",
                "isn't that",
                "aren't you",
                "you must",
                "you'd agree",
                "surely",
                "obviously",
                "of course you",
            ]
            .map(str::to_owned)
            .to_vec(),
        }
    }
}

impl QuestionQualityConfig {
    /// Checks every band; errors name it as `<prefix>.<field>.<bound>`.
    pub fn validate(&self, prefix: &str) -> Result<(), ConfigError> {
        self.open_question_share
            .validate(&format!("{prefix}.open_question_share"))?;
        self.leading_questions
            .validate(&format!("{prefix}.leading_questions"))?;
        if let Some(i) = self
            .leading_phrases
            .iter()
            .position(|p| p.trim().is_empty())
        {
            return Err(ConfigError::field(
                format!("{prefix}.leading_phrases.{i}"),
                "is empty",
            ));
        }
        Ok(())
    }
}

/// Openers of open questions: the participant answers in their own words.
const OPEN: &[&str] = &[
    "what",
    "how",
    "why",
    "which",
    "where",
    "when",
    "who",
    "whose",
    "in what",
    "tell me",
    "describe",
    "walk me",
    "talk me",
    "explain",
    "share",
    "help me understand",
    "can you tell",
    "can you describe",
    "can you walk",
    "can you explain",
    "can you share",
    "can you talk",
    "could you tell",
    "could you describe",
    "could you walk",
    "could you explain",
    "could you share",
    "could you talk",
    "would you tell",
    "would you describe",
    "would you walk",
    "would you explain",
    "would you share",
    "would you mind telling",
    "what's",
    "how's",
];

/// Openers of closed questions: yes, no, or one fact.
const CLOSED: &[&str] = &[
    "do",
    "does",
    "did",
    "is",
    "are",
    "was",
    "were",
    "have",
    "has",
    "had",
    "can",
    "could",
    "would",
    "will",
    "should",
    "shall",
    "may",
    "might",
    "am",
    "isn't",
    "aren't",
    "wasn't",
    "weren't",
    "don't",
    "doesn't",
    "didn't",
    "haven't",
    "hasn't",
    "won't",
    "wouldn't",
    "can't",
    "couldn't",
    "shouldn't",
    "or",
];

/// Words that open a sentence without deciding its kind (`So, what …`).
const LEAD_IN: &[&str] = &[
    "so", "and", "but", "okay", "ok", "well", "now", "then", "also", "great", "thanks",
];

/// Whether a question is open (`Some(true)`), closed (`Some(false)`) or neither.
fn is_open(question: &str) -> Option<bool> {
    let text = normalized(question);
    let mut words: &str = &text;
    while let Some((first, rest)) = words.split_once(' ') {
        if !LEAD_IN.contains(&first) {
            break;
        }
        words = rest;
    }
    let starts = |opener: &&str| {
        words == *opener
            || words
                .strip_prefix(*opener)
                .is_some_and(|rest| rest.starts_with(' '))
    };
    if OPEN.iter().any(starts) {
        Some(true)
    } else if CLOSED.iter().any(starts) {
        Some(false)
    } else {
        None
    }
}

/// The interviewer's questions: `agent_questions`, `open_questions`, `closed_questions`
/// (questions that are neither, such as `You drink it black?`, count as closed),
/// `open_question_share` and `leading_questions`.
///
/// ```
/// use benchcore::transcript::builtin::QuestionQuality;
/// use benchcore::{Transcript, TranscriptTest};
/// let t = Transcript::parse("AGENT: What do you like about it? Don't you think it is too sweet?");
/// let report = QuestionQuality::default().run(&t);
/// let leading = report.variables.iter().find(|v| v.metric == "leading_questions").unwrap();
/// assert_eq!(leading.value, 1);
/// ```
#[derive(Debug, Clone, Default)]
pub struct QuestionQuality {
    config: QuestionQualityConfig,
}

impl QuestionQuality {
    /// The test with these thresholds and phrases.
    pub fn new(config: QuestionQualityConfig) -> Self {
        Self { config }
    }

    fn is_leading(&self, question: &str) -> bool {
        let text = question.to_lowercase();
        let tail = normalized(&text);
        tail.ends_with(" right")
            || tail.ends_with(" correct")
            || self
                .config
                .leading_phrases
                .iter()
                .any(|p| has_phrase(&text, &p.to_lowercase()))
    }
}

impl TranscriptTest for QuestionQuality {
    fn name(&self) -> &str {
        "question_quality"
    }

    fn run(&self, transcript: &Transcript) -> TestReport {
        let asked: Vec<String> = transcript
            .turns
            .iter()
            .filter(|t| t.speaker == Speaker::Agent && t.is_spoken())
            .flat_map(|t| questions(&t.text))
            .collect();
        let open = asked.iter().filter(|q| is_open(q) == Some(true)).count();
        let leading = asked.iter().filter(|q| self.is_leading(q)).count();
        let c = &self.config;
        let variables = vec![
            variable("agent_questions", asked.len(), crate::Status::Good),
            variable("open_questions", open, crate::Status::Good),
            variable("closed_questions", asked.len() - open, crate::Status::Good),
            ratio_variable(
                "open_question_share",
                open,
                asked.len(),
                &c.open_question_share,
                "the interviewer asked no question",
            ),
            variable(
                "leading_questions",
                leading,
                c.leading_questions.status(leading as f64),
            ),
        ];
        TestReport {
            title: "Question quality".into(),
            variables,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    #[test]
    fn questions_are_told_apart() {
        assert_eq!(is_open("So, what brought you here?"), Some(true));
        assert_eq!(is_open("Could you tell me more about that?"), Some(true));
        assert_eq!(is_open("Do you like it?"), Some(false));
        assert_eq!(is_open("Could you do it again?"), Some(false));
        assert_eq!(is_open("You drink it black?"), None);
    }

    #[test]
    fn leading_and_closed_questions_read_poor() {
        let t = Transcript::parse(
            "AGENT: Do you like coffee? Surely it helps you focus? It's the best part of the day, right?\n\
             PARTICIPANT: I guess.\n\
             AGENT: Don't you think mornings are better with it?",
        );
        let report = QuestionQuality::default().run(&t);
        let get = |m: &str| {
            report
                .variables
                .iter()
                .find(|v| v.metric == m)
                .unwrap()
                .clone()
        };
        assert_eq!(get("agent_questions").value, 4);
        assert_eq!(get("open_questions").value, 0);
        assert_eq!(get("open_question_share").status, Status::Poor);
        assert_eq!(get("leading_questions").value, 3);
        assert_eq!(get("leading_questions").status, Status::Poor);
    }

    #[test]
    fn open_questions_read_good() {
        let t = Transcript::parse(
            "AGENT: How do you start your day?\nPARTICIPANT: Coffee.\nAGENT: What do you like about it?",
        );
        let report = QuestionQuality::default().run(&t);
        assert_eq!(report.worst(), Status::Good, "{report:?}");
    }

    #[test]
    fn bad_phrases_are_named() {
        let mut config = QuestionQualityConfig::default();
        config.leading_phrases.push(" ".into());
        let err = config.validate("question_quality").unwrap_err();
        assert!(err
            .field
            .unwrap()
            .starts_with("question_quality.leading_phrases."));
    }
}
