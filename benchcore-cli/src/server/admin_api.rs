//! What server administrators see of the server itself: the state of the key that seals
//! saved agents' secrets. Never the key: only its id (16 hex digits of a one-way
//! fingerprint), which is what envelopes and `benchcore store status` name it by.

use super::auth::Caller;
use super::error::ApiError;
use super::state::ServerState;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

/// `GET /api/admin/encryption` (server administrators): whether a key is loaded, its id,
/// whether it is the key the store's fingerprint and sentinel were made with, the previous
/// key's id, saved secrets that do not decrypt, and what opening the store rotated.
pub(crate) async fn encryption(
    State(state): State<ServerState>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require_admin()?;
    let status = state.vault.encryption_status().await?;
    let rotation = state.handle.rotation();
    // Field by field rather than the whole status: what this answers is decided here, so a
    // field added to the status later is not published without a look.
    Ok(Json(json!({
        "key_loaded": status.key_loaded,
        "key_id": status.key_id,
        "key_format": status.key_format,
        "key_bits": status.key_bits,
        "previous_key_id": status.previous_key_id,
        "stored_key_id": status.stored_key_id,
        "fingerprint_matches": status.fingerprint_matches,
        "sentinel_decrypts": status.sentinel_decrypts,
        "saved_secrets": status.saved_secrets,
        "undecryptable_secrets": status.undecryptable_secrets,
        "rotation": {
            "previous_key_loaded": status.previous_key_id.is_some(),
            "reencrypted_at_start": rotation.reencrypted,
            "key_state_updated_at_start": rotation.key_state_updated,
        },
    })))
}
