-- benchcore PostgreSQL schema, version 1: the same tables as SQLite's version 1, in
-- PostgreSQL types.
--
-- Every table has a `workspace` column and every primary key starts with it: a workspace is a
-- key prefix, and no query can reach across workspaces without naming two.
-- Integers are u64 values stored as BIGINT (the same 64 bits); times are milliseconds since
-- the Unix epoch. Text keys use the "C" collation, so they sort byte by byte as in SQLite and
-- Rust, whatever the database's locale.

CREATE TABLE runs (
    workspace     TEXT COLLATE "C" NOT NULL DEFAULT 'default',
    id            TEXT COLLATE "C" NOT NULL,
    -- Creation order across the schema: breaks ties between runs created in one millisecond.
    seq           BIGINT GENERATED ALWAYS AS IDENTITY,
    -- spec.suite.name, copied out of the spec for filtering.
    suite         TEXT COLLATE "C" NOT NULL,
    status        TEXT NOT NULL
                  CHECK (status IN ('running', 'finished', 'cancelled', 'failed')),
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    -- The full RunSpec: everything needed to resume the run.
    spec          JSONB NOT NULL,
    PRIMARY KEY (workspace, id)
);

-- list_runs: newest first, with or without a suite filter.
CREATE INDEX runs_newest ON runs (workspace, created_at_ms DESC, seq DESC);
CREATE INDEX runs_suite ON runs (workspace, suite, created_at_ms DESC, seq DESC);

-- The agent names of each run's spec, for `RunFilter::agent`.
CREATE TABLE run_agents (
    workspace TEXT COLLATE "C" NOT NULL DEFAULT 'default',
    run_id    TEXT COLLATE "C" NOT NULL,
    agent     TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (workspace, run_id, agent),
    FOREIGN KEY (workspace, run_id) REFERENCES runs (workspace, id) ON DELETE CASCADE
);

CREATE INDEX run_agents_agent ON run_agents (workspace, agent, run_id);

-- One row per attempt key. Scalar columns come first and the JSONB columns last; large
-- JSONB values live in TOAST, so reads of outcomes and summaries never touch them.
CREATE TABLE attempts (
    workspace      TEXT COLLATE "C" NOT NULL DEFAULT 'default',
    run_id         TEXT COLLATE "C" NOT NULL,
    case_id        TEXT COLLATE "C" NOT NULL,
    agent          TEXT COLLATE "C" NOT NULL,
    sample         BIGINT NOT NULL,
    outcome        TEXT NOT NULL
                   CHECK (outcome IN ('passed', 'failed', 'invalid', 'error', 'skipped')),
    score          DOUBLE PRECISION,
    -- AttemptFailure: both set or both NULL.
    error_kind     TEXT,
    error_message  TEXT,
    input_tokens   BIGINT NOT NULL,
    output_tokens  BIGINT NOT NULL,
    cost_usd       DOUBLE PRECISION,
    model          TEXT,
    latency_ms     BIGINT,
    ttft_ms        BIGINT,
    wall_ms        BIGINT NOT NULL,
    work_ms        BIGINT NOT NULL,
    retries        BIGINT NOT NULL,
    cached         BOOLEAN NOT NULL,
    started_at_ms  BIGINT NOT NULL,
    finished_at_ms BIGINT NOT NULL,
    artifacts_dir  TEXT,
    -- Transcript, [Evaluation], [TestReport].
    transcript     JSONB NOT NULL,
    evaluations    JSONB NOT NULL,
    reports        JSONB NOT NULL,
    PRIMARY KEY (workspace, run_id, case_id, agent, sample),
    FOREIGN KEY (workspace, run_id) REFERENCES runs (workspace, id) ON DELETE CASCADE
);

-- summarize: each agent's latency percentiles are read by rank from this index.
CREATE INDEX attempts_latency ON attempts (workspace, run_id, agent, latency_ms)
    WHERE latency_ms IS NOT NULL;
