//! Two runs side by side: per-agent deltas, and per-case outcomes of run A against run B.

use super::data::{outcome_code, AgentStats, ReportData};
use super::document::display_name;
use super::html::{escape, pct, table};
use benchcore::{Outcome, RunInfo};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

/// Which agent of run A is compared with which agent of run B.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Pair {
    /// The agent in run A.
    pub(crate) a: String,
    /// The agent in run B.
    pub(crate) b: String,
}

/// How one case moved between the runs, for one pair of agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Change {
    /// Passed (every sample) in both.
    BothPassed,
    /// Not passed (every sample) in either, at the same share of samples.
    BothFailed,
    /// A larger share of samples passed in A than in B.
    Regression,
    /// A larger share of samples passed in B than in A.
    Improvement,
    /// Only run A has the case.
    OnlyA,
    /// Only run B has the case.
    OnlyB,
}

/// One case of one pair: the outcome codes of its samples in each run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct CaseRow {
    /// The case.
    pub(crate) case: String,
    /// Index into [`Comparison::pairs`].
    pub(crate) pair: usize,
    /// Outcome codes (`p`, `f`, `i`, `e`, `s`) of its samples in run A, in sample order.
    pub(crate) a: String,
    /// The same in run B.
    pub(crate) b: String,
    /// How it moved.
    pub(crate) change: Change,
}

/// Per-agent figures of a pair and their difference.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PairDelta {
    /// Accuracy in A.
    pub(crate) accuracy_a: Option<f64>,
    /// Accuracy in B.
    pub(crate) accuracy_b: Option<f64>,
    /// B − A, in accuracy units.
    pub(crate) delta: Option<f64>,
    /// Whether the two 95% intervals do not overlap.
    pub(crate) intervals_apart: bool,
    /// Cost in A and B.
    pub(crate) cost: (f64, f64),
    /// Median latency in A and B.
    pub(crate) p50_ms: (Option<u64>, Option<u64>),
    /// Counts of each change.
    pub(crate) changes: BTreeMap<&'static str, u64>,
}

/// Two runs compared.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Comparison {
    /// Run A's id.
    pub(crate) a: String,
    /// Run B's id.
    pub(crate) b: String,
    /// The pairs of agents compared.
    pub(crate) pairs: Vec<Pair>,
    /// Per pair, the figures.
    pub(crate) deltas: Vec<PairDelta>,
    /// Every case of every pair.
    pub(crate) cases: Vec<CaseRow>,
}

fn change_name(change: Change) -> &'static str {
    match change {
        Change::BothPassed => "both_passed",
        Change::BothFailed => "both_failed",
        Change::Regression => "regression",
        Change::Improvement => "improvement",
        Change::OnlyA => "only_a",
        Change::OnlyB => "only_b",
    }
}

/// Agents paired by name; two single-agent runs pair their agents whatever their names.
pub(crate) fn pair_agents(a: &[String], b: &[String]) -> Vec<Pair> {
    let pairs: Vec<Pair> = a
        .iter()
        .filter(|name| b.contains(name))
        .map(|name| Pair {
            a: name.clone(),
            b: name.clone(),
        })
        .collect();
    if pairs.is_empty() && a.len() == 1 && b.len() == 1 {
        return vec![Pair {
            a: a[0].clone(),
            b: b[0].clone(),
        }];
    }
    pairs
}

/// The outcomes of each (case, agent) of a run, samples in order.
fn outcomes(data: &ReportData) -> HashMap<(&str, &str), Vec<(u32, Outcome)>> {
    let mut map: HashMap<(&str, &str), Vec<(u32, Outcome)>> = HashMap::new();
    for row in &data.grid.rows {
        map.entry((
            data.grid.cases[row.case as usize].as_str(),
            data.grid.agents[row.agent as usize].as_str(),
        ))
        .or_default()
        .push((row.sample, row.outcome));
    }
    for samples in map.values_mut() {
        samples.sort_by_key(|(s, _)| *s);
    }
    map
}

fn codes(samples: Option<&Vec<(u32, Outcome)>>) -> String {
    samples
        .map(|s| s.iter().map(|(_, o)| outcome_code(*o)).collect())
        .unwrap_or_default()
}

