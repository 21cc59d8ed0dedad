//! Agents exposed by MCP servers over Streamable HTTP.
#![doc = include_str!("docs.md")]

mod agent;
mod arguments;
mod config;
mod error;
mod session;
mod tools;
mod wire;

pub use agent::McpAgent;
pub use config::McpConfig;
pub use tools::mcp_tools;
