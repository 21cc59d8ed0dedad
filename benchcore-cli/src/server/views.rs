//! A workspace's results as the report and viewer read them: one attempt's drill-down, the
//! grid's next rows, an attempt's audio, two runs compared, the leaderboard. Each is the
//! viewer's own handler, over the caller's workspace: the same JSON `benchcore view` serves,
//! with the API's own error form.

use super::auth::Member;
use super::error::ApiError;
use super::state::ServerState;
use crate::viewer::{self, Viewer};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use benchcore::RunSpec;
use serde_json::Value;

/// A viewer error in the API's form (`{"error": {"code", "message"}}`); a failure on the
/// server's side is logged and answered in general, as every API error is.
fn api_error(error: viewer::ViewError) -> Response {
    let status = error.status();
    let api = match status.as_u16() {
        404 => ApiError::not_found(error.message()),
        400 => ApiError::bad_request(error.message()),
        _ => ApiError::internal(error.message()),
    };
    api.into_response()
}

/// The viewer of the member's workspace.
fn viewer_of(state: &ServerState, member: Member) -> State<Viewer> {
    State(Viewer {
        store: state.handle.store(),
        workspace: member.workspace,
        poll: state.options.poll,
        summaries: state.summaries.clone(),
    })
}

/// `GET …/runs/{id}/attempt?case=&agent=&sample=`: transcript, tool calls, evaluations,
/// artifacts (code diff, test log), audio clips.
pub(crate) async fn attempt(
    State(state): State<ServerState>,
    member: Member,
    Path((_, id)): Path<(String, String)>,
    query: Query<viewer::api::AttemptParams>,
) -> Response {
    viewer::api::attempt(viewer_of(&state, member), Path(id), query)
        .await
        .map_or_else(api_error, IntoResponse::into_response)
}

/// `GET …/runs/{id}/rows?after_case=&after_agent=&after_sample=`: the next window of the
/// run's attempts, in key order.
pub(crate) async fn rows(
    State(state): State<ServerState>,
    member: Member,
    Path((_, id)): Path<(String, String)>,
    query: Query<viewer::rows::WindowParams>,
) -> Response {
    viewer::rows::rows(viewer_of(&state, member), Path(id), query)
        .await
        .map_or_else(api_error, IntoResponse::into_response)
}

/// `GET …/runs/{id}/audio?case=&agent=&sample=&clip=`: a WAV clip of a voice attempt.
pub(crate) async fn audio(
    State(state): State<ServerState>,
    member: Member,
    Path((_, id)): Path<(String, String)>,
    query: Query<viewer::audio::AudioParams>,
) -> Response {
    viewer::audio::audio(viewer_of(&state, member), Path(id), query)
        .await
        .map_or_else(api_error, IntoResponse::into_response)
}

/// `GET …/compare?a=RUN&b=RUN`: per-agent deltas and the cases whose outcome changed.
pub(crate) async fn compare(
    State(state): State<ServerState>,
    member: Member,
    query: Query<viewer::api::CompareParams>,
) -> Response {
    viewer::api::compare(viewer_of(&state, member), query)
        .await
        .map_or_else(api_error, IntoResponse::into_response)
}

/// `GET …/leaderboard?suite=&status=`: per agent, its best run.
pub(crate) async fn leaderboard(
    State(state): State<ServerState>,
    member: Member,
    query: Query<viewer::api::LeaderboardQuery>,
) -> Response {
    viewer::api::leaderboard(viewer_of(&state, member), query)
        .await
        .map_or_else(api_error, IntoResponse::into_response)
}

/// `GET /api/schema/run-spec`: the JSON Schema launch bodies are read against (a launch
/// form is built from it).
pub(crate) async fn run_spec_schema() -> Result<Json<Value>, ApiError> {
    serde_json::to_value(schemars::schema_for!(RunSpec))
        .map(Json)
        .map_err(ApiError::internal)
}
