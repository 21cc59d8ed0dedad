//! [`AgentVault`]: agent configs saved by name per workspace, their secrets encrypted.
//!
//! The trait lives here, not in `benchcore`, because its promise is encryption at rest: the
//! core knows no SQL and no cipher, and a store without a database has nothing to keep at
//! rest. Both backends implement it over the same logic in this module; only their SQL
//! differs.

use crate::crypto::{self, Keyring};
use async_trait::async_trait;
use benchcore::{StoreError, StoreErrorKind, Workspace};
use serde::Serialize;
use serde_json::{Map, Value};

/// Top-level fields of an agent config that hold secrets.
const SECRET_FIELDS: [&str; 2] = ["api_key", "token"];

/// One saved agent, as listed (never with its secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SavedAgent {
    /// Its name in the workspace.
    pub name: String,
    /// The config's `kind`.
    pub kind: String,
    /// Whether it has encrypted secrets.
    pub has_secrets: bool,
    /// When first saved, in milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    /// When last saved.
    pub updated_at_ms: u64,
}

/// What `benchcore store status` reports about encryption.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct EncryptionStatus {
    /// Whether `BENCHCORE_ENCRYPTION_KEY` gave a key.
    pub key_loaded: bool,
    /// `raw` or `hex`.
    pub key_format: Option<String>,
    /// 128, 192 or 256.
    pub key_bits: Option<u32>,
    /// The current key's id.
    pub key_id: Option<String>,
    /// The previous key's id, when one is loaded.
    pub previous_key_id: Option<String>,
    /// The id of the key whose fingerprint is stored (none before the first key is used).
    pub stored_key_id: Option<String>,
    /// Whether the stored fingerprint is the current key's (`None`: nothing to compare).
    pub fingerprint_matches: Option<bool>,
    /// Whether the stored sentinel decrypts with the loaded keys (`None`: none stored).
    pub sentinel_decrypts: Option<bool>,
    /// Saved agents with encrypted secrets, across workspaces.
    pub saved_secrets: u64,
    /// How many of them do not decrypt with the loaded keys.
    pub undecryptable_secrets: u64,
}

/// What a rotation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Rotation {
    /// Secrets re-encrypted under the current key.
    pub reencrypted: u64,
    /// Whether the stored fingerprint and sentinel were written.
    pub key_state_updated: bool,
}

/// Agent configs kept by name per workspace, the secret fields (`api_key`, `token`, and
/// header values whose names mark credentials) encrypted with AES-GCM.
///
/// # Contract
/// - `save_agent` of an existing name replaces it (an upsert).
/// - `load_agent` returns the config as saved, secrets merged back; an unknown name (or one
///   in another workspace) is `Ok(None)`.
/// - Saving a config with secrets without a key loaded fails with `Encryption`.
/// - Loading a secret sealed by a key that is not loaded fails with `Encryption`, naming
///   the key id it needs: never a config without its secrets.
/// - `list_agents` lists one workspace only, by name; `delete_agent` returns whether the
///   name existed.
/// - Nothing a workspace saved is read, listed or deleted from another.
#[async_trait]
pub trait AgentVault: std::fmt::Debug + Send + Sync + 'static {
    /// Saves (or replaces) `config` under `name`.
    async fn save_agent(
        &self,
        workspace: &Workspace,
        name: &str,
        config: &Value,
    ) -> Result<(), StoreError>;

    /// The config saved under `name`, secrets merged back.
    async fn load_agent(
        &self,
        workspace: &Workspace,
        name: &str,
    ) -> Result<Option<Value>, StoreError>;

    /// The workspace's saved agents, by name.
    async fn list_agents(&self, workspace: &Workspace) -> Result<Vec<SavedAgent>, StoreError>;

    /// Deletes `name`; whether it existed.
    async fn delete_agent(&self, workspace: &Workspace, name: &str) -> Result<bool, StoreError>;

    /// The keys loaded, the stored key state and how many secrets fail to decrypt.
    async fn encryption_status(&self) -> Result<EncryptionStatus, StoreError>;
}

const _: fn(&dyn AgentVault) = |_| {};

/// Whether a header name marks a credential (the same rule the providers use to keep
/// headers out of stored run specs).
pub(crate) fn is_sensitive_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["auth", "key", "token", "secret", "cookie", "password"]
        .iter()
        .any(|word| name.contains(word))
}

/// A config split into what is stored in the clear and its secrets (`None` when it has
/// none).
#[derive(Debug)]
pub(crate) struct Split {
    pub(crate) kind: String,
    pub(crate) public: Value,
    pub(crate) secrets: Option<Value>,
}

