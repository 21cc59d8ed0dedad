//! `GET /api/runs/{id}/rows`: the case grid's next window of attempts, so a run of any size
//! opens at once and pages on request.

use super::error::ViewError;
use super::{lookup, Viewer};
use crate::report::{window_json, Details, Grid, Rows};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use benchcore::AttemptKey;
use serde::Deserialize;

/// Where the window starts: after this key. Without `after_case`, at the run's first
/// attempt; `after_case=ID` alone starts at the first attempt of the first case whose id
/// sorts at or after `ID` (every agent name sorts after the empty one).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WindowParams {
    after_case: Option<String>,
    #[serde(default)]
    after_agent: String,
    #[serde(default)]
    after_sample: u32,
}

/// The window as JSON: `agents`, `cases`, `rows` (each by index, as the page embeds its first
/// window) and `next`, the key to ask for the window after it (`null` at the end).
pub(crate) async fn rows(
    State(viewer): State<Viewer>,
    Path(id): Path<String>,
    Query(params): Query<WindowParams>,
) -> Result<impl IntoResponse, ViewError> {
    let run = lookup::run(&viewer, &id).await?;
    let after = params
        .after_case
        .map(|case| AttemptKey::new(case, params.after_agent, params.after_sample));
    let grid = Grid::read(
        viewer.store.as_ref(),
        &viewer.workspace,
        &run,
        Details::Lazy,
        Rows::Window(after),
    )
    .await?;
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        format!("{{{}}}", window_json(&grid)),
    ))
}
