//! The [`RunStore`] trait: where runs and attempts live, and everything read back from them.

mod error;
mod latency;
mod leaderboard;
mod limit_board;
mod memory;
mod memory_limits;
mod metrics;
mod paging;
mod queue;
mod report_means;
mod summary;
mod types;

pub use error::{StoreError, StoreErrorKind};
pub use latency::{count_by_paging, LatencyCount};
pub use leaderboard::{best_runs_per_agent, LeaderboardEntry};
pub use limit_board::{bucket_capacity, check_holder, fair_share, grant, Holding, LimitBoard};
pub use memory::MemoryStore;
pub use memory_limits::MemoryLimitBoard;
pub use metrics::MetricRecord;
pub use paging::for_each_page;
pub use queue::{QueuedAttempt, WorkQueue};
pub use report_means::{report_means, ReportMeans};
pub use summary::{
    percentile_of_counts, percentile_rank, sort_by_spec_order, SummaryBuilder, SummaryRow,
};
pub use types::{
    AgentSpec, AgentSummary, RunFilter, RunInfo, RunSpec, RunStatus, RunSummary, SuiteRef,
    Workspace,
};

use crate::{AttemptKey, AttemptRecord, Outcome, StoreCapabilities};
use async_trait::async_trait;

/// Which attempts of a run to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttemptQuery {
    /// Only this agent's.
    pub agent: Option<String>,
    /// Only this outcome.
    pub outcome: Option<Outcome>,
    /// Skip this many (ordered by case, agent, sample), after `after` applies.
    pub offset: usize,
    /// At most this many.
    pub limit: Option<usize>,
    /// Only attempts whose key sorts after this one (keyset paging): pass the last key of a
    /// page to read the next. Unlike a deep `offset`, the store seeks straight to it.
    pub after: Option<AttemptKey>,
}

impl AttemptQuery {
    /// Every attempt of the run.
    pub fn all() -> Self {
        Self::default()
    }

    /// Sets the page size.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Starts after this key (see [`AttemptQuery::after`]).
    pub fn after(mut self, key: Option<AttemptKey>) -> Self {
        self.after = key;
        self
    }
}

