//! Opening a suite from a path: a question-set file, or a folder whose contents say its kind.
//! Each kind brings the episode and the judgement it always uses, so a resumed run gets them
//! back by reopening the same path.

pub(crate) mod code_tasks;
pub(crate) mod conversation;

use crate::plan::AgentWrapping;
use anyhow::Context;
use benchcore::engine::Episode;
use benchcore::{Agent, CaseSource, Evaluator, QuestionSet, RunSpec, TranscriptTest};
use benchcore_providers::AgentConfig;
use std::path::Path;
use std::sync::Arc;

/// A suite opened from a path, with what its kind brings.
pub(crate) struct OpenedSuite {
    /// The cases.
    pub(crate) source: Arc<dyn CaseSource>,
    /// How each attempt plays out; `None` for a single exchange.
    pub(crate) episode: Option<Arc<dyn Episode>>,
    /// Evaluators the kind always uses (not recorded in the run spec: reopening the suite
    /// brings them back).
    pub(crate) evaluators: Vec<Arc<dyn Evaluator>>,
    /// Transcript tests run after every attempt.
    pub(crate) tests: Vec<Arc<dyn TranscriptTest>>,
}

/// Agents under test a suite supplies, each with the config its run spec stores.
pub(crate) type SuppliedAgents = Vec<(Arc<dyn Agent>, serde_json::Value)>;

/// What a suite records and offers beyond its [`OpenedSuite`].
pub(crate) struct SuiteExtras {
    /// What the run spec's `tags` record about the suite (a conversation suite's prompts).
    pub(crate) tags: serde_json::Value,
    /// The agents under test the suite names itself (with their stored configs), for runs
    /// that name none; or why there are none (empty when the kind names none).
    pub(crate) default_agents: Result<SuppliedAgents, String>,
}

impl Default for SuiteExtras {
    fn default() -> Self {
        Self {
            tags: serde_json::Value::Null,
            default_agents: Err(String::new()),
        }
    }
}

impl OpenedSuite {
    /// A suite that brings nothing but its cases.
    pub(crate) fn plain(source: Arc<dyn CaseSource>) -> Self {
        Self {
            source,
            episode: None,
            evaluators: Vec::new(),
            tests: Vec::new(),
        }
    }
}

/// Opens the suite at `path`. `kind` is the stored run kind when resuming, `None` to tell the
/// kind from the path.
pub(crate) fn open_suite(
    path: &Path,
    kind: Option<&str>,
    wrapping: &AgentWrapping,
) -> anyhow::Result<OpenedSuite> {
    match kind {
        Some(conversation::KIND) => return Ok(conversation::open_with(path, wrapping, None)?.0),
        None if conversation::is_conversation_path(path)
            && !code_tasks::is_code_task_path(path) =>
        {
            return Ok(conversation::open_with(path, wrapping, None)?.0)
        }
        Some(benchcore::code_task::KIND) => return code_tasks::open(path, Default::default()),
        None if code_tasks::is_code_task_path(path) => {
            return code_tasks::open(path, Default::default())
        }
        None | Some("question_set") => {}
        Some(other) => anyhow::bail!("runs of kind `{other}` cannot be run by this version"),
    }
    let suite = QuestionSet::open(path)
        .with_context(|| format!("opening the question set {}", path.display()))?;
    Ok(OpenedSuite::plain(Arc::new(suite)))
}

/// Opens the suite at `path` as [`open_suite`] does, with what its kind records in the run
/// spec and the agents it names. `simulated_user` gives a conversation suite's simulated user
/// for every scenario, when one is chosen for the run (`--simulated-user`, or the stored run's).
pub(crate) fn open_suite_with_extras(
    path: &Path,
    kind: Option<&str>,
    wrapping: &AgentWrapping,
    simulated_user: impl FnOnce(&Path) -> anyhow::Result<Option<AgentConfig>>,
) -> anyhow::Result<(OpenedSuite, SuiteExtras)> {
    let conversation = match kind {
        Some(kind) => kind == conversation::KIND,
        None => conversation::is_conversation_path(path) && !code_tasks::is_code_task_path(path),
    };
    let simulated_user = simulated_user(path)?;
    if conversation {
        return conversation::open_with(path, wrapping, simulated_user);
    }
    if simulated_user.is_some() {
        anyhow::bail!(
            "--simulated-user: {} is not a conversation suite; a simulated user takes part in \
             conversations only",
            path.display()
        );
    }
    Ok((open_suite(path, kind, wrapping)?, SuiteExtras::default()))
}

/// Refuses to resume a run whose reopened suite no longer matches what the run recorded.
pub(crate) fn check_resume(spec: &RunSpec, extras: &SuiteExtras) -> anyhow::Result<()> {
    if spec.kind == conversation::KIND {
        conversation::check_unchanged(spec, extras)?;
    }
    Ok(())
}
