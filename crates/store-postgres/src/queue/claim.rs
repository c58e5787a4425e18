//! Claiming jobs under a lease, extending it, and finishing an attempt:
//! each one statement, outside any explicit transaction.

use std::collections::HashSet;

use chrono::{DateTime, TimeDelta, Utc};
use holdfast_store::{Claim, Finish, Job, Lease, StoreError, StoreErrorKind};
use sqlx::postgres::PgPool;

use super::row::{JOB_COLUMNS, JobRecord, jobs};
use crate::error::db_err;

/// Claims jobs in one statement, in claim order.
///
/// Two index-ordered scans (ready jobs due now, running jobs whose lease
/// ended) each lock up to `limit` rows with `SKIP LOCKED`, so concurrent
/// claimers pass each other instead of queueing; the best `limit` of both
/// become `running`.
pub(crate) async fn claim(pool: &PgPool, claim: &Claim<'_>) -> Result<Vec<Job>, StoreError> {
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
    let kinds: Option<Vec<String>> =
        (!claim.kinds.is_empty()).then(|| claim.kinds.iter().map(|k| (*k).to_owned()).collect());
    let sql = if kinds.is_some() {
        claim_sql(" AND kind = ANY($5)")
    } else {
        claim_sql("")
    };
    let query = sqlx::query_as::<_, JobRecord>(sqlx::AssertSqlSafe(sql))
        .bind(claim.now)
        .bind(i64::from(claim.limit))
        .bind(until)
        .bind(claim.worker);
    let query = match kinds {
        Some(kinds) => query.bind(kinds),
        None => query,
    };
    let rows = query
        .fetch_all(pool)
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

/// The claim statement: `$1` now, `$2` limit, `$3` lease end, `$4` worker,
/// `$5` kinds (when filtered).
fn claim_sql(kind_filter: &str) -> String {
    format!(
        "WITH ready AS MATERIALIZED (SELECT id, priority, run_at FROM _holdfast_jobs \
             WHERE state = 'ready' AND run_at <= $1{kind_filter} \
             ORDER BY priority DESC, run_at, id LIMIT $2 FOR UPDATE SKIP LOCKED), \
         expired AS MATERIALIZED (SELECT id, priority, run_at FROM _holdfast_jobs \
             WHERE state = 'running' AND lease_until < $1{kind_filter} \
             ORDER BY priority DESC, run_at, id LIMIT $2 FOR UPDATE SKIP LOCKED), \
         picked AS (SELECT id FROM (SELECT * FROM ready UNION ALL SELECT * FROM expired) due \
             ORDER BY priority DESC, run_at, id LIMIT $2) \
         UPDATE _holdfast_jobs j SET state = 'running', attempts = j.attempts + 1, \
           lease_until = $3, worker = $4, updated_at = $1 \
         FROM picked WHERE j.id = picked.id \
         RETURNING {}",
        JOB_COLUMNS
            .split(", ")
            .map(|c| format!("j.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The lease condition every write of a claimed job checks: `$1` id, `$2` attempt.
macro_rules! lease_is_live {
    () => {
        " WHERE id = $1 AND state = 'running' AND attempts = $2"
    };
}

/// Moves the end of a live lease; whether it was live.
pub(crate) async fn extend(
    pool: &PgPool,
    lease: Lease,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(concat!(
        "UPDATE _holdfast_jobs SET lease_until = $3, updated_at = $4",
        lease_is_live!()
    ))
    .bind(lease.id.0)
    .bind(attempt(lease))
    .bind(until)
    .bind(now)
    .execute(pool)
    .await
    .map_err(db_err(format!("extending the lease of job {}", lease.id)))?;
    Ok(done.rows_affected() == 1)
}

/// Ends the attempt of a live lease; whether it was live.
pub(crate) async fn finish(
    pool: &PgPool,
    lease: Lease,
    finish: Finish,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let context = format!("finishing job {}", lease.id);
    let query = match finish {
        Finish::Done { result } => sqlx::query(concat!(
            "UPDATE _holdfast_jobs SET state = 'done', result = $3, \
             lease_until = NULL, updated_at = $4",
            lease_is_live!()
        ))
        .bind(lease.id.0)
        .bind(attempt(lease))
        .bind(result)
        .bind(now),
        Finish::Retry { at, error } => sqlx::query(concat!(
            "UPDATE _holdfast_jobs SET state = 'ready', run_at = $3, last_error = $4, \
             lease_until = NULL, updated_at = $5",
            lease_is_live!()
        ))
        .bind(lease.id.0)
        .bind(attempt(lease))
        .bind(at)
        .bind(error)
        .bind(now),
        Finish::Dead { error } => sqlx::query(concat!(
            "UPDATE _holdfast_jobs SET state = 'dead', last_error = $3, \
             lease_until = NULL, updated_at = $4",
            lease_is_live!()
        ))
        .bind(lease.id.0)
        .bind(attempt(lease))
        .bind(error)
        .bind(now),
    };
    let done = query.execute(pool).await.map_err(db_err(context))?;
    Ok(done.rows_affected() == 1)
}

/// Ends many attempts in one statement; whether each lease was live.
///
/// Only the first entry of a lease is sent (a second finish of the same
/// claim is refused, as it would be one at a time).
pub(crate) async fn finish_many(
    pool: &PgPool,
    finishes: &[(Lease, Finish)],
    now: DateTime<Utc>,
) -> Result<Vec<bool>, StoreError> {
    let mut first = HashSet::new();
    let sent: Vec<bool> = finishes.iter().map(|(l, _)| first.insert(l.id)).collect();
    let (mut ids, mut attempts, mut states) = (Vec::new(), Vec::new(), Vec::new());
    let (mut results, mut errors, mut run_ats) = (Vec::new(), Vec::new(), Vec::new());
    for ((lease, finish), _) in finishes.iter().zip(&sent).filter(|(_, s)| **s) {
        ids.push(lease.id.0);
        attempts.push(attempt(*lease));
        let (state, result, error, run_at) = match finish {
            Finish::Done { result } => ("done", result.clone(), None, None),
            Finish::Retry { at, error } => ("ready", None, Some(error.clone()), Some(*at)),
            Finish::Dead { error } => ("dead", None, Some(error.clone()), None),
        };
        states.push(state);
        results.push(result);
        errors.push(error);
        run_ats.push(run_at);
    }
    let finished: Vec<i64> = sqlx::query_scalar(
        "UPDATE _holdfast_jobs j SET state = v.state, \
         result = CASE WHEN v.state = 'done' THEN v.result ELSE j.result END, \
         last_error = COALESCE(v.error, j.last_error), run_at = COALESCE(v.run_at, j.run_at), \
         lease_until = NULL, updated_at = $1 \
         FROM UNNEST($2::int8[], $3::int4[], $4::text[], $5::text[], $6::text[], \
         $7::timestamptz[]) AS v(id, attempts, state, result, error, run_at) \
         WHERE j.id = v.id AND j.state = 'running' AND j.attempts = v.attempts \
         RETURNING j.id",
    )
    .bind(now)
    .bind(ids)
    .bind(attempts)
    .bind(states)
    .bind(results)
    .bind(errors)
    .bind(run_ats)
    .fetch_all(pool)
    .await
    .map_err(db_err(format!("finishing {} jobs", finishes.len())))?;
    let finished: HashSet<i64> = finished.into_iter().collect();
    Ok(finishes
        .iter()
        .zip(sent)
        .map(|((lease, _), sent)| sent && finished.contains(&lease.id.0))
        .collect())
}

/// A lease's attempt as stored (`integer`).
fn attempt(lease: Lease) -> i32 {
    i32::try_from(lease.attempt).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_skips_locked_rows_in_both_scans() {
        let sql = claim_sql(" AND kind = ANY($5)");
        assert_eq!(sql.matches("FOR UPDATE SKIP LOCKED").count(), 2, "{sql}");
        assert_eq!(sql.matches("kind = ANY($5)").count(), 2, "{sql}");
        assert!(sql.contains("RETURNING j.id, j.kind"), "{sql}");
    }
}
