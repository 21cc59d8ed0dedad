//! The question-set kind: one case a line, one exchange an attempt.

use super::{AgentFactory, OpenedSuite, SuiteKind};
use crate::engine::SingleTurn;
use crate::{Case, CaseSource, ConfigError, Error, QuestionSet, RunSpec, SuiteError, SuiteRef};
use futures::stream::BoxStream;
use std::path::Path;
use std::sync::Arc;

/// Question sets: `.jsonl`, `.ndjson` or `.csv` files; each attempt is one exchange
/// ([`SingleTurn`]), judged by the run's evaluators (exact match when it names none).
#[derive(Debug, Clone, Copy, Default)]
pub struct QuestionSetKind;

/// The name of the question-set kind.
pub const QUESTION_SET: &str = "question_set";

impl QuestionSetKind {
    fn path(spec: &RunSpec) -> Result<&Path, ConfigError> {
        spec.suite.path.as_deref().map(Path::new).ok_or_else(|| {
            ConfigError::field(
                "suite.path",
                "the question set was built in code, not read from a file: pass its cases again",
            )
        })
    }
}

#[async_trait::async_trait]
impl SuiteKind for QuestionSetKind {
    fn name(&self) -> &str {
        QUESTION_SET
    }

    fn recognizes(&self, path: &Path) -> bool {
        matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("jsonl" | "ndjson" | "csv")
        )
    }

    fn open(&self, spec: &RunSpec, _agents: &dyn AgentFactory) -> Result<OpenedSuite, Error> {
        let set = QuestionSet::open(Self::path(spec)?)?;
        Ok(OpenedSuite::new(Arc::new(set), Arc::new(SingleTurn)))
    }

    /// A worker's cases come with the queued attempts: nothing is read from disk.
    fn open_for_worker(
        &self,
        spec: &RunSpec,
        _agents: &dyn AgentFactory,
    ) -> Result<OpenedSuite, Error> {
        Ok(OpenedSuite::new(
            Arc::new(QueuedCases(spec.suite.clone())),
            Arc::new(SingleTurn),
        ))
    }
}

/// The suite of a run whose cases come with its queued attempts: it reads nothing itself.
pub(crate) struct QueuedCases(SuiteRef);

impl QueuedCases {
    /// The suite a stored spec describes.
    pub(crate) fn new(suite: SuiteRef) -> Self {
        Self(suite)
    }
}

impl CaseSource for QueuedCases {
    fn describe(&self) -> SuiteRef {
        self.0.clone()
    }

    fn len(&self) -> u64 {
        self.0.cases
    }

    fn cases(&self) -> BoxStream<'static, Result<Case, SuiteError>> {
        Box::pin(futures::stream::empty())
    }
}
