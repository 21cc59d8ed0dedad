//! The case grid's rows: one compact row per attempt, read from the store a page at a time,
//! either every attempt of a run (to compare two runs) or a window of [`WINDOW`] attempts
//! after a key (what a page shows, and what the viewer sends when asked for the next).

use super::attempt::AttemptDetail;
use anyhow::Context;
use benchcore::{AttemptKey, AttemptQuery, AttemptRecord, Outcome, RunInfo, RunStore, Workspace};
use std::collections::HashMap;

/// Attempts read from the store at a time.
const PAGE: usize = 1000;

/// Attempts in one window of the grid: what a page embeds, and what the viewer sends at a time.
pub(crate) const WINDOW: usize = 10_000;

/// Which attempts become grid rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rows {
    /// Every attempt: for comparing two runs, which pairs them all.
    All,
    /// At most [`WINDOW`] attempts, those after this key (from the first without one).
    Window(Option<AttemptKey>),
}

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

/// One attempt in the grid: indices into [`Grid::cases`] and [`Grid::agents`].
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

/// The rows of a grid (all of a run's attempts, or a window of them).
#[derive(Debug, Default)]
pub(crate) struct Grid {
    /// Agent names: the spec's order, then any other name the attempts carry.
    pub(crate) agents: Vec<String>,
    /// Case ids in key order.
    pub(crate) cases: Vec<String>,
    /// One row per attempt, in key order.
    pub(crate) rows: Vec<Row>,
    /// Where the next window starts, when the run has attempts past this one.
    pub(crate) next: Option<AttemptKey>,
    /// Each row's drill-down as JSON, for [`Details::Embed`].
    pub(crate) details: Vec<String>,
}

impl Grid {
    /// Reads the attempts `rows` asks for. Memory holds one page of full records at a time,
    /// plus the compact rows (and their drill-down JSON when embedded).
    pub(crate) async fn read(
        store: &dyn RunStore,
        workspace: &Workspace,
        run: &RunInfo,
        details: Details,
        rows: Rows,
    ) -> anyhow::Result<Self> {
        let mut grid = Self {
            agents: run.spec.agents.iter().map(|a| a.name.clone()).collect(),
            ..Self::default()
        };
        let mut agent_index: HashMap<String, u32> = grid
            .agents
            .iter()
            .enumerate()
            .map(|(i, a)| (a.clone(), i as u32))
            .collect();
        let mut case_index: HashMap<String, u32> = HashMap::new();
        // A window reads one attempt past its end, to know whether there is a next one.
        let (mut after, wanted) = match rows {
            Rows::All => (None, usize::MAX),
            Rows::Window(after) => (after, WINDOW + 1),
        };
        let mut last_kept = None;
        let mut read = 0;
        loop {
            let limit = PAGE.min(wanted - read);
            let query = AttemptQuery::all().limit(limit).after(after.take());
            let page = store
                .attempts(workspace, &run.id, &query)
                .await
                .with_context(|| format!("reading the attempts of run {}", run.id))?;
            for record in &page {
                read += 1;
                if wanted != usize::MAX && read > WINDOW {
                    grid.next = last_kept.take();
                    break;
                }
                grid.push(record, &mut agent_index, &mut case_index, details)?;
                last_kept = Some(record.key.clone());
            }
            if page.len() < limit || read >= wanted {
                break;
            }
            after = page.last().map(|r| r.key.clone());
        }
        Ok(grid)
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
                (self.agents.len() - 1) as u32
            });
        let case = *case_index
            .entry(record.key.case_id.clone())
            .or_insert_with(|| {
                self.cases.push(record.key.case_id.clone());
                (self.cases.len() - 1) as u32
            });
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
}
