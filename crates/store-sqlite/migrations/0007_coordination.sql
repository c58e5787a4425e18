-- Named leases: a stream never runs on two workers at once, across processes.
-- `until` is RFC 3339 text (sorts as time); the lease is held up to and including it.
CREATE TABLE _holdfast_leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    until       TEXT NOT NULL,
    acquired_at TEXT NOT NULL
);

-- Shared rate-limit budgets (GCRA): the theoretical arrival time of each key,
-- in unix microseconds.
CREATE TABLE _holdfast_rate_limits (
    key    TEXT PRIMARY KEY,
    tat_us INTEGER NOT NULL
);
