//! [`PromptOptions`]: what a code task's prompt shows and asks for, recorded in the run spec.

use super::metadata::AnswerFormat;

/// What a prompt shows and asks for, over the tasks' own settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PromptOptions {
    /// Show the tests too (`Some(true)`), hide them (`Some(false)`), or as each task says.
    pub include_tests: Option<bool>,
    /// Ask for this answer format instead of each task's.
    pub answer_format: Option<AnswerFormat>,
}

impl PromptOptions {
    /// Shows the tests.
    pub fn with_tests(mut self, include: bool) -> Self {
        self.include_tests = Some(include);
        self
    }

    /// Asks for this format.
    pub fn with_answer_format(mut self, format: AnswerFormat) -> Self {
        self.answer_format = Some(format);
        self
    }

    /// The options as the run spec records them (`null` when all are defaults).
    pub fn to_json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        if let Some(t) = self.include_tests {
            map.insert("include_tests".into(), t.into());
        }
        if let Some(f) = self.answer_format {
            map.insert("answer_format".into(), f.as_str().into());
        }
        if map.is_empty() {
            serde_json::Value::Null
        } else {
            map.into()
        }
    }

    /// Reads what [`PromptOptions::to_json`] wrote; unknown or missing keys are defaults.
    pub fn from_json(value: &serde_json::Value) -> Self {
        Self {
            include_tests: value
                .get("include_tests")
                .and_then(serde_json::Value::as_bool),
            answer_format: value
                .get("answer_format")
                .and_then(serde_json::Value::as_str)
                .and_then(|s| s.parse().ok()),
        }
    }
}
