//! [`AccountStore`] on a [`SqlStore`]: users, workspaces, memberships, API tokens and browser
//! sessions, the same code and SQL ([`AccountQueries`](super::account_queries)) on every
//! backend.

use super::account_queries::{TOKEN_COLUMNS, USER_COLUMNS};
use super::backend::Backend;
use super::driver::{args, execute, fetch_optional, On};
use super::rows::Reader;
use super::store::SqlStore;
use super::text::int;
use crate::accounts::{AccountStore, Role, SessionInfo, TokenInfo, User, WorkspaceInfo};
use async_trait::async_trait;
use benchcore::{StoreError, StoreErrorKind, Workspace};

/// A user from the columns of `user_columns!`, starting at `at`.
fn user(r: &Reader<'_>, at: usize) -> Result<User, StoreError> {
    Ok(User {
        id: r.string(at)?,
        email: r.string(at + 1)?,
        name: r.string(at + 2)?,
        admin: r.bool(at + 3)?,
        created_at_ms: r.u64(at + 4)?,
    })
}

/// A token from the columns of `token_columns!`, starting at `at`.
fn token(r: &Reader<'_>, at: usize) -> Result<TokenInfo, StoreError> {
    Ok(TokenInfo {
        id: r.string(at)?,
        user_id: r.string(at + 1)?,
        name: r.string(at + 2)?,
        created_at_ms: r.u64(at + 3)?,
        expires_at_ms: r.opt_u64(at + 4)?,
        last_used_at_ms: r.opt_u64(at + 5)?,
        revoked_at_ms: r.opt_u64(at + 6)?,
    })
}

/// A stored role name.
fn role(r: &Reader<'_>, at: usize) -> Result<Role, StoreError> {
    let name = r.text(at)?;
    Role::parse(name).ok_or_else(|| r.invalid("cannot read a role", &format!("{name:?}")))
}

/// How an email is looked up: ASCII letters lowercased, the same on every backend.
fn email_key(email: &str) -> String {
    email.to_ascii_lowercase()
}

/// How far apart two recorded uses of a token are at least: a token used every second is
/// written once a minute.
const LAST_USE_GRANULARITY_MS: u64 = 60_000;

#[async_trait]
impl<B: Backend> AccountStore for SqlStore<B> {
    async fn user_count(&self) -> Result<u64, StoreError> {
        let pools = self.pools();
        let sql = pools.queries.accounts.user_count;
        let count = pools
            .read_optional("cannot count users", sql, args![], |r| r.u64(0))
            .await?;
        Ok(count.unwrap_or(0))
    }

