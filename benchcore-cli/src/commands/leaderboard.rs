//! `benchcore leaderboard`: per agent, its best-accuracy run with that run's cost, tokens
//! and duration; ranked on accuracy, or on a report's metric (`--rank-by Voice.first_audio_ms_p50`).

use crate::args::LeaderboardArgs;
use crate::{output, EXIT_OK};
use benchcore::store::{report_means, LeaderboardEntry};
use benchcore::{RunFilter, RunStore, Workspace};
use std::process::ExitCode;
use std::sync::Arc;

pub(crate) async fn leaderboard(
    store: Arc<dyn RunStore>,
    workspace: Workspace,
    args: LeaderboardArgs,
) -> anyhow::Result<ExitCode> {
    let mut filter = RunFilter::default();
    filter.suite = args.suite;
    filter.agent = args.agent;
    filter.limit = args.limit;
    let mut entries = store.leaderboard(&workspace, &filter).await?;
    let ranked = match &args.rank_by {
        Some(by) => Some(
            rank(
                store.as_ref(),
                &workspace,
                &mut entries,
                by,
                args.descending,
            )
            .await?,
        ),
        None => None,
    };
    if args.json {
        let mut json = serde_json::to_value(&entries)?;
        if let (Some(values), Some(by), Some(rows)) = (&ranked, &args.rank_by, json.as_array_mut())
        {
            for (row, value) in rows.iter_mut().zip(values) {
                row[by.as_str()] = serde_json::json!(value);
            }
        }
        output::print(&format!("{}\n", serde_json::to_string_pretty(&json)?))?;
        return Ok(ExitCode::from(EXIT_OK));
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut row = vec![(i + 1).to_string(), e.agent.clone()];
            if let Some(values) = &ranked {
                row.push(values[i].map_or("–".to_owned(), |v| format!("{v:.3}")));
            }
            row.extend([
                format!("{:.1}%", e.accuracy * 100.0),
                format!("{}/{}", e.passed, e.judged),
                format!("{:.4}", e.cost_usd),
                e.input_tokens.to_string(),
                e.output_tokens.to_string(),
                format!("{:.1}", e.duration_ms as f64 / 1000.0),
                e.run_id.clone(),
                e.suite.clone(),
                e.runs.to_string(),
            ]);
            row
        })
        .collect();
    let mut header = vec!["#", "agent"];
    if let Some(by) = &args.rank_by {
        header.push(by.as_str());
    }
    header.extend([
        "accuracy",
        "passed",
        "cost $",
        "tokens in",
        "tokens out",
        "secs",
        "best run",
        "suite",
        "runs",
    ]);
    output::print(&output::table(&header, &rows))?;
    Ok(ExitCode::from(EXIT_OK))
}

/// Sorts `entries` on `by` (`REPORT.METRIC`): each agent's mean of the metric over its best
/// run, lowest first unless `descending`; agents without it last. Returns the values in the
/// new order.
async fn rank(
    store: &dyn RunStore,
    workspace: &Workspace,
    entries: &mut Vec<LeaderboardEntry>,
    by: &str,
    descending: bool,
) -> anyhow::Result<Vec<Option<f64>>> {
    let Some((report, metric)) = by
        .split_once('.')
        .filter(|(r, m)| !r.is_empty() && !m.is_empty())
    else {
        anyhow::bail!(
            "--rank-by `{by}`: expected REPORT.METRIC, for example Voice.first_audio_ms_p50"
        );
    };
    let mut valued = Vec::with_capacity(entries.len());
    for entry in entries.drain(..) {
        let means = report_means(store, workspace, &entry.run_id, report).await?;
        let value = means
            .iter()
            .find(|m| m.agent == entry.agent)
            .and_then(|m| m.mean(metric));
        valued.push((value, entry));
    }
    valued.sort_by(|(a, _), (b, _)| match (a, b) {
        (Some(a), Some(b)) if descending => b.total_cmp(a),
        (Some(a), Some(b)) => a.total_cmp(b),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    let values = valued.iter().map(|(v, _)| *v).collect();
    entries.extend(valued.into_iter().map(|(_, e)| e));
    Ok(values)
}
