-- benchcore PostgreSQL schema, version 2: the response cache.
--
-- One row per cached request and workspace. `key` is the 64-bit FNV-1a hash of the canonical
-- request text (stored as the same 64 bits in a BIGINT); `request` is that text, compared on
-- every hit so a hash collision is a miss, never another request's reply.

CREATE TABLE response_cache (
    workspace     TEXT COLLATE "C" NOT NULL DEFAULT 'default',
    key           BIGINT NOT NULL,
    -- The canonical request: agent identity, messages, sampling, sample number (JSON text,
    -- kept byte for byte because a hit compares it).
    request       TEXT   NOT NULL,
    -- The CachedReply: text, usage, model, original cost.
    reply         JSONB  NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (workspace, key)
);
