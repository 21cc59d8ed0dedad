//! The viewer's pages: runs list, run detail, comparison and leaderboard.

use super::api::{self, CompareParams, LeaderboardQuery, RunsQuery};
use super::error::ViewError;
use super::lookup::{self, encode};
use super::Viewer;
use crate::report::html::{self, escape, pct, table, utc, Nav};
use crate::report::wilson;
use crate::report::{self, compare, Details, ReportData, Rows, RunPage};
use axum::extract::{Path, Query, State};
use axum::response::Html;
use benchcore::{RunFilter, RunInfo, RunSummary};
use std::fmt::Write;

/// `GET /`: runs, newest first, with filters; running runs update live.
pub(crate) async fn runs(
    State(viewer): State<Viewer>,
    Query(query): Query<RunsQuery>,
) -> Result<Html<String>, ViewError> {
    let filter = query.filter().map_err(ViewError::page)?;
    let runs = viewer
        .store
        .list_runs(&viewer.workspace, &filter)
        .await
        .map_err(|e| ViewError::from(e).page())?;
    let mut summaries = Vec::with_capacity(runs.len());
    for run in &runs {
        summaries.push(
            viewer
                .store
                .summarize(&viewer.workspace, &run.id)
                .await
                .ok(),
        );
    }
    let value = |v: &Option<String>| escape(v.as_deref().unwrap_or(""));
    let mut body = format!(
        r#"<section><h1>Runs</h1><p class="muted">Workspace <b>{ws}</b>. Running runs update live.</p><form class="controls" method="get" action="/"><input name="suite" placeholder="suite" value="{suite}"><input name="agent" placeholder="agent" value="{agent}"><select name="status">"#,
        ws = escape(viewer.workspace.as_str()),
        suite = value(&query.suite),
        agent = value(&query.agent),
    );
    for status in ["", "running", "finished", "cancelled", "failed"] {
        let selected = if query.status.as_deref().unwrap_or("") == status {
            " selected"
        } else {
            ""
        };
        let label = if status.is_empty() {
            "any status"
        } else {
            status
        };
        let _ = write!(
            body,
            r#"<option value="{status}"{selected}>{label}</option>"#
        );
    }
    body.push_str(r#"</select><button type="submit">Filter</button></form>"#);
    if runs.is_empty() {
        body.push_str(r#"<p class="notice" id="no-runs">No runs match.</p>"#);
    }
    body.push_str(r#"<form method="get" action="/compare"><div class="table-wrap"><table class="runs" id="runs-table"><thead><tr><th>A</th><th>B</th><th>run</th><th>status</th><th>suite</th><th>kind</th><th>agents</th><th>progress</th><th>pass rate</th><th>created</th></tr></thead><tbody id="runs-body">"#);
    for (run, summary) in runs.iter().zip(&summaries) {
        body.push_str(&run_row(run, summary.as_ref()));
    }
    body.push_str(r#"</tbody></table></div><p><button type="submit" id="compare-selected">Compare A with B</button></p></form></section>"#);
    let live = format!("/api/live/runs{}", query_string(&filter));
    let data = serde_json::json!({ "page": "runs", "live": live }).to_string();
    Ok(Html(html::page(
        "Runs · benchcore",
        Nav::Viewer("runs"),
        r#" data-page="runs""#,
        &body,
        &data,
    )))
}

/// The query string that gives the live stream the page's filters.
fn query_string(filter: &RunFilter) -> String {
    let mut parts = Vec::new();
    if let Some(suite) = &filter.suite {
        parts.push(format!("suite={}", encode(suite)));
    }
    if let Some(agent) = &filter.agent {
        parts.push(format!("agent={}", encode(agent)));
    }
    if let Some(status) = filter.status {
        parts.push(format!("status={status}"));
    }
    if let Some(limit) = filter.limit {
        parts.push(format!("limit={limit}"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// One row of the runs list.
pub(crate) fn run_row(run: &RunInfo, summary: Option<&RunSummary>) -> String {
    let total = run.total();
    let share = if total > 0 {
        (run.recorded as f64 / total as f64).min(1.0) * 100.0
    } else {
        0.0
    };
    let id = escape(&run.id);
    let agents = run
        .spec
        .agents
        .iter()
        .map(|a| escape(&a.name))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"<tr data-run="{id}" data-status="{status}"><td><input type="radio" name="a" value="{id}" aria-label="compare as A"></td><td><input type="radio" name="b" value="{id}" aria-label="compare as B"></td><td><a href="/runs/{href}">{name}</a><br><code class="muted">{id}</code></td><td><span class="badge status-{status}">{status}</span></td><td>{suite}</td><td>{kind}</td><td>{agents}</td><td><div class="progress" style="flex:none;width:120px"><div class="progress-bar" style="width:{share:.1}%"></div></div><span class="recorded">{recorded}</span> / {total}</td><td>{rate}</td><td>{created}</td></tr>"#,
        href = encode(&run.id),
        name = escape(&report::display_name(run)),
        status = run.status,
        suite = escape(&run.spec.suite.name),
        kind = escape(&run.spec.kind),
        recorded = run.recorded,
        rate = pct(summary.and_then(RunSummary::pass_rate)),
        created = utc(run.created_at_ms),
    )
}

/// `GET /runs/{id}`: the run's report page, live while the run is running.
pub(crate) async fn run(
    State(viewer): State<Viewer>,
    Path(id): Path<String>,
) -> Result<Html<String>, ViewError> {
    let run = lookup::run(&viewer, &id).await.map_err(ViewError::page)?;
    let base = format!("/api/runs/{}", encode(&run.id));
    let how = RunPage {
        nav: Nav::Viewer("runs"),
        attempt_api: Some(format!("{base}/attempt")),
        live: report::is_live(&run).then(|| format!("{base}/live")),
        rows_api: Some(format!("{base}/rows")),
    };
    let store = viewer.store.as_ref();
    let summarized = viewer
        .summaries
        .get(store, &viewer.workspace, &run)
        .await
        .map_err(|e| ViewError::from(e).page())?;
    let window = Rows::Window(None);
    let data = ReportData::load_with(
        store,
        &viewer.workspace,
        run,
        Details::Lazy,
        window,
        summarized,
    )
    .await
    .map_err(|e| ViewError::from(e).page())?;
    Ok(Html(report::run_page(&data, &how)))
}

/// `GET /compare?a=RUN&b=RUN`: two runs side by side (a picker without both).
pub(crate) async fn compare(
    State(viewer): State<Viewer>,
    Query(params): Query<CompareParams>,
) -> Result<Html<String>, ViewError> {
    let given = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let (a, b) = (given(&params.a), given(&params.b));
    let mut filter = RunFilter::default();
    filter.limit = Some(200);
    let runs = viewer
        .store
        .list_runs(&viewer.workspace, &filter)
        .await
        .map_err(|e| ViewError::from(e).page())?;
    let mut body = String::from("<section>");
    let data = match (&a, &b) {
        (Some(a), Some(b)) => {
            let (data_a, data_b) = api::load_pair(&viewer, a, b)
                .await
                .map_err(ViewError::page)?;
            let comparison = compare::compare(&data_a, &data_b);
            body.push_str(&compare::picker(
                &runs,
                Some(&data_a.run.id),
                Some(&data_b.run.id),
            ));
            body.push_str(&compare::body(&comparison, &data_a.run, &data_b.run));
            compare::blob(&comparison)
        }
        _ => {
            body.push_str("<h1>Compare two runs</h1>");
            body.push_str(&compare::picker(&runs, a.as_deref(), b.as_deref()));
            body.push_str(r#"<p class="muted">Pick run A (the baseline) and run B. Agents are paired by name; two single-agent runs are paired whatever their agents' names.</p>"#);
            r#"{"page":"compare"}"#.to_owned()
        }
    };
    body.push_str("</section>");
    Ok(Html(html::page(
        "Compare · benchcore",
        Nav::Viewer("compare"),
        r#" data-page="compare""#,
        &body,
        &data,
    )))
}

/// `GET /leaderboard`: per agent, its best-accuracy run with that run's cost, tokens and
/// duration.
pub(crate) async fn leaderboard(
    State(viewer): State<Viewer>,
    Query(query): Query<LeaderboardQuery>,
) -> Result<Html<String>, ViewError> {
    let entries = api::leaderboard_entries(&viewer, &query)
        .await
        .map_err(ViewError::page)?;
    let suite = escape(query.suite.as_deref().unwrap_or(""));
    let mut body = format!(
        r#"<section><h1>Leaderboard</h1><p class="muted">Per agent, its best-accuracy run, with the cost, tokens and duration of that run (not averages over its other runs).</p><form class="controls" method="get" action="/leaderboard"><input name="suite" placeholder="suite" value="{suite}"><select name="status">"#
    );
    for status in ["", "finished", "running", "cancelled", "failed"] {
        let selected = if query.status.as_deref().unwrap_or("") == status {
            " selected"
        } else {
            ""
        };
        let label = if status.is_empty() {
            "runs in any status"
        } else {
            status
        };
        let _ = write!(
            body,
            r#"<option value="{status}"{selected}>{label}</option>"#
        );
    }
    body.push_str(r#"</select><button type="submit">Filter</button></form>"#);
    if entries.is_empty() {
        body.push_str(
            r#"<p class="notice" id="no-entries">No judged attempts in the runs selected.</p>"#,
        );
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let ci = wilson(e.passed, e.judged).map_or_else(
                || "–".to_owned(),
                |(lo, hi)| format!("{}–{}", pct(Some(lo)), pct(Some(hi))),
            );
            vec![
                (i + 1).to_string(),
                format!("<b>{}</b>", escape(&e.agent)),
                format!("<b>{}</b>", pct(Some(e.accuracy))),
                ci,
                format!("{} / {}", e.passed, e.judged),
                e.errors.to_string(),
                format!("{:.4}", e.cost_usd),
                format!("{} / {}", e.input_tokens, e.output_tokens),
                format!("{:.1} s", e.duration_ms as f64 / 1000.0),
                escape(&e.suite),
                escape(&e.kind),
                format!(
                    r#"<a href="/runs/{}">{}</a>"#,
                    encode(&e.run_id),
                    escape(&e.run_id)
                ),
                e.runs.to_string(),
            ]
        })
        .collect();
    body.push_str(&table(
        "summary leaderboard",
        &[
            "#",
            "agent",
            "accuracy",
            "95% CI",
            "passed / judged",
            "errors",
            "cost $",
            "tokens in / out",
            "duration",
            "suite",
            "kind",
            "best run",
            "runs",
        ],
        &rows,
    ));
    body.push_str("</section>");
    Ok(Html(html::page(
        "Leaderboard · benchcore",
        Nav::Viewer("leaderboard"),
        r#" data-page="leaderboard""#,
        &body,
        r#"{"page":"leaderboard"}"#,
    )))
}
