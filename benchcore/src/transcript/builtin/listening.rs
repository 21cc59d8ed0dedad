//! [`ActiveListening`]: does the interviewer build on what the participant just said?

use super::band::Band;
use super::ratio_variable;
use super::text::{content_words, has_phrase};
use crate::{ConfigError, Speaker, TestReport, Transcript, TranscriptTest};
use serde::{Deserialize, Serialize};

/// Thresholds and word lists of [`ActiveListening`]. Every field has a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct ActiveListeningConfig {
    /// Interviewer replies that take up a topic word of the participant's previous turn
    /// (default: good from 0.5, a warning from 0.25).
    pub follow_up_share: Band,
    /// Interviewer replies that acknowledge the participant (default: good from 0.3, a
    /// warning from 0.1).
    pub acknowledgement_share: Band,
    /// Topic words a reply must share with the previous turn to count as a follow-up
    /// (default 1).
    pub min_shared_words: usize,
    /// Phrases that acknowledge, matched as whole words, case-insensitively (default:
    /// `thank you`, `i see`, `that makes sense`, `it sounds like`, `i understand` …).
    pub acknowledgements: Vec<String>,
}

impl Default for ActiveListeningConfig {
    fn default() -> Self {
        Self {
            follow_up_share: Band::at_least(0.5, 0.25),
            acknowledgement_share: Band::at_least(0.3, 0.1),
            min_shared_words: 1,
            acknowledgements: [
                "thank you",
                "thanks",
                "i see",
                "i understand",
                "that makes sense",
                "makes sense",
                "it sounds like",
                "sounds like",
                "that sounds",
                "i hear you",
                "i appreciate",
                "that must",
                "i'm sorry",
                "got it",
                "that's helpful",
                "that's interesting",
                "interesting",
                "good to know",
                "fair enough",
                "of course",
                "i can imagine",
            ]
            .map(str::to_owned)
            .to_vec(),
        }
    }
}

impl ActiveListeningConfig {
    /// Checks every band and list; errors name the field under `prefix`.
    pub fn validate(&self, prefix: &str) -> Result<(), ConfigError> {
        self.follow_up_share
            .validate(&format!("{prefix}.follow_up_share"))?;
        self.acknowledgement_share
            .validate(&format!("{prefix}.acknowledgement_share"))?;
        if self.min_shared_words == 0 {
            return Err(ConfigError::field(
                format!("{prefix}.min_shared_words"),
                "must be at least 1",
            ));
        }
        if let Some(i) = self
            .acknowledgements
            .iter()
            .position(|p| p.trim().is_empty())
        {
            return Err(ConfigError::field(
                format!("{prefix}.acknowledgements.{i}"),
                "is empty",
            ));
        }
        Ok(())
    }
}

/// How the interviewer answers the participant, over interviewer turns that follow a
/// participant turn: `follow_up_share` (the turn takes up a topic word the participant just
/// used: active listening) and `acknowledgement_share` (the turn acknowledges what was said:
/// `thank you`, `that makes sense`, `it sounds like …`).
///
/// ```
/// use benchcore::transcript::builtin::ActiveListening;
/// use benchcore::{Status, Transcript, TranscriptTest};
/// let t = Transcript::parse("AGENT: How was the trip?\nPARTICIPANT: Long, the train broke down.\nAGENT: That sounds tiring. What happened with the train?");
/// assert_eq!(ActiveListening::default().run(&t).worst(), Status::Good);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ActiveListening {
    config: ActiveListeningConfig,
}

impl ActiveListening {
    /// The test with these thresholds and phrases.
    pub fn new(config: ActiveListeningConfig) -> Self {
        Self { config }
    }
}

impl TranscriptTest for ActiveListening {
    fn name(&self) -> &str {
        "active_listening"
    }

    fn run(&self, transcript: &Transcript) -> TestReport {
        let c = &self.config;
        let phrases: Vec<String> = c
            .acknowledgements
            .iter()
            .map(|p| p.to_lowercase())
            .collect();
        let spoken: Vec<_> = transcript.turns.iter().filter(|t| t.is_spoken()).collect();
        let (mut replies, mut follow_ups, mut acknowledged) = (0, 0, 0);
        for pair in spoken.windows(2) {
            let (before, reply) = (pair[0], pair[1]);
            if before.speaker != Speaker::Participant || reply.speaker != Speaker::Agent {
                continue;
            }
            replies += 1;
            let heard = content_words(&before.text);
            let shared = content_words(&reply.text).intersection(&heard).count();
            if shared >= c.min_shared_words {
                follow_ups += 1;
            }
            let text = reply.text.to_lowercase();
            if phrases.iter().any(|p| has_phrase(&text, p)) {
                acknowledged += 1;
            }
        }
        let why = "the interviewer never answered the participant";
        TestReport {
            title: "Active listening".into(),
            variables: vec![
                ratio_variable(
                    "follow_up_share",
                    follow_ups,
                    replies,
                    &c.follow_up_share,
                    why,
                ),
                ratio_variable(
                    "acknowledgement_share",
                    acknowledged,
                    replies,
                    &c.acknowledgement_share,
                    why,
                ),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    #[test]
    fn an_interviewer_who_ignores_answers_reads_poor() {
        let t = Transcript::parse(
            "AGENT: What do you drink in the morning?\n\
             PARTICIPANT: Mostly green tea, sometimes coffee.\n\
             AGENT: Next question. Where do you live?\n\
             PARTICIPANT: In Lisbon, near the river.\n\
             AGENT: Next question. What is your job?",
        );
        let report = ActiveListening::default().run(&t);
        assert_eq!(report.variables[0].value, 0.0);
        assert_eq!(report.variables[0].status, Status::Poor);
        assert_eq!(report.variables[1].status, Status::Poor);
    }

    #[test]
    fn shares_count_replies_to_the_participant_only() {
        let t = Transcript::parse(
            "AGENT: Hello?\n\
             PARTICIPANT: I moved to Lisbon last year.\n\
             AGENT: Thanks. What made you choose Lisbon?\n\
             PARTICIPANT: The light.\n\
             AGENT: Where did you live before?",
        );
        let report = ActiveListening::default().run(&t);
        assert_eq!(report.variables[0].value, 0.5);
        assert_eq!(report.variables[1].value, 0.5);
        assert_eq!(report.worst(), Status::Good);
        let empty = ActiveListening::default().run(&Transcript::parse("AGENT: Hi"));
        assert_eq!(empty.variables[0].status, Status::Poor);
    }
}
