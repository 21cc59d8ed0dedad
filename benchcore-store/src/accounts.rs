//! [`AccountStore`]: the people of a team server, their workspaces and roles, their API
//! tokens and browser sessions.
//!
//! The store keeps only what it is handed: ids are made by the caller (random, never
//! enumerable), passwords arrive already hashed (argon2id PHC strings) and tokens and session
//! ids as SHA-256 digests, so nothing here can give a secret back. Every lookup of a
//! workspace's data is scoped by the workspace id; a workspace id doubles as the
//! [`Workspace`] its runs, agents and cache live under.

use async_trait::async_trait;
use benchcore::{StoreError, Workspace};
use serde::{Deserialize, Serialize};

/// What a member may do in a workspace.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads everything of the workspace.
    Viewer,
    /// Also launches, cancels and deletes runs, and edits agents and question sets.
    Editor,
    /// Also manages members.
    Owner,
}

impl Role {
    /// Every role, least first.
    pub const ALL: [Self; 3] = [Self::Viewer, Self::Editor, Self::Owner];

    /// The role's name (`viewer`, `editor`, `owner`), as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Editor => "editor",
            Self::Owner => "owner",
        }
    }

    /// The role a stored name names.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == name)
    }
}

/// A person who signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct User {
    /// Random, made by the caller.
    pub id: String,
    /// Unique, kept as given (lookups ignore ASCII case).
    pub email: String,
    /// For display.
    pub name: String,
    /// Server administrators create users and see the encryption key's state.
    pub admin: bool,
    /// When created, in milliseconds since the Unix epoch.
    pub created_at_ms: u64,
}

impl User {
    /// A user created now.
    pub fn new(
        id: impl Into<String>,
        email: impl Into<String>,
        name: impl Into<String>,
        admin: bool,
    ) -> Self {
        Self {
            id: id.into(),
            email: email.into(),
            name: name.into(),
            admin,
            created_at_ms: benchcore::now_ms(),
        }
    }
}

/// A workspace: owns agents, question sets, suites and runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct WorkspaceInfo {
    /// Random, made by the caller; the [`Workspace`] its data is stored under.
    pub id: Workspace,
    /// For display; need not be unique.
    pub name: String,
    /// When created.
    pub created_at_ms: u64,
}

impl WorkspaceInfo {
    /// A workspace created now.
    pub fn new(id: Workspace, name: impl Into<String>) -> Self {
        Self {
            id,
            name: name.into(),
            created_at_ms: benchcore::now_ms(),
        }
    }
}

/// One API token, as listed (never its secret, which is only ever shown at creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TokenInfo {
    /// Random, made by the caller; names the token for revoking it.
    pub id: String,
    /// Whose it is.
    pub user_id: String,
    /// For people.
    pub name: String,
    /// When created.
    pub created_at_ms: u64,
    /// When it stops working, if ever.
    pub expires_at_ms: Option<u64>,
    /// When it was last used to authenticate.
    pub last_used_at_ms: Option<u64>,
    /// When it was revoked.
    pub revoked_at_ms: Option<u64>,
}

impl TokenInfo {
    /// A token of `user_id` created now.
    pub fn new(
        id: impl Into<String>,
        user_id: impl Into<String>,
        name: impl Into<String>,
        expires_at_ms: Option<u64>,
    ) -> Self {
        Self {
            id: id.into(),
            user_id: user_id.into(),
            name: name.into(),
            created_at_ms: benchcore::now_ms(),
            expires_at_ms,
            last_used_at_ms: None,
            revoked_at_ms: None,
        }
    }
}

/// A browser session, as its cookie finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionInfo {
    /// Who signed in.
    pub user: User,
    /// The CSRF token the session's pages send back on every change.
    pub csrf: String,
    /// When it stops working.
    pub expires_at_ms: u64,
}

