#![doc = include_str!("docs.md")]

mod agent;
mod batch;
mod config;
mod error;
mod tools;
mod wire;

pub use agent::AnthropicAgent;
pub use config::AnthropicConfig;
