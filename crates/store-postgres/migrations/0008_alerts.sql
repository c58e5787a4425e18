-- The alert board: each (rule, subject) firing or resolved since a time, so
-- every process sees the same alerts and a restart announces nothing twice.
CREATE TABLE _holdfast_alerts (
    rule    TEXT NOT NULL,
    subject TEXT NOT NULL,
    firing  BOOLEAN NOT NULL,
    since   TIMESTAMPTZ NOT NULL,
    message TEXT NOT NULL,
    place   TEXT NOT NULL,
    PRIMARY KEY (rule, subject)
);
