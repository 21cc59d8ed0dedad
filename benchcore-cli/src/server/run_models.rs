//! The local models of a run: before it starts, the models of its `lmstudio` agents that say
//! `"load": true` are loaded (a failure refuses the launch, and no run is created); they are
//! held until it ends, when those that say `"unload_after": true` are unloaded unless
//! another run of this server still uses them. Also [`LocalAgent`], a saved `lmstudio`
//! agent ready to manage its server's models, which the API's model routes share.
//!
//! Everything goes through [`LmStudioModels`], LM Studio's own REST API.

use super::error::ApiError;
use axum::http::StatusCode;
use benchcore::{RunSpec, Workspace};
use benchcore_providers::openai_compat::{model_key, LmStudioError, LmStudioModels};
use benchcore_providers::{AgentConfig, LmStudioConfig, ProviderFactory};
use benchcore_store::StoreHandle;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// The kind whose server has local models.
pub(crate) const KIND: &str = "lmstudio";

/// A saved `lmstudio` agent, ready to manage its server's models.
pub(crate) struct LocalAgent {
    pub(crate) client: LmStudioModels,
    pub(crate) config: LmStudioConfig,
    /// Texts no answer may carry (its token, its header values).
    pub(crate) secrets: Vec<String>,
}

impl LocalAgent {
    pub(crate) fn new(config: LmStudioConfig, field: &str) -> Result<Self, ApiError> {
        let client = LmStudioModels::from_config(&config).map_err(|e| {
            let at = e
                .field
                .as_deref()
                .map_or(field.to_owned(), |f| format!("{field}.{f}"));
            ApiError::invalid(at, e.message)
        })?;
        let mut secrets: Vec<String> = config.headers.values().cloned().collect();
        secrets.extend(config.api_key.as_ref().map(|k| k.expose().to_owned()));
        secrets.retain(|s| s.len() >= 4);
        Ok(Self {
            client,
            config,
            secrets,
        })
    }

    /// The agent's own model, as the server knows it.
    pub(crate) fn own_model(&self) -> String {
        model_key(&self.config.to_compat().model).to_owned()
    }

    /// The API's answer to a failure: 422 for an unknown model, else 502 (the server is down,
    /// refused, or answered nonsense), with the server's message and no secret.
    pub(crate) fn error(&self, error: &LmStudioError, field: &str) -> ApiError {
        let message = self.secrets.iter().fold(error.to_string(), |text, s| {
            text.replace(s.as_str(), "[redacted]")
        });
        match error {
            LmStudioError::UnknownModel { .. } => ApiError::invalid(field, message),
            _ => ApiError {
                status: StatusCode::BAD_GATEWAY,
                code: "upstream",
                message,
                field: Some(field.to_owned()),
            },
        }
    }
}

/// How many runs of this process use each local model (by server root and key), and whether
/// one of them asked for it to be unloaded once none does. Process-wide because the models
/// are: two runs on one model must not have the first to end unload it under the second.
static IN_USE: Mutex<Option<HashMap<(String, String), Use>>> = Mutex::new(None);

#[derive(Default)]
struct Use {
    runs: usize,
    unload: bool,
}

/// The local models one run uses: held from before it starts until [`release`](Self::release)
/// (or drop), which unloads those asked to be unloaded that no other run still uses.
#[derive(Default)]
pub(crate) struct RunModels {
    held: Vec<(LmStudioModels, String)>,
}

