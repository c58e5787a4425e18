//! Looking at the queue and tending it: stats, listings, requeue, pruning,
//! dead workers' claims, webhook rejection counters.

use chrono::{DateTime, Utc};
use holdfast_store::{
    Job, JobFilter, JobId, JobState, OldestReady, QueueDepth, QueueStats, Rejection, Requeue,
    StoreError,
};
use sqlx::postgres::PgPool;
use sqlx::{AssertSqlSafe, Row};

use super::row::{JOB_COLUMNS, job, parse_state};
use crate::error::db_err;
use crate::records::count;

/// Depth per kind and state, and the oldest ready job due at `now`.
pub(crate) async fn stats(pool: &PgPool, now: DateTime<Utc>) -> Result<QueueStats, StoreError> {
    let e = || db_err("reading queue stats");
    let rows = sqlx::query(
        "SELECT kind, state, count(*), min(created_at) FROM _holdfast_jobs GROUP BY kind, state",
    )
    .fetch_all(pool)
    .await
    .map_err(e())?;
    let mut depth = Vec::with_capacity(rows.len());
    for r in &rows {
        let state: String = r.try_get(1).map_err(e())?;
        depth.push(QueueDepth {
            kind: r.try_get(0).map_err(e())?,
            state: parse_state(&state)?,
            count: r.try_get::<i64, _>(2).map_err(e())?.max(0) as u64,
            oldest: r.try_get(3).map_err(e())?,
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
    let rows = sqlx::query(AssertSqlSafe(format!(
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
    rows.iter().map(job).collect()
}

/// One job.
pub(crate) async fn one(pool: &PgPool, id: JobId) -> Result<Option<Job>, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {JOB_COLUMNS} FROM _holdfast_jobs WHERE id = $1"
    )))
    .bind(id.0)
    .fetch_optional(pool)
    .await
    .map_err(db_err(format!("reading job {id}")))?;
    row.as_ref().map(job).transpose()
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

/// Adds `n` rejections of (`webhook`, `reason`), the last one at `now`.
pub(crate) async fn count_rejection(
    pool: &PgPool,
    webhook: &str,
    reason: &str,
    n: u64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO _holdfast_webhook_rejections AS r (webhook, reason, count, first_at, last_at) \
         VALUES ($1, $2, $3, $4, $4) ON CONFLICT (webhook, reason) DO UPDATE SET \
         count = r.count + excluded.count, last_at = greatest(r.last_at, excluded.last_at)",
    )
    .bind(webhook)
    .bind(reason)
    .bind(count(n))
    .bind(now)
    .execute(pool)
    .await
    .map_err(db_err(format!(
        "counting a rejection of webhook `{webhook}`"
    )))?;
    Ok(())
}

/// Every rejection counter, most recent first.
pub(crate) async fn rejections(pool: &PgPool) -> Result<Vec<Rejection>, StoreError> {
    let e = || db_err("listing webhook rejections");
    let rows = sqlx::query(
        "SELECT webhook, reason, count, first_at, last_at FROM _holdfast_webhook_rejections \
         ORDER BY last_at DESC, webhook, reason",
    )
    .fetch_all(pool)
    .await
    .map_err(e())?;
    rows.iter()
        .map(|r| {
            Ok(Rejection {
                webhook: r.try_get(0).map_err(e())?,
                reason: r.try_get(1).map_err(e())?,
                count: r.try_get::<i64, _>(2).map_err(e())?.max(0) as u64,
                first_at: r.try_get(3).map_err(e())?,
                last_at: r.try_get(4).map_err(e())?,
            })
        })
        .collect()
}
