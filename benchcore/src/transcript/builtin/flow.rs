//! [`ConversationFlow`]: the shape of a conversation: turns, who talks, questions, endings.

use super::band::Band;
use super::text::{content_words, normalized, questions, word_count};
use super::{ratio_variable, variable};
use crate::{ConfigError, Ending, Speaker, Status, TestReport, Transcript, TranscriptTest};
use serde::{Deserialize, Serialize};

/// Thresholds of [`ConversationFlow`]. Every field has a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct FlowConfig {
    /// Turns of both sides (default: good from 6, a warning from 4).
    pub turns: Band,
    /// The interviewer's share of all words spoken (default: good up to 0.4, a warning up
    /// to 0.6): an interviewer should listen more than it talks.
    pub agent_word_share: Band,
    /// The participant's share of all words spoken (default: good from 0.6, a warning from
    /// 0.4).
    pub participant_word_share: Band,
    /// Questions per interviewer turn (default: good from 0.5 to 1.5, a warning from 0.2 to
    /// 2.5): one question at a time.
    pub questions_per_agent_turn: Band,
    /// Words of the interviewer's longest turn (default: good up to 80, a warning up to 150).
    pub longest_agent_monologue: Band,
    /// Interviewer questions asking again what it asked before (default: good at 0, a
    /// warning at 1).
    pub repeated_agent_questions: Band,
}

impl Default for FlowConfig {
    fn default() -> Self {
        Self {
            turns: Band::at_least(6.0, 4.0),
            agent_word_share: Band::at_most(0.4, 0.6),
            participant_word_share: Band::at_least(0.6, 0.4),
            questions_per_agent_turn: Band::between((0.5, 1.5), (0.2, 2.5)),
            longest_agent_monologue: Band::at_most(80.0, 150.0),
            repeated_agent_questions: Band::at_most(0.0, 1.0),
        }
    }
}

impl FlowConfig {
    /// Checks every band; errors name it as `<prefix>.<field>.<bound>`.
    pub fn validate(&self, prefix: &str) -> Result<(), ConfigError> {
        for (name, band) in [
            ("turns", &self.turns),
            ("agent_word_share", &self.agent_word_share),
            ("participant_word_share", &self.participant_word_share),
            ("questions_per_agent_turn", &self.questions_per_agent_turn),
            ("longest_agent_monologue", &self.longest_agent_monologue),
            ("repeated_agent_questions", &self.repeated_agent_questions),
        ] {
            band.validate(&format!("{prefix}.{name}"))?;
        }
        Ok(())
    }
}

/// The conversation's structure: `turns`, `agent_word_share`, `participant_word_share`,
/// `questions_per_agent_turn`, `longest_agent_monologue` (words), `repeated_agent_questions`
/// (a question asked again, word for word or with nearly the same topic words) and
/// `ended_naturally` (good when it ended on its own, a warning at the turn limit, poor
/// otherwise).
///
/// ```
/// use benchcore::transcript::builtin::ConversationFlow;
/// use benchcore::{Transcript, TranscriptTest};
/// let t = Transcript::parse("AGENT: Hi! How do you start your day?\nPARTICIPANT: With a long walk by the river and a coffee.");
/// let report = ConversationFlow::default().run(&t);
/// assert_eq!(report.title, "Conversation flow");
/// assert_eq!(report.variables[0].metric, "turns");
/// ```
#[derive(Debug, Clone, Default)]
pub struct ConversationFlow {
    config: FlowConfig,
}

impl ConversationFlow {
    /// The test with these thresholds.
    pub fn new(config: FlowConfig) -> Self {
        Self { config }
    }
}

/// Words that open a question without changing it (`So, do you …`).
const FILLERS: &[&str] = &[
    "so", "and", "but", "okay", "ok", "well", "now", "then", "also", "right",
];

/// A question's words without the fillers it opens with.
fn question_words(question: &str) -> String {
    let text = normalized(question);
    let mut words: &str = &text;
    while let Some((first, rest)) = words.split_once(' ') {
        if !FILLERS.contains(&first) {
            break;
        }
        words = rest;
    }
    words.to_owned()
}

/// Two questions ask the same when their words match, or their topic words nearly do.
fn same_question(a: &str, b: &str) -> bool {
    if question_words(a) == question_words(b) {
        return true;
    }
    let (a, b) = (content_words(a), content_words(b));
    if a.len() < 2 || b.len() < 2 {
        return false;
    }
    let shared = a.intersection(&b).count();
    let union = a.union(&b).count();
    shared as f64 / union as f64 >= 0.8
}

impl TranscriptTest for ConversationFlow {
    fn name(&self) -> &str {
        "conversation_flow"
    }

