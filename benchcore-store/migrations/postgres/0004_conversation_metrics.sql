-- benchcore PostgreSQL schema, version 4: quality metrics of attempts (an LLM judge's rubric
-- scores of conversations), computed on request and kept with their run. The same table as
-- SQLite's version 4, in PostgreSQL types.
--
-- One row per attempt key and metric name; recording a metric again replaces its row.

CREATE TABLE attempt_metrics (
    workspace      TEXT COLLATE "C" NOT NULL DEFAULT 'default',
    run_id         TEXT COLLATE "C" NOT NULL,
    case_id        TEXT COLLATE "C" NOT NULL,
    agent          TEXT COLLATE "C" NOT NULL,
    sample         BIGINT NOT NULL,
    metric         TEXT COLLATE "C" NOT NULL,
    -- The score, from 0 to 1.
    score          DOUBLE PRECISION NOT NULL,
    label          TEXT,
    rationale      TEXT,
    -- The judge, its model, raw reply, usage, cost (NULL when none).
    details        JSONB,
    computed_at_ms BIGINT NOT NULL,
    PRIMARY KEY (workspace, run_id, case_id, agent, sample, metric),
    FOREIGN KEY (workspace, run_id) REFERENCES runs (workspace, id) ON DELETE CASCADE
);
