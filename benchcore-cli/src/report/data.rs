//! A run's report data, read back from the store: the run and its summary, the latency
//! distribution for the charts, and the case grid's rows (see [`Grid`]).
//!
//! A page never holds a big run whole: the grid shows a window of
//! [`WINDOW`](super::grid::WINDOW) attempts (the viewer fetches the next ones on request) and
//! the charts read latency counts the store aggregates, so opening a run of ten million
//! attempts costs what opening ten thousand does.

use super::grid::{Details, Grid, Rows};
use super::stats::{wilson, FiveNumbers};
use anyhow::Context;
use benchcore::store::LatencyCount;
use benchcore::{AgentSummary, Outcome, RunInfo, RunStore, RunSummary, Workspace};
use std::collections::HashMap;

/// Everything a report page shows, read from the store.
#[derive(Debug)]
pub(crate) struct ReportData {
    /// The run.
    pub(crate) run: RunInfo,
    /// Its per-agent summary, from the store.
    pub(crate) summary: RunSummary,
    /// The latency distribution per agent: (milliseconds, how many), ascending.
    pub(crate) latencies: HashMap<String, Vec<(u64, u64)>>,
    /// The grid's rows: a window of them, or all for a comparison.
    pub(crate) grid: Grid,
}

/// One agent's figures for the table and the charts.
#[derive(Debug, Clone)]
pub(crate) struct AgentStats {
    /// The agent.
    pub(crate) name: String,
    /// The store's summary of it.
    pub(crate) summary: AgentSummary,
    /// Attempts that count toward accuracy.
    pub(crate) judged: u64,
    /// The 95% Wilson interval of its accuracy.
    pub(crate) ci: Option<(f64, f64)>,
    /// Its latency distribution.
    pub(crate) latency: Option<FiveNumbers>,
}

impl ReportData {
    /// Reads a run's summary, latency counts and the grid rows `rows` asks for.
    pub(crate) async fn load(
        store: &dyn RunStore,
        workspace: &Workspace,
        run: RunInfo,
        details: Details,
        rows: Rows,
    ) -> anyhow::Result<Self> {
        let summarized = store
            .summarize_with_latencies(workspace, &run.id)
            .await
            .with_context(|| format!("summarizing run {}", run.id))?;
        Self::load_with(store, workspace, run, details, rows, summarized).await
    }

    /// As [`load`](Self::load), with the run's summary and latency counts already at hand.
    pub(crate) async fn load_with(
        store: &dyn RunStore,
        workspace: &Workspace,
        run: RunInfo,
        details: Details,
        rows: Rows,
        (summary, counts): (RunSummary, Vec<LatencyCount>),
    ) -> anyhow::Result<Self> {
        let mut latencies: HashMap<String, Vec<(u64, u64)>> = HashMap::new();
        for count in counts {
            latencies
                .entry(count.agent)
                .or_default()
                .push((count.latency_ms, count.count));
        }
        let grid = Grid::read(store, workspace, &run, details, rows).await?;
        Ok(Self {
            run,
            summary,
            latencies,
            grid,
        })
    }

    /// How many attempts the run has recorded (the grid may show a window of them).
    pub(crate) fn recorded(&self) -> u64 {
        self.summary.recorded()
    }

    /// Per-agent figures, in the summary's order, each with its interval and latencies.
    pub(crate) fn agent_stats(&self) -> Vec<AgentStats> {
        agent_stats(&self.summary, |agent| {
            self.latencies.get(agent).cloned().unwrap_or_default()
        })
    }
}

/// Per-agent figures from a summary, with latency counts looked up by agent name.
pub(crate) fn agent_stats(
    summary: &RunSummary,
    latencies: impl Fn(&str) -> Vec<(u64, u64)>,
) -> Vec<AgentStats> {
    summary
        .agents
        .iter()
        .map(|a| {
            let judged = a.passed + a.failed + a.invalid;
            AgentStats {
                name: a.agent.clone(),
                judged,
                ci: wilson(a.passed, judged),
                latency: FiveNumbers::of_counts(&latencies(&a.agent)),
                summary: a.clone(),
            }
        })
        .collect()
}

/// The one-letter code of an outcome in the page's rows.
pub(crate) fn outcome_code(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Passed => "p",
        Outcome::Failed => "f",
        Outcome::Invalid => "i",
        Outcome::Error => "e",
        Outcome::Skipped => "s",
    }
}
