//! [`EndingConfig`]: how a conversation ends on its own.

use crate::{ConfigError, Speaker};
use serde::{Deserialize, Serialize};

fn default_end_phrases() -> Vec<String> {
    vec!["goodbye".to_owned()]
}

fn yes() -> bool {
    true
}

/// How a conversation ends on its own, before its turn limit: an end phrase said by either
/// side, or the simulated user leaving. Phrases match as whole words, whatever their case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct EndingConfig {
    /// Phrases that end the conversation when either side says one (default `["goodbye"]`;
    /// an empty list ends conversations only by leaving or at the turn limit).
    #[serde(default = "default_end_phrases")]
    pub end_phrases: Vec<String>,
    /// Phrases by which the simulated user leaves (`[leaves the call]`); default none.
    #[serde(default)]
    pub leave_phrases: Vec<String>,
    /// Whether an empty reply from the simulated user means it left (default true).
    #[serde(default = "yes")]
    pub leave_on_empty: bool,
}

impl Default for EndingConfig {
    fn default() -> Self {
        Self {
            end_phrases: default_end_phrases(),
            leave_phrases: Vec::new(),
            leave_on_empty: true,
        }
    }
}

/// Why a turn ended the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndReason {
    /// A side said an end phrase.
    EndPhrase {
        /// Who said it.
        speaker: Speaker,
        /// The phrase, as configured.
        phrase: String,
    },
    /// The simulated user said a leave phrase.
    LeavePhrase {
        /// The phrase, as configured.
        phrase: String,
    },
    /// The simulated user replied with nothing.
    EmptyReply,
    /// The conversation's wall-time limit (`max_duration_secs`) passed.
    TimeLimit,
}

impl std::fmt::Display for EndReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EndReason::EndPhrase { speaker, phrase } => {
                write!(f, "{} said the end phrase {phrase:?}", speaker.label())
            }
            EndReason::LeavePhrase { phrase } => {
                write!(f, "the simulated user left (leave phrase {phrase:?})")
            }
            EndReason::EmptyReply => f.write_str("the simulated user left (an empty reply)"),
            EndReason::TimeLimit => f.write_str("the conversation's time limit passed"),
        }
    }
}

impl EndingConfig {
    /// Checks the phrases; errors name the field under `prefix`.
    pub fn validate(&self, prefix: &str) -> Result<(), ConfigError> {
        for (field, list) in [
            ("end_phrases", &self.end_phrases),
            ("leave_phrases", &self.leave_phrases),
        ] {
            if let Some(i) = list.iter().position(|p| p.trim().is_empty()) {
                return Err(ConfigError::field(
                    format!("{prefix}.{field}.{i}"),
                    "is empty",
                ));
            }
        }
        Ok(())
    }

    /// Whether a turn ends the conversation, and why. A simulated user's leave comes before
    /// an end phrase.
    ///
    /// ```
    /// use benchcore::conversation::{EndReason, EndingConfig};
    /// use benchcore::Speaker;
    /// let rules = EndingConfig::default();
    /// assert!(rules.ends(Speaker::Agent, "Thanks, GOODBYE!").is_some());
    /// assert!(rules.ends(Speaker::Agent, "Maybe later").is_none());
    /// assert_eq!(rules.ends(Speaker::Participant, "  "), Some(EndReason::EmptyReply));
    /// ```
    pub fn ends(&self, speaker: Speaker, text: &str) -> Option<EndReason> {
        let lower = text.to_lowercase();
        if speaker == Speaker::Participant {
            if self.leave_on_empty && text.trim().is_empty() {
                return Some(EndReason::EmptyReply);
            }
            if let Some(phrase) = self.leave_phrases.iter().find(|p| said(&lower, p)) {
                return Some(EndReason::LeavePhrase {
                    phrase: phrase.clone(),
                });
            }
        }
        self.end_phrases
            .iter()
            .find(|p| said(&lower, p))
            .map(|phrase| EndReason::EndPhrase {
                speaker,
                phrase: phrase.clone(),
            })
    }
}

/// Whether lowercase `text` holds `phrase` as whole words (edges that are letters or digits
/// must border a non-word character).
fn said(text: &str, phrase: &str) -> bool {
    let phrase = phrase.trim().to_lowercase();
    if phrase.is_empty() {
        return false;
    }
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let starts_word = phrase.chars().next().is_some_and(char::is_alphanumeric);
    let ends_word = phrase
        .chars()
        .next_back()
        .is_some_and(char::is_alphanumeric);
    text.match_indices(&phrase).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + phrase.len()..].chars().next();
        let clear = |edge: bool, c: Option<char>| !edge || !word(c);
        clear(starts_word, before) && clear(ends_word, after)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_match_whole_words_in_any_case() {
        assert!(said("well, goodbye!", "Goodbye"));
        assert!(!said("goodbyes are hard", "goodbye"));
        assert!(said("ok [leaves the call]", "[Leaves the call]"));
        assert!(said("end_interview", "END_INTERVIEW"));
        assert!(!said("maybe", "bye"));
    }

    #[test]
    fn leaving_comes_before_end_phrases() {
        let rules = EndingConfig {
            leave_phrases: vec!["[leaves]".into()],
            ..EndingConfig::default()
        };
        assert_eq!(
            rules.ends(Speaker::Participant, "Goodbye [leaves]"),
            Some(EndReason::LeavePhrase {
                phrase: "[leaves]".into()
            })
        );
        assert_eq!(rules.ends(Speaker::Agent, "[leaves]"), None);
        assert_eq!(rules.ends(Speaker::Agent, ""), None);
        let stay = EndingConfig {
            leave_on_empty: false,
            ..EndingConfig::default()
        };
        assert_eq!(stay.ends(Speaker::Participant, ""), None);
        assert!(rules.validate("ending").is_ok());
        let bad = EndingConfig {
            end_phrases: vec![" ".into()],
            ..EndingConfig::default()
        };
        assert_eq!(
            bad.validate("ending").unwrap_err().field.as_deref(),
            Some("ending.end_phrases.0")
        );
    }
}
