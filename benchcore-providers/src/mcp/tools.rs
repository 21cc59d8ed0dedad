//! An MCP server's tools as tools an agent loop offers: [`mcp_tools`] lists them (name,
//! description, input schema) and each call goes to the server's `tools/call` with the
//! model's arguments as given, typed JSON included. A result with `isError` is an error
//! result the model reads; a failed exchange is one too, worded for the model.

use super::agent::McpAgent;
use async_trait::async_trait;
use benchcore::agent::ToolSpec;
use benchcore::tools::{Tool, ToolError};
use benchcore::AgentError;
use serde_json::Value;
use std::sync::Arc;

/// One tool of an MCP server.
struct McpTool {
    server: Arc<McpAgent>,
    spec: ToolSpec,
}

#[async_trait]
impl Tool for McpTool {
    fn spec(&self) -> ToolSpec {
        self.spec.clone()
    }

    async fn call(&self, arguments: &Value) -> Result<String, ToolError> {
        match self
            .server
            .call_tool(&self.spec.name, arguments.clone())
            .await
        {
            Ok((text, false)) => Ok(text),
            Ok((text, true)) => Err(ToolError::new(text)),
            Err(err) => Err(ToolError::new(format!(
                "the MCP server failed: {}",
                err.message
            ))),
        }
    }
}

/// Every tool `server` lists, ready for a [`Toolbox`](benchcore::tools::Toolbox).
///
/// # Errors
/// The server cannot be reached, refuses the handshake, or lists malformed tools.
pub async fn mcp_tools(server: Arc<McpAgent>) -> Result<Vec<Arc<dyn Tool>>, AgentError> {
    let specs = server.tool_specs().await?;
    Ok(specs
        .into_iter()
        .map(|spec| {
            Arc::new(McpTool {
                server: Arc::clone(&server),
                spec,
            }) as Arc<dyn Tool>
        })
        .collect())
}
