//! What a workspace member may ask the server to run. A member is not the machine's owner:
//! nothing they send may read the server's files or environment, start a process, or write
//! outside the workspace's own folder.
//!
//! - Agent configs are of a kind that talks to a model over the network (or needs nothing),
//!   and carry no field naming a file, a folder, a command or an environment variable.
//! - A kind that would fall back on a provider key from the server's environment
//!   (`OPENAI_API_KEY` …) must carry its own `api_key`, which only a saved agent keeps
//!   (sealed in the vault): the server never lends its own keys.
//! - A run spec names its suite by name (one of the server's suites), writes artifacts where
//!   the server says, and refers to keyed agents by their saved name.

use super::error::ApiError;
use serde_json::Value;

/// Agent kinds a member may use.
const ALLOWED_KINDS: [&str; 10] = [
    "openai_compatible",
    "openai",
    "openrouter",
    "nvidia",
    "lmstudio",
    "anthropic",
    "realtime",
    "scripted",
    "gold",
    "null",
];

/// Kinds that read a provider key from the environment when the config has none.
const KEYED_KINDS: [&str; 5] = ["openai", "openrouter", "nvidia", "anthropic", "realtime"];

/// The kind of a reference to a saved agent.
pub(crate) const SAVED_KIND: &str = "saved";

/// Most attempts in flight a run may ask for.
pub(crate) const MAX_CONCURRENCY: usize = 256;
/// Most samples per case and agent.
pub(crate) const MAX_SAMPLES: u32 = 1000;

/// Whether a config key names something on the server's machine.
fn names_local_thing(key: &str) -> bool {
    matches!(key, "command" | "path" | "file" | "program" | "cwd")
        || ["_env", "_dir", "_path", "_file", "_command"]
            .iter()
            .any(|suffix| key.ends_with(suffix))
}

/// Refuses any key, at any depth, naming a file, folder, command or variable.
fn check_no_local_things(value: &Value, path: &str) -> Result<(), ApiError> {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let here = format!("{path}.{key}");
                if names_local_thing(key) && !inner.is_null() {
                    return Err(ApiError::invalid(
                        here,
                        "names a file, folder, command or environment variable of the \
                         server's machine, which a server run may not use",
                    ));
                }
                check_no_local_things(inner, &here)?;
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                check_no_local_things(inner, &format!("{path}.{i}"))?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Checks an agent config a member saves (`saved == true`: it may hold `api_key`) or puts
/// inline in a run spec.
pub(crate) fn check_agent(config: &Value, path: &str, saved: bool) -> Result<(), ApiError> {
    let kind = config
        .get("kind")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid(format!("{path}.kind"), "an agent config needs a kind"))?;
    if !ALLOWED_KINDS.contains(&kind) {
        return Err(ApiError::invalid(
            format!("{path}.kind"),
            format!(
                "kind {kind:?} is not available on the server (available: {})",
                ALLOWED_KINDS.join(", ")
            ),
        ));
    }
    check_no_local_things(config, path)?;
    let has_key = config.get("api_key").is_some_and(|k| !k.is_null());
    if has_key && !saved {
        return Err(ApiError::invalid(
            format!("{path}.api_key"),
            "a run spec holds no secrets: save the agent with its key and refer to it as \
             {\"kind\": \"saved\", \"name\": …}",
        ));
    }
    if KEYED_KINDS.contains(&kind) && !has_key {
        return Err(ApiError::invalid(
            format!("{path}.api_key"),
            format!(
                "a {kind} agent needs its own api_key on the server (saved with the agent, \
                 sealed in the vault): the server never lends the keys of its environment"
            ),
        ));
    }
    Ok(())
}