fn pass_share(samples: &[(u32, Outcome)]) -> f64 {
    let passed = samples
        .iter()
        .filter(|(_, o)| *o == Outcome::Passed)
        .count();
    passed as f64 / samples.len().max(1) as f64
}

/// Compares run B against run A.
pub(crate) fn compare(a: &ReportData, b: &ReportData) -> Comparison {
    let pairs = pair_agents(&a.grid.agents, &b.grid.agents);
    let (outcomes_a, outcomes_b) = (outcomes(a), outcomes(b));
    let mut case_ids: Vec<&str> = a
        .grid
        .cases
        .iter()
        .chain(b.grid.cases.iter())
        .map(String::as_str)
        .collect();
    case_ids.sort_unstable();
    case_ids.dedup();
    let stats_a = a.agent_stats();
    let stats_b = b.agent_stats();
    let mut cases = Vec::new();
    let mut deltas = Vec::new();
    for (index, pair) in pairs.iter().enumerate() {
        let mut changes: BTreeMap<&'static str, u64> = BTreeMap::new();
        for case in &case_ids {
            let in_a = outcomes_a.get(&(*case, pair.a.as_str()));
            let in_b = outcomes_b.get(&(*case, pair.b.as_str()));
            let change = match (in_a, in_b) {
                (None, None) => continue,
                (Some(_), None) => Change::OnlyA,
                (None, Some(_)) => Change::OnlyB,
                (Some(x), Some(y)) => {
                    let (sa, sb) = (pass_share(x), pass_share(y));
                    if sa > sb {
                        Change::Regression
                    } else if sb > sa {
                        Change::Improvement
                    } else if sa >= 1.0 {
                        Change::BothPassed
                    } else {
                        Change::BothFailed
                    }
                }
            };
            *changes.entry(change_name(change)).or_default() += 1;
            cases.push(CaseRow {
                case: (*case).to_owned(),
                pair: index,
                a: codes(in_a),
                b: codes(in_b),
                change,
            });
        }
        let find =
            |stats: &[AgentStats], name: &str| stats.iter().find(|s| s.name == name).cloned();
        let (sa, sb) = (find(&stats_a, &pair.a), find(&stats_b, &pair.b));
        let acc = |s: &Option<AgentStats>| s.as_ref().and_then(|s| s.summary.accuracy);
        let ci = |s: &Option<AgentStats>| s.as_ref().and_then(|s| s.ci);
        deltas.push(PairDelta {
            accuracy_a: acc(&sa),
            accuracy_b: acc(&sb),
            delta: acc(&sa).zip(acc(&sb)).map(|(x, y)| y - x),
            intervals_apart: match (ci(&sa), ci(&sb)) {
                (Some((lo_a, hi_a)), Some((lo_b, hi_b))) => hi_a < lo_b || hi_b < lo_a,
                _ => false,
            },
            cost: (
                sa.as_ref().map_or(0.0, |s| s.summary.cost_usd),
                sb.as_ref().map_or(0.0, |s| s.summary.cost_usd),
            ),
            p50_ms: (
                sa.as_ref().and_then(|s| s.summary.latency_p50_ms),
                sb.as_ref().and_then(|s| s.summary.latency_p50_ms),
            ),
            changes,
        });
    }
    Comparison {
        a: a.run.id.clone(),
        b: b.run.id.clone(),
        pairs,
        deltas,
        cases,
    }
}

/// The picker of two runs.
pub(crate) fn picker(runs: &[RunInfo], a: Option<&str>, b: Option<&str>) -> String {
    let options = |selected: Option<&str>| {
        let mut out = String::new();
        for run in runs {
            let sel = if Some(run.id.as_str()) == selected {
                " selected"
            } else {
                ""
            };
            let _ = write!(
                out,
                r#"<option value="{id}"{sel}>{id} · {name} · {suite} · {status}</option>"#,
                id = escape(&run.id),
                name = escape(&display_name(run)),
                suite = escape(&run.spec.suite.name),
                status = run.status
            );
        }
        out
    };
    format!(
        r#"<form class="picker" method="get" action="/compare"><label>Run A <select name="a" id="pick-a">{}</select></label> <label>Run B <select name="b" id="pick-b">{}</select></label> <button type="submit">Compare</button></form>"#,
        options(a),
        options(b)
    )
}

