//! [`Scenario`]: one conversation to hold, as a scenario file describes it.

use super::ending::EndingConfig;
use crate::config::{ConfigText, Format};
use crate::transcript::TranscriptTestsConfig;
use crate::{ConfigError, Speaker, SuiteError, SuiteErrorKind};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Duration;

fn default_max_turns() -> u32 {
    20
}

fn default_start_cue() -> String {
    "(The conversation begins.)".to_owned()
}

/// One side of the conversation: its prompt by name, and the agent that speaks it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Side {
    /// The prompt's name: the file `prompts/<name>.txt` in the scenario's folder, sent as
    /// this side's system message.
    pub prompt: String,
    /// The agent config (an object with a `kind`, as in agent files: `{kind = "openai",
    /// model = "gpt-4o-mini"}`). For the interviewer it is the agent under test when a run
    /// names none; for the simulated user it is required to run from the command line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<serde_json::Value>,
}

impl Side {
    /// A side with a prompt name and no agent.
    pub fn new(prompt: impl Into<String>) -> Self {
        Self {
            prompt: prompt.into(),
            agent: None,
        }
    }

    /// Sets the agent config.
    pub fn with_agent(mut self, agent: serde_json::Value) -> Self {
        self.agent = Some(agent);
        self
    }
}

/// Who speaks first.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FirstSpeaker {
    /// The interviewer (the agent under test).
    #[default]
    Agent,
    /// The simulated user.
    Participant,
}

impl FirstSpeaker {
    /// The transcript speaker.
    pub fn speaker(self) -> Speaker {
        match self {
            FirstSpeaker::Agent => Speaker::Agent,
            FirstSpeaker::Participant => Speaker::Participant,
        }
    }
}

/// A conversation between the interviewer (the agent under test) and a simulated user, as a
/// scenario file (TOML or JSON) describes it. Unknown fields are refused.
///
/// ```toml
/// description = "Morning routines, 10-minute interview"
/// first_speaker = "agent"            # or "participant"
/// opening_line = "Hi! Thanks for joining. How do your mornings usually start?"
/// max_turns = 16                     # both sides, the opening line included
/// turn_timeout_secs = 60
///
/// [interviewer]
/// prompt = "morning_interviewer"     # prompts/morning_interviewer.txt
/// agent = { kind = "openai", model = "gpt-4o-mini" }
///
/// [simulated_user]
/// prompt = "busy_parent"
/// agent = { kind = "openai", model = "gpt-4o-mini", temperature = 0.7 }
///
/// [ending]
/// end_phrases = ["goodbye"]
/// leave_phrases = ["[leaves]"]
///
/// [transcript_tests]
/// python = "transcript_tests"
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "Scenario",
    description = "A benchcore conversation scenario: an interviewer (the agent under test) talks with a simulated user."
)]
#[non_exhaustive]
pub struct Scenario {
    /// What the scenario is about, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The interviewer: the agent under test.
    pub interviewer: Side,
    /// The simulated user (the participant).
    pub simulated_user: Side,
    /// Who speaks first: `agent` (the interviewer, the default) or `participant`.
    #[serde(default)]
    pub first_speaker: FirstSpeaker,
    /// The first speaker's first line, spoken as written (no model is asked for it). Without
    /// it, the first speaker's agent writes its first line from its prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opening_line: Option<String>,
    /// The turn limit: turns of both sides, the opening line included (default 20). A
    /// conversation that reaches it ends as `turn_limit`.
    #[serde(default = "default_max_turns")]
    pub max_turns: u32,
    /// How long one turn may take, in seconds, retries excluded (default: the run's
    /// per-request timeout; never more than it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_timeout_secs: Option<f64>,
    /// The wall-time limit of the whole conversation, in seconds: no turn starts after it,
    /// and a conversation that reaches it ends as `time_limit` (voice conversations run at
    /// the pace of speech, so this is how long a call may last).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_duration_secs: Option<f64>,
    /// The user message a side sees before its first line when it speaks first: chat APIs
    /// want a conversation to start with a user message (default `(The conversation
    /// begins.)`).
    #[serde(default = "default_start_cue")]
    pub start_cue: String,
    /// How the conversation ends on its own.
    #[serde(default)]
    pub ending: EndingConfig,
    /// The transcript tests run after the conversation, and their thresholds.
    #[serde(default)]
    pub transcript_tests: TranscriptTestsConfig,
}

