//! Episodes: how one attempt plays out between the agent under test and its case.
//!
//! A question set's attempt is one exchange; a conversation is many turns with a simulated
//! user; a code task is one exchange whose answer is then tested in a sandbox. The engine owns
//! what every kind shares (slots, rate limits, retries, timeouts, budgets, events, recording,
//! evaluation); an [`Episode`] only says which exchanges happen and what the transcript is.

use super::agent_state::{AgentState, HeldSlots};
use super::exchange::exchange_with_retries;
use super::shared::RunShared;
use crate::agent::StopReason;
use crate::{
    Agent, AgentError, AgentReply, AgentRequest, AttemptKey, Case, Ending, Role, Sampling, Speaker,
    TestReport, Transcript, Turn, Usage,
};
use async_trait::async_trait;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// How one attempt plays out. The engine calls [`Episode::play`] once per attempt, with a
/// context that talks to the agent under test through the run's limits and retries.
///
/// ```
/// use benchcore::engine::{Episode, EpisodeContext};
/// use benchcore::{async_trait, AgentError, AgentRequest, Message, Speaker, Turn};
///
/// /// Asks the question twice and keeps the second answer.
/// struct AskTwice;
///
/// #[async_trait]
/// impl Episode for AskTwice {
///     fn kind(&self) -> &str {
///         "ask_twice"
///     }
///     async fn play(&self, cx: &mut EpisodeContext<'_>) -> Result<(), AgentError> {
///         let mut messages = cx.case().messages.clone();
///         for _ in 0..2 {
///             let reply = cx.ask(AgentRequest::new(messages.clone())).await?;
///             cx.push_agent_turn(&reply);
///             messages.push(Message::assistant(reply.text));
///             messages.push(Message::user("Are you sure?"));
///         }
///         Ok(())
///     }
/// }
/// ```
///
/// # Contract
/// - `play` talks to the agent under test only through [`EpisodeContext::ask`], so limits,
///   retries, timeouts, usage and cost are accounted for; other agents (a simulated user) go
///   through [`EpisodeContext::ask_other`].
/// - An `Err` ends the attempt as an `error` with the transcript so far kept; the attempt is
///   rerun by `resume --retry-errors`. A conversation that ends early for a reason of its own
///   is `Ok` with [`Transcript::ending`] set.
/// - An attempt that was cancelled mid-play is not recorded, so `play` may be called again for
///   the same key on resume: it must start from nothing each time.
#[async_trait]
pub trait Episode: Send + Sync + 'static {
    /// The kind of benchmark, recorded as the run spec's `kind` (`question_set`,
    /// `conversation`, `code_task` …).
    fn kind(&self) -> &str;

    /// Plays one attempt.
    async fn play(&self, cx: &mut EpisodeContext<'_>) -> Result<(), AgentError>;
}

const _: fn(&dyn Episode) = |_| {};

/// The default episode: the case's messages are sent once; the reply is the answer.
#[derive(Debug, Clone, Copy, Default)]
pub struct SingleTurn;

#[async_trait]
impl Episode for SingleTurn {
    fn kind(&self) -> &str {
        "question_set"
    }

    async fn play(&self, cx: &mut EpisodeContext<'_>) -> Result<(), AgentError> {
        let case = Arc::clone(cx.case());
        cx.push_case_turns();
        let reply = cx.ask(AgentRequest::new(case.messages.clone())).await?;
        cx.push_agent_turn(&reply);
        cx.transcript_mut().ending = Some(Ending::Natural);
        Ok(())
    }
}

/// What an episode sees and how it talks to agents. Everything it spends is added to the
/// attempt's record.
pub struct EpisodeContext<'a> {
    pub(super) run: &'a RunShared,
    pub(super) agent: &'a AgentState,
    /// The attempt's slots, let go while it waits to retry.
    pub(super) slots: Option<&'a HeldSlots>,
    pub(super) case: Arc<Case>,
    pub(super) key: AttemptKey,
    pub(super) artifacts: Option<&'a Path>,
    pub(super) transcript: Transcript,
    pub(super) turn_timeout: Option<Duration>,
    pub(super) spent: Spent,
    /// Transcript-test reports the episode measured itself, recorded before the run's own.
    pub(super) reports: Vec<TestReport>,
}

