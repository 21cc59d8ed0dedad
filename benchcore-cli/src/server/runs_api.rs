//! Runs of a workspace: list, launch from a run spec, read, cancel, resume, rerun failed
//! attempts, delete.

use super::auth::Member;
use super::body::{self, RawJson};
use super::error::ApiError;
use super::policy;
use super::state::ServerState;
use super::suites_api;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use benchcore::{RunFilter, RunSpec, RunStatus};
use benchcore_store::Role;
use serde::Deserialize;
use serde_json::{json, Value};

/// `GET …/runs` filters.
#[derive(Debug, Deserialize)]
pub(crate) struct ListQuery {
    suite: Option<String>,
    agent: Option<String>,
    status: Option<String>,
    limit: Option<usize>,
}

/// `GET /api/workspaces/{ws}/runs`: newest first.
pub(crate) async fn list(
    State(state): State<ServerState>,
    member: Member,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let status = query
        .status
        .as_deref()
        .map(|s| {
            s.parse::<RunStatus>()
                .map_err(|e| ApiError::invalid("status", e))
        })
        .transpose()?;
    let mut filter = RunFilter::default();
    filter.suite = query.suite;
    filter.agent = query.agent;
    filter.status = status;
    filter.limit = Some(query.limit.unwrap_or(100).min(1000));
    let runs = state
        .handle
        .store()
        .list_runs(&member.workspace, &filter)
        .await?;
    Ok(Json(runs.iter().map(run_json).collect()))
}

fn run_json(run: &benchcore::RunInfo) -> Value {
    json!({
        "id": run.id,
        "name": run.spec.name,
        "kind": run.spec.kind,
        "suite": run.spec.suite.name,
        "agents": run.spec.agents.iter().map(|a| &a.name).collect::<Vec<_>>(),
        "status": run.status,
        "recorded": run.recorded,
        "total": run.total(),
        "created_at_ms": run.created_at_ms,
        "updated_at_ms": run.updated_at_ms,
    })
}

/// `POST /api/workspaces/{ws}/runs` (editors): the body is a run spec (`benchcore schema
/// run`) whose suite is named by `suite.name` (or `"suite": "NAME"`): a question set uploaded
/// to the workspace (`NAME` for its latest version, `NAME@vN`), else one of the server's;
/// errors name the field at fault.
pub(crate) async fn launch(
    State(state): State<ServerState>,
    member: Member,
    RawJson(raw): RawJson,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    member.require(Role::Editor)?;
    let mut value: Value = body::parse(&raw)?;
    let Some(object) = value.as_object_mut() else {
        return Err(ApiError::invalid("", "a run spec is a JSON object"));
    };
    let told_kind = object.contains_key("kind");
    // The suite may be named alone; its case count is the library's to find.
    if let Some(Value::String(name)) = object.get("suite") {
        let name = name.clone();
        object.insert("suite".into(), json!({ "name": name }));
    }
    if let Some(Value::Object(suite)) = object.get_mut("suite") {
        suite.entry("cases").or_insert(json!(0));
    }
    if let Some(Value::Array(agents)) = object.get_mut("agents") {
        for (i, agent) in agents.iter_mut().enumerate() {
            pick_local_model(&state, &member, agent, i).await?;
            name_agent(agent);
        }
    }
    let mut spec: RunSpec = body::parse(value.to_string().as_bytes())?;
    policy::check_spec(&spec)?;
    if spec
        .suite
        .path
        .as_ref()
        .is_some_and(|p| *p != spec.suite.name)
    {
        return Err(ApiError::invalid(
            "suite.path",
            "name the suite by suite.name; the server knows where its suites are",
        ));
    }
    // The workspace's upload of that name (a version the run records), else the server's.
    let uploaded = suites_api::choose(&state, &member.workspace, &mut spec).await?;
    if !told_kind {
        // Told from the suite, as for `benchcore run`.
        spec.kind = String::new();
    }
    let artifacts = state
        .options
        .data
        .join(member.workspace.as_str())
        .join("artifacts");
    spec.artifacts_dir = Some(artifacts.display().to_string());
    let mut run = state.executor.build(&member.workspace, spec).await?;
    if let Some(name) = uploaded {
        run.spec_mut().suite.name = name;
    }
    let total = run.spec().total();
    let run_id = state.executor.start(&member.workspace, run).await?;
    state.counters.run_launched();
    tracing::info!(run = %run_id, workspace = %member.workspace, user = %member.caller.user.id, "launched");
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": run_id, "status": "running", "total": total })),
    ))
}

