//! A case: one question of a suite, with what a correct answer looks like.

use crate::Message;
use serde::{Deserialize, Serialize};

/// One case of a suite: the messages sent to the agent, the target answer and free-form
/// metadata.
///
/// ```
/// use benchcore::Case;
/// let case = Case::new("q1", "What is 2 + 3?").with_target("5");
/// assert_eq!(case.targets(), vec!["5".to_string()]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct Case {
    /// Unique within its suite.
    pub id: String,
    /// What the agent is sent.
    pub messages: Vec<Message>,
    /// The expected answer: a string, a number, or a list of acceptable answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<serde_json::Value>,
    /// Anything else the suite carries (difficulty, source, tags …).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub metadata: serde_json::Value,
}

impl Case {
    /// A case with one user message.
    pub fn new(id: impl Into<String>, input: impl Into<String>) -> Self {
        Self::from_messages(id, vec![Message::user(input)])
    }

    /// A case with the given messages.
    pub fn from_messages(id: impl Into<String>, messages: Vec<Message>) -> Self {
        Self {
            id: id.into(),
            messages,
            target: None,
            metadata: serde_json::Value::Null,
        }
    }

    /// Sets the target answer.
    pub fn with_target(mut self, target: impl Into<serde_json::Value>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// Sets the metadata.
    pub fn with_metadata(mut self, metadata: serde_json::Value) -> Self {
        self.metadata = metadata;
        self
    }

    /// The acceptable answers as text: one for a string or number target, each element for a
    /// list, none when there is no target.
    pub fn targets(&self) -> Vec<String> {
        match &self.target {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(serde_json::Value::Array(items)) => items.iter().map(value_text).collect(),
            Some(other) => vec![value_text(other)],
        }
    }

    /// The text of the last user message: the question, for a single-turn case.
    pub fn input_text(&self) -> &str {
        self.messages
            .iter()
            .rev()
            .find(|m| m.role == crate::Role::User)
            .map(|m| m.content.as_str())
            .unwrap_or("")
    }
}

fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
