-- What several nodes share (issue 13).
--
-- Counters of the limits that must hold for the platform, not per node
-- (failed sign-ins, public forms per hour, new participants per hour): one
-- row per key and fixed window, counted by an atomic upsert. Rows older
-- than two windows are purged.
CREATE TABLE limit_counters (
    key          TEXT NOT NULL,
    -- The window's start, in ms since the epoch (a multiple of its length).
    window_start BIGINT NOT NULL,
    hits         BIGINT NOT NULL,
    -- When the row may go: the end of the window after this one.
    expires_at   BIGINT NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX limit_counters_expires ON limit_counters (expires_at);

-- Periodic jobs (purges, scheduled publication, reminders): the node that
-- moves `next_at` forward from a due value runs the job; the others see
-- it moved and skip, so each run happens once across the nodes.
CREATE TABLE job_runs (
    name     TEXT PRIMARY KEY NOT NULL,
    next_at  BIGINT NOT NULL,
    -- The node that ran it last (its name, for the operator).
    ran_by   TEXT NOT NULL,
    ran_at   BIGINT NOT NULL
);
