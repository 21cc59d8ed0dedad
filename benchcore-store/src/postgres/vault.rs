//! [`AgentVault`] on PostgreSQL: saved agents, key state and rotation.

use super::{error, queries, PostgresStore};
use crate::crypto::Keyring;
use crate::vault::{self, AgentVault, EncryptionStatus, KeyState, Rotation, SavedAgent};
use async_trait::async_trait;
use benchcore::{StoreError, Workspace};
use serde_json::Value;
use sqlx::postgres::PgConnection;
use sqlx::{Connection, Row};

/// Stores the current key's fingerprint and sentinel when none are stored, and with
/// rotation on, re-encrypts every secret under the current key first: all in one
/// transaction under a transaction-level advisory lock, so one process rotates while the
/// others wait, then find nothing to do.
pub(super) async fn prepare_keys(
    conn: &mut PgConnection,
    label: &str,
    keyring: &Keyring,
) -> Result<Rotation, StoreError> {
    let what = "cannot set up the encryption key";
    let map = |e| error::map(label, what, e);
    let Some(current) = keyring.current() else {
        return Ok(Rotation::default());
    };
    if !keyring.rotates_on_start() {
        let stored = sqlx::query(queries::KEY_STATE_GET)
            .fetch_optional(&mut *conn)
            .await
            .map_err(map)?;
        if stored.is_some() {
            return Ok(Rotation::default());
        }
    }
    let mut tx = conn.begin().await.map_err(map)?;
    sqlx::query(queries::LOCK_KEY_ROTATION)
        .execute(&mut *tx)
        .await
        .map_err(map)?;
    let mut rotation = Rotation::default();
    if keyring.rotates_on_start() {
        let rows = secrets(&mut tx).await.map_err(map)?;
        for (workspace, name, envelope) in rows {
            if let Some(sealed) =
                vault::reseal(keyring, &workspace, &name, &envelope).map_err(|mut e| {
                    e.message = format!("{label}: {}", e.message);
                    e
                })?
            {
                sqlx::query(queries::AGENT_RESEAL)
                    .bind(&workspace)
                    .bind(&name)
                    .bind(&sealed)
                    .execute(&mut *tx)
                    .await
                    .map_err(map)?;
                rotation.reencrypted += 1;
            }
        }
    }
    let stored: Option<String> = sqlx::query(queries::KEY_STATE_GET)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map)?
        .map(|row| row.try_get(0))
        .transpose()
        .map_err(map)?;
    let write = match stored {
        None => true,
        Some(fingerprint) => keyring.rotates_on_start() && fingerprint != current.fingerprint(),
    };
    if write {
        if let Some(state) = vault::current_state(keyring)? {
            sqlx::query(queries::KEY_STATE_PUT)
                .bind(&state.fingerprint)
                .bind(&state.sentinel)
                .bind(benchcore::now_ms() as i64)
                .execute(&mut *tx)
                .await
                .map_err(map)?;
            rotation.key_state_updated = true;
        }
    }
    tx.commit().await.map_err(map)?;
    Ok(rotation)
}

async fn secrets(conn: &mut PgConnection) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    sqlx::query(queries::AGENT_SECRETS)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
        .collect()
}

#[async_trait]
impl AgentVault for PostgresStore {
    async fn save_agent(
        &self,
        workspace: &Workspace,
        name: &str,
        config: &Value,
    ) -> Result<(), StoreError> {
        vault::check_name(name)?;
        let split = vault::split(name, config)?;
        let secret = split
            .secrets
            .as_ref()
            .map(|s| vault::seal_secrets(&self.keyring, workspace, name, s))
            .transpose()?;
        sqlx::query(queries::AGENT_SAVE)
            .bind(workspace.as_str())
            .bind(name)
            .bind(&split.kind)
            .bind(super::store::json_without_nul(split.public.to_string()))
            .bind(secret)
            .bind(benchcore::now_ms() as i64)
            .execute(&self.pool)
            .await
            .map_err(|e| self.error(&format!("cannot save agent {name:?}"), e))?;
        Ok(())
    }

    async fn load_agent(
        &self,
        workspace: &Workspace,
        name: &str,
    ) -> Result<Option<Value>, StoreError> {
        let what = || format!("cannot load agent {name:?}");
        let Some(row) = sqlx::query(queries::AGENT_LOAD)
            .bind(workspace.as_str())
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.error(&what(), e))?
        else {
            return Ok(None);
        };
        let public: Value = serde_json::from_str(self.get::<&str>(&row, 0)?)
            .map_err(|e| error::corrupt(&self.label, &what(), e))?;
        match self.get::<Option<String>>(&row, 1)? {
            None => Ok(Some(public)),
            Some(envelope) => {
                let secrets =
                    vault::open_secrets(&self.keyring, workspace.as_str(), name, &envelope)
                        .map_err(|mut e| {
                            e.message = format!("{}: {}", self.label, e.message);
                            e
                        })?;
                Ok(Some(vault::merge(public, secrets)))
            }
        }
    }

    async fn list_agents(&self, workspace: &Workspace) -> Result<Vec<SavedAgent>, StoreError> {
        let rows = sqlx::query(queries::AGENT_LIST)
            .bind(workspace.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.error("cannot list saved agents", e))?;
        rows.iter()
            .map(|row| {
                Ok(SavedAgent {
                    name: self.get(row, 0)?,
                    kind: self.get(row, 1)?,
                    has_secrets: self.get(row, 2)?,
                    created_at_ms: self.get_u64(row, 3)?,
                    updated_at_ms: self.get_u64(row, 4)?,
                })
            })
            .collect()
    }

    async fn delete_agent(&self, workspace: &Workspace, name: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(queries::AGENT_DELETE)
            .bind(workspace.as_str())
            .bind(name)
            .execute(&self.pool)
            .await
            .map_err(|e| self.error(&format!("cannot delete agent {name:?}"), e))?;
        Ok(done.rows_affected() > 0)
    }

    async fn encryption_status(&self) -> Result<EncryptionStatus, StoreError> {
        let what = "cannot read the encryption state";
        let mut conn = self.pool.acquire().await.map_err(|e| self.error(what, e))?;
        let state = sqlx::query(queries::KEY_STATE_GET)
            .fetch_optional(&mut *conn)
            .await
            .map_err(|e| self.error(what, e))?
            .map(|row| {
                Ok::<_, StoreError>(KeyState {
                    fingerprint: self.get(&row, 0)?,
                    sentinel: self.get(&row, 1)?,
                })
            })
            .transpose()?;
        let secrets = secrets(&mut conn).await.map_err(|e| self.error(what, e))?;
        Ok(vault::status(&self.keyring, state.as_ref(), &secrets))
    }
}
