//! A run's summary from the database's groups: one row per agent and latency (see
//! `Queries::summary_aggregates`), added up per agent here, with the latency percentiles taken
//! from the groups' latencies and counts. One scan of the run's attempts, whatever its size,
//! where a percentile picked by `ORDER BY … OFFSET` in the database costs a scan and a sort
//! each.

use benchcore::store::{percentile_of_counts, LatencyCount};
use benchcore::AgentSummary;
use std::collections::BTreeMap;

/// One row of `Queries::summary_aggregates`: an agent's attempts of one latency.
#[derive(Debug, Default)]
pub(crate) struct SummaryGroup {
    /// The agent, and the group's counts, tokens, cost and retries.
    pub(crate) summary: AgentSummary,
    /// The latency its attempts share; `None` for those without one.
    pub(crate) latency_ms: Option<u64>,
    /// The sum of the judged attempts' scores.
    pub(crate) score_sum: f64,
    /// How many judged attempts have a score.
    pub(crate) scored: u64,
}

/// An agent's groups added up so far.
#[derive(Default)]
struct Totals {
    summary: AgentSummary,
    score_sum: f64,
    scored: u64,
    latencies: Vec<(u64, u64)>,
}

/// Adds the groups up per agent: counts and sums, the rates, the p50 and p95 latencies.
/// Agents come back in name order, with the latency counts (agent then latency order).
pub(crate) fn fold(
    groups: impl IntoIterator<Item = SummaryGroup>,
) -> (Vec<AgentSummary>, Vec<LatencyCount>) {
    let mut agents: BTreeMap<String, Totals> = BTreeMap::new();
    for group in groups {
        let g = group.summary;
        let totals = agents.entry(g.agent.clone()).or_insert_with(|| {
            let mut totals = Totals::default();
            totals.summary.agent = g.agent.clone();
            totals
        });
        let s = &mut totals.summary;
        s.n += g.n;
        s.passed += g.passed;
        s.failed += g.failed;
        s.invalid += g.invalid;
        s.errors += g.errors;
        s.skipped += g.skipped;
        s.input_tokens += g.input_tokens;
        s.output_tokens += g.output_tokens;
        s.cost_usd += g.cost_usd;
        s.retries += g.retries;
        totals.score_sum += group.score_sum;
        totals.scored += group.scored;
        if let Some(ms) = group.latency_ms {
            totals.latencies.push((ms, g.n));
        }
    }
    let mut counts = Vec::new();
    let summaries = agents
        .into_values()
        .map(|mut totals| {
            // Each backend orders groups its own way (NULLs first or last): sort here.
            totals.latencies.sort_unstable();
            let mut summary = totals.summary;
            summary.derive_rates(totals.score_sum, totals.scored);
            summary.latency_p50_ms = percentile_of_counts(&totals.latencies, 0.50);
            summary.latency_p95_ms = percentile_of_counts(&totals.latencies, 0.95);
            counts.extend(
                totals
                    .latencies
                    .iter()
                    .map(|&(ms, n)| LatencyCount::new(summary.agent.clone(), ms, n)),
            );
            summary
        })
        .collect();
    (summaries, counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(agent: &str, latency_ms: Option<u64>, n: u64, passed: u64) -> SummaryGroup {
        let mut summary = AgentSummary::default();
        summary.agent = agent.into();
        (summary.n, summary.passed, summary.failed) = (n, passed, n - passed);
        summary.cost_usd = 0.5 * n as f64;
        SummaryGroup {
            summary,
            latency_ms,
            score_sum: passed as f64,
            scored: n,
        }
    }

    #[test]
    fn groups_add_up_per_agent_with_percentiles_over_their_latencies() {
        let (agents, counts) = fold([
            group("b", Some(30), 1, 1),
            group("a", Some(20), 90, 45),
            group("a", None, 4, 0),
            group("a", Some(10), 5, 5),
            group("a", Some(90), 5, 0),
        ]);
        assert_eq!(agents.len(), 2);
        let a = &agents[0];
        assert_eq!(
            (a.agent.as_str(), a.n, a.passed, a.failed),
            ("a", 104, 50, 54)
        );
        assert_eq!((a.latency_p50_ms, a.latency_p95_ms), (Some(20), Some(20)));
        assert!((a.cost_usd - 52.0).abs() < 1e-9);
        assert_eq!(a.accuracy, Some(50.0 / 104.0));
        let b = &agents[1];
        assert_eq!((b.latency_p50_ms, b.latency_p95_ms), (Some(30), Some(30)));
        assert_eq!(
            counts,
            [
                LatencyCount::new("a", 10, 5),
                LatencyCount::new("a", 20, 90),
                LatencyCount::new("a", 90, 5),
                LatencyCount::new("b", 30, 1),
            ]
        );
        assert_eq!(fold([]), (Vec::new(), Vec::new()));
    }
}
