use super::{ToolChoice, ToolSpec};
use crate::{Case, Message, Role};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Instant;

/// Sampling settings carried to the provider.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Sampling {
    /// Sampling temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Largest number of tokens to generate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Seed for providers that honour one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

impl Sampling {
    /// Sets the temperature.
    pub fn with_temperature(mut self, temperature: f64) -> Self {
        self.temperature = Some(temperature);
        self
    }

    /// Sets the largest number of tokens to generate.
    pub fn with_max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }

    /// Sets the seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Fills every unset field of `self` from `fallback`.
    pub fn or(&self, fallback: &Sampling) -> Sampling {
        Sampling {
            temperature: self.temperature.or(fallback.temperature),
            max_tokens: self.max_tokens.or(fallback.max_tokens),
            seed: self.seed.or(fallback.seed),
        }
    }
}

/// What an agent is asked.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct AgentRequest {
    /// The conversation so far.
    pub messages: Vec<Message>,
    /// Sampling settings.
    pub sampling: Sampling,
    /// When the answer is due; past it the attempt is a timeout.
    pub deadline: Option<Instant>,
    /// The case this request belongs to. Reference agents (`gold`) read its target; agents
    /// under test should read only `messages`.
    pub case: Option<Arc<Case>>,
    /// Which sample of the case this is (0-based).
    pub sample: u32,
    /// Tools the agent may call.
    pub tools: Vec<ToolSpec>,
    /// Which tools it may or must call (`auto` when unset).
    pub tool_choice: Option<ToolChoice>,
}

impl AgentRequest {
    /// A request with these messages and nothing else set.
    pub fn new(messages: Vec<Message>) -> Self {
        Self {
            messages,
            ..Self::default()
        }
    }

    /// Sets the sampling settings.
    pub fn with_sampling(mut self, sampling: Sampling) -> Self {
        self.sampling = sampling;
        self
    }

    /// Sets the deadline.
    pub fn with_deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Offers tools, with a choice of which to call.
    pub fn with_tools(mut self, tools: Vec<ToolSpec>, choice: Option<ToolChoice>) -> Self {
        self.tools = tools;
        self.tool_choice = choice;
        self
    }

    /// Sets the case.
    pub fn with_case(mut self, case: Arc<Case>, sample: u32) -> Self {
        self.case = Some(case);
        self.sample = sample;
        self
    }

    /// The text of the last user message.
    pub fn last_user_text(&self) -> Option<&str> {
        self.messages
            .iter()
            .rev()
            .find(|m| m.role == Role::User)
            .map(|m| m.content.as_str())
    }

    /// A rough token estimate for rate budgeting before sending: four characters a token plus
    /// the requested output budget.
    pub fn estimated_tokens(&self) -> u64 {
        let chars: usize = self
            .messages
            .iter()
            .map(|m| {
                m.content.len()
                    + m.tool_calls
                        .iter()
                        .map(|c| c.arguments_text().len())
                        .sum::<usize>()
            })
            .sum::<usize>()
            + self
                .tools
                .iter()
                .map(|t| t.description.len() + t.parameters.to_string().len())
                .sum::<usize>();
        (chars as u64).div_ceil(4) + u64::from(self.sampling.max_tokens.unwrap_or(0))
    }
}
