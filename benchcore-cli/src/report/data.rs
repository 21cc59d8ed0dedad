//! A run's report data, read back from the store page by page: the run and its summary, one
//! compact row per attempt for the grid, latencies for the charts, and (for a self-contained
//! report) each attempt's drill-down.

use super::attempt::AttemptDetail;
use super::stats::{wilson, FiveNumbers};
use anyhow::Context;
use benchcore::{
    AgentSummary, AttemptQuery, AttemptRecord, Outcome, RunInfo, RunStore, RunSummary, Workspace,
};
use std::collections::HashMap;

/// Attempts read from the store at a time.
const PAGE: usize = 1000;

/// Where the drill-down of each attempt comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Details {
    /// Inside the page: a self-contained report. Artifact files are read up to the cap.
    Embed {
        /// Bytes read of each artifact file.
        artifact_cap: usize,
    },
    /// Fetched from the viewer when an attempt is opened; the page holds only the grid.
    Lazy,
}

/// One attempt in the grid: indices into [`ReportData::cases`] and [`ReportData::agents`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    /// Index of the case.
    pub(crate) case: u32,
    /// Index of the agent.
    pub(crate) agent: u32,
    /// The sample.
    pub(crate) sample: u32,
    /// How it ended.
    pub(crate) outcome: Outcome,
    /// Its score.
    pub(crate) score: Option<f64>,
    /// Its latency.
    pub(crate) latency_ms: Option<u64>,
    /// Its cost.
    pub(crate) cost_usd: Option<f64>,
}

/// Everything a report page shows, read from the store.
#[derive(Debug)]
pub(crate) struct ReportData {
    /// The run.
    pub(crate) run: RunInfo,
    /// Its per-agent summary, from the store.
    pub(crate) summary: RunSummary,
    /// Agent names: the spec's order, then any other name the attempts carry.
    pub(crate) agents: Vec<String>,
    /// Case ids in key order.
    pub(crate) cases: Vec<String>,
    /// One row per attempt, in key order.
    pub(crate) rows: Vec<Row>,
    /// Latencies per agent (same index as `agents`).
    pub(crate) latencies: Vec<Vec<u64>>,
    /// Each row's drill-down as JSON, for [`Details::Embed`].
    pub(crate) details: Vec<String>,
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
    /// Reads a run (by id) and all its attempts. Memory holds one page of full records at a
    /// time, plus the compact rows (and the drill-down JSON when embedded).
    pub(crate) async fn load(
        store: &dyn RunStore,
        workspace: &Workspace,
        run: RunInfo,
        details: Details,
    ) -> anyhow::Result<Self> {
        let summary = store
            .summarize(workspace, &run.id)
            .await
            .with_context(|| format!("summarizing run {}", run.id))?;
        let mut data = Self {
            agents: run.spec.agents.iter().map(|a| a.name.clone()).collect(),
            latencies: vec![Vec::new(); run.spec.agents.len()],
            run,
            summary,
            cases: Vec::new(),
            rows: Vec::new(),
            details: Vec::new(),
        };
        let mut agent_index: HashMap<String, u32> = data
            .agents
            .iter()
            .enumerate()
            .map(|(i, a)| (a.clone(), i as u32))
            .collect();
        let mut case_index: HashMap<String, u32> = HashMap::new();
        let mut after = None;
        loop {
            let query = AttemptQuery::all().limit(PAGE).after(after.take());
            let page = store
                .attempts(workspace, &data.run.id, &query)
                .await
                .with_context(|| format!("reading the attempts of run {}", data.run.id))?;
            for record in &page {
                data.push(record, &mut agent_index, &mut case_index, details)?;
            }
            if page.len() < PAGE {
                break;
            }
            after = page.last().map(|r| r.key.clone());
        }
        Ok(data)
    }

    fn push(
        &mut self,
        record: &AttemptRecord,
        agent_index: &mut HashMap<String, u32>,
        case_index: &mut HashMap<String, u32>,
        details: Details,
    ) -> anyhow::Result<()> {
        let agent = *agent_index
            .entry(record.key.agent.clone())
            .or_insert_with(|| {
                self.agents.push(record.key.agent.clone());
                self.latencies.push(Vec::new());
                (self.agents.len() - 1) as u32
            });
        let case = *case_index
            .entry(record.key.case_id.clone())
            .or_insert_with(|| {
                self.cases.push(record.key.case_id.clone());
                (self.cases.len() - 1) as u32
            });
        if let Some(ms) = record.latency_ms {
            self.latencies[agent as usize].push(ms);
        }
        self.rows.push(Row {
            case,
            agent,
            sample: record.key.sample,
            outcome: record.outcome,
            score: record.score,
            latency_ms: record.latency_ms,
            cost_usd: record.cost_usd,
        });
        if let Details::Embed { artifact_cap } = details {
            self.details.push(serde_json::to_string(&AttemptDetail::of(
                record,
                artifact_cap,
            ))?);
        }
        Ok(())
    }

    /// Per-agent figures, in the summary's order, each with its interval and latencies.
    pub(crate) fn agent_stats(&self) -> Vec<AgentStats> {
        agent_stats(&self.summary, |agent| {
            self.agents
                .iter()
                .position(|a| a == agent)
                .map(|i| self.latencies[i].clone())
                .unwrap_or_default()
        })
    }
}

/// Per-agent figures from a summary, with latencies looked up by agent name.
pub(crate) fn agent_stats(
    summary: &RunSummary,
    latencies: impl Fn(&str) -> Vec<u64>,
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
                latency: FiveNumbers::of(&mut latencies(&a.agent)),
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
