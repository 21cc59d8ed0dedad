//! Code tasks: a catalog of tasks, each a folder with `metadata.json`, `instructions.md`, a
//! starter `workspace/`, `tests/` and a reference `solution/`; the prompt built from them;
//! answers (a unified diff or whole files) applied to a fresh copy with a patch fallback
//! chain and path checks; the tests run in a [`Sandbox`] (the `benchcore-sandbox` crate,
//! re-exported as [`sandbox`]) with kernel-enforced limits; a pass needs evidence that tests
//! ran ([`Evidence`]); pass@k from samples.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use benchcore::code_task::{CodeTaskEpisode, CodeTaskEvaluator, CodeTaskSummary, TaskCatalog};
//! use benchcore::{agent::reference::Gold, Engine, MemoryStore, Run};
//! use std::sync::Arc;
//!
//! let catalog = TaskCatalog::open("examples/tasks")?;
//! let evaluator = CodeTaskEvaluator::new(&catalog);
//! let store = Arc::new(MemoryStore::new());
//! let run = Run::new(catalog)
//!     .agent(Gold)
//!     .episode(CodeTaskEpisode)
//!     .evaluator(evaluator)
//!     .samples(3)
//!     .artifacts_dir("runs");
//! let report = Engine::new(store.clone()).run(run).await?;
//! let summary = CodeTaskSummary::load(&*store, &Default::default(), &report.run_id).await?;
//! summary.write("runs".as_ref())?;
//! # Ok(()) }
//! ```

mod agent_mode;
mod agent_tools;
mod answer;
mod apply;
mod catalog;
mod check;
mod counts;
mod deps;
mod diff;
mod episode;
mod evaluator;
mod evidence;
mod fence;
mod humaneval;
mod kind;
mod metadata;
mod pass_at_k;
mod paths;
mod prompt;
mod prompt_options;
mod skipped;
mod summary;
mod toolchain;
mod verdict;
mod workspace;

/// The sandbox that runs test commands: the `benchcore-sandbox` crate.
pub use benchcore_sandbox as sandbox;

pub use agent_mode::CodeTaskAgentEpisode;
pub use agent_tools::{AGENT_TOOLS, MAX_OUTPUT_BYTES, MAX_READ_BYTES};
pub use answer::{parse_answer, Answer, AnswerFile};
pub use apply::{apply_patch_to_text, ApplyStep, HunkFailure, HunkPlacement, MAX_FUZZ};
pub use catalog::{is_catalog, CatalogError, CatalogProblem, Severity, Task, TaskCatalog};
pub use check::CatalogCheck;
pub use counts::{parse_test_counts, TestCounts};
pub use deps::{declared_dependencies, DependencyKind, DepsCache};
pub use diff::{parse_unified_diff, unified_diff, DiffError, FilePatch, Hunk, HunkLine};
pub use episode::{CodeTaskEpisode, KIND};
pub use evaluator::{CodeTaskEvaluator, EVALUATOR_NAME};
pub use evidence::{JUNIT_PLACEHOLDER, RESULT_PREFIX, TOKEN_FILE_ENV};
pub use humaneval::{humaneval_folder, import_humaneval, write_humaneval_task, HumanEvalProblem};
pub use kind::{CodeTaskKind, CodeTaskSettings};
pub use metadata::{AnswerFormat, Difficulty, Evidence, TaskMetadata};
pub use pass_at_k::{mean_over_tasks, report_ks, PassAtK};
pub use paths::{resolve_in, safe_relative, Glob, GlobSet, PathProblem};
pub use prompt::{answer_format_text, build_prompt, AGENT_MODE_TEXT};
pub use prompt_options::{CodeTaskMode, PromptOptions};
pub use sandbox::{
    Guarantee, Isolation, LimitHit, Limits, Sandbox, SandboxCommand, SandboxError, SandboxOutput,
};
pub use skipped::{tasks_to_skip, SkippedTask};
pub use summary::{AgentResult, AttemptSummary, CodeTaskSummary, TaskResult};
pub use toolchain::{
    find_program, missing_toolchain, package_of, required_programs, KNOWN_TOOLCHAINS,
};
pub use workspace::{apply_answer, copy_tree, list_files, ApplyReport, ChangedFile, RejectedPath};

/// The folder name of an attempt's artifacts, as the engine names it:
/// `<task>__<agent>__sampleNN`, each part made safe as one path component.
///
/// ```
/// assert_eq!(benchcore::code_task::attempt_folder("py_add", "openai:gpt-4o", 3), "py_add__openai_gpt-4o__sample03");
/// ```
pub fn attempt_folder(case_id: &str, agent: &str, sample: u32) -> String {
    crate::AttemptKey::new(case_id, agent, sample).artifacts_folder()
}
