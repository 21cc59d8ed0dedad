//! Loopback servers speaking providers' wire formats.

pub mod anthropic;
pub mod anthropic_batch;
mod batch_common;
pub mod gateway;
mod in_flight;
pub mod lmstudio;
pub mod mcp;
mod mcp_script;
pub mod openai;
pub mod openai_batch;
mod openai_render;
pub mod otlp;
pub mod realtime;
mod script;
mod scripted;
mod tool_wire;

pub use anthropic::AnthropicServer;
pub use anthropic_batch::AnthropicBatchServer;
pub use batch_common::{BatchBehaviour, BatchStats};
pub use gateway::{GatewayLimit, GatewayServer, GatewayStats};
pub use lmstudio::LmStudioServer;
pub use mcp::{McpScripted, McpServer, McpServerConfig, McpStats};
pub use openai::OpenAiServer;
pub use openai_batch::OpenAiBatchServer;
pub use otlp::{CollectedSpan, OtlpCollector};
pub use realtime::{RealtimeScript, RealtimeServer, RealtimeStats};
pub use scripted::{Scripted, ServerConfig, ServerStats};
pub use tool_wire::ScriptedCall;
