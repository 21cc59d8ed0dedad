//! [`SuiteKinds`]: the kinds a front end knows, in the order they are tried on a path.

use super::{QuestionSetKind, SuiteKind};
use crate::{ConfigError, RunSpec};
use std::path::Path;
use std::sync::Arc;

/// The kinds of benchmark a front end can open. [`SuiteKinds::builtin`] has the code-task,
/// conversation and question-set kinds; [`register`](Self::register) adds more, tried before
/// the built-ins.
#[derive(Clone)]
pub struct SuiteKinds {
    kinds: Vec<Arc<dyn SuiteKind>>,
}

impl std::fmt::Debug for SuiteKinds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.kinds.iter().map(|k| k.name()))
            .finish()
    }
}

impl Default for SuiteKinds {
    fn default() -> Self {
        Self::builtin()
    }
}

impl SuiteKinds {
    /// Code-task catalogs, conversation suites and question sets, tried in that order.
    pub fn builtin() -> Self {
        Self {
            kinds: vec![
                Arc::new(crate::code_task::CodeTaskKind::default()),
                // Before conversations, which take any `.json` scenario file.
                Arc::new(crate::tools::BfclKind),
                Arc::new(crate::tools::ToolTaskKind),
                // Published dataset files (`.parquet`, `.arrow`, `.tsv`, `.gz`, Hugging Face folders).
                Arc::new(crate::dataset::DatasetKind),
                Arc::new(crate::conversation::ConversationKind),
                Arc::new(QuestionSetKind),
            ],
        }
    }

    /// Adds a kind, tried before those already known; it replaces a kind of the same name.
    pub fn register(mut self, kind: Arc<dyn SuiteKind>) -> Self {
        self.kinds.retain(|k| k.name() != kind.name());
        self.kinds.insert(0, kind);
        self
    }

    /// The kind of this name.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn SuiteKind>> {
        self.kinds.iter().find(|k| k.name() == name)
    }

    /// The first kind that recognises the path.
    pub fn detect(&self, path: &Path) -> Option<&Arc<dyn SuiteKind>> {
        self.kinds.iter().find(|k| k.recognizes(path))
    }

    /// The names, in the order they are tried.
    pub fn names(&self) -> Vec<&str> {
        self.kinds.iter().map(|k| k.name()).collect()
    }

    /// The kind a spec names, or the one its suite path is recognised as when the spec's
    /// kind is empty.
    ///
    /// # Errors
    /// An unknown kind, or a path no kind recognises.
    pub fn for_spec(&self, spec: &RunSpec) -> Result<&Arc<dyn SuiteKind>, ConfigError> {
        if !spec.kind.is_empty() {
            return self.get(&spec.kind).ok_or_else(|| {
                ConfigError::field(
                    "kind",
                    format!(
                        "runs of kind `{}` cannot be run by this build (known: {})",
                        spec.kind,
                        self.names().join(", ")
                    ),
                )
            });
        }
        // Dataset options say how to read any file, whatever its extension.
        if spec.suite.dataset.is_some() {
            if let Some(kind) = self.get(crate::dataset::DATASET) {
                return Ok(kind);
            }
        }
        let path = spec.suite.path.as_deref().ok_or_else(|| {
            ConfigError::field(
                "suite.path",
                "the spec names neither a kind nor a suite path",
            )
        })?;
        self.detect(Path::new(path)).ok_or_else(|| {
            ConfigError::field(
                "suite.path",
                format!(
                    "{path}: not a suite: expected a question set (.jsonl, .ndjson, .csv), a \
                     dataset (.parquet, .arrow, .tsv, .gz, a Hugging Face folder), a folder of \
                     conversation scenarios or a code-task catalog"
                ),
            )
        })
    }
}
