//! Looking at the queue and tending it: stats, listings, requeue, pruning.

use chrono::{DateTime, Utc};
use holdfast_store::{
    Job, JobFilter, JobId, JobState, OldestReady, QueueDepth, QueueStats, Requeue, StoreError,
    StoreErrorKind,
};
use sqlx::sqlite::SqliteConnection;
use sqlx::{AssertSqlSafe, Row};

use super::row::{JOB_COLUMNS, job};
use crate::error::db_err;
use crate::time::{from_millis, from_text, to_millis, to_text};

/// Depth per kind and state, and the oldest ready job due at `now`.
pub(crate) async fn stats(
    conn: &mut SqliteConnection,
    now: DateTime<Utc>,
) -> Result<QueueStats, StoreError> {
    let e = || db_err("reading queue stats");
    let rows = sqlx::query(
        "SELECT kind, state, count(*), min(created_at) FROM _holdfast_jobs GROUP BY kind, state",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(e())?;
    let mut depth = Vec::with_capacity(rows.len());
    for r in &rows {
        let state: String = r.try_get(1).map_err(e())?;
        let oldest: Option<String> = r.try_get(3).map_err(e())?;
        depth.push(QueueDepth {
            kind: r.try_get(0).map_err(e())?,
            state: parse_state(&state)?,
            count: r.try_get::<i64, _>(2).map_err(e())?.max(0) as u64,
            oldest: oldest.as_deref().map(from_text).transpose()?,
        });
    }
    depth.sort_by(|a, b| a.kind.cmp(&b.kind).then(a.state.cmp(&b.state)));
    let oldest: Option<(i64, i64)> = sqlx::query_as(
        "SELECT id, run_at FROM _holdfast_jobs WHERE state = 'ready' AND run_at <= ? \
         ORDER BY run_at, id LIMIT 1",
    )
    .bind(to_millis(now))
    .fetch_optional(&mut *conn)
    .await
    .map_err(e())?;
    let oldest_ready = match oldest {
        Some((id, run_at)) => Some(OldestReady {
            id: JobId(id),
            run_at: from_millis(run_at)?,
        }),
        None => None,
    };
    Ok(QueueStats {
        depth,
        oldest_ready,
    })
}

/// Jobs matching `filter`, newest first.
pub(crate) async fn list(
    conn: &mut SqliteConnection,
    filter: &JobFilter<'_>,
) -> Result<Vec<Job>, StoreError> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {JOB_COLUMNS} FROM _holdfast_jobs \
         WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR kind = ?2) \
         ORDER BY id DESC LIMIT ?3"
    )))
    .bind(filter.state.map(JobState::as_str))
    .bind(filter.kind)
    .bind(i64::from(filter.limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err("listing jobs"))?;
    rows.iter().map(job).collect()
}

/// One job.
pub(crate) async fn one(conn: &mut SqliteConnection, id: JobId) -> Result<Option<Job>, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {JOB_COLUMNS} FROM _holdfast_jobs WHERE id = ?"
    )))
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err(format!("reading job {id}")))?;
    row.as_ref().map(job).transpose()
}

/// Makes jobs ready again at `now` with no attempts; how many.
pub(crate) async fn requeue(
    conn: &mut SqliteConnection,
    which: Requeue,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let (filter, id) = match which {
        Requeue::Job(id) => ("id = ?3 AND state IN ('dead', 'ready', 'done')", Some(id.0)),
        Requeue::Dead => ("state = 'dead'", None),
    };
    let done = sqlx::query(AssertSqlSafe(format!(
        "UPDATE _holdfast_jobs SET state = 'ready', attempts = 0, run_at = ?1, \
         lease_until = NULL, updated_at = ?2 WHERE {filter}"
    )))
    .bind(to_millis(now))
    .bind(to_text(now))
    .bind(id)
    .execute(&mut *conn)
    .await
    .map_err(db_err("requeueing jobs"))?;
    Ok(done.rows_affected())
}

/// Deletes done jobs last updated before `before`; how many.
pub(crate) async fn prune_done(
    conn: &mut SqliteConnection,
    before: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM _holdfast_jobs WHERE state = 'done' AND updated_at < ?")
        .bind(to_text(before))
        .execute(&mut *conn)
        .await
        .map_err(db_err("pruning done jobs"))?;
    Ok(done.rows_affected())
}

/// Distinct workers of running jobs.
pub(crate) async fn claimants(conn: &mut SqliteConnection) -> Result<Vec<String>, StoreError> {
    sqlx::query_scalar(
        "SELECT DISTINCT worker FROM _holdfast_jobs WHERE state = 'running' AND worker IS NOT NULL",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err("listing the workers of running jobs"))
}

/// Running jobs of `worker` back to ready, now.
pub(crate) async fn release_claims(
    conn: &mut SqliteConnection,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE _holdfast_jobs SET state = 'ready', run_at = ?, lease_until = NULL, \
         updated_at = ? WHERE state = 'running' AND worker = ?",
    )
    .bind(crate::time::to_millis(now))
    .bind(to_text(now))
    .bind(worker)
    .execute(&mut *conn)
    .await
    .map_err(db_err(format!("releasing the jobs of worker `{worker}`")))?;
    Ok(done.rows_affected())
}

fn parse_state(s: &str) -> Result<JobState, StoreError> {
    JobState::parse(s).ok_or_else(|| {
        StoreError::new(
            StoreErrorKind::Schema,
            "reading queue stats",
            format!("unknown job state `{s}`"),
        )
    })
}