impl std::fmt::Debug for EpisodeContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EpisodeContext")
            .field("key", &self.key)
            .field("turns", &self.transcript.turns.len())
            .finish_non_exhaustive()
    }
}

/// What an attempt's exchanges spent: copied into its record.
#[derive(Debug, Default)]
pub(super) struct Spent {
    pub(super) usage: Usage,
    pub(super) cost_usd: Option<f64>,
    pub(super) retries: u32,
    /// Sum of the agent under test's reply latencies.
    pub(super) latency: Option<Duration>,
    pub(super) ttft: Option<Duration>,
    /// Time in exchanges (every agent), without retry and rate-limit waits.
    pub(super) work: Duration,
    pub(super) model: Option<String>,
    pub(super) cached: bool,
    pub(super) answered: u32,
}

impl<'a> EpisodeContext<'a> {
    /// The case.
    pub fn case(&self) -> &Arc<Case> {
        &self.case
    }

    /// Replaces the case as this attempt sees it (a multiple-choice case with its choices in
    /// this sample's order): the evaluators judge the reply against this one.
    pub fn replace_case(&mut self, case: Case) {
        self.case = Arc::new(case);
    }

    /// Which attempt this is.
    pub fn key(&self) -> &AttemptKey {
        &self.key
    }

    /// The sample number, from 0.
    pub fn sample(&self) -> u32 {
        self.key.sample
    }

    /// The name of the agent under test.
    pub fn agent_name(&self) -> &str {
        &self.agent.name
    }

    /// The run's sampling settings, applied to every request that sets none of its own.
    pub fn sampling(&self) -> &Sampling {
        &self.run.sampling
    }

    /// The attempt's artifacts folder, when the run keeps artifacts. It is not created yet:
    /// create it when there is something to write.
    pub fn artifacts_dir(&self) -> Option<&Path> {
        self.artifacts
    }

    /// The transcript so far.
    pub fn transcript(&self) -> &Transcript {
        &self.transcript
    }

    /// The transcript, to add turns and set how it ended.
    pub fn transcript_mut(&mut self) -> &mut Transcript {
        &mut self.transcript
    }

    /// Limits each later exchange of this attempt to `timeout` (a conversation's per-turn
    /// limit), or to the run's per-request timeout again with `None`. The run's timeout is
    /// never exceeded.
    pub fn set_turn_timeout(&mut self, timeout: Option<Duration>) {
        self.turn_timeout = timeout;
    }

    /// Adds a transcript-test report to the attempt's record (a test the episode runs itself,
    /// for example with settings of the case's own). Recorded only when `play` returns `Ok`,
    /// before the reports of the run's transcript tests.
    pub fn push_report(&mut self, report: TestReport) {
        self.reports.push(report);
    }

    /// Appends the case's own messages as the transcript's first turns (system, agent,
    /// participant), as every episode that starts from the case does.
    pub fn push_case_turns(&mut self) {
        let at = crate::now_ms();
        for message in &self.case.messages {
            let speaker = match message.role {
                Role::System => Speaker::System,
                Role::Assistant => Speaker::Agent,
                Role::User | Role::Tool => Speaker::Participant,
            };
            self.transcript
                .push(Turn::new(speaker, message.content.clone()).at(at));
        }
    }

    /// Appends the agent under test's reply as an `AGENT` turn, with its timing and usage.
    pub fn push_agent_turn(&mut self, reply: &AgentReply) {
        self.push_turn(Speaker::Agent, reply);
    }

    /// Tells the agent under test and `others` that this attempt's conversation is over, so
    /// they can close what they kept for it (a Realtime session).
    pub async fn conversation_ended(&self, others: &[&dyn Agent]) {
        let sample = self.key.sample;
        self.agent
            .agent
            .conversation_ended(&self.case, sample)
            .await;
        for other in others {
            other.conversation_ended(&self.case, sample).await;
        }
    }

    /// Appends another agent's reply as a `PARTICIPANT` turn, with its timing and usage.
    pub fn push_participant_turn(&mut self, reply: &AgentReply) {
        self.push_turn(Speaker::Participant, reply);
    }

