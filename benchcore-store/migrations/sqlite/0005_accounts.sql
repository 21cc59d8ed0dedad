-- benchcore SQLite schema, version 5: the accounts of a team server (`AccountStore`): users,
-- workspaces, memberships, API tokens and browser sessions.
--
-- Ids are made by the caller (random); passwords are stored as argon2id PHC strings, tokens
-- and session cookies as the SHA-256 digests (hex) of their secrets, never the secrets.
-- Times are milliseconds since the Unix epoch.

CREATE TABLE users (
    id            TEXT    NOT NULL PRIMARY KEY,
    -- As given, for display.
    email         TEXT    NOT NULL,
    -- The email with ASCII letters lowercased: lookups ignore case, and one address is one
    -- user however it is written.
    email_key     TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    admin         INTEGER NOT NULL CHECK (admin IN (0, 1)),
    password_hash TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;

-- A workspace's id is the `workspace` its runs, agents and cache are stored under.
CREATE TABLE workspaces (
    id            TEXT    NOT NULL PRIMARY KEY,
    name          TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE memberships (
    workspace     TEXT    NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id       TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role          TEXT    NOT NULL CHECK (role IN ('viewer', 'editor', 'owner')),
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (workspace, user_id)
) STRICT;

-- A user's workspaces.
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE api_tokens (
    id              TEXT    NOT NULL PRIMARY KEY,
    user_id         TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name            TEXT    NOT NULL,
    digest          TEXT    NOT NULL UNIQUE,
    created_at_ms   INTEGER NOT NULL,
    -- NULL: never expires, never used, not revoked.
    expires_at_ms   INTEGER,
    last_used_at_ms INTEGER,
    revoked_at_ms   INTEGER
) STRICT;

-- A user's tokens, newest first.
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at_ms DESC);

CREATE TABLE sessions (
    digest        TEXT    NOT NULL PRIMARY KEY,
    user_id       TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The CSRF token the session's pages send back on every change.
    csrf          TEXT    NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;

-- A user's sessions, for dropping the expired ones.
CREATE INDEX sessions_user ON sessions (user_id, expires_at_ms);
