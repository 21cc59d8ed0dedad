//! The first start: on a store without users, the administrator and their first workspace.

use super::auth::passwords;
use super::ids;
use super::state::ServerState;
use anyhow::Context;
use benchcore_store::{User, WorkspaceInfo};

/// Creates the administrator (and the `default` workspace they own) when the store has no
/// user, and prints their password once when it was made here.
pub(crate) async fn bootstrap(state: &ServerState) -> anyhow::Result<()> {
    if state.accounts.user_count().await? > 0 {
        return Ok(());
    }
    let (password, made) = match &state.options.admin_password {
        Some(password) => (password.clone(), false),
        None => (ids::secret(18), true),
    };
    passwords::check_strength(&password).context("--admin-password")?;
    let user = User::new(
        ids::id("u"),
        state.options.admin_email.clone(),
        "Administrator",
        true,
    );
    let hash = passwords::hash(&password)?;
    state.accounts.create_user(&user, &hash).await?;
    let workspace = WorkspaceInfo::new(ids::workspace()?, "default");
    state
        .accounts
        .create_workspace(&workspace, &user.id)
        .await?;
    if made {
        eprintln!(
            "created the administrator {} with password {password} (shown once: change it \
             with PUT /api/me/password)",
            user.email
        );
    } else {
        eprintln!("created the administrator {}", user.email);
    }
    Ok(())
}
