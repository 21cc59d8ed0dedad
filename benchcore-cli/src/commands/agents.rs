//! `benchcore agents save|list|delete` and `benchcore store status`: saved agents, their
//! secrets encrypted in the store, and the state of the encryption key.

use crate::args::{AgentsCommand, StoreCommand};
use crate::{output, EXIT_OK};
use anyhow::{bail, Context};
use benchcore::Workspace;
use benchcore_providers::AgentConfig;
use benchcore_store::{EncryptionStatus, StoreHandle};
use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;

pub(crate) async fn agents(
    store: StoreHandle,
    workspace: Workspace,
    command: AgentsCommand,
) -> anyhow::Result<ExitCode> {
    match command {
        AgentsCommand::Save(args) => {
            let config = read_one_config(&args.file)?;
            let vault = store.require_vault()?;
            vault
                .save_agent(&workspace, &args.name, &config)
                .await
                .with_context(|| format!("saving agent `{}`", args.name))?;
            output::print(&format!(
                "saved agent `{}` in workspace {workspace}; use it with --agent saved:{}\n",
                args.name, args.name
            ))?;
        }
        AgentsCommand::List(args) => {
            let agents = store.require_vault()?.list_agents(&workspace).await?;
            if args.json {
                for agent in &agents {
                    output::print(&format!("{}\n", serde_json::to_string(agent)?))?;
                }
            } else {
                let rows: Vec<Vec<String>> = agents
                    .iter()
                    .map(|a| {
                        vec![
                            a.name.clone(),
                            a.kind.clone(),
                            if a.has_secrets { "encrypted" } else { "none" }.to_owned(),
                            a.updated_at_ms.to_string(),
                        ]
                    })
                    .collect();
                output::print(&output::table(
                    &["NAME", "KIND", "SECRETS", "UPDATED_MS"],
                    &rows,
                ))?;
            }
        }
        AgentsCommand::Delete(args) => {
            let vault = store.require_vault()?;
            if !vault.delete_agent(&workspace, &args.name).await? {
                bail!(
                    "no saved agent `{}` in workspace {workspace} (see `benchcore agents list`)",
                    args.name
                );
            }
            output::print(&format!("deleted agent `{}`\n", args.name))?;
        }
    }
    Ok(ExitCode::from(EXIT_OK))
}

pub(crate) async fn store(store: StoreHandle, command: StoreCommand) -> anyhow::Result<ExitCode> {
    match command {
        StoreCommand::Status(args) => {
            let status = store.require_vault()?.encryption_status().await?;
            if args.json {
                output::print(&format!("{}\n", serde_json::to_string_pretty(&status)?))?;
            } else {
                output::print(&status_text(&status))?;
            }
        }
    }
    Ok(ExitCode::from(EXIT_OK))
}

fn status_text(s: &EncryptionStatus) -> String {
    let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".to_owned());
    let yes_no = |v: Option<bool>, none: &str| match v {
        Some(true) => "yes".to_owned(),
        Some(false) => "NO".to_owned(),
        None => none.to_owned(),
    };
    let key = match (&s.key_format, s.key_bits) {
        (Some(format), Some(bits)) if s.key_loaded => {
            format!("loaded ({format}, AES-{bits}, id {})", or_none(&s.key_id))
        }
        _ => "not loaded (set BENCHCORE_ENCRYPTION_KEY)".to_owned(),
    };
    format!(
        "encryption key:        {key}\n\
         previous key:          {}\n\
         stored key:            {}\n\
         fingerprint matches:   {}\n\
         sentinel decrypts:     {}\n\
         saved secrets:         {}\n\
         failing to decrypt:    {}\n",
        or_none(&s.previous_key_id),
        or_none(&s.stored_key_id),
        yes_no(s.fingerprint_matches, "n/a"),
        yes_no(s.sentinel_decrypts, "n/a (no sentinel stored)"),
        s.saved_secrets,
        s.undecryptable_secrets,
    )
}

/// Reads an agent file (as `AgentConfig::from_file` checks it) holding exactly one config,
/// as the JSON to save: with its literal secrets, which `AgentConfig` never serializes.
fn read_one_config(path: &Path) -> anyhow::Result<serde_json::Value> {
    let configs = AgentConfig::from_file(path)?;
    if configs.len() != 1 {
        bail!(
            "{}: holds {} agent configs; save one per name",
            path.display(),
            configs.len()
        );
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let is_toml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    let value: serde_json::Value = if is_toml {
        toml::from_str(&text).with_context(|| format!("{}", path.display()))?
    } else {
        serde_json::from_str(&text).with_context(|| format!("{}", path.display()))?
    };
    Ok(match value {
        serde_json::Value::Array(mut list) => list.remove(0),
        serde_json::Value::Object(mut map)
            if map.contains_key("agents") && !map.contains_key("kind") =>
        {
            match map.remove("agents") {
                Some(serde_json::Value::Array(mut list)) => list.remove(0),
                _ => bail!("{}: `agents` is not a list", path.display()),
            }
        }
        other => other,
    })
}

/// The configs of the saved agents `names`, from the store's vault (needed only when there
/// are names).
pub(crate) async fn load_saved(
    store: &StoreHandle,
    workspace: &Workspace,
    names: &[String],
) -> anyhow::Result<HashMap<String, AgentConfig>> {
    let mut saved = HashMap::new();
    if names.is_empty() {
        return Ok(saved);
    }
    let vault = store.require_vault()?;
    for name in names {
        if saved.contains_key(name) {
            continue;
        }
        let value = vault
            .load_agent(workspace, name)
            .await
            .with_context(|| format!("loading saved agent `{name}`"))?
            .with_context(|| {
                format!(
                    "no saved agent `{name}` in workspace {workspace} (save one with \
                     `benchcore agents save {name} FILE`)"
                )
            })?;
        // serde's message may quote a value, which may be a secret: name the agent only.
        let config: AgentConfig = serde_json::from_value(value).map_err(|_| {
            anyhow::anyhow!(
                "saved agent `{name}` is not an agent config this version reads; save it again"
            )
        })?;
        config
            .validate()
            .with_context(|| format!("saved agent `{name}`"))?;
        saved.insert(name.clone(), config);
    }
    Ok(saved)
}
