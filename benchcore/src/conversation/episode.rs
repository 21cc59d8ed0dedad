//! [`Conversation`]: the episode in which the interviewer (the agent under test) talks with a
//! simulated user until the conversation ends.

use super::voice::VoiceLog;
use super::{ConversationSuite, EndReason, LoadedScenario};
use crate::engine::{Episode, EpisodeContext, Run};
use crate::{
    async_trait, Agent, AgentError, AgentErrorKind, AgentRequest, Ending, Message, Speaker, Status,
    TestReport, Transcript, Turn, Variable,
};
use std::collections::HashMap;
use std::sync::Arc;

/// The episode of a conversation benchmark (kind `conversation`): for each scenario, the
/// interviewer (the run's agent under test) and the scenario's simulated user take turns
/// until one says an end phrase, the simulated user leaves, or the turn limit is reached.
///
/// - **Each side's view.** A side is sent its prompt as the system message and the
///   conversation so far from its own point of view: its own turns as `assistant`, the other
///   side's as `user` (with the scenario's start cue first when it spoke first).
/// - **Opening.** `first_speaker` opens, with `opening_line` when the scenario has one (spoken
///   as written), else with a line its agent writes.
/// - **Limits.** The interviewer is asked through the run's rate limits, retries and
///   timeouts; the simulated user through the run's retries and timeouts; each turn within
///   the scenario's `turn_timeout_secs`.
/// - **Endings.** `natural` (an end phrase from either side, the simulated user leaving),
///   `turn_limit`, or `error` (a side failed for good: the attempt is an `error` with the
///   transcript so far). A cancelled conversation is not recorded; a resumed run plays it
///   again from the start.
/// - **Afterwards.** The scenario's built-in transcript tests (with its thresholds) and its
///   Python tests run, and a `Conversation ending` report says how and why it ended; with an
///   artifacts folder, the transcript is written to `transcript.txt` there.
///
/// ```no_run
/// # async fn demo() -> benchcore::Result<()> {
/// use benchcore::conversation::{Conversation, ConversationSuite};
/// use benchcore::{agent::reference::Null, Engine, MemoryStore};
/// use std::sync::Arc;
///
/// let suite = ConversationSuite::open("examples/conversations")?;
/// // Every scenario's simulated user (here one agent for all; usually built from each
/// // scenario's `simulated_user.agent`).
/// let user: Arc<dyn benchcore::Agent> = Arc::new(Null);
/// let conversation = Conversation::with_user_for_all(suite, user);
/// let run = conversation.into_run().agent(Null);
/// let report = Engine::new(Arc::new(MemoryStore::new())).run(run).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Conversation {
    suite: ConversationSuite,
    users: HashMap<String, Arc<dyn Agent>>,
}

impl std::fmt::Debug for Conversation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conversation")
            .field("suite", &self.suite.path())
            .field("scenarios", &self.suite.scenarios().len())
            .finish_non_exhaustive()
    }
}

impl Conversation {
    /// The conversations of a suite, each scenario's simulated user built by `user` (from
    /// the scenario's `simulated_user.agent`, typically).
    ///
    /// # Errors
    /// The first error `user` returns.
    pub fn new<E>(
        suite: ConversationSuite,
        mut user: impl FnMut(&LoadedScenario) -> Result<Arc<dyn Agent>, E>,
    ) -> Result<Self, E> {
        let mut users = HashMap::with_capacity(suite.scenarios().len());
        for scenario in suite.scenarios() {
            users.insert(scenario.id.clone(), user(scenario)?);
        }
        Ok(Self { suite, users })
    }

    /// The conversations of a suite with one agent as every scenario's simulated user.
    pub fn with_user_for_all(suite: ConversationSuite, user: Arc<dyn Agent>) -> Self {
        let users = suite
            .scenarios()
            .iter()
            .map(|s| (s.id.clone(), Arc::clone(&user)))
            .collect();
        Self { suite, users }
    }

    /// The suite.
    pub fn suite(&self) -> &ConversationSuite {
        &self.suite
    }

    /// A run of these conversations: the suite's scenarios as cases, this episode, the
    /// [`EndedNaturally`](super::EndedNaturally) evaluator, and the prompts' names, ids and
    /// texts in the spec's `tags` (see [`ConversationSuite::spec_tags`]). Add the
    /// interviewers to test with [`Run::agent`] and friends.
    pub fn into_run(self) -> Run {
        let tags = self.suite.spec_tags();
        let mut run = Run::from_source(Arc::new(self.suite.clone()))
            .episode(self)
            .evaluator(super::EndedNaturally);
        run.spec_mut().tags = tags;
        run
    }

    /// A side's view of the conversation: its prompt, then every turn, its own as
    /// `assistant` and the other side's as `user`.
    fn view(scenario: &LoadedScenario, side: Speaker, transcript: &Transcript) -> Vec<Message> {
        let prompt = match side {
            Speaker::Agent => &scenario.interviewer_prompt,
            _ => &scenario.user_prompt,
        };
        let mut messages = vec![Message::system(prompt.text.clone())];
        let turns = transcript
            .turns
            .iter()
            .filter(|t| t.speaker != Speaker::System);
        for (i, turn) in turns.enumerate() {
            if i == 0 && turn.speaker == side {
                messages.push(Message::user(scenario.scenario.start_cue.clone()));
            }
            messages.push(if turn.speaker == side {
                Message::assistant(turn.text.clone())
            } else {
                Message::user(turn.text.clone())
            });
        }
        if messages.len() == 1 {
            messages.push(Message::user(scenario.scenario.start_cue.clone()));
        }
        messages
    }

