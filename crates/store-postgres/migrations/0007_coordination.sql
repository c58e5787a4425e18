-- Named leases: a stream never runs on two workers at once, across processes.
-- The lease is held up to and including `until`.
CREATE TABLE _holdfast_leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    until       TIMESTAMPTZ NOT NULL,
    acquired_at TIMESTAMPTZ NOT NULL
);

-- Shared rate-limit budgets (GCRA): the theoretical arrival time of each key.
CREATE TABLE _holdfast_rate_limits (
    key TEXT PRIMARY KEY,
    tat TIMESTAMPTZ NOT NULL
);
