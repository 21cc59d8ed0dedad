//! [`ToolLoop`]: an episode in which the agent may call tools: model → tool calls → tool
//! results → model … until it answers without calling, or a limit ends it. Every step is a
//! transcript turn (the calls with their arguments, each result with its error flag,
//! tokens and latency), so the trajectory is stored, shown and exported with the attempt.

use super::toolbox::Toolbox;
use crate::agent::ToolChoice;
use crate::engine::{Episode, EpisodeContext};
use crate::{AgentError, AgentRequest, Case, Ending, Message, Speaker, Turn};
use async_trait::async_trait;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// When a loop stops though the agent still calls tools.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LoopLimits {
    /// Model replies at most (default 10).
    pub max_steps: u32,
    /// Tokens (in and out, over all steps) at most.
    pub max_tokens: Option<u64>,
    /// Dollars (over all steps) at most.
    pub max_cost_usd: Option<f64>,
    /// Wall time of the whole loop at most.
    pub max_time: Option<Duration>,
}

impl Default for LoopLimits {
    fn default() -> Self {
        Self {
            max_steps: 10,
            max_tokens: None,
            max_cost_usd: None,
            max_time: None,
        }
    }
}

impl LoopLimits {
    /// At most `steps` model replies.
    pub fn with_max_steps(mut self, steps: u32) -> Self {
        self.max_steps = steps.max(1);
        self
    }

    /// At most `tokens` tokens over all steps.
    pub fn with_max_tokens(mut self, tokens: u64) -> Self {
        self.max_tokens = Some(tokens);
        self
    }

    /// At most `usd` dollars over all steps.
    pub fn with_max_cost_usd(mut self, usd: f64) -> Self {
        self.max_cost_usd = Some(usd);
        self
    }

    /// At most `limit` of wall time.
    pub fn with_max_time(mut self, limit: Duration) -> Self {
        self.max_time = Some(limit);
        self
    }
}

type ToolboxFor = dyn Fn(&Case) -> Result<Toolbox, AgentError> + Send + Sync;

/// The agent loop as an episode. Its toolbox is built per attempt, so tools that keep state
/// (a database the episode changes) start fresh each time, resume included.
///
/// ```
/// use benchcore::tools::{FnTool, LoopLimits, ToolLoop, Toolbox};
/// use serde_json::json;
/// let episode = ToolLoop::new(Toolbox::new().with(FnTool::new("now", "The time.", json!({"type": "object"}), |_| Ok("12:00".into()))))
///     .with_limits(LoopLimits::default().with_max_steps(5));
/// # let _ = episode;
/// ```
#[derive(Clone)]
pub struct ToolLoop {
    toolbox: Arc<ToolboxFor>,
    limits: LoopLimits,
    first_choice: Option<ToolChoice>,
    kind: String,
}

impl fmt::Debug for ToolLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToolLoop")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl ToolLoop {
    /// A loop offering the same tools to every attempt.
    pub fn new(toolbox: Toolbox) -> Self {
        Self::per_case(move |_| Ok(toolbox.clone()))
    }

    /// A loop whose tools are built for each attempt from its case.
    pub fn per_case(
        toolbox: impl Fn(&Case) -> Result<Toolbox, AgentError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            toolbox: Arc::new(toolbox),
            limits: LoopLimits::default(),
            first_choice: None,
            kind: "agent_loop".to_owned(),
        }
    }

    /// Sets the limits.
    pub fn with_limits(mut self, limits: LoopLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The tool choice of the first step (`required` makes the agent start with a call);
    /// later steps leave the choice to the model, or it could never stop.
    pub fn with_first_choice(mut self, choice: ToolChoice) -> Self {
        self.first_choice = Some(choice);
        self
    }

    /// Records runs under this kind (a suite kind's name, so the run resumes through it)
    /// instead of `agent_loop`.
    pub fn with_kind(mut self, kind: impl Into<String>) -> Self {
        self.kind = kind.into();
        self
    }

    /// Which limit, if any, the loop has reached.
    fn limit_reached(&self, step: u32, tokens: u64, cost: f64, started: Instant) -> Option<String> {
        let limits = &self.limits;
        if step >= limits.max_steps {
            return Some(format!(
                "step limit reached ({} model replies)",
                limits.max_steps
            ));
        }
        if let Some(max) = limits.max_tokens.filter(|max| tokens >= *max) {
            return Some(format!("token limit reached ({tokens} of {max})"));
        }
        if let Some(max) = limits.max_cost_usd.filter(|max| cost >= *max) {
            return Some(format!("cost limit reached (${cost:.4} of ${max})"));
        }
        if let Some(max) = limits.max_time.filter(|max| started.elapsed() >= *max) {
            return Some(format!("time limit reached ({} ms)", max.as_millis()));
        }
        None
    }
}

#[async_trait]
impl Episode for ToolLoop {
    fn kind(&self) -> &str {
        &self.kind
    }

    async fn play(&self, cx: &mut EpisodeContext<'_>) -> Result<(), AgentError> {
        let case = Arc::clone(cx.case());
        let toolbox = (self.toolbox)(&case)?;
        let specs = toolbox.specs();
        cx.push_case_turns();
        let mut messages = case.messages.clone();
        let started = Instant::now();
        let (mut step, mut tokens, mut cost) = (0u32, 0u64, 0.0f64);
        loop {
            if let Some(reason) = self.limit_reached(step, tokens, cost, started) {
                let note = Turn::new(Speaker::System, format!("loop stopped: {reason}"));
                cx.transcript_mut().push(note.at(crate::now_ms()));
                cx.transcript_mut().ending = Some(Ending::TurnLimit);
                return Ok(());
            }
            let choice = if step == 0 {
                self.first_choice.clone()
            } else {
                None
            };
            let request = AgentRequest::new(messages.clone()).with_tools(specs.clone(), choice);
            let reply = cx.ask(request).await?;
            step += 1;
            tokens += reply.usage.map_or(0, |u| u.total());
            cost += reply.cost_usd.unwrap_or(0.0);
            cx.push_agent_turn(&reply);
            if reply.tool_calls.is_empty() {
                cx.transcript_mut().ending = Some(Ending::Natural);
                return Ok(());
            }
            messages.push(Message::assistant_calls(
                reply.text.clone(),
                reply.tool_calls.clone(),
            ));
            for call in &reply.tool_calls {
                let outcome = toolbox.call(call).await;
                let latency = outcome.elapsed.as_millis() as u64;
                let turn = Turn::new(Speaker::Tool, outcome.content.clone())
                    .at(crate::now_ms())
                    .with_timing(Some(latency), None)
                    .answering(call.id.clone(), outcome.is_error);
                cx.transcript_mut().push(turn);
                messages.push(Message::tool_result(
                    call.id.clone(),
                    outcome.content,
                    outcome.is_error,
                ));
            }
        }
    }
}
