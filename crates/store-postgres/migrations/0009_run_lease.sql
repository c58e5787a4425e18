-- A run's lease: who runs it, until when that holds, and its last committed
-- page (the end of a run whose process died).
ALTER TABLE _holdfast_runs ADD COLUMN holder TEXT;
ALTER TABLE _holdfast_runs ADD COLUMN lease_until TIMESTAMPTZ;
ALTER TABLE _holdfast_runs ADD COLUMN last_page_at TIMESTAMPTZ;
