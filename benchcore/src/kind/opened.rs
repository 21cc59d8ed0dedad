//! [`OpenedSuite`]: what a kind opens from a suite.

use crate::engine::Episode;
use crate::{Agent, CaseSource, Error, Evaluator, RunSpec, TranscriptTest};
use std::sync::Arc;

/// An agent a suite names itself (a conversation scenario's interviewer), with the config a
/// run spec stores for it.
#[derive(Clone)]
pub struct SuppliedAgent {
    /// The agent.
    pub agent: Arc<dyn Agent>,
    /// What the run spec stores for it.
    pub config: serde_json::Value,
}

impl std::fmt::Debug for SuppliedAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SuppliedAgent")
            .field("name", &self.agent.name())
            .field("config", &self.config)
            .finish()
    }
}

/// A suite opened by its [`SuiteKind`](super::SuiteKind), with everything the kind brings.
#[derive(Clone)]
#[non_exhaustive]
pub struct OpenedSuite {
    /// The cases.
    pub source: Arc<dyn CaseSource>,
    /// How each attempt plays out.
    pub episode: Arc<dyn Episode>,
    /// Evaluators the kind always uses. They are not recorded in the run spec: reopening the
    /// suite brings them back.
    pub evaluators: Vec<Arc<dyn Evaluator>>,
    /// Transcript tests run after every attempt.
    pub tests: Vec<Arc<dyn TranscriptTest>>,
    /// What the run spec's `tags` record about the suite, merged key by key (a conversation
    /// suite's prompts, a code-task catalog's prompt options).
    pub tags: serde_json::Value,
    /// The agents under test the suite names itself, for runs that name none; or why it
    /// cannot supply them (empty when the kind names none).
    pub supplied_agents: Result<Vec<SuppliedAgent>, String>,
    /// What the kind cannot guarantee here, for people to read (a sandbox without a process
    /// limit).
    pub warnings: Vec<String>,
}

impl std::fmt::Debug for OpenedSuite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedSuite")
            .field("suite", &self.source.describe())
            .field("episode", &self.episode.kind())
            .field("evaluators", &self.evaluators.len())
            .field("tests", &self.tests.len())
            .finish_non_exhaustive()
    }
}

impl OpenedSuite {
    /// A suite that brings its cases and episode and nothing else.
    pub fn new(source: Arc<dyn CaseSource>, episode: Arc<dyn Episode>) -> Self {
        Self {
            source,
            episode,
            evaluators: Vec::new(),
            tests: Vec::new(),
            tags: serde_json::Value::Null,
            supplied_agents: Err(String::new()),
            warnings: Vec::new(),
        }
    }

    /// Adds an evaluator the kind always uses.
    pub fn with_evaluator(mut self, evaluator: Arc<dyn Evaluator>) -> Self {
        self.evaluators.push(evaluator);
        self
    }

    /// Sets what the run spec's `tags` record about the suite.
    pub fn with_tags(mut self, tags: serde_json::Value) -> Self {
        self.tags = tags;
        self
    }
}

/// Refuses a stored spec whose suite digest differs from the reopened suite's (the default
/// [`SuiteKind::check_unchanged`](super::SuiteKind::check_unchanged)).
///
/// # Errors
/// The digests differ.
pub fn check_digest(stored: &RunSpec, reopened: &OpenedSuite) -> Result<(), Error> {
    let now = reopened.source.describe();
    match (&stored.suite.digest, &now.digest) {
        (Some(then), Some(now_digest)) if then != now_digest => Err(Error::Run(format!(
            "the suite `{}` changed since the run started (content digest {then} then, \
             {now_digest} now): restore it, or start a new run",
            stored.suite.name
        ))),
        _ => Ok(()),
    }
}
