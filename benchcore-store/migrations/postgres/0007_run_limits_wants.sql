-- What each holder of a concurrency share wants, besides what it holds: the board splits a
-- ceiling fairly among the wants of the live holders, so a worker that starts late is not
-- starved by one that started first. A holder granted nothing keeps a row (amount 0) for its
-- want.

ALTER TABLE run_limits ADD COLUMN wanted DOUBLE PRECISION NOT NULL DEFAULT 0;
