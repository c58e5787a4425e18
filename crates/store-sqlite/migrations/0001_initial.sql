-- holdfast's own tables. Stream tables are created at run time, one per `into:`.

-- The resume point of each stream (a JSON StreamState), committed with every page.
CREATE TABLE _holdfast_state (
    stream     TEXT PRIMARY KEY,
    state      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Stream tables holdfast created, with their primary key (a JSON array of column names).
CREATE TABLE _holdfast_tables (
    name        TEXT PRIMARY KEY,
    primary_key TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

-- One row per sync run; counters advance with every committed page.
CREATE TABLE _holdfast_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    stream      TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    pages       INTEGER NOT NULL DEFAULT 0,
    created     INTEGER NOT NULL DEFAULT 0,
    updated     INTEGER NOT NULL DEFAULT 0,
    unchanged   INTEGER NOT NULL DEFAULT 0,
    quarantined INTEGER NOT NULL DEFAULT 0,
    outcome     TEXT NOT NULL CHECK (outcome IN ('running', 'succeeded', 'failed', 'interrupted')),
    error       TEXT,
    CHECK ((finished_at IS NULL) = (outcome = 'running'))
);
CREATE INDEX _holdfast_runs_by_stream ON _holdfast_runs (stream, id);

-- Records that were not written, with the reason and the payload as received.
CREATE TABLE _holdfast_quarantine (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    stream  TEXT NOT NULL,
    run_id  INTEGER NOT NULL REFERENCES _holdfast_runs (id),
    reason  TEXT NOT NULL,
    raw     TEXT NOT NULL,
    at      TEXT NOT NULL
);
CREATE INDEX _holdfast_quarantine_by_stream ON _holdfast_quarantine (stream, id);
