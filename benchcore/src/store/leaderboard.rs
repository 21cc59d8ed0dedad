//! The leaderboard: per agent, its best-accuracy run, with that run's own cost, tokens and
//! duration.

use super::{RunInfo, RunSummary};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One agent's row of the leaderboard: the run where it had its best accuracy, and the
/// numbers of that run only (never averages over its other runs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LeaderboardEntry {
    /// The agent (model) name.
    pub agent: String,
    /// Its best run.
    pub run_id: String,
    /// That run's suite.
    pub suite: String,
    /// That run's kind (`question_set`, `code_task` …).
    pub kind: String,
    /// passed / judged in that run.
    pub accuracy: f64,
    /// Attempts passed in that run.
    pub passed: u64,
    /// Attempts judged in that run.
    pub judged: u64,
    /// Infrastructure errors in that run.
    pub errors: u64,
    /// Prompt tokens in that run.
    pub input_tokens: u64,
    /// Completion tokens in that run.
    pub output_tokens: u64,
    /// Cost of that run's attempts, in US dollars.
    pub cost_usd: f64,
    /// That run's duration, from its creation to its last status change (its finish), in
    /// milliseconds.
    pub duration_ms: u64,
    /// When that run was created.
    pub created_at_ms: u64,
    /// How many of the listed runs the agent took part in (with judged attempts).
    pub runs: u64,
}

/// Folds runs and their summaries into the leaderboard: per agent, the run with the highest
/// accuracy (ties go to the run with more judged attempts, then the newer run). Runs where
/// an agent has no judged attempt do not count for it. Sorted by accuracy, best first, then
/// by cost.
pub fn best_runs_per_agent(runs: &[(RunInfo, RunSummary)]) -> Vec<LeaderboardEntry> {
    let mut best: BTreeMap<String, LeaderboardEntry> = BTreeMap::new();
    for (run, summary) in runs {
        for agent in &summary.agents {
            let Some(accuracy) = agent.accuracy else {
                continue;
            };
            let candidate = LeaderboardEntry {
                agent: agent.agent.clone(),
                run_id: run.id.clone(),
                suite: run.spec.suite.name.clone(),
                kind: run.spec.kind.clone(),
                accuracy,
                passed: agent.passed,
                judged: agent.passed + agent.failed + agent.invalid,
                errors: agent.errors,
                input_tokens: agent.input_tokens,
                output_tokens: agent.output_tokens,
                cost_usd: agent.cost_usd,
                duration_ms: run.updated_at_ms.saturating_sub(run.created_at_ms),
                created_at_ms: run.created_at_ms,
                runs: 1,
            };
            match best.get_mut(&agent.agent) {
                None => {
                    best.insert(agent.agent.clone(), candidate);
                }
                Some(current) => {
                    let runs = current.runs + 1;
                    let key = |e: &LeaderboardEntry| (e.accuracy, e.judged, e.created_at_ms);
                    if key(&candidate) > key(current) {
                        *current = candidate;
                    }
                    current.runs = runs;
                }
            }
        }
    }
    let mut out: Vec<LeaderboardEntry> = best.into_values().collect();
    out.sort_by(|a, b| {
        b.accuracy
            .total_cmp(&a.accuracy)
            .then(a.cost_usd.total_cmp(&b.cost_usd))
            .then_with(|| a.agent.cmp(&b.agent))
    });
    out
}
