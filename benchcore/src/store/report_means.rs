//! [`ReportMeans`]: per agent, the mean of each numeric metric of one transcript-test report
//! (`Voice`, say) over a run's attempts — what `show` prints beside the accuracy table and
//! what the leaderboard can rank on.

use super::{for_each_page, RunStore, StoreError};
use crate::Workspace;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One agent's means of a report's numeric metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReportMeans {
    /// The agent.
    pub agent: String,
    /// Attempts that carried the report.
    pub attempts: u64,
    /// Metric name to its mean over those attempts (metrics with a number as value only).
    pub means: BTreeMap<String, f64>,
}

impl ReportMeans {
    /// The mean of `metric`, when some attempt measured it.
    pub fn mean(&self, metric: &str) -> Option<f64> {
        self.means.get(metric).copied()
    }
}

/// Metric name → (sum, count) of its values.
type Sums = BTreeMap<String, (f64, u64)>;

/// Per agent (in name order), the mean of every numeric metric of the reports titled
/// `title` over the run's attempts, read a page at a time. Agents whose attempts never
/// carried the report are left out.
///
/// # Errors
/// The store's.
pub async fn report_means<S: RunStore + ?Sized>(
    store: &S,
    workspace: &Workspace,
    run_id: &str,
    title: &str,
) -> Result<Vec<ReportMeans>, StoreError> {
    let mut sums: BTreeMap<String, (u64, Sums)> = BTreeMap::new();
    for_each_page(store, workspace, run_id, 1_000, |records| {
        for record in records {
            let Some(report) = record.reports.iter().find(|r| r.title == title) else {
                continue;
            };
            let (attempts, metrics) = sums.entry(record.key.agent.clone()).or_default();
            *attempts += 1;
            for variable in &report.variables {
                if let Some(value) = variable.value.as_f64().filter(|v| v.is_finite()) {
                    let (sum, count) = metrics.entry(variable.metric.clone()).or_default();
                    *sum += value;
                    *count += 1;
                }
            }
        }
    })
    .await?;
    Ok(sums
        .into_iter()
        .map(|(agent, (attempts, metrics))| ReportMeans {
            agent,
            attempts,
            means: metrics
                .into_iter()
                .map(|(metric, (sum, count))| (metric, sum / count as f64))
                .collect(),
        })
        .collect())
}
