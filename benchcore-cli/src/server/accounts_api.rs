//! Users, API tokens, workspaces and their members.

use super::auth::{passwords, Caller, Member, Via, TOKEN_PREFIX};
use super::body::JsonBody;
use super::error::ApiError;
use super::ids;
use super::state::ServerState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use benchcore_store::{Role, TokenInfo, User, WorkspaceInfo};
use serde::Deserialize;
use serde_json::{json, Value};

/// Longest display name, workspace name or token name.
const MAX_NAME: usize = 100;

fn check_name(field: &str, name: &str) -> Result<(), ApiError> {
    if name.trim().is_empty()
        || name.chars().count() > MAX_NAME
        || name.chars().any(char::is_control)
    {
        return Err(ApiError::invalid(
            field,
            format!("must be 1-{MAX_NAME} characters without control characters"),
        ));
    }
    Ok(())
}

/// `GET /api/me`: the caller, their workspaces and roles, and (for a browser session) the
/// CSRF token its pages send back.
pub(crate) async fn me(
    State(state): State<ServerState>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    let workspaces = workspace_list(&state, &caller.user.id).await?;
    let mut body = json!({ "user": caller.user, "workspaces": workspaces });
    if let Via::Session { csrf, .. } = &caller.via {
        body["csrf"] = csrf.clone().into();
    }
    Ok(Json(body))
}

async fn workspace_list(state: &ServerState, user_id: &str) -> Result<Vec<Value>, ApiError> {
    Ok(state
        .accounts
        .memberships(user_id)
        .await?
        .into_iter()
        .map(|(workspace, role)| workspace_json(&workspace, role))
        .collect())
}

fn workspace_json(workspace: &WorkspaceInfo, role: Role) -> Value {
    json!({
        "id": workspace.id,
        "name": workspace.name,
        "created_at_ms": workspace.created_at_ms,
        "role": role,
    })
}

/// `PUT /api/me/password`'s body.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewPassword {
    current: String,
    new: String,
}

