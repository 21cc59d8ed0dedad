//! Transcripts: every turn of an exchange, rendered as `AGENT: …` / `PARTICIPANT: …` lines.

pub mod builtin;
mod config;
mod python;
mod test;

pub use config::TranscriptTestsConfig;
pub use python::{PythonTests, DEFAULT_PYTHON_TIMEOUT};
pub use test::{Status, TestReport, TranscriptTest, Variable};

use crate::agent::{StopReason, ToolCall};
use crate::Usage;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Who spoke a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Speaker {
    /// The agent under test.
    Agent,
    /// The other side: the case's question, or the simulated user.
    Participant,
    /// Framing instructions, not spoken by either side.
    System,
    /// A tool's output, in an agent's trajectory.
    Tool,
}

impl Speaker {
    /// The uppercase label used in rendered transcripts.
    pub fn label(self) -> &'static str {
        match self {
            Speaker::Agent => "AGENT",
            Speaker::Participant => "PARTICIPANT",
            Speaker::System => "SYSTEM",
            Speaker::Tool => "TOOL",
        }
    }
}

/// One turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct Turn {
    /// Who spoke.
    pub speaker: Speaker,
    /// What was said.
    pub text: String,
    /// When, in milliseconds since the Unix epoch.
    #[serde(default)]
    pub at_ms: u64,
    /// How long the speaker took to answer, for agent turns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Tokens the turn used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// The tools an agent turn called.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// A tool turn: the call it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// A tool turn: the tool failed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_error: bool,
    /// An agent turn: why the reply ended, when the provider said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<StopReason>,
    /// A spoken turn: its clip among the attempt's artifacts (the audio itself is never
    /// stored in the record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<TurnAudio>,
}

/// Where a spoken turn's audio is: a WAV clip in the attempt's artifacts folder, its
/// digest, and its place on the conversation's recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct TurnAudio {
    /// The clip's file name in the attempt's artifacts folder.
    pub clip: String,
    /// The clip file's SHA-256 (`sha256:` and hex).
    pub digest: String,
    /// How long the clip lasts, in milliseconds.
    pub duration_ms: u64,
    /// Where the clip starts on the conversation's recording, in milliseconds.
    pub start_ms: u64,
}

impl TurnAudio {
    /// A clip's place.
    pub fn new(
        clip: impl Into<String>,
        digest: impl Into<String>,
        duration_ms: u64,
        start_ms: u64,
    ) -> Self {
        Self {
            clip: clip.into(),
            digest: digest.into(),
            duration_ms,
            start_ms,
        }
    }
}

impl Turn {
    /// A turn with only speaker and text.
    pub fn new(speaker: Speaker, text: impl Into<String>) -> Self {
        Self {
            speaker,
            text: text.into(),
            at_ms: 0,
            latency_ms: None,
            usage: None,
            tool_calls: Vec::new(),
            tool_call_id: None,
            is_error: false,
            stop_reason: None,
            audio: None,
        }
    }

    /// Sets the tools an agent turn called.
    pub fn with_tool_calls(mut self, calls: Vec<ToolCall>) -> Self {
        self.tool_calls = calls;
        self
    }

    /// Makes this a tool turn answering `call_id`.
    pub fn answering(mut self, call_id: impl Into<String>, is_error: bool) -> Self {
        self.tool_call_id = Some(call_id.into());
        self.is_error = is_error;
        self
    }

    /// Sets why an agent reply ended.
    pub fn with_stop_reason(mut self, reason: Option<StopReason>) -> Self {
        self.stop_reason = reason;
        self
    }

    /// Sets when the turn happened.
    pub fn at(mut self, at_ms: u64) -> Self {
        self.at_ms = at_ms;
        self
    }

    /// Sets latency and usage.
    pub fn with_timing(mut self, latency_ms: Option<u64>, usage: Option<Usage>) -> Self {
        self.latency_ms = latency_ms;
        self.usage = usage;
        self
    }

    /// Whether the turn is part of the conversation itself: said by the agent or the other
    /// side, not system framing, a tool's output, or an agent's bare tool call (a step of its
    /// trajectory). Conversation measures (words, questions, follow-ups) count only these.
    pub fn is_spoken(&self) -> bool {
        match self.speaker {
            Speaker::System | Speaker::Tool => false,
            Speaker::Agent | Speaker::Participant => {
                self.tool_calls.is_empty() || !self.text.trim().is_empty()
            }
        }
    }
}

/// How an exchange ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// It ended on its own: a single reply, an end phrase, the user leaving.
    Natural,
    /// The turn limit was reached.
    TurnLimit,
    /// The conversation's wall-time limit was reached.
    TimeLimit,
    /// Someone stopped it.
    ManualStop,
    /// A failure ended it.
    Error,
}

/// Every turn of an attempt. A single question and its reply is a two-turn transcript.
///
/// ```
/// use benchcore::{Speaker, Transcript, Turn};
/// let mut t = Transcript::default();
/// t.push(Turn::new(Speaker::Participant, "Hi"));
/// t.push(Turn::new(Speaker::Agent, "Hello!\nHow are you?"));
/// assert_eq!(t.render(), "PARTICIPANT: Hi\nAGENT: Hello!\nHow are you?");
/// assert_eq!(Transcript::parse(&t.render()).turns.len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct Transcript {
    /// The turns in order.
    pub turns: Vec<Turn>,
    /// How it ended, once it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ending: Option<Ending>,
    /// The provider batch that answered the attempt (a run in batch mode), by its id; the
    /// reply was priced at the provider's batch rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<String>,
}

impl Transcript {
    /// Appends a turn.
    pub fn push(&mut self, turn: Turn) {
        self.turns.push(turn);
    }

    /// The last agent turn's text.
    pub fn last_agent_text(&self) -> Option<&str> {
        self.turns
            .iter()
            .rev()
            .find(|t| t.speaker == Speaker::Agent)
            .map(|t| t.text.as_str())
    }

    /// The transcript as `SPEAKER: text` lines, one turn after another.
    pub fn render(&self) -> String {
        self.to_string()
    }

    /// Reads a rendered transcript back. A line that starts with a speaker label opens a turn;
    /// any other line continues the current one.
    pub fn parse(text: &str) -> Transcript {
        let mut transcript = Transcript::default();
        for line in text.lines() {
            let opened = [
                Speaker::Agent,
                Speaker::Participant,
                Speaker::System,
                Speaker::Tool,
            ]
            .into_iter()
            .find_map(|s| {
                line.strip_prefix(s.label())
                    .and_then(|rest| rest.strip_prefix(':'))
                    .map(|rest| (s, rest.strip_prefix(' ').unwrap_or(rest)))
            });
            match (opened, transcript.turns.last_mut()) {
                (Some((speaker, rest)), _) => transcript.push(Turn::new(speaker, rest)),
                (None, Some(turn)) => {
                    turn.text.push('\n');
                    turn.text.push_str(line);
                }
                (None, None) => transcript.push(Turn::new(Speaker::Participant, line)),
            }
        }
        transcript
    }
}

impl fmt::Display for Transcript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, turn) in self.turns.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{}: {}", turn.speaker.label(), turn.text)?;
        }
        Ok(())
    }
}