    async fn create_user(&self, user: &User, password_hash: &str) -> Result<(), StoreError> {
        let pools = self.pools();
        let what = format!("cannot create user {:?} ({:?})", user.id, user.email);
        let key = email_key(&user.email);
        let args = args![
            user.id.as_str(),
            user.email.as_str(),
            key.as_str(),
            B::NUL.text(&user.name),
            user.admin,
            password_hash,
            int(user.created_at_ms),
        ];
        // A taken email (its key is UNIQUE) or id is a unique violation: `Conflict`.
        pools
            .write(&what, pools.queries.accounts.user_insert, args)
            .await
            .map_err(|mut e| {
                if e.kind() == StoreErrorKind::Conflict {
                    e.message = format!("{}: the email or the id is taken", e.message);
                }
                e
            })?;
        Ok(())
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<(User, String)>, StoreError> {
        let pools = self.pools();
        let key = email_key(email);
        let sql = pools.queries.accounts.user_by_email;
        pools
            .read_optional(
                "cannot look up a user by email",
                sql,
                args![key.as_str()],
                |r| Ok((user(r, 0)?, r.string(USER_COLUMNS)?)),
            )
            .await
    }

    async fn user(&self, id: &str) -> Result<Option<User>, StoreError> {
        let pools = self.pools();
        let what = format!("cannot read user {id:?}");
        let sql = pools.queries.accounts.user_by_id;
        pools
            .read_optional(&what, sql, args![id], |r| user(r, 0))
            .await
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        let pools = self.pools();
        let sql = pools.queries.accounts.users;
        pools
            .read_all("cannot list users", sql, args![], |r| user(r, 0))
            .await
    }

    async fn set_password(&self, user_id: &str, password_hash: &str) -> Result<(), StoreError> {
        let pools = self.pools();
        let what = format!("cannot set the password of user {user_id:?}");
        let args = args![user_id, password_hash];
        let updated = pools
            .write(&what, pools.queries.accounts.set_password, args)
            .await?;
        if updated == 0 {
            let message = format!("{what}: no such user");
            return Err(pools.errors.error(StoreErrorKind::NotFound, &message));
        }
        Ok(())
    }

    async fn create_workspace(
        &self,
        workspace: &WorkspaceInfo,
        owner: &str,
    ) -> Result<(), StoreError> {
        let pools = self.pools();
        let queries = &pools.queries.accounts;
        let id = workspace.id.as_str();
        // An existing id is `Conflict`, an unknown owner `NotFound` (the foreign key); either
        // way the transaction rolls back and nothing is created.
        let what = format!("cannot create workspace {id:?} owned by user {owner:?}");
        let map = |e| pools.errors.sql(&what, e);
        let mut tx = pools.writer.begin_with(B::BEGIN_WRITE).await.map_err(map)?;
        let args = args![
            id,
            B::NUL.text(&workspace.name),
            int(workspace.created_at_ms)
        ];
        execute::<B::Db>(On::Conn(&mut *tx), queries.workspace_insert, args)
            .await
            .map_err(map)?;
        let args = args![id, owner, Role::Owner.as_str(), int(benchcore::now_ms())];
        execute::<B::Db>(On::Conn(&mut *tx), queries.member_upsert, args)
            .await
            .map_err(map)?;
        tx.commit().await.map_err(map)
    }

    async fn workspaces(&self) -> Result<Vec<WorkspaceInfo>, StoreError> {
        let pools = self.pools();
        let what = "cannot list the workspaces";
        let sql = pools.queries.accounts.workspaces;
        pools
            .read_all(what, sql, args![], |r| {
                let id = r.string(0)?;
                let id = Workspace::new(id).map_err(|e| pools.errors.corrupt(what, e))?;
                Ok(WorkspaceInfo {
                    id,
                    name: r.string(1)?,
                    created_at_ms: r.u64(2)?,
                })
            })
            .await
    }

    async fn memberships(&self, user_id: &str) -> Result<Vec<(WorkspaceInfo, Role)>, StoreError> {
        let pools = self.pools();
        let what = format!("cannot list the workspaces of user {user_id:?}");
        let sql = pools.queries.accounts.memberships;
        pools
            .read_all(&what, sql, args![user_id], |r| {
                let id = r.string(0)?;
                let id = Workspace::new(id).map_err(|e| pools.errors.corrupt(&what, e))?;
                let info = WorkspaceInfo {
                    id,
                    name: r.string(1)?,
                    created_at_ms: r.u64(2)?,
                };
                Ok((info, role(r, 3)?))
            })
            .await
    }

    async fn role(&self, user_id: &str, workspace: &Workspace) -> Result<Option<Role>, StoreError> {
        let pools = self.pools();
        let what = format!("cannot read the role of user {user_id:?}");
        let sql = pools.queries.accounts.role;
        let args = args![workspace.as_str(), user_id];
        pools.read_optional(&what, sql, args, |r| role(r, 0)).await
    }

    /// One write transaction: the workspace's row is locked first (so two calls that each
    /// demote or remove one of two owners run one after the other, and the second sees one
    /// owner left), then the owners are counted before any change.
    async fn set_member(
        &self,
        workspace: &Workspace,
        user_id: &str,
        role: Option<Role>,
    ) -> Result<(), StoreError> {
        let pools = self.pools();
        let queries = &pools.queries.accounts;
        let ws = workspace.as_str();
        let what = format!("cannot change the membership of user {user_id:?} in {ws:?}");
        let map = |e| pools.errors.sql(&what, e);
        let mut tx = pools.writer.begin_with(B::BEGIN_WRITE).await.map_err(map)?;
        let exists = execute::<B::Db>(On::Conn(&mut *tx), queries.workspace_lock, args![ws])
            .await
            .map_err(map)?;
        if exists == 0 {
            if role.is_none() {
                // Nobody to remove.
                return Ok(());
            }
            let message = format!("{what}: no such workspace");
            return Err(pools.errors.error(StoreErrorKind::NotFound, &message));
        }
        let current = fetch_optional::<B::Db>(On::Conn(&mut *tx), queries.role, args![ws, user_id])
            .await
            .map_err(map)?
            .map(|row| pools.read_row(&row, |r| self::role(r, 0)))
            .transpose()?;
        if current == Some(Role::Owner) && role != Some(Role::Owner) {
            let owners =
                fetch_optional::<B::Db>(On::Conn(&mut *tx), queries.owner_count, args![ws])
                    .await
                    .map_err(map)?
                    .map(|row| pools.read_row(&row, |r| r.u64(0)))
                    .transpose()?
                    .unwrap_or(0);
            if owners <= 1 {
                let message = format!("{what}: a workspace keeps at least one owner");
                return Err(pools.errors.error(StoreErrorKind::Conflict, &message));
            }
        }
        match role {
            Some(role) => {
                let args = args![ws, user_id, role.as_str(), int(benchcore::now_ms())];
                execute::<B::Db>(On::Conn(&mut *tx), queries.member_upsert, args)
                    .await
                    .map_err(map)?;
            }
            None if current.is_some() => {
                execute::<B::Db>(
                    On::Conn(&mut *tx),
                    queries.member_delete,
                    args![ws, user_id],
                )
                .await
                .map_err(map)?;
            }
            None => {}
        }
        tx.commit().await.map_err(map)
    }

    async fn members(&self, workspace: &Workspace) -> Result<Vec<(User, Role)>, StoreError> {
        let pools = self.pools();
        let what = format!("cannot list the members of {:?}", workspace.as_str());
        let sql = pools.queries.accounts.members;
        pools
            .read_all(&what, sql, args![workspace.as_str()], |r| {
                Ok((user(r, 0)?, role(r, USER_COLUMNS)?))
            })
            .await
    }

    async fn create_token(&self, token: &TokenInfo, digest: &str) -> Result<(), StoreError> {
        let pools = self.pools();
        let what = format!(
            "cannot create token {:?} of user {:?}",
            token.id, token.user_id
        );
        let args = args![
            token.id.as_str(),
            token.user_id.as_str(),
            B::NUL.text(&token.name),
            digest,
            int(token.created_at_ms),
            token.expires_at_ms.map(int),
            token.last_used_at_ms.map(int),
            token.revoked_at_ms.map(int),
        ];
        pools
            .write(&what, pools.queries.accounts.token_insert, args)
            .await?;
        Ok(())
    }

    /// One write transaction: the last use is recorded only on a live token, then the token
    /// and its user are read back.
    async fn use_token(
        &self,
        digest: &str,
        now_ms: u64,
    ) -> Result<Option<(TokenInfo, User)>, StoreError> {
        let pools = self.pools();
        let queries = &pools.queries.accounts;
        let what = "cannot authenticate a token";
        // Read on the readers: every API request authenticates, and on SQLite the one writer
        // is the runs' too. The last use is written only when it moves by a minute or more.
        let found = pools
            .read_optional(
                what,
                queries.token_by_digest,
                args![digest, int(now_ms)],
                |r| Ok((token(r, 0)?, user(r, TOKEN_COLUMNS)?)),
            )
            .await?;
        let Some((mut info, owner)) = found else {
            return Ok(None);
        };
        let stale = info
            .last_used_at_ms
            .is_none_or(|last| last.saturating_add(LAST_USE_GRANULARITY_MS) <= now_ms);
        if stale {
            let touched = pools
                .write(what, queries.token_touch, args![digest, int(now_ms)])
                .await?;
            if touched == 0 {
                // Revoked (or expired) between the read and the write.
                return Ok(None);
            }
            info.last_used_at_ms = info.last_used_at_ms.max(Some(now_ms));
        }
        Ok(Some((info, owner)))
    }

    async fn tokens(&self, user_id: &str) -> Result<Vec<TokenInfo>, StoreError> {
        let pools = self.pools();
        let what = format!("cannot list the tokens of user {user_id:?}");
        let sql = pools.queries.accounts.tokens;
        pools
            .read_all(&what, sql, args![user_id], |r| token(r, 0))
            .await
    }

    async fn revoke_token(&self, user_id: &str, token_id: &str) -> Result<bool, StoreError> {
        let pools = self.pools();
        let what = format!("cannot revoke token {token_id:?} of user {user_id:?}");
        let args = args![user_id, token_id, int(benchcore::now_ms())];
        let revoked = pools
            .write(&what, pools.queries.accounts.token_revoke, args)
            .await?;
        Ok(revoked > 0)
    }

    /// One write transaction, which also drops the user's expired sessions (so the table
    /// does not grow with every sign-in).
    async fn create_session(
        &self,
        digest: &str,
        user_id: &str,
        csrf: &str,
        expires_at_ms: u64,
    ) -> Result<(), StoreError> {
        let pools = self.pools();
        let queries = &pools.queries.accounts;
        let what = format!("cannot create a session of user {user_id:?}");
        let map = |e| pools.errors.sql(&what, e);
        let now = int(benchcore::now_ms());
        let mut tx = pools.writer.begin_with(B::BEGIN_WRITE).await.map_err(map)?;
        execute::<B::Db>(
            On::Conn(&mut *tx),
            queries.session_purge,
            args![user_id, now],
        )
        .await
        .map_err(map)?;
        let args = args![digest, user_id, csrf, int(expires_at_ms), now];
        execute::<B::Db>(On::Conn(&mut *tx), queries.session_insert, args)
            .await
            .map_err(map)?;
        tx.commit().await.map_err(map)
    }

    async fn session(&self, digest: &str, now_ms: u64) -> Result<Option<SessionInfo>, StoreError> {
        let pools = self.pools();
        let sql = pools.queries.accounts.session;
        let args = args![digest, int(now_ms)];
        pools
            .read_optional("cannot read a session", sql, args, |r| {
                Ok(SessionInfo {
                    user: user(r, 0)?,
                    csrf: r.string(USER_COLUMNS)?,
                    expires_at_ms: r.u64(USER_COLUMNS + 1)?,
                })
            })
            .await
    }

    async fn delete_session(&self, digest: &str) -> Result<(), StoreError> {
        let pools = self.pools();
        let sql = pools.queries.accounts.session_delete;
        pools
            .write("cannot end a session", sql, args![digest])
            .await?;
        Ok(())
    }
}
