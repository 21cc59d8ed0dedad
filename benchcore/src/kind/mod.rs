//! Kinds of benchmark: how a suite named by a [`RunSpec`] becomes the parts of a run.
//!
//! A [`SuiteKind`] recognises its suites on disk, opens one (cases, the episode each attempt
//! plays, the evaluators and transcript tests the kind always uses, agents the suite names
//! itself) and writes its summary when the run ends. [`Run::from_spec`](crate::Run::from_spec)
//! is the one path every front end takes: the CLI, the Python package, workers and the
//! server only turn their input into a [`RunSpec`], and a stored spec resumes the same way.
//!
//! ```
//! use benchcore::kind::{BuiltinFactory, SuiteKinds};
//! use benchcore::{Engine, MemoryStore, Run, RunSpec};
//! use std::sync::Arc;
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("arith.jsonl");
//! std::fs::write(&path, "{\"id\": \"a\", \"input\": \"2+3?\", \"target\": \"5\"}\n").unwrap();
//! let spec = RunSpec::for_suite(&path).with_agent_config(serde_json::json!({"kind": "gold"}));
//! let run = Run::from_spec(spec, &BuiltinFactory)?;
//! let report = Engine::new(Arc::new(MemoryStore::new())).run(run).await?;
//! assert_eq!(report.summary.agents[0].passed, 1);
//! assert_eq!(SuiteKinds::builtin().detect(&path).unwrap().name(), "question_set");
//! # Ok::<(), benchcore::Error>(())
//! # }).unwrap();
//! ```

mod factory;
mod opened;
mod question_set;
mod registry;
mod summary;

pub use factory::{AgentFactory, BuiltinFactory};
pub use opened::{check_digest, OpenedSuite, SuppliedAgent};
pub(crate) use question_set::QueuedCases;
pub use question_set::{QuestionSetKind, QUESTION_SET};
pub use registry::SuiteKinds;
pub use summary::{write_summary, KindSummary, SummaryFile, SummaryTable};

use crate::{Error, RunInfo, RunSpec, RunStore, Workspace};
use async_trait::async_trait;
use std::path::Path;

/// A kind of benchmark (question set, conversation, code task …).
///
/// # Contract
/// - `name` is what a run spec stores as its `kind`, and never changes for a kind.
/// - `recognizes` looks at the path only (no full parse): it decides which kind opens a
///   path a user gives.
/// - `open` reads the whole suite and reports every problem with its file, line and field;
///   opening the same unchanged suite twice gives the same [`SuiteRef`](crate::SuiteRef)
///   digest.
/// - `check_unchanged` refuses a stored spec whose suite changed in a way that would mix two
///   versions in one run; the default compares content digests.
#[async_trait]
pub trait SuiteKind: Send + Sync + 'static {
    /// The kind's name, stored as [`RunSpec::kind`].
    fn name(&self) -> &str;

    /// Whether a file or folder is a suite of this kind.
    fn recognizes(&self, path: &Path) -> bool;

    /// Opens the suite `spec.suite.path` names, with the kind's options from `spec`; builds
    /// any agent the suite names through `agents`.
    ///
    /// # Errors
    /// The suite cannot be read or is malformed; an agent it names does not build.
    fn open(&self, spec: &RunSpec, agents: &dyn AgentFactory) -> Result<OpenedSuite, Error>;

    /// Opens the suite for a worker, whose cases come with the queued attempts. The default
    /// opens it as [`open`](Self::open) does (a conversation needs its simulated users, a
    /// code task its tests), so the path must be readable on the worker's machine.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    fn open_for_worker(
        &self,
        spec: &RunSpec,
        agents: &dyn AgentFactory,
    ) -> Result<OpenedSuite, Error> {
        self.open(spec, agents)
    }

    /// Refuses to go on with `stored` (a run being resumed) when the reopened suite no
    /// longer matches what the run recorded.
    ///
    /// # Errors
    /// What changed, in words a user can act on.
    fn check_unchanged(&self, stored: &RunSpec, reopened: &OpenedSuite) -> Result<(), Error> {
        opened::check_digest(stored, reopened)
    }

    /// The kind's summary of a run, written as `summary.json` when the run ends (see
    /// [`write_summary`]). The default is the per-agent summary every kind has.
    ///
    /// # Errors
    /// The store cannot be read.
    async fn summarize(
        &self,
        store: &dyn RunStore,
        workspace: &Workspace,
        run: &RunInfo,
    ) -> Result<KindSummary, Error> {
        KindSummary::generic(store, workspace, run).await
    }
}

const _: fn(&dyn SuiteKind) = |_| {};
