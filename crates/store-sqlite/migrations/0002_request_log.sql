-- Every HTTP attempt: who sent it, what came back, how long it took, what was waited.
CREATE TABLE _holdfast_requests (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id      INTEGER,
    stream      TEXT,
    connection  TEXT NOT NULL,
    endpoint    TEXT,
    at          TEXT NOT NULL,
    method      TEXT NOT NULL,
    url         TEXT NOT NULL,
    status      INTEGER,
    duration_ms REAL NOT NULL,
    attempt     INTEGER NOT NULL,
    bytes       INTEGER NOT NULL,
    error       TEXT,
    message     TEXT,
    waited_ms   REAL NOT NULL,
    deprecation TEXT,
    sunset      TEXT
);
CREATE INDEX _holdfast_requests_by_run ON _holdfast_requests (run_id, id);
CREATE INDEX _holdfast_requests_by_time ON _holdfast_requests (at);