/// Moves the secret fields of `config` out of it.
pub(crate) fn split(name: &str, config: &Value) -> Result<Split, StoreError> {
    let Some(object) = config.as_object() else {
        return Err(invalid_config(name, "must be a JSON object"));
    };
    let kind = match object.get("kind") {
        Some(Value::String(kind)) if !kind.is_empty() => kind.clone(),
        _ => return Err(invalid_config(name, "needs a `kind`")),
    };
    let mut public = object.clone();
    let mut secrets = Map::new();
    for field in SECRET_FIELDS {
        if let Some(value) = public.remove(field) {
            if !value.is_null() {
                secrets.insert(field.to_owned(), value);
            }
        }
    }
    if let Some(Value::Object(headers)) = public.get_mut("headers") {
        let names: Vec<String> = headers
            .keys()
            .filter(|n| is_sensitive_header(n))
            .cloned()
            .collect();
        let mut moved = Map::new();
        for header in names {
            if let Some(value) = headers.remove(&header) {
                moved.insert(header, value);
            }
        }
        if !moved.is_empty() {
            secrets.insert("headers".to_owned(), Value::Object(moved));
        }
    }
    Ok(Split {
        kind,
        public: Value::Object(public),
        secrets: (!secrets.is_empty()).then_some(Value::Object(secrets)),
    })
}

/// A config as anyone may read it: without the fields the vault seals (`api_key`, `token`,
/// credential headers), and the secret strings taken out, so that a caller can also scrub
/// them from any text it shows (a provider's error message may echo a key).
///
/// ```
/// let config = serde_json::json!({"kind": "openai", "model": "m", "api_key": "sk-1"});
/// let (public, secrets) = benchcore_store::without_secrets(&config);
/// assert_eq!(public, serde_json::json!({"kind": "openai", "model": "m"}));
/// assert_eq!(secrets, ["sk-1"]);
/// ```
pub fn without_secrets(config: &Value) -> (Value, Vec<String>) {
    let Ok(split) = split("", config) else {
        return (config.clone(), Vec::new());
    };
    let mut strings = Vec::new();
    collect_strings(split.secrets.as_ref().unwrap_or(&Value::Null), &mut strings);
    (split.public, strings)
}

fn collect_strings(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::String(s) => into.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, into)),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, into)),
        _ => {}
    }
}

/// Puts secrets back into a public config.
pub(crate) fn merge(mut public: Value, secrets: Value) -> Value {
    let (Some(config), Value::Object(secrets)) = (public.as_object_mut(), secrets) else {
        return public;
    };
    for (field, value) in secrets {
        match (field.as_str(), value) {
            ("headers", Value::Object(moved)) => {
                let headers = config
                    .entry("headers")
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Some(headers) = headers.as_object_mut() {
                    headers.extend(moved);
                }
            }
            (_, value) => {
                config.insert(field, value);
            }
        }
    }
    public
}

/// Seals a config's secrets for its row.
pub(crate) fn seal_secrets(
    keyring: &Keyring,
    workspace: &Workspace,
    name: &str,
    secrets: &Value,
) -> Result<String, StoreError> {
    let context = crypto::agent_context(workspace.as_str(), name);
    let text = serde_json::to_vec(secrets).map_err(|e| {
        StoreError::new(
            StoreErrorKind::Encryption,
            format!("{context}: cannot encode its secrets: {e}"),
        )
    })?;
    keyring.seal(&text, &context).map_err(|mut e| {
        if keyring.current().is_none() {
            e.message = format!(
                "{context} has secrets ({}) but no encryption key is loaded: set {} (16, 24 \
                 or 32 characters, or 32, 48 or 64 hex digits), or save the agent with \
                 `api_key_env` instead of a literal key",
                secret_names(secrets),
                crypto::KEY_ENV
            );
        }
        e
    })
}

/// Opens a row's sealed secrets.
pub(crate) fn open_secrets(
    keyring: &Keyring,
    workspace: &str,
    name: &str,
    envelope: &str,
) -> Result<Value, StoreError> {
    let context = crypto::agent_context(workspace, name);
    let plain = keyring.open(envelope, &context)?;
    serde_json::from_slice(&plain).map_err(|e| {
        StoreError::new(
            StoreErrorKind::Corrupt,
            format!("{context}: its secrets decrypt but do not decode: {e}"),
        )
    })
}