/// The comparison's body: headings, the per-agent deltas, and the case list the script fills.
pub(crate) fn body(comparison: &Comparison, run_a: &RunInfo, run_b: &RunInfo) -> String {
    let mut out = format!(
        r#"<h1>Run comparison</h1><p class="meta">A: <a href="/runs/{ida}">{na}</a> ({sa}) · B: <a href="/runs/{idb}">{nb}</a> ({sb})</p>"#,
        ida = escape(&run_a.id),
        na = escape(&display_name(run_a)),
        sa = escape(&run_a.spec.suite.name),
        idb = escape(&run_b.id),
        nb = escape(&display_name(run_b)),
        sb = escape(&run_b.spec.suite.name),
    );
    if comparison.pairs.is_empty() {
        out.push_str(r#"<p class="notice">The runs share no agent name, and one of them has several agents: nothing to pair.</p>"#);
        return out;
    }
    let rows: Vec<Vec<String>> = comparison
        .pairs
        .iter()
        .zip(&comparison.deltas)
        .map(|(pair, d)| {
            let agent = if pair.a == pair.b {
                escape(&pair.a)
            } else {
                format!("{} → {}", escape(&pair.a), escape(&pair.b))
            };
            let delta = d.delta.map_or_else(
                || "–".to_owned(),
                |v| {
                    let class = if v > 0.0 {
                        "up"
                    } else if v < 0.0 {
                        "down"
                    } else {
                        "flat"
                    };
                    let apart = if d.intervals_apart { " *" } else { "" };
                    format!(
                        r#"<b class="delta {class}">{:+.1} pp{apart}</b>"#,
                        v * 100.0
                    )
                },
            );
            let count = |k: &str| d.changes.get(k).copied().unwrap_or(0).to_string();
            vec![
                agent,
                pct(d.accuracy_a),
                pct(d.accuracy_b),
                delta,
                count("regression"),
                count("improvement"),
                count("both_passed"),
                count("both_failed"),
                format!("{} / {}", count("only_a"), count("only_b")),
                format!("{:.4} → {:.4}", d.cost.0, d.cost.1),
                format!(
                    "{} → {}",
                    d.p50_ms.0.map_or("–".into(), |v| v.to_string()),
                    d.p50_ms.1.map_or("–".into(), |v| v.to_string())
                ),
            ]
        })
        .collect();
    out.push_str("<h2>Agents</h2>");
    out.push_str(&table(
        "deltas",
        &[
            "agent",
            "accuracy A",
            "accuracy B",
            "Δ (B − A)",
            "regressions",
            "improvements",
            "both passed",
            "both not passed",
            "only A / only B",
            "cost $ A → B",
            "p50 ms A → B",
        ],
        &rows,
    ));
    out.push_str(r#"<p class="muted">* the two 95% Wilson intervals do not overlap. A regression is a case where a smaller share of samples passed in B than in A.</p><h2>Cases</h2><div id="compare-controls"></div><div id="compare-grid"></div>"#);
    out
}

/// The page data of a comparison for its script.
pub(crate) fn blob(comparison: &Comparison) -> String {
    serde_json::json!({
        "page": "compare",
        "a": comparison.a,
        "b": comparison.b,
        "pairs": comparison.pairs,
        "cases": comparison.cases.iter().map(|c| {
            serde_json::json!([c.case, c.pair, c.a, c.b, change_name(c.change)])
        }).collect::<Vec<_>>(),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_pair_by_name_or_alone() {
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            pair_agents(&s(&["a", "b"]), &s(&["b", "c"])),
            vec![Pair {
                a: "b".into(),
                b: "b".into()
            }]
        );
        assert_eq!(
            pair_agents(&s(&["gpt"]), &s(&["claude"])),
            vec![Pair {
                a: "gpt".into(),
                b: "claude".into()
            }]
        );
        assert!(pair_agents(&s(&["a", "b"]), &s(&["c"])).is_empty());
    }
}
