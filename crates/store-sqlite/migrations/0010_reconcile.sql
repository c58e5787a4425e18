-- Deletions and reconciliation: runs count the records they tombstoned and
-- the tombstones a sighting lifted; each reconciliation keeps its counts.
ALTER TABLE _holdfast_runs ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE _holdfast_runs ADD COLUMN restored INTEGER NOT NULL DEFAULT 0;
CREATE TABLE _holdfast_reconciliations (
    run         INTEGER PRIMARY KEY,
    stream      TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    action      TEXT NOT NULL,
    upstream    INTEGER NOT NULL,
    local       INTEGER NOT NULL,
    fetched     INTEGER NOT NULL,
    changed     INTEGER NOT NULL,
    missing     INTEGER NOT NULL,
    deleted     INTEGER NOT NULL,
    restored    INTEGER NOT NULL,
    refused     INTEGER NOT NULL,
    reason      TEXT
);
CREATE INDEX _holdfast_reconciliations_by_stream ON _holdfast_reconciliations (stream, run);