    fn push_turn(&mut self, speaker: Speaker, reply: &AgentReply) {
        for step in &reply.steps {
            let at = crate::now_ms();
            self.transcript.push(
                Turn::new(speaker, "")
                    .at(at)
                    .with_tool_calls(vec![step.call.clone()])
                    .with_stop_reason(Some(StopReason::ToolUse)),
            );
            self.transcript.push(
                Turn::new(Speaker::Tool, step.result.clone())
                    .at(at)
                    .with_timing(step.latency.map(|d| d.as_millis() as u64), step.usage)
                    .answering(step.call.id.clone(), step.is_error),
            );
        }
        let latency = reply.latency.map(|d| d.as_millis() as u64);
        self.transcript.push(
            Turn::new(speaker, reply.text.clone())
                .at(crate::now_ms())
                .with_timing(latency, reply.usage)
                .with_tool_calls(reply.tool_calls.clone())
                .with_stop_reason(reply.stop_reason),
        );
    }

    /// Sends a request to the agent under test, within its rate limits, with the run's
    /// retries and timeouts. Its usage, cost and retries are added to the attempt. Requests
    /// without sampling settings get the run's, and every request carries the case.
    ///
    /// # Errors
    /// The exchange failed for good (retries spent, or an error that is not retried).
    pub async fn ask(&mut self, request: AgentRequest) -> Result<AgentReply, AgentError> {
        let request = self.complete(request);
        let exchange = exchange_with_retries(
            self.run,
            &*self.agent.agent,
            &self.agent.name,
            Some(self.agent),
            self.slots,
            &self.key,
            request,
            self.timeout(),
        )
        .await;
        self.spent.retries += exchange.retries;
        self.spent.work += exchange.last_exchange;
        let reply = exchange.result?;
        let latency = reply.latency.unwrap_or(exchange.last_exchange);
        let mut reply = reply;
        reply.latency = Some(latency);
        let spent = &mut self.spent;
        spent.latency = Some(spent.latency.unwrap_or_default() + latency);
        if spent.answered == 0 {
            spent.ttft = reply.time_to_first_token;
        }
        spent.answered += 1;
        if let Some(usage) = reply.usage {
            spent.usage += usage;
        }
        let cost = if reply.cached {
            Some(0.0)
        } else {
            reply.cost_usd
        };
        if let Some(cost) = cost {
            spent.cost_usd = Some(spent.cost_usd.unwrap_or(0.0) + cost);
            self.run.add_spent(cost);
        }
        if reply.model.is_some() {
            spent.model.clone_from(&reply.model);
        }
        spent.cached = if spent.answered == 1 {
            reply.cached
        } else {
            spent.cached && reply.cached
        };
        Ok(reply)
    }

    /// Sends a request to another agent (a simulated user), with the run's retries and
    /// timeouts but none of the agent under test's limits. Its cost counts toward the run's
    /// cost budget; its usage stays on its transcript turns, out of the attempt's usage, so
    /// the agent under test is not charged for it.
    ///
    /// # Errors
    /// The exchange failed for good.
    pub async fn ask_other(
        &mut self,
        agent: &dyn Agent,
        request: AgentRequest,
    ) -> Result<AgentReply, AgentError> {
        let request = self.complete(request);
        let name = agent.name().to_owned();
        let exchange = exchange_with_retries(
            self.run,
            agent,
            &name,
            None,
            self.slots,
            &self.key,
            request,
            self.timeout(),
        )
        .await;
        self.spent.retries += exchange.retries;
        self.spent.work += exchange.last_exchange;
        let mut reply = exchange.result?;
        reply.latency = Some(reply.latency.unwrap_or(exchange.last_exchange));
        if let Some(cost) = reply.cost_usd.filter(|_| !reply.cached) {
            self.run.add_spent(cost);
        }
        Ok(reply)
    }

    fn timeout(&self) -> Duration {
        let run = self.run.timeout;
        self.turn_timeout.map_or(run, |turn| turn.min(run))
    }

    fn complete(&self, mut request: AgentRequest) -> AgentRequest {
        if request.sampling == Sampling::default() {
            request.sampling = self.run.sampling.clone();
        }
        if request.case.is_none() {
            request = request.with_case(Arc::clone(&self.case), self.key.sample);
        }
        request
    }
}
