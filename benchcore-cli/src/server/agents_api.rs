//! Managed agents of a workspace: saved configs whose provider keys are sealed in the store's
//! vault. No read ever returns a key: a config comes back without `api_key` and `token`, with
//! `has_secrets` saying whether it holds any; a test reply or error has the key replaced.

use super::auth::Member;
use super::body::{self, JsonBody, RawJson};
use super::error::ApiError;
use super::policy;
use super::state::ServerState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use benchcore::{AgentRequest, Message};
use benchcore_providers::{AgentConfig, Pricing, ProviderFactory};
use benchcore_store::{Role, SavedAgent};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The fields the vault seals.
const SECRET_FIELDS: [&str; 2] = ["api_key", "token"];
/// How long a test prompt may take.
const TEST_TIMEOUT: Duration = Duration::from_secs(60);

/// `GET …/agents`.
pub(crate) async fn list(
    State(state): State<ServerState>,
    member: Member,
) -> Result<Json<Vec<SavedAgent>>, ApiError> {
    Ok(Json(state.vault.list_agents(&member.workspace).await?))
}

async fn load(state: &ServerState, member: &Member, name: &str) -> Result<Value, ApiError> {
    state
        .vault
        .load_agent(&member.workspace, name)
        .await?
        .ok_or_else(|| ApiError::not_found("no such agent"))
}

/// `GET …/agents/{name}`: the config without its secrets.
pub(crate) async fn get(
    State(state): State<ServerState>,
    member: Member,
    Path((_, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let config = load(&state, &member, &name).await?;
    let (public, secrets) = benchcore_store::without_secrets(&config);
    Ok(Json(
        json!({ "name": name, "config": public, "has_secrets": !secrets.is_empty() }),
    ))
}

/// Refuses a secret-looking field below the top level, which the vault would not seal.
fn check_nested_secrets(value: &Value, path: &str, top: bool) -> Result<(), ApiError> {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let here = format!("{path}.{key}");
                if !top && SECRET_FIELDS.contains(&key.as_str()) {
                    return Err(ApiError::invalid(
                        here,
                        "only a top-level api_key or token is sealed; put the key there",
                    ));
                }
                check_nested_secrets(inner, &here, false)?;
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                check_nested_secrets(inner, &format!("{path}.{i}"), false)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// `PUT …/agents/{name}` (editors): saves a config (the body), sealing its key and credential
/// headers. Saving again without `api_key` keeps no key: send the whole config.
pub(crate) async fn save(
    State(state): State<ServerState>,
    member: Member,
    Path((_, name)): Path<(String, String)>,
    RawJson(raw): RawJson,
) -> Result<StatusCode, ApiError> {
    member.require(Role::Editor)?;
    let config: Value = body::parse(&raw)?;
    if !config.is_object() {
        return Err(ApiError::invalid("", "an agent config is a JSON object"));
    }
    policy::check_agent(&config, "config", true)?;
    check_nested_secrets(&config, "config", true)?;
    // serde's message may quote a value, and the value may be a secret: scrub them all.
    let mut deserializer = serde_json::Deserializer::from_slice(&raw);
    if let Err(e) = serde_path_to_error::deserialize::<_, AgentConfig>(&mut deserializer) {
        let path = e.path().to_string().replace('[', ".").replace(']', "");
        let field = if path == "." {
            "config".to_owned()
        } else {
            format!("config.{path}")
        };
        let mut message = e.into_inner().to_string();
        for secret in secret_texts(&config) {
            message = message.replace(&secret, "[redacted]");
        }
        return Err(ApiError::invalid(field, message));
    }
    state
        .vault
        .save_agent(&member.workspace, &name, &config)
        .await
        .map_err(|e| match e.kind {
            benchcore::StoreErrorKind::Config => ApiError::invalid("name", e.message),
            benchcore::StoreErrorKind::Encryption => ApiError::conflict(
                "the server has no encryption key loaded, so it cannot keep provider keys \
                 (set BENCHCORE_ENCRYPTION_KEY)",
            ),
            _ => e.into(),
        })?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every value of a field the vault seals, as text, however it is typed.
fn secret_texts(config: &Value) -> Vec<String> {
    let mut texts = Vec::new();
    let mut add = |value: &Value| {
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if text.len() >= 3 {
            texts.push(text);
        }
    };
    if let Some(map) = config.as_object() {
        for field in SECRET_FIELDS {
            if let Some(value) = map.get(field) {
                add(value);
            }
        }
        if let Some(Value::Object(headers)) = map.get("headers") {
            headers.values().for_each(&mut add);
        }
    }
    texts
}

/// `DELETE …/agents/{name}` (editors).
pub(crate) async fn delete(
    State(state): State<ServerState>,
    member: Member,
    Path((_, name)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    member.require(Role::Editor)?;
    if state.vault.delete_agent(&member.workspace, &name).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("no such agent"))
    }
}

/// `POST …/agents/{name}/test`'s body.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TestPrompt {
    prompt: String,
}

/// `POST …/agents/{name}/test` (editors): sends one prompt, returns the reply or the error.
pub(crate) async fn test(
    State(state): State<ServerState>,
    member: Member,
    Path((_, name)): Path<(String, String)>,
    JsonBody(body): JsonBody<TestPrompt>,
) -> Result<Json<Value>, ApiError> {
    member.require(Role::Editor)?;
    let value = load(&state, &member, &name).await?;
    policy::check_agent(&value, "config", true)?;
    let (_, secrets) = benchcore_store::without_secrets(&value);
    let redact = |text: &str| {
        secrets
            .iter()
            .filter(|s| s.len() >= 4)
            .fold(text.to_owned(), |text, secret| {
                text.replace(secret.as_str(), "[redacted]")
            })
    };
    let config: AgentConfig = serde_json::from_value(value)
        .map_err(|_| ApiError::conflict("the saved config no longer reads; save it again"))?;
    let factory = ProviderFactory::new().with_pricing(Pricing::builtin());
    let agent = factory
        .build(&config)
        .map_err(|e| ApiError::invalid("config", redact(&e.to_string())))?;
    let request = AgentRequest::new(vec![Message::user(body.prompt)])
        .with_deadline(Instant::now() + TEST_TIMEOUT);
    let started = Instant::now();
    let reply = tokio::time::timeout(TEST_TIMEOUT, agent.respond(&request)).await;
    let elapsed = started.elapsed().as_millis() as u64;
    Ok(Json(match reply {
        Ok(Ok(reply)) => json!({
            "ok": true,
            "text": redact(&reply.text),
            "model": reply.model,
            "latency_ms": elapsed,
            "cost_usd": reply.cost_usd,
        }),
        Ok(Err(error)) => json!({
            "ok": false,
            "error": { "kind": error.kind, "message": redact(&error.message), "http_status": error.http_status },
            "latency_ms": elapsed,
        }),
        Err(_) => json!({
            "ok": false,
            "error": { "kind": "timeout", "message": "no reply within 60 s" },
            "latency_ms": elapsed,
        }),
    }))
}
