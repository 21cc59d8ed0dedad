//! Local models: what the server of a saved `lmstudio` agent has on disk, loading and
//! unloading them, and a run's own loads.
//!
//! - `GET …/agents/{name}/models` (any member): the models, each with `state`
//!   (`loaded` | `not-loaded`) and its loaded `instances`.
//! - `POST …/agents/{name}/models/load` and `…/unload` (editors), body `{"model": KEY}`
//!   (the agent's own model when absent).
//! - A launch's `{"saved": NAME, "model": KEY}` ([`pick_model`]).
//!
//! A run's own loads and unloads are in [`run_models`](super::run_models).

use super::auth::Member;
use super::body::{self, RawJson};
use super::error::ApiError;
use super::policy;
use super::run_models::{LocalAgent, KIND};
use super::state::ServerState;
use axum::extract::{Path, State};
use axum::Json;
use benchcore_providers::openai_compat::model_key;
use benchcore_providers::AgentConfig;
use benchcore_store::Role;
use serde_json::{json, Value};

/// `…/models/load` and `…/unload`'s body.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ModelBody {
    /// The model's key on the server; the agent's own model when absent.
    model: Option<String>,
}

/// The saved agent `name` of the member's workspace, which must be an `lmstudio` one.
async fn saved_agent(
    state: &ServerState,
    member: &Member,
    name: &str,
) -> Result<LocalAgent, ApiError> {
    let value = state
        .vault
        .load_agent(&member.workspace, name)
        .await?
        .ok_or_else(|| ApiError::not_found("no such agent"))?;
    let kind = value
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if kind != KIND {
        return Err(ApiError::invalid(
            "name",
            format!("agent {name:?} is of kind {kind:?}: only an {KIND} agent's server has local models"),
        ));
    }
    policy::check_agent(&value, "config", true)?;
    match serde_json::from_value(value) {
        Ok(AgentConfig::LmStudio(config)) => LocalAgent::new(config, "config"),
        _ => Err(ApiError::conflict(
            "the saved config no longer reads; save it again",
        )),
    }
}

/// `GET …/agents/{name}/models`.
pub(crate) async fn list(
    State(state): State<ServerState>,
    member: Member,
    Path((_, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let agent = saved_agent(&state, &member, &name).await?;
    let models = agent
        .client
        .list_models()
        .await
        .map_err(|e| agent.error(&e, "config.base_url"))?;
    let models: Vec<Value> = models
        .iter()
        .map(|model| {
            let mut value = serde_json::to_value(model).unwrap_or_default();
            value["state"] = if model.is_loaded() {
                "loaded"
            } else {
                "not-loaded"
            }
            .into();
            value
        })
        .collect();
    Ok(Json(json!({
        "agent": name,
        "server": agent.client.root(),
        "model": agent.own_model(),
        "models": models,
    })))
}

/// The model a load or unload names, after the editor check (a viewer learns nothing from
/// the body's errors).
async fn target(
    state: &ServerState,
    member: &Member,
    name: &str,
    raw: &[u8],
) -> Result<(LocalAgent, String), ApiError> {
    member.require(Role::Editor)?;
    let body: ModelBody = body::parse(raw)?;
    let agent = saved_agent(state, member, name).await?;
    let model = match body.model {
        None => agent.own_model(),
        Some(model) => model_key(&model).to_owned(),
    };
    if model.is_empty() {
        return Err(ApiError::invalid(
            "model",
            "is empty: name a model of the server",
        ));
    }
    Ok((agent, model))
}

/// `POST …/agents/{name}/models/load` (editors): loads the model unless it is loaded.
pub(crate) async fn load(
    State(state): State<ServerState>,
    member: Member,
    Path((_, name)): Path<(String, String)>,
    RawJson(raw): RawJson,
) -> Result<Json<Value>, ApiError> {
    let (agent, model) = target(&state, &member, &name, &raw).await?;
    let loaded = agent
        .client
        .load(&model)
        .await
        .map_err(|e| agent.error(&e, "model"))?;
    tracing::info!(agent = %name, %model, workspace = %member.workspace, user = %member.caller.user.id, "loaded a local model");
    let mut answer = serde_json::to_value(&loaded).map_err(ApiError::internal)?;
    answer["state"] = "loaded".into();
    Ok(Json(answer))
}

/// `POST …/agents/{name}/models/unload` (editors): unloads every instance of the model.
pub(crate) async fn unload(
    State(state): State<ServerState>,
    member: Member,
    Path((_, name)): Path<(String, String)>,
    RawJson(raw): RawJson,
) -> Result<Json<Value>, ApiError> {
    let (agent, model) = target(&state, &member, &name, &raw).await?;
    let unloaded = agent
        .client
        .unload(&model)
        .await
        .map_err(|e| agent.error(&e, "model"))?;
    tracing::info!(agent = %name, %model, workspace = %member.workspace, user = %member.caller.user.id, "unloaded a local model");
    Ok(Json(
        json!({ "model": model, "state": "not-loaded", "unloaded": unloaded }),
    ))
}

/// A launch's agent entry `{"saved": NAME, "model": KEY}`: the saved `lmstudio` agent NAME on
/// the model KEY of its server (which must have it), loaded before the run. It is kept as
/// the saved agent `NAME@KEY`, so that the run, its resume and its records all name one
/// agent; its config is NAME's with that model and `load` on. Returns that name.
pub(crate) async fn pick_model(
    state: &ServerState,
    member: &Member,
    name: &str,
    model: &str,
    field: &str,
) -> Result<String, ApiError> {
    member.require(Role::Editor)?;
    let agent = saved_agent(state, member, name)
        .await
        .map_err(|e| ApiError {
            field: Some(format!("{field}.saved")),
            ..e
        })?;
    let key = model_key(model).to_owned();
    let models = agent
        .client
        .list_models()
        .await
        .map_err(|e| agent.error(&e, field))?;
    if !models.iter().any(|m| m.key == key) {
        return Err(ApiError::invalid(
            format!("{field}.model"),
            format!("the server of agent {name:?} has no model {key:?} (…/agents/{name}/models lists them)"),
        ));
    }
    let mut config = state
        .vault
        .load_agent(&member.workspace, name)
        .await?
        .ok_or_else(|| ApiError::not_found("no such agent"))?;
    config["model"] = key.clone().into();
    config["load"] = true.into();
    let derived = format!("{name}@{key}");
    state
        .vault
        .save_agent(&member.workspace, &derived, &config)
        .await?;
    Ok(derived)
}