/// `{"saved": NAME, "model": KEY}`: a saved `lmstudio` agent on another model of its server,
/// which becomes the saved agent `NAME@KEY` (see [`local_models::pick_model`]).
async fn pick_local_model(
    state: &ServerState,
    member: &Member,
    agent: &mut Value,
    i: usize,
) -> Result<(), ApiError> {
    let Some(entry) = agent.as_object() else {
        return Ok(());
    };
    let (Some(saved), Some(model)) = (entry.get("saved"), entry.get("model")) else {
        return Ok(());
    };
    let field = format!("agents.{i}");
    let (Some(saved), Some(model)) = (saved.as_str(), model.as_str()) else {
        return Err(ApiError::invalid(
            field,
            "`saved` and `model` are names (strings)",
        ));
    };
    let derived = super::local_models::pick_model(state, member, saved, model, &field).await?;
    *agent = Value::String(derived);
    Ok(())
}

/// An agent entry as a member may write it, made whole: `"NAME"` is the saved agent of that
/// name; an entry without a name takes its saved agent's name, or its config's `name`,
/// `model` or `kind`.
fn name_agent(agent: &mut Value) {
    if let Value::String(name) = agent {
        let name = name.clone();
        *agent = json!({ "name": name, "config": { "kind": policy::SAVED_KIND, "name": name } });
        return;
    }
    let Some(entry) = agent.as_object_mut() else {
        return;
    };
    if entry.contains_key("name") {
        return;
    }
    let config = entry.get("config");
    let name = ["name", "model", "kind"]
        .iter()
        .find_map(|field| config.and_then(|c| c.get(*field)).and_then(Value::as_str))
        .map(str::to_owned);
    if let Some(name) = name {
        entry.insert("name".into(), name.into());
    }
}

async fn stored(
    state: &ServerState,
    member: &Member,
    id: &str,
) -> Result<benchcore::RunInfo, ApiError> {
    state
        .handle
        .store()
        .get_run(&member.workspace, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such run"))
}

/// `GET /api/workspaces/{ws}/runs/{id}`: the run, its spec and its per-agent summary.
pub(crate) async fn get(
    State(state): State<ServerState>,
    member: Member,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let run = stored(&state, &member, &id).await?;
    let summary = state
        .handle
        .store()
        .summarize(&member.workspace, &id)
        .await?;
    let mut body = run_json(&run);
    body["spec"] = serde_json::to_value(&run.spec).map_err(ApiError::internal)?;
    body["summary"] = serde_json::to_value(&summary).map_err(ApiError::internal)?;
    body["executing_here"] = state.executor.is_active(&member.workspace, &id).into();
    Ok(Json(body))
}

/// `POST …/runs/{id}/cancel` (editors): stops starting attempts; those in flight finish.
pub(crate) async fn cancel(
    State(state): State<ServerState>,
    member: Member,
    Path((_, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    member.require(Role::Editor)?;
    let run = stored(&state, &member, &id).await?;
    if state.executor.cancel(&member.workspace, &id) {
        return Ok(StatusCode::ACCEPTED);
    }
    if run.status != RunStatus::Running {
        return Err(ApiError::conflict(format!(
            "the run is {}",
            run.status.as_str()
        )));
    }
    // Left running by a server that stopped: nothing executes it, so marking it is all.
    state
        .handle
        .store()
        .set_run_status(&member.workspace, &id, RunStatus::Cancelled)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

/// `POST …/runs/{id}/resume` (editors): runs what was not recorded.
pub(crate) async fn resume(
    State(state): State<ServerState>,
    member: Member,
    Path((_, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    resume_run(state, member, id, false).await
}

/// `POST …/runs/{id}/rerun-failed` (editors): resumes, running attempts that ended in an
/// error again too.
pub(crate) async fn rerun_failed(
    State(state): State<ServerState>,
    member: Member,
    Path((_, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    resume_run(state, member, id, true).await
}

async fn resume_run(
    state: ServerState,
    member: Member,
    id: String,
    retry_errors: bool,
) -> Result<StatusCode, ApiError> {
    member.require(Role::Editor)?;
    let run = stored(&state, &member, &id).await?;
    suites_api::check_resumable(&state, &member.workspace, &run.spec).await?;
    state
        .executor
        .resume(&member.workspace, &id, retry_errors)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

/// `DELETE …/runs/{id}` (editors): the run, its attempts and its artifacts. A running run
/// must be cancelled first.
pub(crate) async fn delete(
    State(state): State<ServerState>,
    member: Member,
    Path((_, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    member.require(Role::Editor)?;
    let run = stored(&state, &member, &id).await?;
    // Running here, or (queued) on any worker: either would write to a run that is gone.
    if state.executor.is_active(&member.workspace, &id) || run.status == RunStatus::Running {
        return Err(ApiError::conflict("the run is running: cancel it first"));
    }
    state.executor.stopped(&member.workspace, &id).await;
    if !state
        .handle
        .store()
        .delete_run(&member.workspace, &id)
        .await?
    {
        return Err(ApiError::not_found("no such run"));
    }
    state.executor.hub.forget(&member.workspace, &id);
    if let Some(dir) = run.spec.artifacts_dir {
        let folder = std::path::Path::new(&dir).join(&id);
        if folder.starts_with(&state.options.data) {
            let _ = tokio::fs::remove_dir_all(folder).await;
        }
    }
    Ok(StatusCode::NO_CONTENT)
}
