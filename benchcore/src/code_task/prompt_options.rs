//! [`PromptOptions`]: what a code task's prompt shows and asks for, and how an attempt is
//! played ([`CodeTaskMode`]), recorded in the run spec.

use super::metadata::AnswerFormat;

/// How a code-task attempt is played.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum CodeTaskMode {
    /// One request; the reply is the answer (a diff or whole files).
    #[default]
    Answer,
    /// An agent loop with tools on the attempt's own copy of the workspace; the final
    /// workspace, as a diff, is the answer.
    Agent,
}

impl CodeTaskMode {
    /// The lowercase name used in flags and run specs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Answer => "answer",
            Self::Agent => "agent",
        }
    }
}

impl std::str::FromStr for CodeTaskMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "answer" => Ok(Self::Answer),
            "agent" => Ok(Self::Agent),
            other => Err(format!("unknown mode {other:?} (expected answer or agent)")),
        }
    }
}

/// What a prompt shows and asks for, over the tasks' own settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PromptOptions {
    /// Show the tests too (`Some(true)`), hide them (`Some(false)`), or as each task says.
    pub include_tests: Option<bool>,
    /// Ask for this answer format instead of each task's.
    pub answer_format: Option<AnswerFormat>,
    /// Play attempts this way (`None`: [`CodeTaskMode::Answer`]).
    pub mode: Option<CodeTaskMode>,
    /// In agent mode, the most model replies per attempt (`None`: the loop's default).
    pub max_steps: Option<u32>,
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

    /// Plays attempts in this mode.
    pub fn with_mode(mut self, mode: CodeTaskMode) -> Self {
        self.mode = Some(mode);
        self
    }

    /// In agent mode, at most `steps` model replies per attempt.
    pub fn with_max_steps(mut self, steps: u32) -> Self {
        self.max_steps = Some(steps);
        self
    }

    /// The mode in force.
    pub fn mode(&self) -> CodeTaskMode {
        self.mode.unwrap_or_default()
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
        if let Some(m) = self.mode {
            map.insert("mode".into(), m.as_str().into());
        }
        if let Some(n) = self.max_steps {
            map.insert("max_steps".into(), n.into());
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
            mode: value
                .get("mode")
                .and_then(serde_json::Value::as_str)
                .and_then(|s| s.parse().ok()),
            max_steps: value
                .get("max_steps")
                .and_then(serde_json::Value::as_u64)
                .and_then(|n| u32::try_from(n).ok()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_and_steps_round_trip_and_default_to_answer() {
        let options = PromptOptions::default()
            .with_mode(CodeTaskMode::Agent)
            .with_max_steps(7);
        let json = options.to_json();
        assert_eq!(json, serde_json::json!({"mode": "agent", "max_steps": 7}));
        assert_eq!(PromptOptions::from_json(&json), options);
        assert_eq!(PromptOptions::default().mode(), CodeTaskMode::Answer);
        assert!(PromptOptions::default().to_json().is_null());
        assert!("loop".parse::<CodeTaskMode>().is_err());
    }
}
