#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod http;
#[cfg(feature = "openai-compatible")]
pub mod openai_compat;
mod registry;

#[cfg(feature = "openai-compatible")]
pub use openai_compat::{
    LmStudioConfig, NvidiaConfig, OpenAiCompatAgent, OpenAiCompatConfig, OpenAiConfig,
    OpenRouterConfig,
};
pub use registry::{agent_config_schema, build_agent, AgentConfig};
