//! [`Toolbox`]: the tools one attempt may call, and how a call is carried out: by name,
//! within a timeout, its failures turned into error results the model reads.

use super::tool::Tool;
use crate::agent::{ToolCall, ToolSpec};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What one call gave back: the text the model reads, whether it is an error, and how long
/// the tool took.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ToolOutcome {
    /// The result text.
    pub content: String,
    /// The call failed (unknown tool, arguments that are not JSON, the tool's own error, a
    /// timeout).
    pub is_error: bool,
    /// How long the call took.
    pub elapsed: Duration,
}

/// The tools of one attempt, by name.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use benchcore::agent::ToolCall;
/// use benchcore::tools::{FnTool, Toolbox};
/// use serde_json::json;
/// let toolbox = Toolbox::new().with(FnTool::new("echo", "", json!({"type": "object"}), |a| Ok(a.to_string())));
/// let done = toolbox.call(&ToolCall::new("c1", "echo", json!({"x": 1}))).await;
/// assert_eq!((done.content.as_str(), done.is_error), ("{\"x\":1}", false));
/// let unknown = toolbox.call(&ToolCall::new("c2", "rm", json!({}))).await;
/// assert!(unknown.is_error);
/// # });
/// ```
#[derive(Clone, Default)]
pub struct Toolbox {
    tools: BTreeMap<String, Arc<dyn Tool>>,
    timeout: Option<Duration>,
}

impl fmt::Debug for Toolbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Toolbox")
            .field("tools", &self.tools.keys().collect::<Vec<_>>())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Toolbox {
    /// An empty toolbox.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a tool (a later tool of the same name replaces an earlier one).
    pub fn with(self, tool: impl Tool) -> Self {
        self.with_arc(Arc::new(tool))
    }

    /// Adds a shared tool.
    pub fn with_arc(mut self, tool: Arc<dyn Tool>) -> Self {
        self.tools.insert(tool.spec().name, tool);
        self
    }

    /// Bounds every call: one that runs longer is an error result.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The definitions offered to the model, by name.
    pub fn specs(&self) -> Vec<ToolSpec> {
        self.tools.values().map(|tool| tool.spec()).collect()
    }

    /// Whether the toolbox holds no tool.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }

    /// Carries out one call. Never fails: what goes wrong is an error result.
    pub async fn call(&self, call: &ToolCall) -> ToolOutcome {
        let started = Instant::now();
        let outcome = |content: String, is_error: bool| ToolOutcome {
            content,
            is_error,
            elapsed: started.elapsed(),
        };
        let Some(tool) = self.tools.get(&call.name) else {
            let known: Vec<&str> = self.tools.keys().map(String::as_str).collect();
            return outcome(
                format!(
                    "no tool named `{}` (tools: {})",
                    call.name,
                    known.join(", ")
                ),
                true,
            );
        };
        if let Some(invalid) = &call.invalid_arguments {
            return outcome(
                format!(
                    "the arguments are not valid JSON ({}): {}",
                    invalid.error, invalid.raw
                ),
                true,
            );
        }
        if !call.arguments.is_object() {
            return outcome(
                format!(
                    "the arguments must be a JSON object, got {}",
                    call.arguments
                ),
                true,
            );
        }
        let result = match self.timeout {
            Some(limit) => match tokio::time::timeout(limit, tool.call(&call.arguments)).await {
                Ok(result) => result,
                Err(_) => {
                    return outcome(
                        format!(
                            "`{}` did not answer within {} ms",
                            call.name,
                            limit.as_millis()
                        ),
                        true,
                    )
                }
            },
            None => tool.call(&call.arguments).await,
        };
        match result {
            Ok(content) => outcome(content, false),
            Err(err) => outcome(err.message, true),
        }
    }
}
