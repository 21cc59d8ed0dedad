//! Tool environments: tools over a state that a task changes (a database, say), built fresh
//! for each attempt. Environments are deterministic, so the state an attempt left is found
//! again by replaying its recorded calls on a fresh session, and compared with the state the
//! reference calls leave, in the manner of τ-bench.

use super::tool::{FnTool, ToolError};
use super::toolbox::Toolbox;
use crate::agent::ToolCall;
use crate::Case;
use serde_json::Value;
use std::sync::{Arc, Mutex, PoisonError};

/// One attempt's tools and the state they share.
#[derive(Debug, Clone)]
pub struct Session {
    /// The tools offered.
    pub toolbox: Toolbox,
    state: Arc<Mutex<Value>>,
}

impl Session {
    /// A session over `state`, its tools made by `tools`.
    pub fn new(state: Value, tools: impl FnOnce(&Arc<Mutex<Value>>) -> Toolbox) -> Self {
        let state = Arc::new(Mutex::new(state));
        Self {
            toolbox: tools(&state),
            state,
        }
    }

    /// The state as it is now.
    pub fn state(&self) -> Value {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// A kind of tool environment.
pub trait Environment: Send + Sync + 'static {
    /// Its name, as tasks give it.
    fn name(&self) -> &str;

    /// A fresh session for one attempt at `case`.
    ///
    /// # Errors
    /// The case asks for something the environment cannot set up.
    fn session(&self, case: &Case) -> Result<Session, String>;
}

/// The state `calls` leave when run in order on a fresh session (their results ignored).
///
/// # Errors
/// The environment cannot set up the case.
pub async fn replay(
    environment: &dyn Environment,
    case: &Case,
    calls: &[&ToolCall],
) -> Result<Value, String> {
    let session = environment.session(case)?;
    for call in calls {
        session.toolbox.call(call).await;
    }
    Ok(session.state())
}

/// A tool whose calls read and change the shared state.
pub(crate) fn state_tool(
    state: &Arc<Mutex<Value>>,
    name: &str,
    description: &str,
    parameters: Value,
    run: fn(&mut Value, &Value) -> Result<String, ToolError>,
) -> FnTool {
    let state = Arc::clone(state);
    FnTool::new(name, description, parameters, move |args| {
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        run(&mut state, args)
    })
}

/// A required string argument.
pub(crate) fn text_arg<'a>(args: &'a Value, name: &str) -> Result<&'a str, ToolError> {
    args[name]
        .as_str()
        .ok_or_else(|| ToolError::new(format!("`{name}` (a string) is required")))
}

/// A required number argument.
pub(crate) fn number_arg(args: &Value, name: &str) -> Result<f64, ToolError> {
    args[name]
        .as_f64()
        .ok_or_else(|| ToolError::new(format!("`{name}` (a number) is required")))
}