/// The names of the secret fields, for messages (never their values).
fn secret_names(secrets: &Value) -> String {
    let mut names = Vec::new();
    if let Some(object) = secrets.as_object() {
        for (field, value) in object {
            match (field.as_str(), value) {
                ("headers", Value::Object(h)) => {
                    names.extend(h.keys().map(|n| format!("header {n}")));
                }
                _ => names.push(field.clone()),
            }
        }
    }
    names.join(", ")
}

fn invalid_config(name: &str, what: &str) -> StoreError {
    StoreError::new(
        StoreErrorKind::Config,
        format!("saved agent {name:?}: the config {what}"),
    )
}

/// Checks a saved agent's name: 1–128 characters, no control characters.
pub(crate) fn check_name(name: &str) -> Result<(), StoreError> {
    if name.is_empty() || name.chars().count() > 128 || name.chars().any(char::is_control) {
        return Err(StoreError::new(
            StoreErrorKind::Config,
            format!("{name:?} is not a saved agent name (1-128 characters, no control characters)"),
        ));
    }
    Ok(())
}

/// The stored key state: which key's fingerprint, and the sentinel it sealed.
#[derive(Debug, Clone)]
pub(crate) struct KeyState {
    pub(crate) fingerprint: String,
    pub(crate) sentinel: String,
}

/// The status from the keyring, the stored key state and every stored envelope with its
/// row (workspace, name).
pub(crate) fn status(
    keyring: &Keyring,
    state: Option<&KeyState>,
    secrets: &[(String, String, String)],
) -> EncryptionStatus {
    let current = keyring.current();
    let undecryptable = secrets
        .iter()
        .filter(|(workspace, name, envelope)| {
            open_secrets(keyring, workspace, name, envelope).is_err()
        })
        .count();
    EncryptionStatus {
        key_loaded: current.is_some(),
        key_format: current.map(|k| k.format().to_string()),
        key_bits: current.map(crypto::EncryptionKey::bits),
        key_id: current.map(|k| k.id().to_owned()),
        previous_key_id: keyring.previous().map(|k| k.id().to_owned()),
        stored_key_id: state.map(|s| s.fingerprint.chars().take(16).collect()),
        fingerprint_matches: state.and_then(|s| current.map(|k| k.fingerprint() == s.fingerprint)),
        sentinel_decrypts: state.map(|s| {
            keyring
                .open(&s.sentinel, crypto::SENTINEL_CONTEXT)
                .is_ok_and(|p| p == crypto::SENTINEL)
        }),
        saved_secrets: secrets.len() as u64,
        undecryptable_secrets: undecryptable as u64,
    }
}

/// The key state of the current key: its fingerprint and a fresh sentinel.
pub(crate) fn current_state(keyring: &Keyring) -> Result<Option<KeyState>, StoreError> {
    let Some(key) = keyring.current() else {
        return Ok(None);
    };
    Ok(Some(KeyState {
        fingerprint: key.fingerprint().to_owned(),
        sentinel: key.seal(crypto::SENTINEL, crypto::SENTINEL_CONTEXT)?,
    }))
}

/// The new envelope of a row during a rotation, or `None` when the current key sealed it
/// already.
pub(crate) fn reseal(
    keyring: &Keyring,
    workspace: &str,
    name: &str,
    envelope: &str,
) -> Result<Option<String>, StoreError> {
    let Some(current) = keyring.current() else {
        return Ok(None);
    };
    if crypto::envelope_key_id(envelope) == Some(current.id()) {
        return Ok(None);
    }
    let context = crypto::agent_context(workspace, name);
    let plain = keyring.open(envelope, &context).map_err(|mut e| {
        e.message = format!("key rotation: {}", e.message);
        e
    })?;
    current.seal(&plain, &context).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_split_off_and_merge_back() {
        let config = json!({
            "kind": "openai", "model": "m", "api_key": "sk-1",
            "headers": {"Authorization": "Bearer x", "X-Title": "t"}
        });
        let parts = split("a", &config).unwrap();
        assert_eq!(parts.kind, "openai");
        assert_eq!(
            parts.public,
            json!({"kind": "openai", "model": "m", "headers": {"X-Title": "t"}})
        );
        let secrets = parts.secrets.clone().unwrap();
        assert_eq!(merge(parts.public, secrets), config);
        assert!(split_is_clean(&json!({"kind": "gold"})));
        assert!(split("a", &json!([1])).is_err());
        assert!(split("a", &json!({"model": "m"})).is_err());
    }

    fn split_is_clean(config: &Value) -> bool {
        split("a", config).unwrap().secrets.is_none()
    }
}
