//! Who is calling: an API token (`Authorization: Bearer bc_…`) or a browser session cookie
//! (with its CSRF token on every change), or, with `serve --oidc-issuer`, an identity
//! provider's token ([`oidc`](super::oidc)), and what they may do in a workspace.
//!
//! A request for a workspace the caller is not a member of (or that does not exist) is
//! answered 404, never 403, so workspaces cannot be discovered; within their own workspace a
//! member whose role is too low gets 403.

pub(crate) mod login;
pub(crate) mod passwords;

use super::error::ApiError;
use super::ids;
use super::state::ServerState;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::Method;
use benchcore::Workspace;
use benchcore_store::{Role, User};
use std::collections::HashMap;

/// The cookie a browser session travels in.
pub(crate) const SESSION_COOKIE: &str = "bc_session";
/// The header a browser sends its session's CSRF token in.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";
/// What every API token starts with, so a leaked one is recognisable.
pub(crate) const TOKEN_PREFIX: &str = "bc_";

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Via {
    /// An API token.
    Token,
    /// A token from the configured identity provider.
    Oidc,
    /// A browser session, with its CSRF token.
    Session { csrf: String, digest: String },
}

/// A signed-in caller.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(crate) user: User,
    pub(crate) via: Via,
}

impl Caller {
    /// Refuses a caller who is not a server administrator.
    pub(crate) fn require_admin(&self) -> Result<(), ApiError> {
        if self.user.admin {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "only a server administrator may do this",
            ))
        }
    }
}

impl FromRequestParts<ServerState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ServerState) -> Result<Self, ApiError> {
        if let Some(value) = parts.headers.get(axum::http::header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .filter(|t| t.starts_with(TOKEN_PREFIX) || state.options.oidc.is_some())
                .ok_or_else(|| {
                    ApiError::unauthenticated("Authorization must be `Bearer bc_…` (an API token)")
                })?;
            if let (false, Some(oidc)) = (token.starts_with(TOKEN_PREFIX), &state.options.oidc) {
                let user = oidc.user(token, state.accounts.as_ref()).await?;
                return Ok(Self {
                    user,
                    via: Via::Oidc,
                });
            }
            let found = state
                .accounts
                .use_token(&ids::digest(token), benchcore::now_ms())
                .await?;
            let Some((_, user)) = found else {
                return Err(ApiError::unauthenticated(
                    "the token is unknown, revoked or expired",
                ));
            };
            return Ok(Self {
                user,
                via: Via::Token,
            });
        }
        let Some(cookie) = cookie(parts, SESSION_COOKIE) else {
            return Err(ApiError::unauthenticated(
                "sign in (POST /api/login) or send an API token",
            ));
        };
        let digest = ids::digest(&cookie);
        let session = state
            .accounts
            .session(&digest, benchcore::now_ms())
            .await?
            .ok_or_else(|| ApiError::unauthenticated("the session ended; sign in again"))?;
        if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !ids::same_secret(sent, &session.csrf) {
                return Err(ApiError::forbidden(
                    "missing or wrong X-CSRF-Token: a browser change must send its session's \
                     CSRF token",
                ));
            }
        }
        Ok(Self {
            user: session.user,
            via: Via::Session {
                csrf: session.csrf,
                digest,
            },
        })
    }
}

/// A caller acting in one of their workspaces (`{ws}` in the path).
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub(crate) caller: Caller,
    pub(crate) workspace: Workspace,
    pub(crate) role: Role,
}

impl Member {
    /// Refuses a member whose role is below `needed`.
    pub(crate) fn require(&self, needed: Role) -> Result<(), ApiError> {
        if self.role >= needed {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "a {} may not do this; it needs {}",
                self.role.as_str(),
                needed.as_str()
            )))
        }
    }
}

impl FromRequestParts<ServerState> for Member {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ServerState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::not_found("no such workspace"))?;
        let missing = || ApiError::not_found("no such workspace");
        let workspace = params
            .get("ws")
            .and_then(|ws| Workspace::new(ws.clone()).ok())
            .ok_or_else(missing)?;
        let role = state
            .accounts
            .role(&caller.user.id, &workspace)
            .await?
            .ok_or_else(missing)?;
        Ok(Self {
            caller,
            workspace,
            role,
        })
    }
}

/// The value of one cookie of the request.
pub(crate) fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}