/// Before a run of `spec` starts: loads the models of its `lmstudio` agents (saved or inline)
/// that say `load`, and holds all their models until the run ends. A failure releases what
/// was held and answers with the server's message (422 for a model the server does not have,
/// else 502), naming the agent.
pub(crate) async fn before_run(
    handle: &StoreHandle,
    workspace: &Workspace,
    spec: &RunSpec,
) -> Result<RunModels, ApiError> {
    let mut configs = Vec::new();
    for (i, agent) in spec.agents.iter().enumerate() {
        let value = match ProviderFactory::saved_name(&agent.config) {
            Some(name) => handle.require_vault()?.load_agent(workspace, name).await?,
            None => Some(agent.config.clone()),
        };
        let Some(value) = value.filter(|v| v.get("kind").and_then(Value::as_str) == Some(KIND))
        else {
            continue;
        };
        if let Ok(AgentConfig::LmStudio(config)) = serde_json::from_value(value) {
            configs.push((format!("agents.{i}.config"), config));
        }
    }
    let mut models = RunModels::default();
    for (field, config) in configs {
        let agent = match LocalAgent::new(config, &field) {
            Ok(agent) => agent,
            Err(error) => {
                models.release().await;
                return Err(error);
            }
        };
        let model = agent.own_model();
        if agent.config.load {
            if let Err(error) = agent.client.load(&model).await {
                models.release().await;
                return Err(agent.error(&error, &field));
            }
        }
        models.hold(agent.client, model, agent.config.unload_after);
    }
    Ok(models)
}

impl RunModels {
    fn hold(&mut self, client: LmStudioModels, model: String, unload: bool) {
        let key = (client.root().to_owned(), model.clone());
        let mut in_use = IN_USE.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = in_use
            .get_or_insert_with(HashMap::new)
            .entry(key)
            .or_default();
        entry.runs += 1;
        entry.unload |= unload;
        drop(in_use);
        self.held.push((client, model));
    }

    /// Lets go of every model; returns those to unload now (no run uses them, one asked).
    fn let_go(&mut self) -> Vec<(LmStudioModels, String)> {
        let mut in_use = IN_USE.lock().unwrap_or_else(PoisonError::into_inner);
        let map = in_use.get_or_insert_with(HashMap::new);
        let mut to_unload = Vec::new();
        for (client, model) in self.held.drain(..) {
            let key = (client.root().to_owned(), model.clone());
            let Some(entry) = map.get_mut(&key) else {
                continue;
            };
            entry.runs = entry.runs.saturating_sub(1);
            if entry.runs == 0 && map.remove(&key).is_some_and(|e| e.unload) {
                to_unload.push((client, model));
            }
        }
        to_unload
    }

    /// After the run ends: unloads the models asked to be unloaded that no other run uses.
    /// A failure is logged: the run's results stand either way.
    pub(crate) async fn release(mut self) {
        unload_all(self.let_go()).await;
    }
}

/// A run that never started (or a task that ended without releasing) still lets go, and its
/// unloads happen in the background.
impl Drop for RunModels {
    fn drop(&mut self) {
        let to_unload = self.let_go();
        if to_unload.is_empty() {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(unload_all(to_unload));
        }
    }
}

async fn unload_all(models: Vec<(LmStudioModels, String)>) {
    for (client, model) in models {
        match client.unload(&model).await {
            Ok(_) => {
                tracing::info!(server = %client.root(), %model, "unloaded the local model after the run")
            }
            Err(e) => {
                tracing::error!(server = %client.root(), %model, error = %e, "cannot unload the local model after the run")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_run_out_unloads_what_one_asked_to() {
        // A root no other test uses: the counts are process-wide.
        let client = || LmStudioModels::new("http://127.0.0.1:9/refcount-test/v1").unwrap();
        let (mut first, mut second, mut third) = (
            RunModels::default(),
            RunModels::default(),
            RunModels::default(),
        );
        first.hold(client(), "m".into(), true);
        second.hold(client(), "m".into(), false);
        third.hold(client(), "other".into(), false);
        // The run that asked ends first: the other still uses the model.
        assert!(first.let_go().is_empty());
        let to_unload = second.let_go();
        assert_eq!(to_unload.len(), 1);
        assert_eq!(to_unload[0].1, "m");
        // Nobody asked for `other`.
        assert!(third.let_go().is_empty());
        // Letting go twice changes nothing.
        assert!(second.let_go().is_empty());
    }
}
