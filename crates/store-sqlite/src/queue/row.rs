//! Jobs as stored: the column list every query selects, and its decoding.

use holdfast_store::{Job, JobId, JobState, StoreError, StoreErrorKind};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::error::db_err;
use crate::time::{from_millis, from_text};

/// The columns [`job`] decodes, in order.
pub(crate) const JOB_COLUMNS: &str = "id, kind, name, payload, unique_key, priority, state, \
     attempts, max_attempts, run_at, lease_until, worker, last_error, result, created_at, updated_at";

/// Decodes a row selected with [`JOB_COLUMNS`].
pub(crate) fn job(r: &SqliteRow) -> Result<Job, StoreError> {
    let e = || db_err("reading a job");
    let state: String = r.try_get(6).map_err(e())?;
    let lease_until: Option<i64> = r.try_get(10).map_err(e())?;
    Ok(Job {
        id: JobId(r.try_get(0).map_err(e())?),
        kind: r.try_get(1).map_err(e())?,
        name: r.try_get(2).map_err(e())?,
        payload: r.try_get(3).map_err(e())?,
        unique_key: r.try_get(4).map_err(e())?,
        priority: r.try_get(5).map_err(e())?,
        state: JobState::parse(&state).ok_or_else(|| {
            StoreError::new(
                StoreErrorKind::Schema,
                "reading a job",
                format!("unknown job state `{state}`"),
            )
        })?,
        attempts: count(r.try_get(7).map_err(e())?),
        max_attempts: count(r.try_get(8).map_err(e())?),
        run_at: from_millis(r.try_get(9).map_err(e())?)?,
        lease_until: lease_until.map(from_millis).transpose()?,
        worker: r.try_get(11).map_err(e())?,
        last_error: r.try_get(12).map_err(e())?,
        result: r.try_get(13).map_err(e())?,
        created_at: from_text(&r.try_get::<String, _>(14).map_err(e())?)?,
        updated_at: from_text(&r.try_get::<String, _>(15).map_err(e())?)?,
    })
}

/// A stored counter as `u32`, clamped.
fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}
