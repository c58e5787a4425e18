//! Enqueueing a batch in one statement: the jobs go in as arrays, duplicates
//! by unique key are skipped by `ON CONFLICT DO NOTHING`, and the same
//! statement returns the ids of the jobs that already held those keys.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Utc};
use holdfast_store::{Enqueued, JobId, NewJob, StoreError, StoreErrorKind};
use sqlx::postgres::PgPool;

use crate::error::db_err;

/// Inserts `jobs`; one result per job, in order.
pub(crate) async fn enqueue(
    pool: &PgPool,
    jobs: &[NewJob],
    now: DateTime<Utc>,
) -> Result<Vec<Enqueued>, StoreError> {
    let context = format!("enqueueing {} jobs", jobs.len());
    let keys: Vec<Option<String>> = jobs.iter().map(|j| j.unique_key.clone()).collect();
    let rows: Vec<(i64, Option<String>, bool)> = sqlx::query_as(
        "WITH ins AS (INSERT INTO _holdfast_jobs (kind, name, payload, unique_key, priority, \
         max_attempts, run_at, state, created_at, updated_at) \
         SELECT u.kind, u.name, u.payload, u.unique_key, u.priority, u.max_attempts, u.run_at, \
         'ready', $8, $8 \
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::int4[], $6::int4[], \
         $7::timestamptz[]) WITH ORDINALITY AS u(kind, name, payload, unique_key, priority, \
         max_attempts, run_at, n) ORDER BY u.n \
         ON CONFLICT (unique_key) DO NOTHING RETURNING id, unique_key) \
         SELECT id, unique_key, true FROM ins \
         UNION ALL \
         SELECT id, unique_key, false FROM _holdfast_jobs WHERE unique_key = ANY($4)",
    )
    .bind(jobs.iter().map(|j| j.kind.clone()).collect::<Vec<_>>())
    .bind(jobs.iter().map(|j| j.name.clone()).collect::<Vec<_>>())
    .bind(jobs.iter().map(|j| j.payload.clone()).collect::<Vec<_>>())
    .bind(&keys)
    .bind(jobs.iter().map(|j| j.priority).collect::<Vec<_>>())
    .bind(
        jobs.iter()
            .map(|j| i32::try_from(j.max_attempts).unwrap_or(i32::MAX))
            .collect::<Vec<_>>(),
    )
    .bind(jobs.iter().map(|j| j.run_at).collect::<Vec<_>>())
    .bind(now)
    .fetch_all(pool)
    .await
    .map_err(db_err(&context))?;
    let mut created: Vec<(i64, Option<String>)> = Vec::new();
    let mut existing: HashMap<String, i64> = HashMap::new();
    for (id, key, new) in rows {
        match (new, key) {
            (true, key) => created.push((id, key)),
            (false, Some(key)) => {
                existing.insert(key, id);
            }
            (false, None) => {}
        }
    }
    // Ids grow in insertion order within the statement.
    created.sort_unstable_by_key(|(id, _)| *id);
    let mut keyed: HashMap<String, i64> = HashMap::new();
    let mut unkeyed: VecDeque<i64> = VecDeque::new();
    for (id, key) in created {
        match key {
            Some(key) => {
                keyed.insert(key, id);
            }
            None => unkeyed.push_back(id),
        }
    }
    let mut out = Vec::with_capacity(jobs.len());
    let mut missing = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        match &job.unique_key {
            // The first job with a key in the batch got it; later ones are duplicates.
            Some(key) => match keyed.remove(key) {
                Some(id) => {
                    existing.insert(key.clone(), id);
                    out.push(Some(Enqueued::Created(JobId(id))));
                }
                None => match existing.get(key) {
                    Some(&id) => out.push(Some(Enqueued::Duplicate(JobId(id)))),
                    None => {
                        missing.push(i);
                        out.push(None);
                    }
                },
            },
            None => {
                let id = unkeyed.pop_front().ok_or_else(|| mismatch(&context))?;
                out.push(Some(Enqueued::Created(JobId(id))));
            }
        }
    }
    if !missing.is_empty() {
        // Keys taken by a transaction that committed after this statement
        // began: its snapshot did not show them; a new statement does.
        let wanted: Vec<String> = missing
            .iter()
            .filter_map(|&i| jobs[i].unique_key.clone())
            .collect();
        let found: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, unique_key FROM _holdfast_jobs WHERE unique_key = ANY($1)")
                .bind(&wanted)
                .fetch_all(pool)
                .await
                .map_err(db_err(&context))?;
        let found: HashMap<String, i64> = found.into_iter().map(|(id, k)| (k, id)).collect();
        for i in missing {
            let id = jobs[i]
                .unique_key
                .as_ref()
                .and_then(|k| found.get(k))
                .ok_or_else(|| mismatch(&context))?;
            out[i] = Some(Enqueued::Duplicate(JobId(*id)));
        }
    }
    out.into_iter()
        .map(|e| e.ok_or_else(|| mismatch(&context)))
        .collect()
}

fn mismatch(context: &str) -> StoreError {
    StoreError::new(
        StoreErrorKind::Busy,
        context,
        "a job holding a duplicate unique key vanished while enqueueing (pruned at the same \
         moment?); retry",
    )
}