    fn run(&self, transcript: &Transcript) -> TestReport {
        let c = &self.config;
        let spoken: Vec<_> = transcript.turns.iter().filter(|t| t.is_spoken()).collect();
        let agent: Vec<&str> = spoken
            .iter()
            .filter(|t| t.speaker == Speaker::Agent)
            .map(|t| t.text.as_str())
            .collect();
        let agent_words: usize = agent.iter().map(|t| word_count(t)).sum();
        let all_words: usize = spoken.iter().map(|t| word_count(&t.text)).sum();
        let participant_words = all_words - agent_words;

        let mut variables = vec![variable(
            "turns",
            spoken.len(),
            c.turns.status(spoken.len() as f64),
        )];
        variables.push(ratio_variable(
            "agent_word_share",
            agent_words,
            all_words,
            &c.agent_word_share,
            "no words were spoken",
        ));
        variables.push(ratio_variable(
            "participant_word_share",
            participant_words,
            all_words,
            &c.participant_word_share,
            "no words were spoken",
        ));
        let asked: Vec<Vec<String>> = agent.iter().map(|t| questions(t)).collect();
        let question_count: usize = asked.iter().map(Vec::len).sum();
        variables.push(ratio_variable(
            "questions_per_agent_turn",
            question_count,
            agent.len(),
            &c.questions_per_agent_turn,
            "the interviewer never spoke",
        ));
        let longest = agent.iter().map(|t| word_count(t)).max().unwrap_or(0);
        variables.push(variable(
            "longest_agent_monologue",
            longest,
            c.longest_agent_monologue.status(longest as f64),
        ));
        let mut earlier: Vec<&str> = Vec::new();
        let mut repeated = 0;
        for turn in &asked {
            for question in turn {
                if earlier.iter().any(|e| same_question(e, question)) {
                    repeated += 1;
                }
            }
            earlier.extend(turn.iter().map(String::as_str));
        }
        variables.push(variable(
            "repeated_agent_questions",
            repeated,
            c.repeated_agent_questions.status(repeated as f64),
        ));
        let (ended, status) = match transcript.ending {
            Some(Ending::Natural) => (true, Status::Good),
            Some(Ending::TurnLimit) => (false, Status::Warning),
            _ => (false, Status::Poor),
        };
        variables.push(variable("ended_naturally", ended, status));
        TestReport {
            title: "Conversation flow".into(),
            variables,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(report: &TestReport, metric: &str) -> (serde_json::Value, Status) {
        let v = report
            .variables
            .iter()
            .find(|v| v.metric == metric)
            .unwrap_or_else(|| panic!("no {metric} in {report:?}"));
        (v.value.clone(), v.status)
    }

    #[test]
    fn a_good_interview_reads_good() {
        let mut t = Transcript::parse(
            "AGENT: Hi! How do you usually start your mornings?\n\
             PARTICIPANT: I wake up at six, make a pour-over coffee and read the news on my phone for twenty minutes before anyone else is up.\n\
             AGENT: What do you enjoy about that quiet time?\n\
             PARTICIPANT: It is the only moment of the day that is mine. Once the kids are up everything is noise and logistics until the evening.\n\
             AGENT: How does the coffee fit into it?\n\
             PARTICIPANT: The coffee is the ritual. Grinding the beans, waiting for the kettle, it slows me down and makes the morning feel deliberate.\n\
             AGENT: Thank you, that was all. Goodbye!",
        );
        t.ending = Some(Ending::Natural);
        let report = ConversationFlow::default().run(&t);
        assert_eq!(value(&report, "turns"), (7.into(), Status::Good));
        assert_eq!(value(&report, "agent_word_share").1, Status::Good);
        assert_eq!(value(&report, "participant_word_share").1, Status::Good);
        assert_eq!(
            value(&report, "questions_per_agent_turn"),
            (serde_json::json!(0.75), Status::Good)
        );
        assert_eq!(
            value(&report, "repeated_agent_questions"),
            (0.into(), Status::Good)
        );
        assert_eq!(
            value(&report, "ended_naturally"),
            (true.into(), Status::Good)
        );
        assert_eq!(report.worst(), Status::Good);
    }

    #[test]
    fn a_pushy_interviewer_reads_poor() {
        let long = "blah ".repeat(200);
        let mut t = Transcript::parse(&format!(
            "AGENT: {long}. Do you like coffee? Do you drink tea? Why?\n\
             PARTICIPANT: Yes.\n\
             AGENT: Do you like coffee?\n\
             PARTICIPANT: Yes.\n\
             AGENT: So, do you like coffee?"
        ));
        t.ending = Some(Ending::TurnLimit);
        let report = ConversationFlow::default().run(&t);
        assert_eq!(value(&report, "turns").1, Status::Warning);
        assert_eq!(value(&report, "agent_word_share").1, Status::Poor);
        assert_eq!(value(&report, "participant_word_share").1, Status::Poor);
        assert_eq!(value(&report, "longest_agent_monologue").1, Status::Poor);
        assert_eq!(
            value(&report, "repeated_agent_questions"),
            (2.into(), Status::Poor)
        );
        assert_eq!(
            value(&report, "ended_naturally"),
            (false.into(), Status::Warning)
        );
    }

    #[test]
    fn an_empty_transcript_says_why_it_cannot_measure() {
        let report = ConversationFlow::default().run(&Transcript::default());
        let (value, status) = value(&report, "agent_word_share");
        assert_eq!(status, Status::Poor);
        assert!(value.as_str().unwrap().contains("no words"), "{value}");
    }

    #[test]
    fn thresholds_are_configurable() {
        let t = Transcript::parse("AGENT: Hi?\nPARTICIPANT: Hello.");
        let config = FlowConfig {
            turns: Band::at_least(2.0, 1.0),
            ..FlowConfig::default()
        };
        let report = ConversationFlow::new(config).run(&t);
        assert_eq!(value(&report, "turns").1, Status::Good);
        assert_eq!(
            ConversationFlow::default().run(&t).variables[0].status,
            Status::Poor
        );
    }
}
