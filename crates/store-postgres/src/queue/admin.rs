//! Looking at the queue and tending it: stats, listings, requeue, pruning,
//! dead workers' claims, webhook rejection counters.

use chrono::{DateTime, Utc};
use holdfast_store::{
    Job, JobFilter, JobId, JobState, OldestReady, QueueDepth, QueueStats, Requeue, StoreError,
};
use sqlx::AssertSqlSafe;
use sqlx::postgres::PgPool;

use super::row::{JOB_COLUMNS, JobRecord, jobs};
use crate::error::db_err;

/// Depth per kind and state, and the oldest ready job due at `now`.
pub(crate) async fn stats(pool: &PgPool, now: DateTime<Utc>) -> Result<QueueStats, StoreError> {
    let e = || db_err("reading queue stats");
    let rows: Vec<DepthRecord> = sqlx::query_as(
        "SELECT kind, state, count(*) AS count, min(created_at) AS oldest FROM _holdfast_jobs \
         GROUP BY kind, state",
    )
    .fetch_all(pool)
    .await
    .map_err(e())?;
    let mut depth = Vec::with_capacity(rows.len());
    for r in rows {
        depth.push(QueueDepth {
            kind: r.kind,
            state: JobState::from_stored(&r.state)?,
            count: r.count.max(0) as u64,
            oldest: r.oldest,
        });
    }
    depth.sort_by(|a, b| a.kind.cmp(&b.kind).then(a.state.cmp(&b.state)));
    let oldest: Option<(i64, DateTime<Utc>)> = sqlx::query_as(
        "SELECT id, run_at FROM _holdfast_jobs WHERE state = 'ready' AND run_at <= $1 \
         ORDER BY run_at, id LIMIT 1",
    )
    .bind(now)
    .fetch_optional(pool)
    .await
    .map_err(e())?;
    Ok(QueueStats {
        depth,
        oldest_ready: oldest.map(|(id, run_at)| OldestReady {
            id: JobId(id),
            run_at,
        }),
    })
}

/// Jobs matching `filter`, newest first.
pub(crate) async fn list(pool: &PgPool, filter: &JobFilter<'_>) -> Result<Vec<Job>, StoreError> {
    let rows: Vec<JobRecord> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {JOB_COLUMNS} FROM _holdfast_jobs \
         WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR kind = $2) \
         ORDER BY id DESC LIMIT $3"
    )))
    .bind(filter.state.map(JobState::as_str))
    .bind(filter.kind)
    .bind(i64::from(filter.limit))
    .fetch_all(pool)
    .await
    .map_err(db_err("listing jobs"))?;
    jobs(rows)
}

/// One job.
pub(crate) async fn one(pool: &PgPool, id: JobId) -> Result<Option<Job>, StoreError> {
    let row: Option<JobRecord> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {JOB_COLUMNS} FROM _holdfast_jobs WHERE id = $1"
    )))
    .bind(id.0)
    .fetch_optional(pool)
    .await
    .map_err(db_err(format!("reading job {id}")))?;
    row.map(JobRecord::into_job).transpose()
}

/// Makes jobs ready again at `now` with no attempts; how many.
pub(crate) async fn requeue(
    pool: &PgPool,
    which: Requeue,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let (filter, id) = match which {
        Requeue::Job(id) => ("id = $2 AND state IN ('dead', 'ready', 'done')", Some(id.0)),
        Requeue::Dead => ("state = 'dead' AND $2::int8 IS NULL", None),
    };
    let done = sqlx::query(AssertSqlSafe(format!(
        "UPDATE _holdfast_jobs SET state = 'ready', attempts = 0, run_at = $1, \
         lease_until = NULL, updated_at = $1 WHERE {filter}"
    )))
    .bind(now)
    .bind(id)
    .execute(pool)
    .await
    .map_err(db_err("requeueing jobs"))?;
    Ok(done.rows_affected())
}

/// Deletes done jobs last updated before `before`; how many.
pub(crate) async fn prune_done(pool: &PgPool, before: DateTime<Utc>) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM _holdfast_jobs WHERE state = 'done' AND updated_at < $1")
        .bind(before)
        .execute(pool)
        .await
        .map_err(db_err("pruning done jobs"))?;
    Ok(done.rows_affected())
}

/// Distinct workers of running jobs.
pub(crate) async fn claimants(pool: &PgPool) -> Result<Vec<String>, StoreError> {
    sqlx::query_scalar(
        "SELECT DISTINCT worker FROM _holdfast_jobs WHERE state = 'running' AND worker IS NOT NULL",
    )
    .fetch_all(pool)
    .await
    .map_err(db_err("listing the workers of running jobs"))
}

/// Running jobs of `worker` back to ready, now.
pub(crate) async fn release_claims(
    pool: &PgPool,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE _holdfast_jobs SET state = 'ready', run_at = $1, lease_until = NULL, \
         updated_at = $1 WHERE state = 'running' AND worker = $2",
    )
    .bind(now)
    .bind(worker)
    .execute(pool)
    .await
    .map_err(db_err(format!("releasing the jobs of worker `{worker}`")))?;
    Ok(done.rows_affected())
}

/// Jobs of one kind in one state.
#[derive(sqlx::FromRow)]
struct DepthRecord {
    kind: String,
    state: String,
    count: i64,
    oldest: Option<DateTime<Utc>>,
}
