//! The BFCL kind: a Berkeley Function Calling Leaderboard category file named as BFCL
//! publishes it (`BFCL_v3_simple.json` …), its answers read from `possible_answer/` beside it
//! as in BFCL's own data folder, so `benchcore run data/BFCL_v3_simple.json --agent …` asks
//! each question with its functions and scores the calls.

use super::bfcl::{load_bfcl, FunctionCalling, BFCL};
use super::call_match::ToolCallMatch;
use crate::kind::{AgentFactory, OpenedSuite, SuiteKind};
use crate::{Case, CaseSource, ConfigError, Error, QuestionSet, RunSpec, SuiteError, SuiteRef};
use futures::stream::BoxStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// BFCL category files as suites.
#[derive(Debug, Clone, Copy, Default)]
pub struct BfclKind;

/// The answers file of a category: `possible_answer/<same name>` beside it.
pub fn bfcl_answers(questions: &Path) -> Option<PathBuf> {
    let answers = questions
        .parent()?
        .join("possible_answer")
        .join(questions.file_name()?);
    answers.is_file().then_some(answers)
}

/// Cases loaded from a file or folder that remember where they came from, so a run can be
/// resumed from its spec.
pub(crate) struct CategoryFile {
    set: QuestionSet,
    path: String,
}

impl CategoryFile {
    pub(crate) fn new(set: QuestionSet, path: String) -> Self {
        Self { set, path }
    }
}

impl CaseSource for CategoryFile {
    fn describe(&self) -> SuiteRef {
        self.set.describe().with_path(self.path.clone())
    }

    fn len(&self) -> u64 {
        self.set.len()
    }

    fn cases(&self) -> BoxStream<'static, Result<Case, SuiteError>> {
        self.set.cases()
    }
}

#[async_trait::async_trait]
impl SuiteKind for BfclKind {
    fn name(&self) -> &str {
        BFCL
    }

    fn recognizes(&self, path: &Path) -> bool {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        name.starts_with("BFCL_") && (name.ends_with(".json") || name.ends_with(".jsonl"))
    }

    fn open(&self, spec: &RunSpec, _agents: &dyn AgentFactory) -> Result<OpenedSuite, Error> {
        let path = spec.suite.path.as_deref().map(Path::new).ok_or_else(|| {
            ConfigError::field("suite.path", "a BFCL category is read from its file")
        })?;
        let answers = bfcl_answers(path);
        let set = load_bfcl(path, answers.as_deref())?;
        let mut opened = OpenedSuite::new(
            Arc::new(CategoryFile::new(set, path.display().to_string())),
            Arc::new(FunctionCalling),
        )
        .with_evaluator(Arc::new(ToolCallMatch))
        .with_tags(serde_json::json!({BFCL: {
            "answers": answers.as_ref().map(|a| a.display().to_string()),
        }}));
        if answers.is_none() {
            opened.warnings.push(format!(
                "{}: no possible_answer/ file beside it: every question expects no call \
                 (right for the irrelevance categories)",
                path.display()
            ));
        }
        Ok(opened)
    }
}