/// Checks the parts of a run spec a member writes (the suite and artifact folder are set by
/// the server afterwards): agents, evaluators, limits.
pub(crate) fn check_spec(spec: &benchcore::RunSpec) -> Result<(), ApiError> {
    if spec.agents.is_empty() {
        return Err(ApiError::invalid(
            "agents",
            "a run needs at least one agent",
        ));
    }
    for (i, agent) in spec.agents.iter().enumerate() {
        let path = format!("agents.{i}.config");
        let is_saved = agent.config.get("kind").and_then(Value::as_str) == Some(SAVED_KIND);
        if is_saved {
            let named = agent.config.get("name").and_then(Value::as_str);
            if named.is_none_or(|n| n.is_empty()) {
                return Err(ApiError::invalid(
                    format!("{path}.name"),
                    "names no saved agent",
                ));
            }
        } else {
            check_agent(&agent.config, &path, false)?;
        }
    }
    // A dataset's options may name files (few-shot examples …): none of the server's.
    let dataset = serde_json::to_value(&spec.suite.dataset).map_err(ApiError::internal)?;
    check_no_local_things(&dataset, "suite.dataset")?;
    let evaluators = serde_json::to_value(&spec.evaluators).map_err(ApiError::internal)?;
    check_no_local_things(&evaluators, "evaluators")?;
    check_nested_agents(&evaluators, "evaluators")?;
    if spec.artifacts_dir.is_some() {
        return Err(ApiError::invalid(
            "artifacts_dir",
            "the server decides where artifacts go; leave it out",
        ));
    }
    if spec.concurrency == 0 || spec.concurrency > MAX_CONCURRENCY {
        return Err(ApiError::invalid(
            "concurrency",
            format!("must be 1-{MAX_CONCURRENCY}"),
        ));
    }
    if spec.samples == 0 || spec.samples > MAX_SAMPLES {
        return Err(ApiError::invalid(
            "samples",
            format!("must be 1-{MAX_SAMPLES}"),
        ));
    }
    check_no_local_things(&spec.tags, "tags")
}

/// Judges carry an agent config of their own: the same rules apply to it.
fn check_nested_agents(value: &Value, path: &str) -> Result<(), ApiError> {
    match value {
        Value::Object(map) => {
            if let Some(agent) = map.get("agent") {
                check_agent(agent, &format!("{path}.agent"), false)?;
            }
            for (key, inner) in map {
                if key != "agent" {
                    check_nested_agents(inner, &format!("{path}.{key}"))?;
                }
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                check_nested_agents(inner, &format!("{path}.{i}"))?;
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(error: ApiError) -> String {
        error.field.unwrap_or_default()
    }

    #[test]
    fn local_things_are_refused_at_any_depth() {
        let hostile = json!({"kind": "realtime", "api_key": "k",
            "speech": {"engine": "command", "command": ["sh", "-c", "id"]}});
        assert_eq!(
            field(check_agent(&hostile, "agent", true).unwrap_err()),
            "agent.speech.command"
        );
        let env =
            json!({"kind": "openai_compatible", "base_url": "http://x", "api_key_env": "HOME"});
        assert_eq!(
            field(check_agent(&env, "a", true).unwrap_err()),
            "a.api_key_env"
        );
        let replay = json!({"kind": "realtime", "api_key": "k", "replay_dir": "/etc"});
        assert_eq!(
            field(check_agent(&replay, "a", true).unwrap_err()),
            "a.replay_dir"
        );
    }

    #[test]
    fn kinds_outside_the_list_and_borrowed_keys_are_refused() {
        let mcp = json!({"kind": "mcp", "server": "x"});
        assert_eq!(field(check_agent(&mcp, "a", true).unwrap_err()), "a.kind");
        let keyless = json!({"kind": "openai", "model": "gpt-4o", "base_url": "http://evil"});
        assert_eq!(
            field(check_agent(&keyless, "a", true).unwrap_err()),
            "a.api_key"
        );
        let keyed = json!({"kind": "openai", "model": "gpt-4o", "api_key": "sk-1"});
        assert!(check_agent(&keyed, "a", true).is_ok());
        assert_eq!(
            field(check_agent(&keyed, "a", false).unwrap_err()),
            "a.api_key"
        );
        let local =
            json!({"kind": "openai_compatible", "base_url": "http://127.0.0.1:1/v1", "model": "m"});
        assert!(check_agent(&local, "a", false).is_ok());
    }

    #[test]
    fn specs_set_no_artifact_folder_and_keep_limits() {
        let mut spec = benchcore::RunSpec::default()
            .with_agent_config(json!({"kind": "saved", "name": "gpt"}));
        assert!(check_spec(&spec).is_ok());
        spec.artifacts_dir = Some("/tmp/x".into());
        assert_eq!(field(check_spec(&spec).unwrap_err()), "artifacts_dir");
        spec.artifacts_dir = None;
        spec.concurrency = 100_000;
        assert_eq!(field(check_spec(&spec).unwrap_err()), "concurrency");
    }
}
