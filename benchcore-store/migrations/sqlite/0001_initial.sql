-- benchcore SQLite schema, version 1.
--
-- Every table has a `workspace` column and every primary key starts with it: a workspace is a
-- key prefix, and no query can reach across workspaces without naming two.
-- Integers are u64 values stored as i64; times are milliseconds since the Unix epoch.

CREATE TABLE runs (
    workspace     TEXT    NOT NULL DEFAULT 'default',
    id            TEXT    NOT NULL,
    -- Creation order across the file: breaks ties between runs created in one millisecond.
    seq           INTEGER NOT NULL,
    -- spec.suite.name, copied out of the spec for filtering.
    suite         TEXT    NOT NULL,
    status        TEXT    NOT NULL
                  CHECK (status IN ('running', 'finished', 'cancelled', 'failed')),
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    -- The full RunSpec as JSON: everything needed to resume the run.
    spec          TEXT    NOT NULL,
    PRIMARY KEY (workspace, id)
) STRICT;

CREATE INDEX runs_newest ON runs (workspace, created_at_ms DESC, seq DESC);
CREATE INDEX runs_suite ON runs (workspace, suite);

-- The agent names of each run's spec, for `RunFilter::agent`.
CREATE TABLE run_agents (
    workspace TEXT NOT NULL DEFAULT 'default',
    run_id    TEXT NOT NULL,
    agent     TEXT NOT NULL,
    PRIMARY KEY (workspace, run_id, agent),
    FOREIGN KEY (workspace, run_id) REFERENCES runs (workspace, id) ON DELETE CASCADE
) STRICT;

CREATE INDEX run_agents_agent ON run_agents (workspace, agent);

-- One row per attempt key. Scalar columns come first and the JSON columns last, so reads of
-- outcomes and summaries never touch the large values.
CREATE TABLE attempts (
    workspace      TEXT    NOT NULL DEFAULT 'default',
    run_id         TEXT    NOT NULL,
    case_id        TEXT    NOT NULL,
    agent          TEXT    NOT NULL,
    sample         INTEGER NOT NULL,
    outcome        TEXT    NOT NULL
                   CHECK (outcome IN ('passed', 'failed', 'invalid', 'error', 'skipped')),
    score          REAL,
    -- AttemptFailure: both set or both NULL.
    error_kind     TEXT,
    error_message  TEXT,
    input_tokens   INTEGER NOT NULL,
    output_tokens  INTEGER NOT NULL,
    cost_usd       REAL,
    model          TEXT,
    latency_ms     INTEGER,
    ttft_ms        INTEGER,
    wall_ms        INTEGER NOT NULL,
    work_ms        INTEGER NOT NULL,
    retries        INTEGER NOT NULL,
    cached         INTEGER NOT NULL CHECK (cached IN (0, 1)),
    started_at_ms  INTEGER NOT NULL,
    finished_at_ms INTEGER NOT NULL,
    artifacts_dir  TEXT,
    -- JSON: Transcript, [Evaluation], [TestReport].
    transcript     TEXT    NOT NULL,
    evaluations    TEXT    NOT NULL,
    reports        TEXT    NOT NULL,
    PRIMARY KEY (workspace, run_id, case_id, agent, sample),
    FOREIGN KEY (workspace, run_id) REFERENCES runs (workspace, id) ON DELETE CASCADE
) STRICT;
