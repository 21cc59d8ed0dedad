//! [`AgentVault`] on a [`SqlStore`]: saved agents, their secrets sealed with the store's keys.

use super::backend::Backend;
use super::driver::{args, On};
use super::keys;
use super::store::SqlStore;
use crate::vault::{self, AgentVault, EncryptionStatus, SavedAgent};
use async_trait::async_trait;
use benchcore::{StoreError, Workspace};
use serde_json::Value;

#[async_trait]
impl<B: Backend> AgentVault for SqlStore<B> {
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
            .map(|s| vault::seal_secrets(self.keyring(), workspace, name, s))
            .transpose()?;
        let public = B::NUL.json(split.public.to_string());
        let args = args![
            workspace.as_str(),
            name,
            split.kind.as_str(),
            public.as_str(),
            secret.as_deref(),
            benchcore::now_ms() as i64,
        ];
        let pools = self.pools();
        let what = format!("cannot save agent {name:?}");
        pools.write(&what, &pools.queries.agent_save, args).await?;
        Ok(())
    }

    async fn load_agent(
        &self,
        workspace: &Workspace,
        name: &str,
    ) -> Result<Option<Value>, StoreError> {
        let pools = self.pools();
        let what = format!("cannot load agent {name:?}");
        let sql = &pools.queries.agent_load;
        let args = args![workspace.as_str(), name];
        let Some((public, envelope)) = pools
            .read_optional(&what, sql, args, |r| Ok((r.string(0)?, r.opt_string(1)?)))
            .await?
        else {
            return Ok(None);
        };
        let public: Value =
            serde_json::from_str(&public).map_err(|e| pools.errors.corrupt(&what, e))?;
        let Some(envelope) = envelope else {
            return Ok(Some(public));
        };
        let secrets = vault::open_secrets(self.keyring(), workspace.as_str(), name, &envelope)
            .map_err(|e| pools.errors.labelled(e))?;
        Ok(Some(vault::merge(public, secrets)))
    }

    async fn list_agents(&self, workspace: &Workspace) -> Result<Vec<SavedAgent>, StoreError> {
        let pools = self.pools();
        let sql = pools.queries.agent_list;
        let args = args![workspace.as_str()];
        pools
            .read_all("cannot list saved agents", sql, args, |r| {
                Ok(SavedAgent {
                    name: r.string(0)?,
                    kind: r.string(1)?,
                    has_secrets: r.bool(2)?,
                    created_at_ms: r.u64(3)?,
                    updated_at_ms: r.u64(4)?,
                })
            })
            .await
    }

    async fn delete_agent(&self, workspace: &Workspace, name: &str) -> Result<bool, StoreError> {
        let pools = self.pools();
        let what = format!("cannot delete agent {name:?}");
        let args = args![workspace.as_str(), name];
        Ok(pools.write(&what, pools.queries.agent_delete, args).await? > 0)
    }

    async fn encryption_status(&self) -> Result<EncryptionStatus, StoreError> {
        let pools = self.pools();
        // One connection, so the state and the secrets are read together.
        let mut conn = pools
            .reader
            .acquire()
            .await
            .map_err(|e| pools.errors.sql("cannot read the encryption state", e))?;
        let state = keys::state(pools, On::Conn(&mut *conn)).await?;
        let secrets = keys::secrets(pools, On::Conn(&mut *conn)).await?;
        Ok(vault::status(self.keyring(), state.as_ref(), &secrets))
    }
}