/// `PUT /api/me/password`: needs the current password.
pub(crate) async fn set_password(
    State(state): State<ServerState>,
    caller: Caller,
    JsonBody(body): JsonBody<NewPassword>,
) -> Result<StatusCode, ApiError> {
    passwords::check_strength(&body.new).map_err(|e| ApiError::invalid("new", e.to_string()))?;
    let (_, stored) = state
        .accounts
        .user_by_email(&caller.user.email)
        .await?
        .ok_or_else(|| ApiError::unauthenticated("no such user"))?;
    let new = body.new.clone();
    let current = body.current.clone();
    let hash = tokio::task::spawn_blocking(move || {
        passwords::verify(&current, &stored).then(|| passwords::hash(&new))
    })
    .await
    .map_err(ApiError::internal)?;
    let Some(hash) = hash else {
        return Err(ApiError::forbidden("the current password is wrong"));
    };
    state
        .accounts
        .set_password(&caller.user.id, &hash.map_err(ApiError::internal)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/users` (administrators).
pub(crate) async fn users(
    State(state): State<ServerState>,
    caller: Caller,
) -> Result<Json<Vec<User>>, ApiError> {
    caller.require_admin()?;
    Ok(Json(state.accounts.users().await?))
}

/// `POST /api/users`'s body.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUser {
    email: String,
    name: String,
    password: String,
    #[serde(default)]
    admin: bool,
}

/// `POST /api/users` (administrators): a new user, who then signs in and is added to
/// workspaces by their owners.
pub(crate) async fn create_user(
    State(state): State<ServerState>,
    caller: Caller,
    JsonBody(body): JsonBody<NewUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    caller.require_admin()?;
    let email = body.email.trim();
    let plausible = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if !plausible {
        return Err(ApiError::invalid("email", "not an email address"));
    }
    check_name("name", &body.name)?;
    passwords::check_strength(&body.password)
        .map_err(|e| ApiError::invalid("password", e.to_string()))?;
    let password = body.password.clone();
    let hash = tokio::task::spawn_blocking(move || passwords::hash(&password))
        .await
        .map_err(ApiError::internal)??;
    let user = User::new(ids::id("u"), email, body.name.trim(), body.admin);
    state.accounts.create_user(&user, &hash).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// `GET /api/tokens`: the caller's tokens, never their secrets.
pub(crate) async fn tokens(
    State(state): State<ServerState>,
    caller: Caller,
) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    Ok(Json(state.accounts.tokens(&caller.user.id).await?))
}

/// `POST /api/tokens`'s body.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewToken {
    name: String,
    /// Days until it stops working; never when absent.
    #[serde(default)]
    expires_in_days: Option<u32>,
}

/// `POST /api/tokens`: a new token; its secret is in this answer and nowhere else, ever.
pub(crate) async fn create_token(
    State(state): State<ServerState>,
    caller: Caller,
    JsonBody(body): JsonBody<NewToken>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    check_name("name", &body.name)?;
    let expires = match body.expires_in_days {
        Some(0) => return Err(ApiError::invalid("expires_in_days", "must be at least 1")),
        Some(days) => Some(benchcore::now_ms() + u64::from(days) * 86_400_000),
        None => None,
    };
    let secret = format!("{TOKEN_PREFIX}{}", ids::secret(32));
    let info = TokenInfo::new(ids::id("t"), &caller.user.id, body.name.trim(), expires);
    state
        .accounts
        .create_token(&info, &ids::digest(&secret))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "token": secret, "info": info })),
    ))
}

/// `DELETE /api/tokens/{id}`: revokes one of the caller's tokens.
pub(crate) async fn revoke_token(
    State(state): State<ServerState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state.accounts.revoke_token(&caller.user.id, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("no such live token"))
    }
}

/// `GET /api/workspaces`.
pub(crate) async fn workspaces(
    State(state): State<ServerState>,
    caller: Caller,
) -> Result<Json<Vec<Value>>, ApiError> {
    Ok(Json(workspace_list(&state, &caller.user.id).await?))
}

/// `POST /api/workspaces`'s body.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewWorkspace {
    name: String,
}

/// `POST /api/workspaces`: a new workspace, the caller its owner.
pub(crate) async fn create_workspace(
    State(state): State<ServerState>,
    caller: Caller,
    JsonBody(body): JsonBody<NewWorkspace>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    check_name("name", &body.name)?;
    let workspace = WorkspaceInfo::new(ids::workspace()?, body.name.trim());
    state
        .accounts
        .create_workspace(&workspace, &caller.user.id)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(workspace_json(&workspace, Role::Owner)),
    ))
}

/// `GET /api/workspaces/{ws}/members`.
pub(crate) async fn members(
    State(state): State<ServerState>,
    member: Member,
) -> Result<Json<Vec<Value>>, ApiError> {
    let members = state.accounts.members(&member.workspace).await?;
    Ok(Json(
        members
            .into_iter()
            .map(|(user, role)| json!({ "user": user, "role": role }))
            .collect(),
    ))
}

/// `POST /api/workspaces/{ws}/members`'s body.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewMember {
    email: String,
    role: Role,
}

/// `POST /api/workspaces/{ws}/members` (owners): adds a user by email, or changes their role.
pub(crate) async fn add_member(
    State(state): State<ServerState>,
    member: Member,
    JsonBody(body): JsonBody<NewMember>,
) -> Result<StatusCode, ApiError> {
    member.require(Role::Owner)?;
    let (user, _) = state
        .accounts
        .user_by_email(&body.email)
        .await?
        .ok_or_else(|| ApiError::invalid("email", "no user has this email"))?;
    state
        .accounts
        .set_member(&member.workspace, &user.id, Some(body.role))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/workspaces/{ws}/members/{user}` (owners, or anyone leaving).
pub(crate) async fn remove_member(
    State(state): State<ServerState>,
    member: Member,
    Path((_, user)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    if user != member.caller.user.id {
        member.require(Role::Owner)?;
    }
    if state
        .accounts
        .role(&user, &member.workspace)
        .await?
        .is_none()
    {
        return Err(ApiError::not_found("no such member"));
    }
    state
        .accounts
        .set_member(&member.workspace, &user, None)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
