//! Drift events and each stream's known shape.

use chrono::{DateTime, Utc};
use holdfast_store::{DriftRow, RunId, StoreError};
use sqlx::postgres::{PgConnection, PgPool};

use crate::error::db_err;

/// Records drift seen on a page of `run`.
pub(crate) async fn insert(
    conn: &mut PgConnection,
    rows: &[DriftRow],
    run: RunId,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    for d in rows {
        sqlx::query(
            "INSERT INTO _holdfast_drift (stream, run_id, at, kind, path, before, after, example) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&d.stream)
        .bind(d.run.unwrap_or(run).0)
        .bind(now)
        .bind(&d.kind)
        .bind(&d.path)
        .bind(&d.before)
        .bind(&d.after)
        .bind(&d.example)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Saves (replaces) the known shape of `stream`.
pub(crate) async fn save_shape(
    pool: &PgPool,
    stream: &str,
    shape: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO _holdfast_shapes (stream, shape, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (stream) DO UPDATE SET shape = excluded.shape, updated_at = excluded.updated_at",
    )
    .bind(stream)
    .bind(shape)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}

/// Drift events, newest first.
pub(crate) async fn list(
    pool: &PgPool,
    stream: Option<&str>,
    limit: u32,
) -> Result<Vec<DriftRow>, StoreError> {
    let rows: Vec<DriftRecord> = sqlx::query_as(
        "SELECT stream, run_id, at, kind, path, before, after, example FROM _holdfast_drift \
         WHERE ($1::text IS NULL OR stream = $1) ORDER BY id DESC LIMIT $2",
    )
    .bind(stream)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_err("listing drift"))?;
    Ok(rows
        .into_iter()
        .map(|r| DriftRow {
            stream: r.stream,
            run: r.run_id.map(RunId),
            at: r.at,
            kind: r.kind,
            path: r.path,
            before: r.before,
            after: r.after,
            example: r.example,
        })
        .collect())
}

/// A drift event as stored.
#[derive(sqlx::FromRow)]
struct DriftRecord {
    stream: String,
    run_id: Option<i64>,
    at: DateTime<Utc>,
    kind: String,
    path: String,
    before: String,
    after: String,
    example: Option<String>,
}
