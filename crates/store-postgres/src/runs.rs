//! Runs as stored (`_holdfast_runs`): the columns every listing selects,
//! and their decoding.

use chrono::{DateTime, Utc};
use holdfast_store::{PageOutcome, RunId, RunOutcome, RunRow, StoreError};

/// The columns [`RunRecord`] decodes.
pub(crate) const RUN_COLUMNS: &str = "id, stream, started_at, finished_at, pages, created, \
     updated, unchanged, deleted, restored, quarantined, outcome, error, holder, lease_until, last_page_at";

/// A row selected with [`RUN_COLUMNS`].
#[derive(sqlx::FromRow)]
pub(crate) struct RunRecord {
    id: i64,
    stream: String,
    started_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    pages: i64,
    created: i64,
    updated: i64,
    unchanged: i64,
    deleted: i64,
    restored: i64,
    quarantined: i64,
    outcome: String,
    error: Option<String>,
    holder: Option<String>,
    lease_until: Option<DateTime<Utc>>,
    last_page_at: Option<DateTime<Utc>>,
}

impl RunRecord {
    /// The run it stores, as recorded (see [`holdfast_store::settle`] for how it stands now).
    pub(crate) fn into_run(self) -> Result<RunRow, StoreError> {
        let count = |n: i64| n.max(0) as u64;
        Ok(RunRow {
            id: RunId(self.id),
            stream: self.stream,
            started_at: self.started_at,
            finished_at: self.finished_at,
            pages: count(self.pages),
            outcome_counts: PageOutcome {
                created: count(self.created),
                updated: count(self.updated),
                unchanged: count(self.unchanged),
                deleted: count(self.deleted),
                restored: count(self.restored),
            },
            quarantined: count(self.quarantined),
            outcome: RunOutcome::from_stored(&self.outcome)?,
            error: self.error,
            holder: self.holder,
            lease_until: self.lease_until,
            last_page_at: self.last_page_at,
        })
    }
}
