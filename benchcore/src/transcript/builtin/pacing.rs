//! [`Pacing`]: how fast and how long the interviewer answers.

use super::band::Band;
use super::text::word_count;
use super::variable;
use crate::{ConfigError, Speaker, Status, TestReport, Transcript, TranscriptTest};
use serde::{Deserialize, Serialize};

/// Thresholds of [`Pacing`]. Every field has a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct PacingConfig {
    /// Mean milliseconds the interviewer took to answer (default: good up to 3000, a
    /// warning up to 8000): a voice interviewer must answer in conversational time.
    pub mean_agent_latency_ms: Band,
    /// The slowest interviewer answer in milliseconds (default: good up to 8000, a warning
    /// up to 20000).
    pub max_agent_latency_ms: Band,
    /// Mean words per interviewer turn (default: good up to 45, a warning up to 90).
    pub mean_agent_words: Band,
}

impl Default for PacingConfig {
    fn default() -> Self {
        Self {
            mean_agent_latency_ms: Band::at_most(3000.0, 8000.0),
            max_agent_latency_ms: Band::at_most(8000.0, 20000.0),
            mean_agent_words: Band::at_most(45.0, 90.0),
        }
    }
}

impl PacingConfig {
    /// Checks every band; errors name it as `<prefix>.<field>.<bound>`.
    pub fn validate(&self, prefix: &str) -> Result<(), ConfigError> {
        self.mean_agent_latency_ms
            .validate(&format!("{prefix}.mean_agent_latency_ms"))?;
        self.max_agent_latency_ms
            .validate(&format!("{prefix}.max_agent_latency_ms"))?;
        self.mean_agent_words
            .validate(&format!("{prefix}.mean_agent_words"))
    }
}

/// The interviewer's pace: `mean_agent_latency_ms` and `max_agent_latency_ms` over its turns
/// with a recorded latency (a scripted opening line has none), and `mean_agent_words`.
///
/// ```
/// use benchcore::transcript::builtin::Pacing;
/// use benchcore::{Speaker, Transcript, TranscriptTest, Turn};
/// let mut t = Transcript::default();
/// t.push(Turn::new(Speaker::Agent, "How are you?").with_timing(Some(900), None));
/// let report = Pacing::default().run(&t);
/// assert_eq!(report.variables[0].value, 900);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Pacing {
    config: PacingConfig,
}

impl Pacing {
    /// The test with these thresholds.
    pub fn new(config: PacingConfig) -> Self {
        Self { config }
    }
}

impl TranscriptTest for Pacing {
    fn name(&self) -> &str {
        "pacing"
    }

    fn run(&self, transcript: &Transcript) -> TestReport {
        let c = &self.config;
        let agent: Vec<_> = transcript
            .turns
            .iter()
            .filter(|t| t.speaker == Speaker::Agent && t.is_spoken())
            .collect();
        let latencies: Vec<u64> = agent.iter().filter_map(|t| t.latency_ms).collect();
        let mut variables = Vec::with_capacity(3);
        if latencies.is_empty() {
            for metric in ["mean_agent_latency_ms", "max_agent_latency_ms"] {
                variables.push(variable(
                    metric,
                    "no interviewer turn has a recorded latency",
                    Status::Poor,
                ));
            }
        } else {
            let mean = latencies.iter().sum::<u64>() / latencies.len() as u64;
            let max = latencies.iter().copied().max().unwrap_or(0);
            variables.push(variable(
                "mean_agent_latency_ms",
                mean,
                c.mean_agent_latency_ms.status(mean as f64),
            ));
            variables.push(variable(
                "max_agent_latency_ms",
                max,
                c.max_agent_latency_ms.status(max as f64),
            ));
        }
        variables.push(super::ratio_variable(
            "mean_agent_words",
            agent.iter().map(|t| word_count(&t.text)).sum(),
            agent.len(),
            &c.mean_agent_words,
            "the interviewer never spoke",
        ));
        TestReport {
            title: "Pacing".into(),
            variables,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Turn;

    #[test]
    fn trajectory_steps_are_not_turns_of_the_conversation() {
        let call = crate::agent::ToolCall::new("ask_1", "ask", serde_json::json!({}));
        let mut t = Transcript::default();
        t.push(Turn::new(Speaker::Agent, "").with_tool_calls(vec![call]));
        t.push(Turn::new(Speaker::Tool, "many words from a tool").answering("ask_1", false));
        t.push(Turn::new(Speaker::Agent, "one two three four").with_timing(Some(100), None));
        let report = Pacing::default().run(&t);
        assert_eq!(
            report.variables[2].value, 4.0,
            "the words of the one spoken turn"
        );
        assert!(!t.turns[0].is_spoken() && !t.turns[1].is_spoken() && t.turns[2].is_spoken());
    }

    #[test]
    fn slow_and_wordy_interviewers_read_poor() {
        let mut t = Transcript::default();
        t.push(Turn::new(Speaker::Agent, "word ".repeat(100)).with_timing(Some(30_000), None));
        t.push(Turn::new(Speaker::Participant, "ok").with_timing(Some(10), None));
        t.push(Turn::new(Speaker::Agent, "word ".repeat(100)).with_timing(Some(10_000), None));
        let report = Pacing::default().run(&t);
        assert_eq!(report.variables[0].value, 20_000);
        assert_eq!(report.variables[0].status, Status::Poor);
        assert_eq!(report.variables[1].value, 30_000);
        assert_eq!(report.variables[2].value, 100.0);
        assert_eq!(report.variables[2].status, Status::Poor);
        let none = Pacing::default().run(&Transcript::parse("AGENT: hi"));
        assert_eq!(none.variables[0].status, Status::Poor);
        assert!(none.variables[0]
            .value
            .as_str()
            .unwrap()
            .contains("no interviewer turn"));
    }
}
