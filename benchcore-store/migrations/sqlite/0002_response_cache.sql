-- benchcore SQLite schema, version 2: the response cache.
--
-- One row per cached request and workspace. `key` is the 64-bit FNV-1a hash of the canonical
-- request text (stored as the same 64 bits in an INTEGER); `request` is that text, compared
-- on every hit so a hash collision is a miss, never another request's reply.

CREATE TABLE response_cache (
    workspace     TEXT    NOT NULL DEFAULT 'default',
    key           INTEGER NOT NULL,
    -- The canonical request: agent identity, messages, sampling, sample number (JSON).
    request       TEXT    NOT NULL,
    -- The CachedReply as JSON: text, usage, model, original cost.
    reply         TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (workspace, key)
) STRICT;
