-- Mapped columns per stream table (JSON [{name, kind}]).
ALTER TABLE _holdfast_tables ADD COLUMN columns TEXT NOT NULL DEFAULT '[]';

-- Quarantine keeps every violation, sees a repeated record once (by fingerprint),
-- and remembers when a record was resolved (moved into its table).
ALTER TABLE _holdfast_quarantine ADD COLUMN violations TEXT NOT NULL DEFAULT '[]';
ALTER TABLE _holdfast_quarantine ADD COLUMN fingerprint TEXT;
ALTER TABLE _holdfast_quarantine ADD COLUMN seen INTEGER NOT NULL DEFAULT 1;
ALTER TABLE _holdfast_quarantine ADD COLUMN resolved_at TEXT;
ALTER TABLE _holdfast_quarantine ADD COLUMN resolved_run INTEGER;
CREATE UNIQUE INDEX _holdfast_quarantine_open
    ON _holdfast_quarantine (stream, fingerprint) WHERE resolved_at IS NULL;

-- The last known response shape of each stream (JSON), to detect drift against.
CREATE TABLE _holdfast_shapes (
    stream     TEXT PRIMARY KEY,
    shape      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Every change in a stream's response shape, with an example.
CREATE TABLE _holdfast_drift (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    stream  TEXT NOT NULL,
    run_id  INTEGER,
    at      TEXT NOT NULL,
    kind    TEXT NOT NULL,
    path    TEXT NOT NULL,
    before  TEXT NOT NULL,
    after   TEXT NOT NULL,
    example TEXT
);
CREATE INDEX _holdfast_drift_by_stream ON _holdfast_drift (stream, id);
