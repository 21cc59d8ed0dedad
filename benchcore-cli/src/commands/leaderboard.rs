//! `benchcore leaderboard`: per agent, its best-accuracy run with that run's cost, tokens
//! and duration.

use crate::args::LeaderboardArgs;
use crate::{output, EXIT_OK};
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
    let entries = store.leaderboard(&workspace, &filter).await?;
    if args.json {
        output::print(&format!("{}\n", serde_json::to_string_pretty(&entries)?))?;
        return Ok(ExitCode::from(EXIT_OK));
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            vec![
                (i + 1).to_string(),
                e.agent.clone(),
                format!("{:.1}%", e.accuracy * 100.0),
                format!("{}/{}", e.passed, e.judged),
                format!("{:.4}", e.cost_usd),
                e.input_tokens.to_string(),
                e.output_tokens.to_string(),
                format!("{:.1}", e.duration_ms as f64 / 1000.0),
                e.run_id.clone(),
                e.suite.clone(),
                e.runs.to_string(),
            ]
        })
        .collect();
    output::print(&output::table(
        &[
            "#",
            "agent",
            "accuracy",
            "passed",
            "cost $",
            "tokens in",
            "tokens out",
            "secs",
            "best run",
            "suite",
            "runs",
        ],
        &rows,
    ))?;
    Ok(ExitCode::from(EXIT_OK))
}