/// Users, workspaces, memberships, API tokens and browser sessions.
///
/// # Contract
/// - Ids, password hashes and digests are stored as given; the store never makes a secret.
/// - `create_user` fails with `Conflict` when the email (ignoring ASCII case) is taken.
/// - A token or session that is revoked, deleted or past its expiry is not found.
/// - `role` is `None` for a user who is not a member (including of a workspace that does not
///   exist): callers answer 404 either way, so workspaces cannot be discovered.
/// - Deleting a workspace's last owner membership fails with `Conflict`: a workspace always
///   has an owner.
#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// How many users exist (0 on a new server: time to bootstrap an admin).
    async fn user_count(&self) -> Result<u64, StoreError>;

    /// Creates a user.
    async fn create_user(&self, user: &User, password_hash: &str) -> Result<(), StoreError>;

    /// A user and their password hash, by email (ignoring ASCII case).
    async fn user_by_email(&self, email: &str) -> Result<Option<(User, String)>, StoreError>;

    /// A user by id.
    async fn user(&self, id: &str) -> Result<Option<User>, StoreError>;

    /// Every user, oldest first.
    async fn users(&self) -> Result<Vec<User>, StoreError>;

    /// Replaces a user's password hash; `NotFound` for an unknown user.
    async fn set_password(&self, user_id: &str, password_hash: &str) -> Result<(), StoreError>;

    /// Creates a workspace with `owner` as its first owner, in one transaction.
    async fn create_workspace(
        &self,
        workspace: &WorkspaceInfo,
        owner: &str,
    ) -> Result<(), StoreError>;

    /// Every workspace, oldest first (for the processes that serve them all).
    async fn workspaces(&self) -> Result<Vec<WorkspaceInfo>, StoreError>;

    /// The workspaces `user_id` belongs to, with their role, oldest first.
    async fn memberships(&self, user_id: &str) -> Result<Vec<(WorkspaceInfo, Role)>, StoreError>;

    /// `user_id`'s role in `workspace`, or `None` when not a member.
    async fn role(&self, user_id: &str, workspace: &Workspace) -> Result<Option<Role>, StoreError>;

    /// Adds a member, changes their role, or (with `None`) removes them.
    async fn set_member(
        &self,
        workspace: &Workspace,
        user_id: &str,
        role: Option<Role>,
    ) -> Result<(), StoreError>;

    /// A workspace's members with their roles, oldest membership first.
    async fn members(&self, workspace: &Workspace) -> Result<Vec<(User, Role)>, StoreError>;

    /// Stores a new API token by the SHA-256 digest (hex) of its secret.
    async fn create_token(&self, token: &TokenInfo, digest: &str) -> Result<(), StoreError>;

    /// The live token whose secret has this digest, and its user; records `now_ms` as its
    /// last use when the recorded one is a minute or more older (so a token used every second
    /// costs one write a minute), and never moves it back.
    async fn use_token(
        &self,
        digest: &str,
        now_ms: u64,
    ) -> Result<Option<(TokenInfo, User)>, StoreError>;

    /// A user's tokens, revoked ones included, newest first.
    async fn tokens(&self, user_id: &str) -> Result<Vec<TokenInfo>, StoreError>;

    /// Revokes one of `user_id`'s tokens; `false` when they have no such live token.
    async fn revoke_token(&self, user_id: &str, token_id: &str) -> Result<bool, StoreError>;

    /// Stores a browser session by the SHA-256 digest (hex) of its cookie.
    async fn create_session(
        &self,
        digest: &str,
        user_id: &str,
        csrf: &str,
        expires_at_ms: u64,
    ) -> Result<(), StoreError>;

    /// The live session whose cookie has this digest.
    async fn session(&self, digest: &str, now_ms: u64) -> Result<Option<SessionInfo>, StoreError>;

    /// Ends a session (signing out); ending an unknown one is not an error.
    async fn delete_session(&self, digest: &str) -> Result<(), StoreError>;
}
