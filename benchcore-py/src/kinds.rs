//! Opening the suites of the other benchmark kinds: conversations (an interviewer and a
//! simulated user) and code tasks (answers tested in a sandbox).

use crate::errors;
use crate::suite::SuiteHandle;
use benchcore::code_task::{
    AnswerFormat, CodeTaskEpisode, CodeTaskEvaluator, PromptOptions, TaskCatalog,
};
use benchcore::conversation::{Conversation, ConversationSuite, EndedNaturally};
use benchcore::{Agent, ConfigError};
use benchcore_providers::{build_agent, AgentConfig};
use pyo3::prelude::*;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;

/// A conversation suite with every scenario's simulated user: `user` for all (with its
/// stored config), else each scenario's own `simulated_user.agent`.
pub(crate) fn conversations(
    py: Python<'_>,
    path: &Path,
    user: Option<(Arc<dyn Agent>, Value)>,
) -> PyResult<SuiteHandle> {
    let suite = ConversationSuite::open(path).map_err(|e| errors::suite(py, &e))?;
    let mut tags = suite.spec_tags();
    let episode = match user {
        Some((user, config)) => {
            if !config.is_null() {
                tags["conversation"]["simulated_user"] = config;
            }
            Conversation::with_user_for_all(suite, user)
        }
        None => Conversation::new(suite, |scenario| {
            let config = scenario
                .scenario
                .simulated_user
                .agent
                .clone()
                .ok_or_else(|| {
                    ConfigError::field(
                        "simulated_user.agent",
                        "the scenario names no simulated user: give it one, or pass \
                     simulated_user=... (any agent, a Python callable included)",
                    )
                    .in_file(&scenario.path, None)
                })?;
            let config: AgentConfig = serde_json::from_value(config).map_err(|e| {
                ConfigError::field("simulated_user.agent", e.to_string())
                    .in_file(&scenario.path, None)
            })?;
            config
                .validate()
                .and_then(|()| build_agent(&config))
                .map_err(|e| e.in_file(&scenario.path, None))
        })
        .map_err(|e| errors::config(py, &e))?,
    };
    let kind = benchcore::engine::Episode::kind(&episode).to_owned();
    Ok(SuiteHandle {
        source: Arc::new(episode.suite().clone()),
        episode: Some(Arc::new(episode)),
        evaluators: vec![Arc::new(EndedNaturally)],
        tests: Vec::new(),
        kind,
        tags,
    })
}

/// A code-task catalog with its episode and its tests evaluator.
pub(crate) fn code_tasks(
    py: Python<'_>,
    path: &Path,
    include_tests: bool,
    answer_format: Option<&str>,
) -> PyResult<SuiteHandle> {
    let mut options = PromptOptions::default();
    if include_tests {
        options = options.with_tests(true);
    }
    if let Some(format) = answer_format {
        let format: AnswerFormat = format
            .parse()
            .map_err(|e: String| errors::argument(py, "answer_format", e))?;
        options = options.with_answer_format(format);
    }
    if !path.exists() {
        return Err(errors::raise(
            py,
            "SuiteNotFoundError",
            format!("{}: no such task catalog", path.display()),
            json!({ "kind": "io", "path": path.display().to_string() }),
        ));
    }
    let catalog = TaskCatalog::open_with(path, options.clone()).map_err(|e| {
        errors::raise(
            py,
            "SuiteError",
            format!("{}: {e}", path.display()),
            json!({ "kind": "malformed", "path": path.display().to_string() }),
        )
    })?;
    let evaluator = CodeTaskEvaluator::new(&catalog);
    let tags = if options == PromptOptions::default() {
        Value::Null
    } else {
        json!({ "code_task": options.to_json() })
    };
    Ok(SuiteHandle {
        source: Arc::new(catalog),
        episode: Some(Arc::new(CodeTaskEpisode)),
        evaluators: vec![Arc::new(evaluator)],
        tests: Vec::new(),
        kind: benchcore::code_task::KIND.to_owned(),
        tags,
    })
}

/// Whether `path` is a conversation suite: a scenario file, or a folder holding one.
fn is_conversation_path(path: &Path) -> bool {
    if path.is_dir() {
        return std::fs::read_dir(path).is_ok_and(|entries| {
            entries
                .filter_map(Result::ok)
                .any(|e| e.path().is_file() && benchcore::conversation::is_scenario_file(&e.path()))
        });
    }
    benchcore::conversation::is_scenario_file(path)
}

/// The suite at `path`, its kind told from what is there: a code-task catalog, a
/// conversation suite (scenario files), else a question set.
pub(crate) fn open_path(py: Python<'_>, path: &Path) -> PyResult<SuiteHandle> {
    if benchcore::code_task::is_catalog(path) {
        return code_tasks(py, path, false, None);
    }
    if is_conversation_path(path) {
        return conversations(py, path, None);
    }
    let set = benchcore::QuestionSet::open(path).map_err(|e| errors::suite(py, &e))?;
    Ok(SuiteHandle::questions(Arc::new(set)))
}
