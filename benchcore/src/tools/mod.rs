//! Agents that use tools: the [`Tool`] trait and closures ([`FnTool`]), the [`Toolbox`] of an
//! attempt, the agent loop as an episode ([`ToolLoop`]), and tool-use scoring:
//! function-call matching in the manner of the Berkeley Function Calling Leaderboard
//! ([`ToolCallMatch`], with [`load_bfcl`] and the [`FunctionCalling`] episode for its data).

mod agent_loop;
mod bfcl;
mod bfcl_kind;
mod call_match;
mod environment;
pub mod envs;
mod task_check;
mod task_kind;
mod task_summary;
mod tool;
mod toolbox;

pub use agent_loop::{LoopLimits, ToolLoop};
pub use bfcl::{load_bfcl, FunctionCalling, BFCL};
pub use bfcl_kind::{bfcl_answers, BfclKind};
pub use call_match::ToolCallMatch;
pub use environment::{replay, Environment, Session};
pub use task_check::ToolTaskCheck;
pub use task_kind::{ToolTaskKind, TOOL_TASKS};
pub use tool::{FnTool, Tool, ToolError};
pub use toolbox::{ToolOutcome, Toolbox};
