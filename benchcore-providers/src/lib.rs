#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "anthropic")]
pub mod anthropic;
mod batch_pricing;
mod evaluators;
mod factory;
pub mod http;
pub mod judge;
#[cfg(feature = "_http")]
mod keys;
#[cfg(feature = "mcp")]
pub mod mcp;
#[cfg(feature = "openai-compatible")]
pub mod openai_compat;
#[cfg(feature = "otlp")]
mod otlp;
pub mod pricing;
#[cfg(feature = "_chat")]
mod prompt;
pub mod quality;
#[cfg(feature = "realtime")]
pub mod realtime;
mod reference;
mod registry;
pub mod replay;
pub mod scripted;
#[cfg(feature = "realtime")]
pub mod speech;
pub mod sse;
pub mod telemetry;
mod tool_calls;

#[cfg(feature = "anthropic")]
pub use anthropic::{AnthropicAgent, AnthropicConfig};
pub use evaluators::build_evaluator;
pub use factory::{ProviderFactory, SAVED_KIND};
pub use judge::{JudgeConfig, JudgeEvaluator};
#[cfg(feature = "mcp")]
pub use mcp::{McpAgent, McpConfig};
#[cfg(feature = "openai-compatible")]
pub use openai_compat::{
    LmStudioConfig, NvidiaConfig, OpenAiCompatAgent, OpenAiCompatConfig, OpenAiConfig,
    OpenRouterConfig,
};
pub use pricing::{Priced, Pricing};
#[cfg(feature = "realtime")]
pub use realtime::{RealtimeAgent, RealtimeConfig};
pub use registry::{
    agent_config_schema, build_agent, build_agent_with, AgentConfig, Kind, KindInfo,
};
pub use replay::{ReplayAgent, ReplayConfig};
pub use scripted::{ScriptedAgent, ScriptedConfig};
