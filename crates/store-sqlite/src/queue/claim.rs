//! Claiming jobs under a lease, extending it, and finishing an attempt.

use chrono::{DateTime, TimeDelta, Utc};
use holdfast_store::{Claim, Finish, Job, Lease, StoreError, StoreErrorKind};
use sqlx::sqlite::{SqliteArguments, SqliteConnection};
use sqlx::{Arguments, AssertSqlSafe};

use super::row::{JOB_COLUMNS, JobRecord, jobs};
use crate::error::db_err;
use crate::time::{to_millis, to_text};

/// The lease condition every write of a claimed job checks: `?1` id, `?2` attempt.
const LEASE_IS_LIVE: &str = "id = ?1 AND state = 'running' AND attempts = ?2";

/// Claims jobs (inside the caller's write transaction), in claim order.
pub(crate) async fn claim(
    conn: &mut SqliteConnection,
    claim: &Claim<'_>,
) -> Result<Vec<Job>, StoreError> {
    let until = TimeDelta::from_std(claim.lease)
        .ok()
        .and_then(|d| claim.now.checked_add_signed(d))
        .ok_or_else(|| {
            StoreError::new(
                StoreErrorKind::InvalidData,
                "claiming jobs",
                format!("a lease of {:?} ends out of range", claim.lease),
            )
        })?;
    let mut args = SqliteArguments::default();
    let err = |e: sqlx::error::BoxDynError| {
        StoreError::new(StoreErrorKind::Other, "claiming jobs", e.to_string())
    };
    args.add(to_millis(claim.now)).map_err(err)?;
    args.add(i64::from(claim.limit)).map_err(err)?;
    args.add(to_millis(until)).map_err(err)?;
    args.add(claim.worker.to_owned()).map_err(err)?;
    args.add(to_text(claim.now)).map_err(err)?;
    for kind in claim.kinds {
        args.add((*kind).to_owned()).map_err(err)?;
    }
    let rows: Vec<JobRecord> =
        sqlx::query_as_with(AssertSqlSafe(claim_sql(claim.kinds.len())), args)
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err("claiming jobs"))?;
    let mut jobs = jobs(rows)?;
    // RETURNING has no order: put the jobs back in claim order.
    jobs.sort_by(|a, b| {
        (b.priority.cmp(&a.priority))
            .then(a.run_at.cmp(&b.run_at))
            .then(a.id.cmp(&b.id))
    });
    Ok(jobs)
}

/// Moves the end of a live lease; whether it was live.
pub(crate) async fn extend(
    conn: &mut SqliteConnection,
    lease: Lease,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(AssertSqlSafe(format!(
        "UPDATE _holdfast_jobs SET lease_until = ?3, updated_at = ?4 WHERE {LEASE_IS_LIVE}"
    )))
    .bind(lease.id.0)
    .bind(i64::from(lease.attempt))
    .bind(to_millis(until))
    .bind(to_text(now))
    .execute(&mut *conn)
    .await
    .map_err(db_err(format!("extending the lease of job {}", lease.id)))?;
    Ok(done.rows_affected() == 1)
}

/// Ends the attempt of a live lease; whether it was live.
pub(crate) async fn finish(
    conn: &mut SqliteConnection,
    lease: Lease,
    finish: Finish,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let context = format!("finishing job {}", lease.id);
    let query = match finish {
        Finish::Done { result } => mark_done(lease, result, now),
        Finish::Retry { at, error } => sqlx::query(AssertSqlSafe(format!(
            "UPDATE _holdfast_jobs SET state = 'ready', run_at = ?3, last_error = ?4, \
             lease_until = NULL, updated_at = ?5 WHERE {LEASE_IS_LIVE}"
        )))
        .bind(lease.id.0)
        .bind(i64::from(lease.attempt))
        .bind(to_millis(at))
        .bind(error)
        .bind(to_text(now)),
        Finish::Dead { error } => sqlx::query(AssertSqlSafe(format!(
            "UPDATE _holdfast_jobs SET state = 'dead', last_error = ?3, \
             lease_until = NULL, updated_at = ?4 WHERE {LEASE_IS_LIVE}"
        )))
        .bind(lease.id.0)
        .bind(i64::from(lease.attempt))
        .bind(error)
        .bind(to_text(now)),
    };
    let done = query.execute(&mut *conn).await.map_err(db_err(context))?;
    Ok(done.rows_affected() == 1)
}

/// The statement that marks a leased job done with `result`.
fn mark_done<'q>(
    lease: Lease,
    result: Option<String>,
    now: DateTime<Utc>,
) -> sqlx::query::Query<'q, sqlx::Sqlite, SqliteArguments> {
    sqlx::query(AssertSqlSafe(format!(
        "UPDATE _holdfast_jobs SET state = 'done', result = ?3, \
         lease_until = NULL, updated_at = ?4 WHERE {LEASE_IS_LIVE}"
    )))
    .bind(lease.id.0)
    .bind(i64::from(lease.attempt))
    .bind(result)
    .bind(to_text(now))
}

/// The claim statement for `kinds` kinds (0: any). Parameters: `?1` now (ms),
/// `?2` limit, `?3` lease end (ms), `?4` worker, `?5` now (text), `?6…` kinds.
fn claim_sql(kinds: usize) -> String {
    let kind_filter = if kinds == 0 {
        String::new()
    } else {
        let marks: Vec<String> = (6..6 + kinds).map(|i| format!("?{i}")).collect();
        format!(" AND kind IN ({})", marks.join(", "))
    };
    format!(
        "WITH due (id, priority, run_at) AS ( \
           SELECT * FROM (SELECT id, priority, run_at FROM _holdfast_jobs \
             WHERE state = 'ready' AND run_at <= ?1{kind_filter} \
             ORDER BY priority DESC, run_at, id LIMIT ?2) \
           UNION ALL \
           SELECT * FROM (SELECT id, priority, run_at FROM _holdfast_jobs \
             WHERE state = 'running' AND lease_until < ?1{kind_filter} \
             ORDER BY priority DESC, run_at, id LIMIT ?2)) \
         UPDATE _holdfast_jobs SET state = 'running', attempts = attempts + 1, \
           lease_until = ?3, worker = ?4, updated_at = ?5 \
         WHERE id IN (SELECT id FROM due ORDER BY priority DESC, run_at, id LIMIT ?2) \
         RETURNING {JOB_COLUMNS}"
    )
}
