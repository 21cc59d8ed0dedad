//! How the gold agent answers a case that uses tools: it replays the case's reference
//! steps (`metadata.reference.steps`, each a list of calls), one step per model turn, then
//! gives `metadata.reference.answer`. A tool-use suite thereby checks itself: gold must pass
//! every case, and a case gold fails is a broken case.

use super::{AgentReply, AgentRequest, ToolCall};
use crate::{Case, Role};

/// The gold reply to `request` when its case has reference steps; `None` otherwise.
pub(super) fn replay(case: &Case, request: &AgentRequest) -> Option<AgentReply> {
    let reference = case.metadata.get("reference")?;
    let steps = reference.get("steps")?.as_array()?;
    // The steps already taken are the assistant turns that called tools since the case's
    // own messages.
    let taken = request
        .messages
        .iter()
        .skip(case.messages.len())
        .filter(|m| m.role == Role::Assistant && !m.tool_calls.is_empty())
        .count();
    match steps.get(taken) {
        Some(step) => {
            let calls = step
                .as_array()?
                .iter()
                .enumerate()
                .map(|(i, call)| {
                    ToolCall::new(
                        format!("gold_{taken}_{i}"),
                        call["name"].as_str().unwrap_or_default(),
                        call.get("arguments")
                            .cloned()
                            .unwrap_or_else(|| serde_json::json!({})),
                    )
                })
                .collect();
            Some(AgentReply::text("").with_tool_calls(calls))
        }
        None => Some(AgentReply::text(
            reference["answer"].as_str().unwrap_or_default(),
        )),
    }
}
