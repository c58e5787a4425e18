-- Deletions and reconciliation: runs count the records they tombstoned and
-- the tombstones a sighting lifted; each reconciliation keeps its counts.
ALTER TABLE _holdfast_runs ADD COLUMN deleted BIGINT NOT NULL DEFAULT 0;
ALTER TABLE _holdfast_runs ADD COLUMN restored BIGINT NOT NULL DEFAULT 0;
CREATE TABLE _holdfast_reconciliations (
    run         BIGINT PRIMARY KEY,
    stream      TEXT NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    outcome     TEXT NOT NULL,
    action      TEXT NOT NULL,
    upstream    BIGINT NOT NULL,
    local       BIGINT NOT NULL,
    fetched     BIGINT NOT NULL,
    changed     BIGINT NOT NULL,
    missing     BIGINT NOT NULL,
    deleted     BIGINT NOT NULL,
    restored    BIGINT NOT NULL,
    refused     BIGINT NOT NULL,
    reason      TEXT
);
CREATE INDEX _holdfast_reconciliations_by_stream ON _holdfast_reconciliations (stream, run);
