-- benchcore SQLite schema, version 3: saved agents, their secrets encrypted, and the state of
-- the encryption key.

-- One row per saved agent and workspace. `config_public` is the agent config without its
-- secret fields; `secret` is the AES-GCM envelope `v1:<key id>:<nonce>:<ciphertext>` of
-- those fields as JSON (NULL when the config has none).
CREATE TABLE saved_agents (
    workspace     TEXT    NOT NULL DEFAULT 'default',
    name          TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    config_public TEXT    NOT NULL,
    secret        TEXT,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (workspace, name)
) STRICT;

-- The key secrets are sealed with, for the whole database: a SHA-256 fingerprint (never the
-- key) and a sentinel ciphertext sealed by it. One row at most.
CREATE TABLE encryption_key_state (
    id            INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    fingerprint   TEXT    NOT NULL,
    sentinel      TEXT    NOT NULL,
    updated_at_ms INTEGER NOT NULL
) STRICT;
