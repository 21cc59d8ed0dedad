//! Browser sign-in and sign-out, and the limit on failed sign-ins.
//!
//! A session is a random cookie (`HttpOnly`, `SameSite=Strict`, `Secure`) whose SHA-256 the
//! store keeps, and a CSRF token the page sends back in `X-CSRF-Token` on every change. Failed
//! sign-ins are counted per email and per client address; past the limit the answer is 429
//! until the window has passed, whatever the password.

use super::{ids, passwords, Caller, Via, SESSION_COOKIE};
use crate::server::body::JsonBody;
use crate::server::error::ApiError;
use crate::server::state::ServerState;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

/// `POST /api/login`'s body.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Login {
    email: String,
    password: String,
}

/// `POST /api/login`: a session cookie and the CSRF token, or 401 (the same answer for an
/// unknown email and a wrong password), or 429 once too many attempts failed.
pub(crate) async fn login(
    State(state): State<ServerState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    JsonBody(body): JsonBody<Login>,
) -> Result<Response, ApiError> {
    let address = peer.ip();
    if state.logins.blocked(&body.email, address) {
        return Err(ApiError::too_many(
            "too many failed sign-ins; wait 15 minutes",
        ));
    }
    let found = state.accounts.user_by_email(&body.email).await?;
    // Hashing runs off the async threads: it is deliberately slow.
    let password = body.password.clone();
    let stored = found.as_ref().map(|(_, hash)| hash.clone());
    let matches = tokio::task::spawn_blocking(move || match stored {
        Some(hash) => passwords::verify(&password, &hash),
        None => {
            passwords::verify(&password, passwords::decoy());
            false
        }
    })
    .await
    .map_err(ApiError::internal)?;
    let user = match (found, matches) {
        (Some((user, _)), true) => user,
        _ => {
            state.logins.failed(&body.email, address);
            state.counters.login_failed();
            tracing::warn!(%address, "failed sign-in");
            return Err(ApiError::unauthenticated("wrong email or password"));
        }
    };
    state.logins.succeeded(&body.email);
    let cookie = ids::secret(32);
    let csrf = ids::secret(24);
    let ttl = state.options.session_ttl;
    let expires = benchcore::now_ms() + ttl.as_millis() as u64;
    state
        .accounts
        .create_session(&ids::digest(&cookie), &user.id, &csrf, expires)
        .await?;
    let secure = if state.options.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let set_cookie = format!(
        "{SESSION_COOKIE}={cookie}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        ttl.as_secs()
    );
    let body = serde_json::json!({ "user": user, "csrf": csrf });
    let mut response = (StatusCode::OK, axum::Json(body)).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&set_cookie).map_err(ApiError::internal)?,
    );
    Ok(response)
}

/// `POST /api/logout`: ends the session and clears its cookie.
pub(crate) async fn logout(
    State(state): State<ServerState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    if let Via::Session { digest, .. } = &caller.via {
        state.accounts.delete_session(digest).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("bc_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(response)
}