    /// Plays the turns; returns why the conversation ended naturally, or `None` at the turn
    /// limit.
    async fn converse(
        &self,
        cx: &mut EpisodeContext<'_>,
        scenario: &LoadedScenario,
        user: &dyn Agent,
        voice: &mut VoiceLog,
    ) -> Result<Option<EndReason>, AgentError> {
        let s = &scenario.scenario;
        let limit = s.max_turns as usize;
        let ends_at = s.max_duration().map(|d| std::time::Instant::now() + d);
        let mut speaker = s.first_speaker.speaker();
        if let Some(line) = &s.opening_line {
            cx.transcript_mut()
                .push(Turn::new(speaker, line.clone()).at(crate::now_ms()));
            if let Some(reason) = s.ending.ends(speaker, line) {
                return Ok(Some(reason));
            }
            speaker = other(speaker);
        }
        while cx.transcript().turns.len() < limit {
            if ends_at.is_some_and(|at| std::time::Instant::now() >= at) {
                return Ok(Some(EndReason::TimeLimit));
            }
            let request = AgentRequest::new(Self::view(scenario, speaker, cx.transcript()));
            let said_to_it = request.last_user_text().map(str::to_owned);
            let reply = match speaker {
                Speaker::Agent => cx.ask(request).await?,
                _ => cx.ask_other(user, request).await?,
            };
            let ended = s.ending.ends(speaker, &reply.text);
            if ended != Some(EndReason::EmptyReply) {
                match speaker {
                    Speaker::Agent => cx.push_agent_turn(&reply),
                    _ => cx.push_participant_turn(&reply),
                }
                let turn = cx.transcript().turns.len() - 1;
                voice.note(turn, speaker, said_to_it.as_deref(), &reply);
            }
            if ended.is_some() {
                return Ok(ended);
            }
            speaker = other(speaker);
        }
        Ok(None)
    }
}

fn other(speaker: Speaker) -> Speaker {
    match speaker {
        Speaker::Agent => Speaker::Participant,
        _ => Speaker::Agent,
    }
}

/// The `Conversation ending` report: how it ended, who ended it, and why.
fn ending_report(ending: Ending, reason: Option<&EndReason>, max_turns: u32) -> TestReport {
    let (value, status) = match ending {
        Ending::Natural => ("natural", Status::Good),
        Ending::TurnLimit => ("turn_limit", Status::Warning),
        Ending::TimeLimit => ("time_limit", Status::Warning),
        Ending::ManualStop => ("manual_stop", Status::Poor),
        Ending::Error => ("error", Status::Poor),
    };
    let ended_by = match reason {
        Some(EndReason::EndPhrase { speaker, .. }) => Some(speaker.label()),
        Some(EndReason::TimeLimit) => None,
        Some(_) => Some(Speaker::Participant.label()),
        None => None,
    };
    let why = match reason {
        Some(reason) => reason.to_string(),
        None => format!("the turn limit of {max_turns} turns was reached"),
    };
    let variable = |metric: &str, value: serde_json::Value| Variable {
        metric: metric.to_owned(),
        value,
        status,
    };
    TestReport {
        title: "Conversation ending".into(),
        variables: vec![
            variable("ending", value.into()),
            variable("ended_by", ended_by.into()),
            variable("reason", why.into()),
        ],
    }
}

#[async_trait]
impl Episode for Conversation {
    fn kind(&self) -> &str {
        "conversation"
    }

    async fn play(&self, cx: &mut EpisodeContext<'_>) -> Result<(), AgentError> {
        let id = cx.case().id.clone();
        let (Some(scenario), Some(user)) = (self.suite.scenario(&id), self.users.get(&id)) else {
            return Err(AgentError::new(
                AgentErrorKind::BadRequest,
                format!("case `{id}` is not a scenario of the conversation suite"),
            ));
        };
        cx.set_turn_timeout(scenario.scenario.turn_timeout());
        let mut voice = VoiceLog::default();
        let played = self.converse(cx, scenario, &**user, &mut voice).await;
        // However it ended, both sides may close what they kept for it (a Realtime session).
        cx.conversation_ended(&[&**user]).await;
        let reason = played?;
        let ending = match reason {
            Some(EndReason::TimeLimit) => Ending::TimeLimit,
            Some(_) => Ending::Natural,
            None => Ending::TurnLimit,
        };
        cx.transcript_mut().ending = Some(ending);
        let voice_reports = if voice.is_empty() {
            Vec::new()
        } else {
            let dir = cx.artifacts_dir().map(std::path::Path::to_path_buf);
            voice.finish(cx.transcript_mut(), dir.as_deref())
        };

        let transcript = cx.transcript().clone();
        let mut rendered = transcript.render();
        rendered.push('\n');
        if let Some(dir) = cx.artifacts_dir() {
            // Best effort: a transcript the disk refuses is still in the record.
            if tokio::fs::create_dir_all(dir).await.is_ok() {
                let _ = tokio::fs::write(dir.join("transcript.txt"), &rendered).await;
            }
        }
        cx.push_report(ending_report(
            ending,
            reason.as_ref(),
            scenario.scenario.max_turns,
        ));
        for report in voice_reports {
            cx.push_report(report);
        }
        for test in &scenario.tests {
            cx.push_report(test.run(&transcript));
        }
        if let Some(python) = &scenario.python {
            for report in python.run_text(&rendered).await {
                cx.push_report(report);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
