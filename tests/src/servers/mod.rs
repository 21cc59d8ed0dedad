//! Loopback servers speaking providers' wire formats.

pub mod anthropic;
pub mod gateway;
pub mod mcp;
pub mod openai;
mod scripted;

pub use anthropic::AnthropicServer;
pub use gateway::{GatewayLimit, GatewayServer, GatewayStats};
pub use mcp::{McpScripted, McpServer, McpServerConfig, McpStats};
pub use openai::OpenAiServer;
pub use scripted::{Scripted, ServerConfig, ServerStats};
