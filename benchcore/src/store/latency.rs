//! How a run's latencies are distributed: for each agent, how many attempts took each number
//! of milliseconds. Exact, yet its size is the number of distinct latencies, not of attempts,
//! so a report of ten million attempts draws its latency chart from a few kilobytes.

use super::{for_each_page, RunStore, StoreError, Workspace};
use std::collections::BTreeMap;

/// How many of an agent's attempts took `latency_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LatencyCount {
    /// The agent.
    pub agent: String,
    /// A latency, in milliseconds.
    pub latency_ms: u64,
    /// How many of the agent's attempts took it.
    pub count: u64,
}

impl LatencyCount {
    /// One entry.
    pub fn new(agent: impl Into<String>, latency_ms: u64, count: u64) -> Self {
        Self {
            agent: agent.into(),
            latency_ms,
            count,
        }
    }
}

/// Attempts read at a time by [`count_by_paging`].
const PAGE: usize = 1000;

/// Counts a run's latencies by reading its attempts a page at a time: what a store without
/// an aggregate query of its own does (see [`RunStore::latency_counts`]).
///
/// # Errors
/// As [`RunStore::attempts`].
pub async fn count_by_paging<S: RunStore + ?Sized>(
    store: &S,
    workspace: &Workspace,
    run_id: &str,
) -> Result<Vec<LatencyCount>, StoreError> {
    let mut counts: BTreeMap<(String, u64), u64> = BTreeMap::new();
    for_each_page(store, workspace, run_id, PAGE, |page| {
        for record in page {
            if let Some(ms) = record.latency_ms {
                *counts.entry((record.key.agent, ms)).or_default() += 1;
            }
        }
    })
    .await?;
    Ok(counts
        .into_iter()
        .map(|((agent, latency_ms), count)| LatencyCount::new(agent, latency_ms, count))
        .collect())
}
