//! [`Tool`]: a function an agent may call during an episode, with its definition (name,
//! description, JSON Schema of the arguments); and [`FnTool`], a tool from a closure.

use crate::agent::ToolSpec;
use async_trait::async_trait;
use serde_json::Value;
use std::fmt;

/// Why a tool call failed. The message goes back to the model as an error result (the
/// episode goes on): a tool error is the tool's answer, not the run's failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ToolError {
    /// What went wrong, worded for the model.
    pub message: String,
}

impl ToolError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// A function the agent under test may call.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use benchcore::tools::{FnTool, Tool};
/// use serde_json::json;
/// let add = FnTool::new(
///     "add",
///     "Adds two numbers.",
///     json!({"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}}),
///     |args| Ok((args["a"].as_f64().unwrap_or(0.0) + args["b"].as_f64().unwrap_or(0.0)).to_string()),
/// );
/// assert_eq!(add.call(&json!({"a": 2, "b": 3})).await.unwrap(), "5");
/// # });
/// ```
#[async_trait]
pub trait Tool: Send + Sync + 'static {
    /// The definition offered to the model.
    fn spec(&self) -> ToolSpec;

    /// Runs one call with its arguments (a JSON object). The text returned is the result
    /// the model reads.
    ///
    /// # Errors
    /// The call cannot be carried out; the message is sent back as an error result.
    async fn call(&self, arguments: &Value) -> Result<String, ToolError>;
}

const _: fn(&dyn Tool) = |_| {};

type ToolFn = dyn Fn(&Value) -> Result<String, ToolError> + Send + Sync;

/// A tool from a closure over the arguments.
pub struct FnTool {
    spec: ToolSpec,
    run: Box<ToolFn>,
}

impl FnTool {
    /// A tool named `name` whose calls run `run`.
    pub fn new(
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: Value,
        run: impl Fn(&Value) -> Result<String, ToolError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            spec: ToolSpec::new(name, description, parameters),
            run: Box::new(run),
        }
    }
}

impl fmt::Debug for FnTool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnTool")
            .field("name", &self.spec.name)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Tool for FnTool {
    fn spec(&self) -> ToolSpec {
        self.spec.clone()
    }

    async fn call(&self, arguments: &Value) -> Result<String, ToolError> {
        (self.run)(arguments)
    }
}
