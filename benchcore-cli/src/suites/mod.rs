//! Opening a suite from a path: a question-set file, or a folder whose contents say its kind.
//! Each kind brings the episode and the judgement it always uses, so a resumed run gets them
//! back by reopening the same path.

use crate::plan::AgentWrapping;
use anyhow::Context;
use benchcore::engine::Episode;
use benchcore::{CaseSource, Evaluator, QuestionSet, TranscriptTest};
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

impl OpenedSuite {
    fn plain(source: Arc<dyn CaseSource>) -> Self {
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
    _wrapping: &AgentWrapping,
) -> anyhow::Result<OpenedSuite> {
    match kind {
        None | Some("question_set") => {}
        Some(other) => anyhow::bail!("runs of kind `{other}` cannot be run by this version"),
    }
    let suite = QuestionSet::open(path)
        .with_context(|| format!("opening the question set {}", path.display()))?;
    Ok(OpenedSuite::plain(Arc::new(suite)))
}
