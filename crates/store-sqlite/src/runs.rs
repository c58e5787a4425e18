//! Runs as stored (`_holdfast_runs`): the columns every listing selects,
//! and their decoding.

use holdfast_store::{PageOutcome, RunId, RunOutcome, RunRow, StoreError};

use crate::time::{from_opt_text, from_text};

/// The columns [`RunRecord`] decodes.
pub(crate) const RUN_COLUMNS: &str = "id, stream, started_at, finished_at, pages, created, \
     updated, unchanged, deleted, restored, quarantined, outcome, error, holder, lease_until, last_page_at";

/// A row selected with [`RUN_COLUMNS`].
#[derive(sqlx::FromRow)]
pub(crate) struct RunRecord {
    id: i64,
    stream: String,
    started_at: String,
    finished_at: Option<String>,
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
    lease_until: Option<String>,
    last_page_at: Option<String>,
}

impl RunRecord {
    /// The run it stores, as recorded (see [`holdfast_store::settle`] for how it stands now).
    pub(crate) fn into_run(self) -> Result<RunRow, StoreError> {
        let count = |n: i64| n.max(0) as u64;
        Ok(RunRow {
            id: RunId(self.id),
            stream: self.stream,
            started_at: from_text(&self.started_at)?,
            finished_at: from_opt_text(self.finished_at.as_deref())?,
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
            lease_until: from_opt_text(self.lease_until.as_deref())?,
            last_page_at: from_opt_text(self.last_page_at.as_deref())?,
        })
    }
}
