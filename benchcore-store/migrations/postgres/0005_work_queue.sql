-- The work queue: pending attempts of runs started with `benchcore run --detach`, claimed by
-- `benchcore worker` processes with `FOR UPDATE SKIP LOCKED` under leases they renew.
--
-- An item is done when its attempt is recorded: the attempts upsert deletes the item in the
-- same statement, so an item is never done without its record nor recorded and still pending.
-- The case travels with the item, so a worker needs no suite file.

CREATE TABLE work_queue (
    workspace   TEXT COLLATE "C" NOT NULL DEFAULT 'default',
    run_id      TEXT COLLATE "C" NOT NULL,
    case_id     TEXT COLLATE "C" NOT NULL,
    agent       TEXT COLLATE "C" NOT NULL,
    sample      BIGINT NOT NULL,
    -- Enqueue order: items are claimed oldest first.
    seq         BIGINT GENERATED ALWAYS AS IDENTITY,
    -- The Case, as JSON.
    case_json   TEXT NOT NULL,
    -- The worker holding the item and until when; NULL or past means claimable.
    lease_owner TEXT,
    lease_until TIMESTAMPTZ,
    -- How many times it was claimed: above one, a worker died or gave it up.
    claims      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace, run_id, case_id, agent, sample),
    FOREIGN KEY (workspace, run_id) REFERENCES runs (workspace, id) ON DELETE CASCADE
);

-- claim: the oldest items of a workspace whose lease is absent or over.
CREATE INDEX work_queue_claimable ON work_queue (workspace, seq);
-- renew and release: the items one worker holds.
CREATE INDEX work_queue_owner ON work_queue (workspace, lease_owner) WHERE lease_owner IS NOT NULL;
