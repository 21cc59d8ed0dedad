-- benchcore SQLite schema, version 4: quality metrics of attempts (an LLM judge's rubric
-- scores of conversations), computed on request and kept with their run.
--
-- One row per attempt key and metric name; recording a metric again replaces its row.

CREATE TABLE attempt_metrics (
    workspace      TEXT    NOT NULL DEFAULT 'default',
    run_id         TEXT    NOT NULL,
    case_id        TEXT    NOT NULL,
    agent          TEXT    NOT NULL,
    sample         INTEGER NOT NULL,
    metric         TEXT    NOT NULL,
    -- The score, from 0 to 1.
    score          REAL    NOT NULL,
    label          TEXT,
    rationale      TEXT,
    -- JSON: the judge, its model, raw reply, usage, cost (NULL when none).
    details        TEXT,
    computed_at_ms INTEGER NOT NULL,
    PRIMARY KEY (workspace, run_id, case_id, agent, sample, metric),
    FOREIGN KEY (workspace, run_id) REFERENCES runs (workspace, id) ON DELETE CASCADE
) STRICT;
