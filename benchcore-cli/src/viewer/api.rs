//! The JSON behind the pages: runs, a run with its summary, one attempt's drill-down, a
//! comparison and the leaderboard.

use super::error::ViewError;
use super::{lookup, Viewer};
use crate::report::{self, AttemptDetail, Details, ReportData, Rows};
use axum::extract::{Path, Query, State};
use axum::Json;
use benchcore::{AttemptKey, LeaderboardEntry, RunFilter, RunInfo, RunStatus};
use serde::Deserialize;
use serde_json::{json, Value};

/// Filters of the runs list, as query parameters (empty ones ignored).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RunsQuery {
    pub(crate) suite: Option<String>,
    pub(crate) agent: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) limit: Option<usize>,
}

impl RunsQuery {
    /// The store filter; an unknown status is a bad request.
    pub(crate) fn filter(&self) -> Result<RunFilter, ViewError> {
        let given = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        let mut filter = RunFilter::default();
        filter.suite = given(&self.suite);
        filter.agent = given(&self.agent);
        filter.status = given(&self.status)
            .map(|s| s.parse::<RunStatus>())
            .transpose()
            .map_err(ViewError::bad_request)?;
        filter.limit = Some(self.limit.unwrap_or(50).clamp(1, 1000));
        Ok(filter)
    }
}

/// `GET /api/runs`: runs, newest first.
pub(crate) async fn runs(
    State(viewer): State<Viewer>,
    Query(query): Query<RunsQuery>,
) -> Result<Json<Vec<RunInfo>>, ViewError> {
    let filter = query.filter()?;
    Ok(Json(
        viewer.store.list_runs(&viewer.workspace, &filter).await?,
    ))
}

/// `GET /api/runs/{id}`: a run and its per-agent summary, with 95% intervals.
pub(crate) async fn run(
    State(viewer): State<Viewer>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ViewError> {
    let run = lookup::run(&viewer, &id).await?;
    let summary = viewer.store.summarize(&viewer.workspace, &run.id).await?;
    let intervals: Vec<Value> = report::agent_stats(&summary, |_| Vec::new())
        .iter()
        .map(|a| json!({ "agent": a.name, "judged": a.judged, "ci95": a.ci }))
        .collect();
    Ok(Json(
        json!({ "run": run, "summary": summary, "intervals": intervals }),
    ))
}

/// Which attempt, as query parameters.
#[derive(Debug, Deserialize)]
pub(crate) struct AttemptParams {
    case: String,
    agent: String,
    #[serde(default)]
    sample: u32,
}

/// `GET /api/runs/{id}/attempt?case=&agent=&sample=`: one attempt's drill-down.
pub(crate) async fn attempt(
    State(viewer): State<Viewer>,
    Path(id): Path<String>,
    Query(params): Query<AttemptParams>,
) -> Result<Json<Value>, ViewError> {
    let run = lookup::run(&viewer, &id).await?;
    let key = AttemptKey::new(params.case, params.agent, params.sample);
    let record = lookup::attempt(&viewer, &run.id, &key)
        .await?
        .ok_or_else(|| ViewError::not_found(format!("run {} has no attempt {key}", run.id)))?;
    let detail = AttemptDetail::of(&record, report::VIEWER_ARTIFACT_CAP);
    Ok(Json(
        serde_json::to_value(&detail).map_err(ViewError::internal)?,
    ))
}

/// Two runs, as query parameters.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CompareParams {
    pub(crate) a: Option<String>,
    pub(crate) b: Option<String>,
}

/// Both runs' data, or a bad request naming the missing one.
pub(crate) async fn load_pair(
    viewer: &Viewer,
    a: &str,
    b: &str,
) -> Result<(ReportData, ReportData), ViewError> {
    let run_a = lookup::run(viewer, a).await?;
    let run_b = lookup::run(viewer, b).await?;
    let data_a = ReportData::load(
        viewer.store.as_ref(),
        &viewer.workspace,
        run_a,
        Details::Lazy,
        Rows::All,
    );
    let data_b = ReportData::load(
        viewer.store.as_ref(),
        &viewer.workspace,
        run_b,
        Details::Lazy,
        Rows::All,
    );
    let (data_a, data_b) = futures::try_join!(data_a, data_b)?;
    Ok((data_a, data_b))
}

/// `GET /api/compare?a=RUN&b=RUN`: per-agent deltas and per-case changes.
pub(crate) async fn compare(
    State(viewer): State<Viewer>,
    Query(params): Query<CompareParams>,
) -> Result<Json<Value>, ViewError> {
    let (Some(a), Some(b)) = (params.a, params.b) else {
        return Err(ViewError::bad_request("name two runs: ?a=RUN&b=RUN"));
    };
    let (data_a, data_b) = load_pair(&viewer, &a, &b).await?;
    let comparison = report::compare::compare(&data_a, &data_b);
    Ok(Json(
        serde_json::to_value(&comparison).map_err(ViewError::internal)?,
    ))
}

/// `GET /api/leaderboard`.
pub(crate) async fn leaderboard(
    State(viewer): State<Viewer>,
    Query(query): Query<LeaderboardQuery>,
) -> Result<Json<Value>, ViewError> {
    let entries = leaderboard_entries(&viewer, &query).await?;
    Ok(Json(
        serde_json::to_value(entries).map_err(ViewError::internal)?,
    ))
}

/// The leaderboard's filters, as query parameters (empty ones ignored).
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct LeaderboardQuery {
    pub(crate) suite: Option<String>,
    pub(crate) status: Option<String>,
}

/// The store's leaderboard over the runs the query selects.
pub(crate) async fn leaderboard_entries(
    viewer: &Viewer,
    query: &LeaderboardQuery,
) -> Result<Vec<LeaderboardEntry>, ViewError> {
    let runs = RunsQuery {
        suite: query.suite.clone(),
        status: query.status.clone(),
        ..RunsQuery::default()
    };
    let mut filter = runs.filter()?;
    filter.limit = None;
    Ok(viewer.store.leaderboard(&viewer.workspace, &filter).await?)
}
