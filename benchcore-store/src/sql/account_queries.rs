//! The SQL of [`AccountStore`](crate::AccountStore) (migration `accounts`), written once for
//! both backends: `$n` placeholders, no JSON, no dialect. Emails are looked up by
//! `email_key`, the address with ASCII letters lowercased in Rust (`str::to_ascii_lowercase`),
//! so both databases fold case the same way whatever their locale.

/// The accounts statements; held by [`Queries`](super::queries::Queries) and built with it.
#[derive(Debug)]
pub(crate) struct AccountQueries {
    /// How many users exist.
    pub(crate) user_count: &'static str,
    /// Creates a user. Binds: id, email, email_key, name, admin, password_hash, created_at_ms.
    pub(crate) user_insert: &'static str,
    /// A user and their password hash by email key. Binds: email_key.
    /// Columns: the user's, then password_hash.
    pub(crate) user_by_email: &'static str,
    /// A user by id. Binds: id. Columns: the user's.
    pub(crate) user_by_id: &'static str,
    /// Every user, oldest first. Columns: the user's.
    pub(crate) users: &'static str,
    /// Replaces a password hash. Binds: id, password_hash.
    pub(crate) set_password: &'static str,
    /// Creates a workspace. Binds: id, name, created_at_ms.
    pub(crate) workspace_insert: &'static str,
    /// Locks a workspace's row until the transaction ends (so changes to its owners are made
    /// one at a time); changes one row when the workspace exists. Binds: id.
    pub(crate) workspace_lock: &'static str,
    /// A user's workspaces and roles, oldest workspace first. Binds: user_id.
    /// Columns: workspace id, name, created_at_ms, role.
    pub(crate) memberships: &'static str,
    /// Every workspace, oldest first.
    pub(crate) workspaces: &'static str,
    /// A member's role. Binds: workspace, user_id.
    pub(crate) role: &'static str,
    /// How many owners a workspace has. Binds: workspace.
    pub(crate) owner_count: &'static str,
    /// Adds a member or changes their role (the membership's creation time kept).
    /// Binds: workspace, user_id, role, created_at_ms.
    pub(crate) member_upsert: &'static str,
    /// Removes a member. Binds: workspace, user_id.
    pub(crate) member_delete: &'static str,
    /// A workspace's members and roles, oldest membership first. Binds: workspace.
    /// Columns: the user's, then role.
    pub(crate) members: &'static str,
    /// Stores a token. Binds: id, user_id, name, digest, created_at_ms, expires_at_ms,
    /// last_used_at_ms, revoked_at_ms.
    pub(crate) token_insert: &'static str,
    /// Records the use of a live token (never moving its last use back).
    /// Binds: digest, now.
    pub(crate) token_touch: &'static str,
    /// A token and its user by digest. Binds: digest.
    /// Columns: the token's, then the user's.
    pub(crate) token_by_digest: &'static str,
    /// A user's tokens, newest first. Binds: user_id. Columns: the token's.
    pub(crate) tokens: &'static str,
    /// Revokes a live token of a user. Binds: user_id, token id, now.
    pub(crate) token_revoke: &'static str,
    /// Drops a user's sessions that have expired. Binds: user_id, now.
    pub(crate) session_purge: &'static str,
    /// Stores a session. Binds: digest, user_id, csrf, expires_at_ms, created_at_ms.
    pub(crate) session_insert: &'static str,
    /// A live session and its user. Binds: digest, now.
    /// Columns: the user's, then csrf, expires_at_ms.
    pub(crate) session: &'static str,
    /// Ends a session. Binds: digest.
    pub(crate) session_delete: &'static str,
}

/// The columns a `User` is read from, in order (table alias `u`).
macro_rules! user_columns {
    () => {
        "u.id, u.email, u.name, u.admin, u.created_at_ms"
    };
}

/// The columns a `TokenInfo` is read from, in order (table alias `t`).
macro_rules! token_columns {
    () => {
        "t.id, t.user_id, t.name, t.created_at_ms, t.expires_at_ms, t.last_used_at_ms, \
         t.revoked_at_ms"
    };
}

