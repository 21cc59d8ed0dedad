use super::{AgentStep, StopReason, ToolCall, VoiceTurn};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// Token usage of one reply.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(default)]
pub struct Usage {
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Completion tokens.
    pub output_tokens: u64,
}

impl Usage {
    /// Usage with these counts.
    pub fn new(input_tokens: u64, output_tokens: u64) -> Self {
        Self {
            input_tokens,
            output_tokens,
        }
    }

    /// Input plus output tokens.
    pub fn total(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, other: Usage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
    }
}

/// What an agent answered.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct AgentReply {
    /// The reply text.
    pub text: String,
    /// Token usage, when the provider reports it.
    pub usage: Option<Usage>,
    /// Cost in US dollars, when known.
    pub cost_usd: Option<f64>,
    /// The model that answered, as the provider names it.
    pub model: Option<String>,
    /// Time the exchange took; the engine measures it when the agent leaves it unset.
    pub latency: Option<Duration>,
    /// Time to the first streamed token.
    pub time_to_first_token: Option<Duration>,
    /// The provider's raw body, when asked for.
    pub raw: Option<serde_json::Value>,
    /// Served from a response cache (no cost).
    pub cached: bool,
    /// The tools the reply calls, in order.
    pub tool_calls: Vec<ToolCall>,
    /// Why the reply ended, when the provider said.
    pub stop_reason: Option<StopReason>,
    /// Calls the agent made on its own before answering (a Python agent asking other
    /// agents, say), recorded as steps of the attempt's trajectory.
    pub steps: Vec<AgentStep>,
    /// The voice side of a spoken reply (audio, voice timings, audio tokens); `None` for a
    /// text agent.
    pub voice: Option<Arc<VoiceTurn>>,
}

impl AgentReply {
    /// A reply with only its text.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }

    /// Sets the usage.
    pub fn with_usage(mut self, usage: Usage) -> Self {
        self.usage = Some(usage);
        self
    }

    /// Sets the cost.
    pub fn with_cost(mut self, cost_usd: f64) -> Self {
        self.cost_usd = Some(cost_usd);
        self
    }

    /// Sets the model name.
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Adds tool calls; with at least one, the stop reason becomes `tool_use` unless one
    /// was set.
    pub fn with_tool_calls(mut self, calls: Vec<ToolCall>) -> Self {
        self.tool_calls = calls;
        if !self.tool_calls.is_empty() {
            self.stop_reason.get_or_insert(StopReason::ToolUse);
        }
        self
    }

    /// Sets why the reply ended.
    pub fn with_stop_reason(mut self, reason: StopReason) -> Self {
        self.stop_reason = Some(reason);
        self
    }

    /// Sets the latency.
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = Some(latency);
        self
    }

    /// Sets the voice side of a spoken reply.
    pub fn with_voice(mut self, voice: VoiceTurn) -> Self {
        self.voice = Some(Arc::new(voice));
        self
    }

    /// Sets the calls the agent made before answering.
    pub fn with_steps(mut self, steps: Vec<AgentStep>) -> Self {
        self.steps = steps;
        self
    }
}
