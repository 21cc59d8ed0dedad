use super::AgentSummary;
use crate::Outcome;
use std::collections::BTreeMap;

/// The columns of an attempt that a summary needs.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct SummaryRow {
    /// The agent.
    pub agent: String,
    /// The outcome.
    pub outcome: Option<Outcome>,
    /// The score.
    pub score: Option<f64>,
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Completion tokens.
    pub output_tokens: u64,
    /// Cost.
    pub cost_usd: Option<f64>,
    /// Latency of the successful exchange.
    pub latency_ms: Option<u64>,
    /// Retries.
    pub retries: u64,
}

impl SummaryRow {
    /// A row for an agent and outcome.
    pub fn new(agent: impl Into<String>, outcome: Outcome) -> Self {
        Self {
            agent: agent.into(),
            outcome: Some(outcome),
            ..Self::default()
        }
    }
}

/// Folds attempt rows into per-agent summaries. Every store uses it, so summaries mean the
/// same thing on every backend.
#[derive(Debug, Default)]
pub struct SummaryBuilder {
    agents: BTreeMap<String, (AgentSummary, Vec<u64>, f64, u64)>,
}

impl SummaryBuilder {
    /// Adds one attempt.
    pub fn add(&mut self, row: SummaryRow) {
        let (summary, latencies, score_sum, scored) =
            self.agents.entry(row.agent.clone()).or_insert_with(|| {
                (
                    AgentSummary {
                        agent: row.agent.clone(),
                        ..AgentSummary::default()
                    },
                    Vec::new(),
                    0.0,
                    0,
                )
            });
        summary.n += 1;
        match row.outcome {
            Some(Outcome::Passed) => summary.passed += 1,
            Some(Outcome::Failed) => summary.failed += 1,
            Some(Outcome::Invalid) => summary.invalid += 1,
            Some(Outcome::Error) => summary.errors += 1,
            Some(Outcome::Skipped) | None => summary.skipped += 1,
        }
        if row.outcome.is_some_and(Outcome::is_judged) {
            if let Some(score) = row.score {
                *score_sum += score;
                *scored += 1;
            }
        }
        summary.input_tokens += row.input_tokens;
        summary.output_tokens += row.output_tokens;
        summary.cost_usd += row.cost_usd.unwrap_or(0.0);
        summary.retries += row.retries;
        if let Some(latency) = row.latency_ms {
            latencies.push(latency);
        }
    }

    /// The summaries, ordered by `order` (agents not in it follow by name).
    pub fn finish(self, order: &[String]) -> Vec<AgentSummary> {
        let mut out: Vec<AgentSummary> = self
            .agents
            .into_values()
            .map(|(mut summary, mut latencies, score_sum, scored)| {
                summary.derive_rates(score_sum, scored);
                latencies.sort_unstable();
                summary.latency_p50_ms = percentile(&latencies, 0.50);
                summary.latency_p95_ms = percentile(&latencies, 0.95);
                summary
            })
            .collect();
        sort_by_spec_order(&mut out, order);
        out
    }
}

/// Orders summaries as the run spec lists its agents (agents not in it follow by name).
pub fn sort_by_spec_order(summaries: &mut [AgentSummary], order: &[String]) {
    summaries.sort_by_key(|s| {
        (
            order
                .iter()
                .position(|o| *o == s.agent)
                .unwrap_or(usize::MAX),
            s.agent.clone(),
        )
    });
}

impl AgentSummary {
    /// Fills `accuracy` from the outcome counts and `mean_score` from the sum of the judged
    /// attempts' scores and how many had one. Stores that aggregate in their database call
    /// this, so the rates mean the same on every backend.
    pub fn derive_rates(&mut self, score_sum: f64, scored: u64) {
        let judged = self.passed + self.failed + self.invalid;
        self.accuracy = (judged > 0).then(|| self.passed as f64 / judged as f64);
        self.mean_score = (scored > 0).then(|| score_sum / scored as f64);
    }
}

/// The 1-based nearest rank of percentile `p` (0–1) among `count` sorted values, or `None`
/// when there are none. Every store's percentiles come from it, so they agree across backends.
pub fn percentile_rank(count: u64, p: f64) -> Option<u64> {
    (count > 0).then(|| ((p * count as f64).ceil() as u64).clamp(1, count))
}

/// Nearest-rank percentile `p` (0–1) of a distribution given as `(value, how many)` in
/// ascending value order (as [`RunStore::latency_counts`](super::RunStore::latency_counts)
/// returns an agent's), or `None` when it is empty. The same value as sorting every value out.
pub fn percentile_of_counts(counts: &[(u64, u64)], p: f64) -> Option<u64> {
    let rank = percentile_rank(counts.iter().map(|(_, n)| n).sum(), p)?;
    let mut seen = 0;
    counts.iter().find_map(|&(value, n)| {
        seen += n;
        (seen >= rank).then_some(value)
    })
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    percentile_rank(sorted.len() as u64, p).map(|rank| sorted[rank as usize - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.5), Some(50));
        assert_eq!(percentile(&v, 0.95), Some(95));
        assert_eq!(percentile(&[7], 0.95), Some(7));
        assert_eq!(percentile(&[], 0.5), None);
        // Counts give what the values they stand for give.
        let counts = [(1, 5), (2, 90), (9, 5)];
        let values: Vec<u64> = [vec![1; 5], vec![2; 90], vec![9; 5]].concat();
        for p in [0.01, 0.05, 0.06, 0.5, 0.95, 0.96, 1.0] {
            assert_eq!(
                percentile_of_counts(&counts, p),
                percentile(&values, p),
                "p{p}"
            );
        }
        assert_eq!(percentile_of_counts(&[], 0.5), None);
    }

    #[test]
    fn errors_stay_out_of_accuracy() {
        let mut b = SummaryBuilder::default();
        b.add(SummaryRow {
            score: Some(1.0),
            ..SummaryRow::new("a", Outcome::Passed)
        });
        b.add(SummaryRow {
            score: Some(0.0),
            ..SummaryRow::new("a", Outcome::Failed)
        });
        b.add(SummaryRow::new("a", Outcome::Error));
        let s = &b.finish(&[])[0];
        assert_eq!((s.n, s.errors), (3, 1));
        assert_eq!(s.accuracy, Some(0.5));
        assert_eq!(s.mean_score, Some(0.5));
    }
}
