//! The tool-task kind: a folder with `tool_tasks.jsonl` (one task a line) run as agent
//! loops in the environments the tasks name, scored by [`ToolTaskCheck`]. An optional
//! `system.md` is every task's system message (an airline's policy, say); `airline_db.json`
//! is the airline environment's initial database.
//!
//! A task line: `{"id", "environment": "units" | "airline", "input", "reference": {"steps":
//! [[{"name", "arguments"}]], "answer"}, "required_output": [..], "expected_calls": [..],
//! "must_call": [..], "must_not_call": [..], "max_calls": N}`. The reference steps are what
//! the gold agent replays and the end state they leave is the expected one.

use super::agent_loop::{LoopLimits, ToolLoop};
use super::environment::Environment;
use super::envs::{Airline, Units};
use super::task_check::ToolTaskCheck;
use crate::kind::{AgentFactory, OpenedSuite, SuiteKind};
use crate::{AgentError, AgentErrorKind, Case, ConfigError, Error, Message, QuestionSet, RunSpec};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// The kind's name in run specs.
pub const TOOL_TASKS: &str = "tool_tasks";

/// The file a tool-task folder holds.
const TASKS_FILE: &str = "tool_tasks.jsonl";

/// Tool-task folders as suites.
#[derive(Debug, Clone, Copy, Default)]
pub struct ToolTaskKind;

fn environments(folder: &Path) -> Result<BTreeMap<String, Arc<dyn Environment>>, ConfigError> {
    let mut environments: BTreeMap<String, Arc<dyn Environment>> = BTreeMap::new();
    environments.insert("units".into(), Arc::new(Units));
    let db = folder.join("airline_db.json");
    if db.is_file() {
        let database: Value = crate::config::load_file(&db, "airline database")?;
        environments.insert("airline".into(), Arc::new(Airline::new(database)));
    }
    Ok(environments)
}

fn cases(
    folder: &Path,
    environments: &BTreeMap<String, Arc<dyn Environment>>,
) -> Result<Vec<Case>, ConfigError> {
    let file = folder.join(TASKS_FILE);
    let text = std::fs::read_to_string(&file)
        .map_err(|e| ConfigError::new(format!("cannot read it: {e}")).in_file(&file, None))?;
    let system = std::fs::read_to_string(folder.join("system.md")).ok();
    let mut cases = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let at = |field: &str, message: String| {
            ConfigError::field(field, message).in_file(&file, Some(i + 1))
        };
        let task: Value = serde_json::from_str(line).map_err(|e| at("", e.to_string()))?;
        let id = task["id"]
            .as_str()
            .ok_or_else(|| at("id", "missing".into()))?;
        let input = task["input"]
            .as_str()
            .ok_or_else(|| at("input", "missing".into()))?;
        let environment = task["environment"].as_str().unwrap_or_default();
        if !environments.contains_key(environment) {
            let known: Vec<&String> = environments.keys().collect();
            return Err(at("environment", format!("`{environment}` is not one of {known:?} (the airline needs airline_db.json beside the tasks)")));
        }
        if !task["reference"]["steps"].is_array() {
            return Err(at(
                "reference.steps",
                "expected a list of steps, each a list of calls".into(),
            ));
        }
        let mut messages = Vec::new();
        if let Some(system) = &system {
            messages.push(Message::system(system.trim()));
        }
        messages.push(Message::user(input));
        cases.push(Case::from_messages(id, messages).with_metadata(task));
    }
    Ok(cases)
}

#[async_trait::async_trait]
impl SuiteKind for ToolTaskKind {
    fn name(&self) -> &str {
        TOOL_TASKS
    }

    fn recognizes(&self, path: &Path) -> bool {
        path.join(TASKS_FILE).is_file()
    }

    fn open(&self, spec: &RunSpec, _agents: &dyn AgentFactory) -> Result<OpenedSuite, Error> {
        let folder = spec.suite.path.as_deref().map(Path::new).ok_or_else(|| {
            ConfigError::field("suite.path", "tool tasks are read from their folder")
        })?;
        let environments = Arc::new(environments(folder)?);
        let cases = cases(folder, &environments)?;
        let name = folder
            .file_name()
            .map_or_else(|| "tools".to_owned(), |n| n.to_string_lossy().into_owned());
        let set = QuestionSet::from_cases(name, cases)
            .map_err(|e| ConfigError::new(e.to_string()).in_file(folder.join(TASKS_FILE), None))?;
        let by_case = Arc::clone(&environments);
        let episode = ToolLoop::per_case(move |case| {
            let name = case.metadata["environment"].as_str().unwrap_or_default();
            let environment = by_case.get(name).ok_or_else(|| {
                AgentError::new(
                    AgentErrorKind::BadRequest,
                    format!("no environment `{name}`"),
                )
            })?;
            environment
                .session(case)
                .map(|session| session.toolbox)
                .map_err(|e| AgentError::new(AgentErrorKind::BadRequest, e))
        })
        .with_limits(LoopLimits::default().with_max_steps(12))
        .with_kind(TOOL_TASKS);
        Ok(OpenedSuite::new(
            Arc::new(super::bfcl_kind::CategoryFile::new(
                set,
                folder.display().to_string(),
            )),
            Arc::new(episode),
        )
        .with_evaluator(Arc::new(ToolTaskCheck::new(environments))))
    }

    async fn summarize(
        &self,
        store: &dyn crate::RunStore,
        workspace: &crate::Workspace,
        run: &crate::RunInfo,
    ) -> Result<crate::kind::KindSummary, Error> {
        super::task_summary::summarize(store, workspace, run).await
    }
}
