-- benchcore PostgreSQL schema, version 8: the accounts of a team server (`AccountStore`):
-- users, workspaces, memberships, API tokens and browser sessions. The same tables as SQLite's
-- version 5, in PostgreSQL types.
--
-- Ids are made by the caller (random); passwords are stored as argon2id PHC strings, tokens
-- and session cookies as the SHA-256 digests (hex) of their secrets, never the secrets.
-- Times are milliseconds since the Unix epoch, as BIGINT.

CREATE TABLE users (
    id            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    -- As given, for display.
    email         TEXT    NOT NULL,
    -- The email with ASCII letters lowercased (by the store, not by `lower()`, whose folding
    -- depends on the locale): lookups ignore case, and one address is one user however it
    -- is written.
    email_key     TEXT COLLATE "C" NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    admin         BOOLEAN NOT NULL,
    password_hash TEXT    NOT NULL,
    created_at_ms BIGINT  NOT NULL
);

-- A workspace's id is the `workspace` its runs, agents and cache are stored under.
CREATE TABLE workspaces (
    id            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name          TEXT   NOT NULL,
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE memberships (
    workspace     TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id       TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role          TEXT   NOT NULL CHECK (role IN ('viewer', 'editor', 'owner')),
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (workspace, user_id)
);

-- A user's workspaces.
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE api_tokens (
    id              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    user_id         TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name            TEXT   NOT NULL,
    digest          TEXT COLLATE "C" NOT NULL UNIQUE,
    created_at_ms   BIGINT NOT NULL,
    -- NULL: never expires, never used, not revoked.
    expires_at_ms   BIGINT,
    last_used_at_ms BIGINT,
    revoked_at_ms   BIGINT
);

-- A user's tokens, newest first.
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at_ms DESC);

CREATE TABLE sessions (
    digest        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    user_id       TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The CSRF token the session's pages send back on every change.
    csrf          TEXT   NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL
);

-- A user's sessions, for dropping the expired ones.
CREATE INDEX sessions_user ON sessions (user_id, expires_at_ms);