impl Scenario {
    /// A scenario between two prompts, every other setting default.
    pub fn new(interviewer_prompt: impl Into<String>, user_prompt: impl Into<String>) -> Self {
        Self {
            description: None,
            interviewer: Side::new(interviewer_prompt),
            simulated_user: Side::new(user_prompt),
            first_speaker: FirstSpeaker::Agent,
            opening_line: None,
            max_turns: default_max_turns(),
            turn_timeout_secs: None,
            max_duration_secs: None,
            start_cue: default_start_cue(),
            ending: EndingConfig::default(),
            transcript_tests: TranscriptTestsConfig::default(),
        }
    }

    /// The per-turn timeout.
    pub fn turn_timeout(&self) -> Option<Duration> {
        self.turn_timeout_secs.map(Duration::from_secs_f64)
    }

    /// The conversation's wall-time limit.
    pub fn max_duration(&self) -> Option<Duration> {
        self.max_duration_secs.map(Duration::from_secs_f64)
    }

    /// Checks every field; errors name it (`max_turns`, `interviewer.prompt` …).
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (field, side) in [
            ("interviewer", &self.interviewer),
            ("simulated_user", &self.simulated_user),
        ] {
            super::prompt::check_name(&side.prompt)
                .map_err(|why| ConfigError::field(format!("{field}.prompt"), why))?;
            if let Some(agent) = &side.agent {
                if agent
                    .get("kind")
                    .and_then(serde_json::Value::as_str)
                    .is_none()
                {
                    return Err(ConfigError::field(
                        format!("{field}.agent"),
                        "must be an agent config: an object with a `kind` (`openai`, \
                         `anthropic`, `openai_compatible`, `scripted` …)",
                    ));
                }
            }
        }
        if self.max_turns == 0 {
            return Err(ConfigError::field("max_turns", "must be at least 1"));
        }
        for (field, value) in [
            ("turn_timeout_secs", self.turn_timeout_secs),
            ("max_duration_secs", self.max_duration_secs),
        ] {
            if let Some(secs) = value {
                if !(secs.is_finite() && secs > 0.0) {
                    return Err(ConfigError::field(
                        field,
                        format!("must be a positive number of seconds, got {secs}"),
                    ));
                }
            }
        }
        if self
            .opening_line
            .as_deref()
            .is_some_and(|l| l.trim().is_empty())
        {
            return Err(ConfigError::field(
                "opening_line",
                "is empty: leave it out to let the first speaker open",
            ));
        }
        if self.start_cue.trim().is_empty() {
            return Err(ConfigError::field("start_cue", "is empty"));
        }
        self.ending.validate("ending")?;
        self.transcript_tests.validate("transcript_tests")
    }

    /// Reads a scenario file: TOML when it ends in `.toml`, else JSON; checks every field.
    ///
    /// # Errors
    /// The file cannot be read, does not parse, has an unknown field or a bad value. The
    /// error names the file, the line when known, and the field.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, SuiteError> {
        let path = path.as_ref();
        let text = ConfigText::read(path, "scenario")
            .map_err(|e| SuiteError::new(SuiteErrorKind::Io, e.message).at(path, None))?;
        Self::from_config_text(&text).map_err(|e| {
            let line = e.line;
            e.at(path, line)
        })
    }

    /// Reads a scenario from TOML (`is_toml`) or JSON text and checks it. The error carries
    /// the line when known; name the file with [`SuiteError::at`].
    ///
    /// # Errors
    /// As [`Scenario::from_file`].
    pub fn from_text(text: &str, is_toml: bool) -> Result<Self, SuiteError> {
        let format = if is_toml { Format::Toml } else { Format::Json };
        Self::from_config_text(&ConfigText::new(text, format))
    }

    /// Parses and checks. A parse error quotes the offending line, so the field is plain to
    /// see; a value that parsed but does not validate is placed on the line that sets it.
    fn from_config_text(text: &ConfigText) -> Result<Self, SuiteError> {
        let malformed = |err: ConfigError, line: Option<usize>, quote: bool| {
            let mut message = match &err.field {
                Some(field) => format!("{field}: {}", err.message),
                None => err.message,
            };
            if let Some(quoted) = line
                .filter(|_| quote)
                .and_then(|l| text.line_text(l))
                .filter(|l| !l.is_empty() && l.len() <= 160)
            {
                message = format!("{message} (at `{quoted}`)");
            }
            let mut suite_error = SuiteError::new(SuiteErrorKind::Malformed, message);
            suite_error.line = line.map(|l| l as u64);
            suite_error
        };
        let scenario: Scenario = text.parse().map_err(|e| {
            let line = e.line;
            malformed(e, line, true)
        })?;
        scenario.validate().map_err(|e| {
            let line = e.field.as_deref().and_then(|f| text.line_of_field(f));
            malformed(e, line, false)
        })?;
        Ok(scenario)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "[interviewer]\nprompt = \"i\"\n[simulated_user]\nprompt = \"u\"\n";

    #[test]
    fn defaults_fill_a_minimal_scenario() {
        let s = Scenario::from_text(MINIMAL, true).unwrap();
        assert_eq!(s.max_turns, 20);
        assert_eq!(s.first_speaker, FirstSpeaker::Agent);
        assert_eq!(s.ending.end_phrases, vec!["goodbye".to_owned()]);
        assert!(s.transcript_tests.builtin.len() == 4);
        let json = r#"{"interviewer": {"prompt": "i"}, "simulated_user": {"prompt": "u",
            "agent": {"kind": "scripted", "lines": ["hi"]}}, "first_speaker": "participant"}"#;
        let s = Scenario::from_text(json, false).unwrap();
        assert_eq!(s.first_speaker, FirstSpeaker::Participant);
        assert_eq!(s.simulated_user.agent.unwrap()["kind"], "scripted");
    }

    #[test]
    fn unknown_fields_and_bad_values_name_field_and_line() {
        let err = Scenario::from_text(&format!("{MINIMAL}max_turn = 3\n"), true).unwrap_err();
        assert!(err.message.contains("unknown field `max_turn`"), "{err}");
        let err = Scenario::from_text(
            "max_turns = 0\n[interviewer]\nprompt = \"i\"\n[simulated_user]\nprompt = \"u\"\n",
            true,
        )
        .unwrap_err();
        assert_eq!(err.line, Some(1), "{err}");
        assert!(
            err.message.starts_with("max_turns: must be at least 1"),
            "{err}"
        );
        let err = Scenario::from_text(
            "max_turns = \"many\"\n[interviewer]\nprompt = \"i\"\n[simulated_user]\nprompt = \"u\"\n",
            true,
        )
        .unwrap_err();
        assert_eq!(err.line, Some(1), "{err}");
        assert!(err.message.contains("max_turns = \"many\""), "{err}");
        let err = Scenario::from_text(
            "{\"interviewer\": {\"prompt\": \"i\"},\n \"simulated_user\": {\"prompt\": \"../u\"}}",
            false,
        )
        .unwrap_err();
        assert!(err.message.starts_with("simulated_user.prompt:"), "{err}");
        let err = Scenario::from_text(
            &format!("{MINIMAL}[transcript_tests.conversation_flow]\nturns = {{ good_min = 1, warning_min = 2 }}\n"),
            true,
        )
        .unwrap_err();
        assert!(
            err.message
                .starts_with("transcript_tests.conversation_flow.turns.warning_min"),
            "{err}"
        );
        let err = Scenario::from_text(
            &MINIMAL.replace(
                "prompt = \"u\"",
                "prompt = \"u\"\nagent = { model = \"m\" }",
            ),
            true,
        )
        .unwrap_err();
        assert!(
            err.message
                .starts_with("simulated_user.agent: must be an agent config"),
            "{err}"
        );
    }
}
