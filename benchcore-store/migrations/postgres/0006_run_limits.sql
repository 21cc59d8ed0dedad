-- The limit board: a run's limits held for the run as a whole by every worker sharing it.
--
-- One row per (scope, holder). A worker's row holds its share of the scope's concurrency
-- ceiling (`amount` slots) until `until`, its lease; rows of holders whose lease ran out count
-- for nothing. Two rows per scope belong to the board itself: `~bucket` (a request or token
-- bucket: `amount` is its balance, `until` when it was last filled) and `~pause` (requests
-- wait until `until`). Calls on one scope are serialised by a transaction-scoped advisory
-- lock (hold) or by the row lock of an upsert (take, pause).

CREATE TABLE run_limits (
    workspace TEXT COLLATE "C" NOT NULL DEFAULT 'default',
    run_id    TEXT COLLATE "C" NOT NULL,
    scope     TEXT COLLATE "C" NOT NULL,
    holder    TEXT COLLATE "C" NOT NULL,
    amount    DOUBLE PRECISION NOT NULL DEFAULT 0,
    until     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace, run_id, scope, holder),
    FOREIGN KEY (workspace, run_id) REFERENCES runs (workspace, id) ON DELETE CASCADE
);
