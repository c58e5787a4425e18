//! Enqueueing: many jobs per statement, duplicates found by unique key.
//!
//! A batch is cut into chunks of 256, 128, …, 1 rows, so at most nine
//! statement shapes exist and each stays prepared on its connection. One
//! more statement looks up the ids of all duplicates at once.

use std::collections::{HashMap, VecDeque};
use std::sync::OnceLock;

use holdfast_store::{Enqueued, JobId, NewJob, StoreError, StoreErrorKind};
use sqlx::sqlite::{SqliteArguments, SqliteConnection};
use sqlx::{Arguments, AssertSqlSafe};

use crate::error::db_err;
use crate::time::to_millis;

/// Chunk sizes, largest first (9 parameters a row: 2,304 at most a statement).
const CHUNKS: [usize; 9] = [256, 128, 64, 32, 16, 8, 4, 2, 1];

/// Inserts `jobs` (inside the caller's transaction); one result per job, in order.
pub(crate) async fn enqueue(
    conn: &mut SqliteConnection,
    jobs: &[NewJob],
    now: &str,
) -> Result<Vec<Enqueued>, StoreError> {
    let mut out: Vec<Option<Enqueued>> = vec![None; jobs.len()];
    let mut duplicates: Vec<usize> = Vec::new();
    let mut start = 0;
    while start < jobs.len() {
        let (shape, size) = chunk(jobs.len() - start);
        let chunk = &jobs[start..start + size];
        let (mut keyed, mut unkeyed) = insert(conn, shape, chunk, now).await?;
        for (i, job) in chunk.iter().enumerate() {
            let slot = start + i;
            match &job.unique_key {
                // The first job with a key in the batch got it; later ones are duplicates.
                Some(key) => match keyed.remove(key) {
                    Some(id) => out[slot] = Some(Enqueued::Created(JobId(id))),
                    None => duplicates.push(slot),
                },
                None => {
                    let id = unkeyed.pop_front().ok_or_else(mismatch)?;
                    out[slot] = Some(Enqueued::Created(JobId(id)));
                }
            }
        }
        start += size;
    }
    if !duplicates.is_empty() {
        let keys: Vec<&str> = duplicates
            .iter()
            .filter_map(|&i| jobs[i].unique_key.as_deref())
            .collect();
        let existing = ids_of(conn, &keys).await?;
        for slot in duplicates {
            let id = jobs[slot]
                .unique_key
                .as_ref()
                .and_then(|k| existing.get(k))
                .ok_or_else(mismatch)?;
            out[slot] = Some(Enqueued::Duplicate(JobId(*id)));
        }
    }
    out.into_iter().map(|e| e.ok_or_else(mismatch)).collect()
}

/// The largest chunk shape that fits `left` jobs: (index into [`CHUNKS`], rows).
fn chunk(left: usize) -> (usize, usize) {
    CHUNKS
        .iter()
        .position(|&n| n <= left)
        .map_or((CHUNKS.len() - 1, 1), |i| (i, CHUNKS[i]))
}

/// Inserts one chunk; returns the new ids by unique key, and the new ids of
/// jobs without a key in insertion order.
async fn insert(
    conn: &mut SqliteConnection,
    shape: usize,
    jobs: &[NewJob],
    now: &str,
) -> Result<(HashMap<String, i64>, VecDeque<i64>), StoreError> {
    let mut args = SqliteArguments::default();
    let err = |e: sqlx::error::BoxDynError| {
        StoreError::new(StoreErrorKind::Other, "binding a job", e.to_string())
    };
    for job in jobs {
        args.add(job.kind.clone()).map_err(err)?;
        args.add(job.name.clone()).map_err(err)?;
        args.add(job.payload.clone()).map_err(err)?;
        args.add(job.unique_key.clone()).map_err(err)?;
        args.add(job.priority).map_err(err)?;
        args.add(i64::from(job.max_attempts)).map_err(err)?;
        args.add(to_millis(job.run_at)).map_err(err)?;
        args.add(now.to_owned()).map_err(err)?;
        args.add(now.to_owned()).map_err(err)?;
    }
    let rows: Vec<(i64, Option<String>)> =
        sqlx::query_as_with(AssertSqlSafe(insert_sql(shape)), args)
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err("enqueueing jobs"))?;
    let mut new = rows;
    // Row ids grow in insertion order inside the write transaction.
    new.sort_unstable_by_key(|(id, _)| *id);
    let mut keyed = HashMap::new();
    let mut unkeyed = VecDeque::new();
    for (id, key) in new {
        match key {
            Some(key) => {
                keyed.insert(key, id);
            }
            None => unkeyed.push_back(id),
        }
    }
    Ok((keyed, unkeyed))
}

/// The ids of the jobs holding `keys`.
async fn ids_of(
    conn: &mut SqliteConnection,
    keys: &[&str],
) -> Result<HashMap<String, i64>, StoreError> {
    let keys = serde_json::to_string(keys)
        .map_err(|e| StoreError::with_source(StoreErrorKind::Other, "enqueueing jobs", e))?;
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, unique_key FROM _holdfast_jobs \
         WHERE unique_key IN (SELECT value FROM json_each(?))",
    )
    .bind(keys)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err("finding duplicate jobs"))?;
    Ok(rows.into_iter().map(|(id, key)| (key, id)).collect())
}

/// The insert statement for chunk shape `shape`, built once.
fn insert_sql(shape: usize) -> &'static str {
    static SQL: OnceLock<Vec<String>> = OnceLock::new();
    let all = SQL.get_or_init(|| CHUNKS.iter().map(|&n| build_insert(n)).collect());
    all.get(shape).map_or("", String::as_str)
}

/// `INSERT … VALUES (…), … ON CONFLICT DO NOTHING RETURNING id, unique_key`
/// for `rows` jobs: nine anonymous parameters a job (its seven fields, then
/// the time twice). Anonymous `?`s keep binding linear: SQLite looks
/// numbered parameters up by name, one scan per bind.
fn build_insert(rows: usize) -> String {
    let row = "(?, ?, ?, ?, ?, ?, ?, 'ready', ?, ?)";
    format!(
        "INSERT INTO _holdfast_jobs \
         (kind, name, payload, unique_key, priority, max_attempts, run_at, state, created_at, updated_at) \
         VALUES {} ON CONFLICT (unique_key) DO NOTHING RETURNING id, unique_key",
        vec![row; rows].join(", ")
    )
}

fn mismatch() -> StoreError {
    StoreError::new(
        StoreErrorKind::Other,
        "enqueueing jobs",
        "the database returned fewer job ids than jobs inserted",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_any_batch() {
        let mut left = 1000;
        let mut sizes = Vec::new();
        while left > 0 {
            let (_, n) = chunk(left);
            sizes.push(n);
            left -= n;
        }
        assert_eq!(sizes, [256, 256, 256, 128, 64, 32, 8]);
    }

    #[test]
    fn statement_has_nine_anonymous_parameters_a_job() {
        let sql = build_insert(2);
        assert_eq!(sql.matches('?').count(), 18);
        assert!(!sql.contains("?1"), "{sql}");
    }
}