/// Where runs and their attempts are kept. Every call is scoped to a [`Workspace`]: nothing
/// in one workspace can be read, listed or written from another.
///
/// # Contract
/// - `create_run` with an id that exists in the workspace fails with `Conflict`; the same id in
///   another workspace is a different run.
/// - `get_run` of an unknown id (or one in another workspace) returns `Ok(None)`.
/// - `record_attempts` of an unknown run fails with `NotFound` and records nothing.
/// - Recording the same attempt key twice keeps one record and returns `Ok`. The later record
///   replaces the earlier one only when the earlier outcome is `error` or `skipped`
///   ([`Outcome::is_replaceable`]); judged outcomes are final.
/// - `record_attempts` is atomic: after a crash either the whole batch is stored or none of it.
/// - `attempt_outcomes` of an unknown run returns an empty list.
/// - Recorded attempts and runs survive closing and reopening a persistent store.
/// - `list_runs` returns newest first and honours every filter field.
/// - `summarize` computes from the stored attempts, never from memory of the run.
/// - `attempts` with `after: Some(key)` returns only attempts whose key sorts after `key` in
///   (case, agent, sample) order, whether or not `key` itself is stored; paging with the
///   last key of each page reads every attempt exactly once.
#[async_trait]
pub trait RunStore: Send + Sync + 'static {
    /// What this store supports.
    fn capabilities(&self) -> StoreCapabilities;

    /// Creates a run with its full spec, in state `running`.
    async fn create_run(
        &self,
        workspace: &Workspace,
        run_id: &str,
        spec: &RunSpec,
    ) -> Result<(), StoreError>;

    /// One run, or `None` when the workspace has no such run.
    async fn get_run(
        &self,
        workspace: &Workspace,
        run_id: &str,
    ) -> Result<Option<RunInfo>, StoreError>;

    /// Runs, newest first.
    async fn list_runs(
        &self,
        workspace: &Workspace,
        filter: &RunFilter,
    ) -> Result<Vec<RunInfo>, StoreError>;

    /// Moves a run to another state.
    async fn set_run_status(
        &self,
        workspace: &Workspace,
        run_id: &str,
        status: RunStatus,
    ) -> Result<(), StoreError>;

    /// Replaces a run's free-form tags ([`RunSpec::tags`]), the rest of its spec unchanged:
    /// for a note made after the run began, such as a resume that knowingly changed how it
    /// is scored.
    ///
    /// # Contract
    /// - Of an unknown run (or one in another workspace) it fails with `NotFound` and changes
    ///   nothing.
    /// - `get_run` then returns the new tags and every other field of the spec as created.
    ///
    /// The default changes nothing: it fails with `Config`, naming the store's lack. Every
    /// store of this project implements it.
    async fn set_run_tags(
        &self,
        workspace: &Workspace,
        run_id: &str,
        tags: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let _ = (workspace, tags);
        Err(StoreError::new(
            StoreErrorKind::Config,
            format!(
                "this store cannot change the tags of a run (run {run_id:?}): use the memory, \
                 SQLite or PostgreSQL store"
            ),
        ))
    }

    /// Deletes a run and everything kept of it (its attempts, quality metrics, queued
    /// attempts and the limits its workers hold), in one transaction.
    ///
    /// # Contract
    /// - It returns `true` when the workspace had the run, and `false` (changing nothing)
    ///   when it has no run of that id, even if another workspace does: that workspace's run
    ///   is left whole.
    /// - Afterwards the run is gone as if never created: `get_run` is `None`, its attempts and
    ///   metrics read empty, and creating a run of the same id starts from nothing.
    /// - Other runs of the workspace are untouched.
    ///
    /// The default deletes nothing: it fails with `Config`, naming the store's lack. Every
    /// store of this project implements it.
    async fn delete_run(&self, workspace: &Workspace, run_id: &str) -> Result<bool, StoreError> {
        let _ = workspace;
        Err(StoreError::new(
            StoreErrorKind::Config,
            format!(
                "this store cannot delete runs (run {run_id:?}): use the memory, SQLite or \
                 PostgreSQL store"
            ),
        ))
    }

    /// Records a batch of attempts atomically (see the contract for repeated keys).
    async fn record_attempts(
        &self,
        workspace: &Workspace,
        attempts: &[AttemptRecord],
    ) -> Result<(), StoreError>;

    /// The key and outcome of every recorded attempt of a run.
    async fn attempt_outcomes(
        &self,
        workspace: &Workspace,
        run_id: &str,
    ) -> Result<Vec<(AttemptKey, Outcome)>, StoreError>;

    /// The key and outcome of every recorded attempt of these cases of a run, in any order:
    /// what a resume asks, a batch of cases at a time, so that its memory does not grow with
    /// the run.
    ///
    /// # Contract
    /// - Every recorded attempt of a listed case is returned, and no attempt of another case.
    /// - Of an unknown run (or one in another workspace), an empty list.
    ///
    /// The default reads every outcome of the run ([`attempt_outcomes`](Self::attempt_outcomes))
    /// and keeps those of the cases asked for: right, but not flat. Every store of this
    /// project answers from the listed cases alone.
    async fn case_outcomes(
        &self,
        workspace: &Workspace,
        run_id: &str,
        case_ids: &[String],
    ) -> Result<Vec<(AttemptKey, Outcome)>, StoreError> {
        let wanted: std::collections::HashSet<&str> = case_ids.iter().map(String::as_str).collect();
        let mut outcomes = self.attempt_outcomes(workspace, run_id).await?;
        outcomes.retain(|(key, _)| wanted.contains(key.case_id.as_str()));
        Ok(outcomes)
    }

    /// A run's attempts, ordered by case, agent and sample.
    async fn attempts(
        &self,
        workspace: &Workspace,
        run_id: &str,
        query: &AttemptQuery,
    ) -> Result<Vec<AttemptRecord>, StoreError>;

    /// Per-agent results of a run, from its stored attempts.
    async fn summarize(
        &self,
        workspace: &Workspace,
        run_id: &str,
    ) -> Result<RunSummary, StoreError>;

    /// How a run's latencies are distributed: one entry per agent and distinct latency,
    /// ordered by agent then latency; attempts without a latency are left out.
    ///
    /// # Contract
    /// - Of an unknown run (or one in another workspace) it returns no entries.
    /// - The counts of an agent add up to its summary's attempts with a latency.
    ///
    /// The default reads the attempts a page at a time ([`count_by_paging`]); a store that
    /// can aggregate in its database does that instead.
    async fn latency_counts(
        &self,
        workspace: &Workspace,
        run_id: &str,
    ) -> Result<Vec<LatencyCount>, StoreError> {
        count_by_paging(self, workspace, run_id).await
    }

    /// [`summarize`](RunStore::summarize) and [`latency_counts`](RunStore::latency_counts)
    /// together, as a report needs them: each the same as when asked alone. The default asks
    /// for one then the other; a store that gets both from one read of the attempts (the SQL
    /// stores: one grouped scan) does that instead.
    async fn summarize_with_latencies(
        &self,
        workspace: &Workspace,
        run_id: &str,
    ) -> Result<(RunSummary, Vec<LatencyCount>), StoreError> {
        let summary = self.summarize(workspace, run_id).await?;
        Ok((summary, self.latency_counts(workspace, run_id).await?))
    }

    /// Stores quality metrics of a run's attempts (computed on request, such as an LLM
    /// judge's rubric scores of conversations).
    ///
    /// # Contract
    /// - `record_metrics` of an unknown run (or one in another workspace) fails with
    ///   `NotFound` and stores nothing.
    /// - A metric recorded again for the same attempt key and metric name replaces the
    ///   stored one; metrics of other names are kept.
    /// - `record_metrics` is atomic: either the whole batch is stored or none of it.
    /// - Stored metrics survive closing and reopening a persistent store.
    ///
    /// The default keeps none: it fails with `Config`, naming the store's lack. Every store
    /// of this project keeps them.
    async fn record_metrics(
        &self,
        workspace: &Workspace,
        run_id: &str,
        metrics: &[MetricRecord],
    ) -> Result<(), StoreError> {
        let _ = (workspace, metrics);
        Err(metrics_unsupported(run_id))
    }

    /// A run's stored quality metrics, ordered by case, agent, sample and metric name.
    ///
    /// # Contract
    /// - `metrics` of an unknown run returns an empty list.
    /// - Every field reads back as recorded.
    async fn metrics(
        &self,
        workspace: &Workspace,
        run_id: &str,
    ) -> Result<Vec<MetricRecord>, StoreError> {
        let _ = workspace;
        Err(metrics_unsupported(run_id))
    }

    /// The leaderboard of the runs `filter` selects: per agent, its best-accuracy run with
    /// that run's own cost, tokens and duration (see [`best_runs_per_agent`]). With
    /// `filter.agent` set, only that agent's row.
    ///
    /// # Contract
    /// - Each agent's row carries the accuracy, cost, tokens and duration of one run, the one
    ///   with its best accuracy, never averages over its runs.
    /// - Runs where the agent has no judged attempt do not count for it.
    /// - Rows are ordered by accuracy, best first.
    async fn leaderboard(
        &self,
        workspace: &Workspace,
        filter: &RunFilter,
    ) -> Result<Vec<LeaderboardEntry>, StoreError> {
        let runs = self.list_runs(workspace, filter).await?;
        let mut summarized = Vec::with_capacity(runs.len());
        for run in runs {
            let summary = self.summarize(workspace, &run.id).await?;
            summarized.push((run, summary));
        }
        let mut entries = best_runs_per_agent(&summarized);
        if let Some(agent) = &filter.agent {
            entries.retain(|e| &e.agent == agent);
        }
        Ok(entries)
    }
}

const _: fn(&dyn RunStore) = |_| {};

fn metrics_unsupported(run_id: &str) -> StoreError {
    StoreError::new(
        StoreErrorKind::Config,
        format!(
            "this store keeps no quality metrics (run {run_id:?}): use the memory, SQLite or \
             PostgreSQL store"
        ),
    )
}

/// Applies the replace rule of the contract: may `new` overwrite `existing`?
pub fn may_replace(existing: Outcome) -> bool {
    existing.is_replaceable()
}
