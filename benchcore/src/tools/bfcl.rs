//! The Berkeley Function Calling Leaderboard's published data as a suite, and the episode
//! that asks it: each question offered with its functions, the reply's calls scored by
//! [`ToolCallMatch`](super::ToolCallMatch).
//!
//! A category is two JSON Lines files: the questions
//! (`{"id", "question": [[{"role", "content"}]], "function": [{"name", "description",
//! "parameters"}]}`) and, except for `irrelevance`, the possible answers (`{"id",
//! "ground_truth": [{"function": {"param": [values]}}]}`). A question without an answer
//! expects no call.

use crate::agent::ToolSpec;
use crate::engine::{Episode, EpisodeContext};
use crate::{AgentError, AgentRequest, Case, ConfigError, Ending, Message, QuestionSet};
use async_trait::async_trait;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// The BFCL kind's name in run specs.
pub const BFCL: &str = "bfcl";

/// BFCL's parameter types as JSON Schema types (`dict` is `object`, `float` is `number`,
/// `tuple` is `array`; `any` places no constraint).
fn json_schema(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (key, inner) in map {
                if key == "type" {
                    match inner.as_str() {
                        Some("dict") => out.insert(key.clone(), json!("object")),
                        Some("float") => out.insert(key.clone(), json!("number")),
                        Some("tuple") => out.insert(key.clone(), json!("array")),
                        Some("any") => None,
                        _ => out.insert(key.clone(), inner.clone()),
                    };
                } else {
                    out.insert(key.clone(), json_schema(inner));
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(json_schema).collect()),
        other => other.clone(),
    }
}

fn lines(path: &Path) -> Result<Vec<(usize, Value)>, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::new(format!("cannot read it: {e}")).in_file(path, None))?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line)
                .map(|value| (i + 1, value))
                .map_err(|e| ConfigError::new(e.to_string()).in_file(path, Some(i + 1)))
        })
        .collect()
}

/// A BFCL category as a question set: each case's messages are the question's first turn,
/// its metadata `tools` the functions (as JSON Schema), its target the ground truth (`[]`,
/// no call, when `answers` is `None` or lacks the id).
///
/// # Errors
/// A file that cannot be read, a line that is not JSON, a question without `id`,
/// `question` or `function` (named by file and line).
pub fn load_bfcl(questions: &Path, answers: Option<&Path>) -> Result<QuestionSet, ConfigError> {
    let mut truth: HashMap<String, Value> = HashMap::new();
    if let Some(answers) = answers {
        for (line, value) in lines(answers)? {
            let id = value["id"]
                .as_str()
                .ok_or_else(|| ConfigError::field("id", "missing").in_file(answers, Some(line)))?;
            truth.insert(id.to_owned(), value["ground_truth"].clone());
        }
    }
    let mut cases = Vec::new();
    for (line, value) in lines(questions)? {
        let at = |field: &str, message: &str| {
            ConfigError::field(field, message.to_owned()).in_file(questions, Some(line))
        };
        let id = value["id"].as_str().ok_or_else(|| at("id", "missing"))?;
        let turn = value["question"]
            .get(0)
            .and_then(Value::as_array)
            .ok_or_else(|| {
                at(
                    "question",
                    "expected a list of turns, each a list of messages",
                )
            })?;
        let messages: Vec<Message> = serde_json::from_value(Value::Array(turn.clone()))
            .map_err(|e| at("question", &e.to_string()))?;
        let functions = value["function"]
            .as_array()
            .ok_or_else(|| at("function", "expected a list of functions"))?;
        let tools: Vec<Value> = functions.iter().map(json_schema).collect();
        let target = truth.get(id).cloned().unwrap_or_else(|| json!([]));
        cases.push(
            Case::from_messages(id, messages)
                .with_target(target)
                .with_metadata(json!({"tools": tools})),
        );
    }
    let name = questions
        .file_stem()
        .map_or_else(|| "bfcl".to_owned(), |s| s.to_string_lossy().into_owned());
    QuestionSet::from_cases(name, cases)
        .map_err(|e| ConfigError::new(e.to_string()).in_file(questions, None))
}

/// One exchange offering the case's functions (`metadata.tools`), none of them run: the
/// calls the reply makes are the answer.
#[derive(Debug, Clone, Copy, Default)]
pub struct FunctionCalling;

#[async_trait]
impl Episode for FunctionCalling {
    fn kind(&self) -> &str {
        BFCL
    }

    async fn play(&self, cx: &mut EpisodeContext<'_>) -> Result<(), AgentError> {
        let case = Arc::clone(cx.case());
        let tools: Vec<ToolSpec> =
            serde_json::from_value(case.metadata["tools"].clone()).map_err(|e| {
                AgentError::new(
                    crate::AgentErrorKind::BadRequest,
                    format!(
                        "case `{}`: metadata.tools is not a list of functions: {e}",
                        case.id
                    ),
                )
            })?;
        cx.push_case_turns();
        let reply = cx
            .ask(AgentRequest::new(case.messages.clone()).with_tools(tools, None))
            .await?;
        cx.push_agent_turn(&reply);
        cx.transcript_mut().ending = Some(Ending::Natural);
        Ok(())
    }
}
