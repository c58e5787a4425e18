//! Jobs as stored: the column list every query selects, and its decoding.

use holdfast_store::{Job, JobId, JobState, StoreError};

use crate::time::{from_millis, from_text};

/// The columns [`JobRecord`] decodes.
pub(crate) const JOB_COLUMNS: &str = "id, kind, name, payload, unique_key, priority, state, \
     attempts, max_attempts, run_at, lease_until, worker, last_error, result, created_at, updated_at";

/// A row selected with [`JOB_COLUMNS`]: times in unix milliseconds
/// (`run_at`, `lease_until`) or RFC 3339 text.
#[derive(sqlx::FromRow)]
pub(crate) struct JobRecord {
    id: i64,
    kind: String,
    name: String,
    payload: String,
    unique_key: Option<String>,
    priority: i32,
    state: String,
    attempts: i64,
    max_attempts: i64,
    run_at: i64,
    lease_until: Option<i64>,
    worker: Option<String>,
    last_error: Option<String>,
    result: Option<String>,
    created_at: String,
    updated_at: String,
}

impl JobRecord {
    /// The job it stores.
    pub(crate) fn into_job(self) -> Result<Job, StoreError> {
        Ok(Job {
            id: JobId(self.id),
            kind: self.kind,
            name: self.name,
            payload: self.payload,
            unique_key: self.unique_key,
            priority: self.priority,
            state: JobState::from_stored(&self.state)?,
            attempts: count(self.attempts),
            max_attempts: count(self.max_attempts),
            run_at: from_millis(self.run_at)?,
            lease_until: self.lease_until.map(from_millis).transpose()?,
            worker: self.worker,
            last_error: self.last_error,
            result: self.result,
            created_at: from_text(&self.created_at)?,
            updated_at: from_text(&self.updated_at)?,
        })
    }
}

/// Decodes every row of a job query.
pub(crate) fn jobs(rows: Vec<JobRecord>) -> Result<Vec<Job>, StoreError> {
    rows.into_iter().map(JobRecord::into_job).collect()
}

/// A stored counter as `u32`, clamped.
fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}
