//! What an agent did on its own before answering: the calls it made (to tools, or to other
//! agents), kept with its reply so that the attempt's trajectory shows them.

use super::{ToolCall, Usage};
use std::time::Duration;

/// One call an agent made while answering, and what came back. The engine records each as a
/// step of the attempt's trajectory (an `AGENT` turn with the call, then a `TOOL` turn with
/// the result) before the reply's own turn.
///
/// ```
/// use benchcore::agent::ToolCall;
/// use benchcore::{AgentReply, AgentStep};
///
/// let lookup = ToolCall::new("call_1", "ask", serde_json::json!({"agent": "helper"}));
/// let reply = AgentReply::text("Paris").with_steps(vec![AgentStep::new(lookup, "Paris")]);
/// assert_eq!(reply.steps.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AgentStep {
    /// The call, named as a tool call (its id ties the result to it).
    pub call: ToolCall,
    /// What came back: the answer, or the error.
    pub result: String,
    /// Whether the call failed.
    pub is_error: bool,
    /// How long the call took.
    pub latency: Option<Duration>,
    /// The tokens the call used, when it was a model's.
    pub usage: Option<Usage>,
}

impl AgentStep {
    /// A call that returned `result`.
    pub fn new(call: ToolCall, result: impl Into<String>) -> Self {
        Self {
            call,
            result: result.into(),
            is_error: false,
            latency: None,
            usage: None,
        }
    }

    /// Marks the call as failed (`result` then says why).
    pub fn failed(mut self) -> Self {
        self.is_error = true;
        self
    }

    /// Sets how long the call took and the tokens it used.
    pub fn with_timing(mut self, latency: Option<Duration>, usage: Option<Usage>) -> Self {
        self.latency = latency;
        self.usage = usage;
        self
    }
}
