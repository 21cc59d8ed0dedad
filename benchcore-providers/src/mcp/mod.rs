//! Agents exposed by MCP servers over Streamable HTTP or stdio.
#![doc = include_str!("docs.md")]

mod agent;
mod arguments;
mod config;
mod error;
mod lines;
mod session;
mod stdio;
#[cfg(test)]
mod stdio_tests;
mod streamable;
mod tools;
mod transport;
mod wire;

pub use agent::McpAgent;
pub use config::McpConfig;
pub use tools::mcp_tools;