/// How many columns [`user_columns!`] reads.
pub(crate) const USER_COLUMNS: usize = 5;
/// How many columns [`token_columns!`] reads.
pub(crate) const TOKEN_COLUMNS: usize = 7;

impl AccountQueries {
    /// Every statement.
    pub(crate) fn new() -> Self {
        Self {
            user_count: "SELECT COUNT(*) FROM users",
            user_insert: "INSERT INTO users \
                 (id, email, email_key, name, admin, password_hash, created_at_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            user_by_email: concat!(
                "SELECT ",
                user_columns!(),
                ", u.password_hash FROM users u WHERE u.email_key = $1"
            ),
            user_by_id: concat!("SELECT ", user_columns!(), " FROM users u WHERE u.id = $1"),
            users: concat!(
                "SELECT ",
                user_columns!(),
                " FROM users u ORDER BY u.created_at_ms, u.id"
            ),
            set_password: "UPDATE users SET password_hash = $2 WHERE id = $1",
            workspace_insert: "INSERT INTO workspaces (id, name, created_at_ms) \
                 VALUES ($1, $2, $3)",
            workspace_lock: "UPDATE workspaces SET name = name WHERE id = $1",
            workspaces: "SELECT id, name, created_at_ms FROM workspaces ORDER BY created_at_ms, id",
            memberships: "SELECT w.id, w.name, w.created_at_ms, m.role \
                 FROM memberships m JOIN workspaces w ON w.id = m.workspace \
                 WHERE m.user_id = $1 ORDER BY w.created_at_ms, w.id",
            role: "SELECT role FROM memberships WHERE workspace = $1 AND user_id = $2",
            owner_count: "SELECT COUNT(*) FROM memberships \
                 WHERE workspace = $1 AND role = 'owner'",
            member_upsert: "INSERT INTO memberships (workspace, user_id, role, created_at_ms) \
                 VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (workspace, user_id) DO UPDATE SET role = excluded.role",
            member_delete: "DELETE FROM memberships WHERE workspace = $1 AND user_id = $2",
            members: concat!(
                "SELECT ",
                user_columns!(),
                ", m.role FROM memberships m JOIN users u ON u.id = m.user_id \
                 WHERE m.workspace = $1 ORDER BY m.created_at_ms, m.user_id"
            ),
            token_insert: "INSERT INTO api_tokens (id, user_id, name, digest, created_at_ms, \
                 expires_at_ms, last_used_at_ms, revoked_at_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            token_touch: "UPDATE api_tokens SET last_used_at_ms = \
                 CASE WHEN last_used_at_ms IS NULL OR last_used_at_ms < $2 THEN $2 \
                 ELSE last_used_at_ms END \
                 WHERE digest = $1 AND revoked_at_ms IS NULL \
                   AND (expires_at_ms IS NULL OR expires_at_ms > $2)",
            token_by_digest: concat!(
                "SELECT ",
                token_columns!(),
                ", ",
                user_columns!(),
                " FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.digest = $1 \
                 AND t.revoked_at_ms IS NULL AND (t.expires_at_ms IS NULL OR t.expires_at_ms > $2)"
            ),
            tokens: concat!(
                "SELECT ",
                token_columns!(),
                " FROM api_tokens t WHERE t.user_id = $1 ORDER BY t.created_at_ms DESC, t.id DESC"
            ),
            token_revoke: "UPDATE api_tokens SET revoked_at_ms = $3 \
                 WHERE user_id = $1 AND id = $2 AND revoked_at_ms IS NULL \
                   AND (expires_at_ms IS NULL OR expires_at_ms > $3)",
            session_purge: "DELETE FROM sessions WHERE user_id = $1 AND expires_at_ms <= $2",
            session_insert: "INSERT INTO sessions \
                 (digest, user_id, csrf, expires_at_ms, created_at_ms) \
                 VALUES ($1, $2, $3, $4, $5)",
            session: concat!(
                "SELECT ",
                user_columns!(),
                ", s.csrf, s.expires_at_ms FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.digest = $1 AND s.expires_at_ms > $2"
            ),
            session_delete: "DELETE FROM sessions WHERE digest = $1",
        }
    }
}
