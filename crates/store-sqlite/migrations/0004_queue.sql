-- The durable job queue. `run_at` and `lease_until` are unix milliseconds so
-- that claiming compares integers; the other times are RFC 3339 text.
CREATE TABLE _holdfast_jobs (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    name         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    unique_key   TEXT UNIQUE,
    priority     INTEGER NOT NULL DEFAULT 0,
    state        TEXT NOT NULL CHECK (state IN ('ready', 'running', 'done', 'dead')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at       INTEGER NOT NULL,
    lease_until  INTEGER,
    worker       TEXT,
    last_error   TEXT,
    result       TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    -- A running job always has a lease; no other state keeps one.
    CHECK ((lease_until IS NOT NULL) = (state = 'running'))
);
-- Claiming walks ready jobs in claim order, and expired leases by their end.
CREATE INDEX _holdfast_jobs_ready
    ON _holdfast_jobs (priority DESC, run_at, id) WHERE state = 'ready';
CREATE INDEX _holdfast_jobs_leased
    ON _holdfast_jobs (lease_until) WHERE state = 'running';
-- Pruning finds done jobs by age.
CREATE INDEX _holdfast_jobs_done
    ON _holdfast_jobs (updated_at) WHERE state = 'done';

-- Rejected webhook requests, counted per webhook and reason.
CREATE TABLE _holdfast_webhook_rejections (
    webhook  TEXT NOT NULL,
    reason   TEXT NOT NULL,
    count    INTEGER NOT NULL,
    first_at TEXT NOT NULL,
    last_at  TEXT NOT NULL,
    PRIMARY KEY (webhook, reason)
);
