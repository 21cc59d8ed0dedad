//! [`ToolTaskCheck`]: how a tool task is scored. The end state (the state the attempt's calls
//! leave, found by replaying them, equal to the state the reference calls leave), the
//! answer (each required text in it), the calls (BFCL-style `expected_calls`), and the
//! trajectory (tools that must or must not be called, at most N calls) must all hold.

use super::call_match::{agent_calls, check_calls};
use super::environment::{replay, Environment};
use crate::agent::ToolCall;
use crate::evaluator::{EvalContext, EvalError, Evaluation, Evaluator};
use async_trait::async_trait;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Scores tool tasks against the environments they name.
#[derive(Clone)]
pub struct ToolTaskCheck {
    environments: Arc<BTreeMap<String, Arc<dyn Environment>>>,
}

impl std::fmt::Debug for ToolTaskCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolTaskCheck")
            .field(
                "environments",
                &self.environments.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl ToolTaskCheck {
    /// A check over these environments, by name.
    pub fn new(environments: Arc<BTreeMap<String, Arc<dyn Environment>>>) -> Self {
        Self { environments }
    }
}

/// The first JSON pointer at which two states differ.
fn first_difference(actual: &Value, expected: &Value, at: &str) -> Option<String> {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => e.keys().chain(a.keys()).find_map(|k| {
            first_difference(
                &a.get(k).cloned().unwrap_or(Value::Null),
                &e.get(k).cloned().unwrap_or(Value::Null),
                &format!("{at}/{k}"),
            )
        }),
        (a, e) if a == e => None,
        (a, e) => Some(format!("{at}: {a} instead of {e}")),
    }
}

/// The reference calls of a case, in order.
fn reference_calls(meta: &Value) -> Vec<ToolCall> {
    meta["reference"]["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|step| step.as_array().into_iter().flatten())
        .enumerate()
        .map(|(i, call)| {
            ToolCall::new(
                format!("ref_{i}"),
                call["name"].as_str().unwrap_or_default(),
                call["arguments"].clone(),
            )
        })
        .collect()
}

fn names(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

#[async_trait]
impl Evaluator for ToolTaskCheck {
    fn name(&self) -> &str {
        "tool_task"
    }

    async fn evaluate(&self, cx: &EvalContext<'_>) -> Result<Evaluation, EvalError> {
        let meta = &cx.case.metadata;
        let env_name = meta["environment"].as_str().unwrap_or_default();
        let environment = self
            .environments
            .get(env_name)
            .ok_or_else(|| EvalError::new(format!("no environment `{env_name}`")))?;
        let calls = agent_calls(cx.transcript);
        let mut failures: Vec<String> = Vec::new();
        let mut checks = serde_json::Map::new();

        let reference = reference_calls(meta);
        let reference: Vec<&ToolCall> = reference.iter().collect();
        let expected_state = replay(&**environment, cx.case, &reference)
            .await
            .map_err(EvalError::new)?;
        let actual_state = replay(&**environment, cx.case, &calls)
            .await
            .map_err(EvalError::new)?;
        let state = first_difference(&actual_state, &expected_state, "");
        if let Some(diff) = &state {
            failures.push(format!("end state differs at {diff}"));
        }
        checks.insert("end_state".into(), json!(state.is_none()));

        let reply = cx.reply.to_lowercase();
        let missing: Vec<&str> = names(&meta["required_output"])
            .into_iter()
            .filter(|text| !reply.contains(&text.to_lowercase()))
            .collect();
        if !missing.is_empty() {
            failures.push(format!("the answer lacks {missing:?}"));
        }
        checks.insert("required_output".into(), json!(missing.is_empty()));

        if let Some(expected) = meta.get("expected_calls") {
            let matched = check_calls(expected, &calls);
            if let Err((_, why)) = &matched {
                failures.push(format!("calls: {why}"));
            }
            checks.insert("expected_calls".into(), json!(matched.is_ok()));
        }
        let called = |name: &str| calls.iter().any(|c| c.name == name);
        for name in names(&meta["must_call"]) {
            if !called(name) {
                failures.push(format!("`{name}` was never called"));
            }
        }
        for name in names(&meta["must_not_call"]) {
            if called(name) {
                failures.push(format!("`{name}` was called"));
            }
        }
        if let Some(max) = meta["max_calls"].as_u64() {
            if calls.len() as u64 > max {
                failures.push(format!("{} calls, at most {max} allowed", calls.len()));
            }
        }
        let passed = failures.is_empty();
        let rationale = if passed {
            format!("end state, answer and {} calls as required", calls.len())
        } else {
            failures.join("; ")
        };
        let mut evaluation = Evaluation::binary("tool_task", passed)
            .with_label(if passed { "passed" } else { "failed" })
            .with_rationale(rationale);
        evaluation.details = Value::Object(checks);
        Ok(evaluation)
    }
}
