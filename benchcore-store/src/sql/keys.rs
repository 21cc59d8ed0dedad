//! The encryption key's state in a SQL store, set up when the store opens: the current key's
//! fingerprint and sentinel stored on first use, and with rotation on, every secret
//! re-encrypted under the current key first, all in one write transaction (SQLite's write
//! lock, or PostgreSQL's advisory lock, lets one process do it while the others wait and then
//! find nothing to do).

use super::backend::Backend;
use super::driver::{args, execute, fetch_all, fetch_optional, Driver, On};
use super::pools::Pools;
use crate::crypto::Keyring;
use crate::vault::{self, KeyState, Rotation};
use benchcore::StoreError;

/// Stores the current key's fingerprint and sentinel when none are stored, and with rotation
/// on, re-encrypts every secret under the current key first.
pub(crate) async fn prepare<B: Backend>(
    pools: &Pools<B::Db>,
    keyring: &Keyring,
) -> Result<Rotation, StoreError> {
    let what = "cannot set up the encryption key";
    let errors = &pools.errors;
    let queries = &pools.queries;
    let map = |e| errors.sql(what, e);
    let Some(current) = keyring.current() else {
        return Ok(Rotation::default());
    };
    if !keyring.rotates_on_start() {
        let stored =
            fetch_optional::<B::Db>(On::Pool(&pools.writer), queries.key_state_get, args![])
                .await
                .map_err(map)?;
        if stored.is_some() {
            return Ok(Rotation::default());
        }
    }
    let mut tx = pools.writer.begin_with(B::BEGIN_WRITE).await.map_err(map)?;
    if let Some(lock) = B::LOCK_KEYS {
        execute::<B::Db>(On::Conn(&mut *tx), lock, args![])
            .await
            .map_err(map)?;
    }
    let mut rotation = Rotation::default();
    if keyring.rotates_on_start() {
        for (workspace, name, envelope) in secrets::<B::Db>(pools, On::Conn(&mut *tx)).await? {
            let resealed = vault::reseal(keyring, &workspace, &name, &envelope)
                .map_err(|e| errors.labelled(e))?;
            if let Some(sealed) = resealed {
                let args = args![workspace.as_str(), name.as_str(), sealed.as_str()];
                execute::<B::Db>(On::Conn(&mut *tx), queries.agent_reseal, args)
                    .await
                    .map_err(map)?;
                rotation.reencrypted += 1;
            }
        }
    }
    let stored = fetch_optional::<B::Db>(On::Conn(&mut *tx), queries.key_state_get, args![])
        .await
        .map_err(map)?
        .map(|row| pools.read_row(&row, |r| r.string(0)))
        .transpose()?;
    let write = match stored {
        None => true,
        Some(fingerprint) => keyring.rotates_on_start() && fingerprint != current.fingerprint(),
    };
    if write {
        if let Some(state) = vault::current_state(keyring)? {
            let now = benchcore::now_ms() as i64;
            let args = args![state.fingerprint.as_str(), state.sentinel.as_str(), now];
            execute::<B::Db>(On::Conn(&mut *tx), queries.key_state_put, args)
                .await
                .map_err(map)?;
            rotation.key_state_updated = true;
        }
    }
    tx.commit().await.map_err(map)?;
    Ok(rotation)
}

/// Every sealed secret with its row: (workspace, name, envelope).
pub(crate) async fn secrets<DB: Driver>(
    pools: &Pools<DB>,
    on: On<'_, DB>,
) -> Result<Vec<(String, String, String)>, StoreError> {
    let what = "cannot read the saved agents' secrets";
    fetch_all::<DB>(on, pools.queries.agent_secrets, args![])
        .await
        .map_err(|e| pools.errors.sql(what, e))?
        .iter()
        .map(|row| pools.read_row(row, |r| Ok((r.string(0)?, r.string(1)?, r.string(2)?))))
        .collect()
}

/// The stored key state, if any.
pub(crate) async fn state<DB: Driver>(
    pools: &Pools<DB>,
    on: On<'_, DB>,
) -> Result<Option<KeyState>, StoreError> {
    let what = "cannot read the encryption state";
    fetch_optional::<DB>(on, pools.queries.key_state_get, args![])
        .await
        .map_err(|e| pools.errors.sql(what, e))?
        .map(|row| {
            pools.read_row(&row, |r| {
                Ok(KeyState {
                    fingerprint: r.string(0)?,
                    sentinel: r.string(1)?,
                })
            })
        })
        .transpose()
}
