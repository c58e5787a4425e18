//! The request log: writing attempts, reading a run's, endpoint health.

use std::time::Duration;

use chrono::{DateTime, Utc};
use holdfast_store::{EndpointStats, RequestRow, RunId, StoreError};
use sqlx::Row;
use sqlx::sqlite::{SqliteConnection, SqliteRow};

use crate::time::{from_text, to_text};

/// Appends `rows` on `conn` (inside the caller's transaction, if any).
pub(crate) async fn insert(
    conn: &mut SqliteConnection,
    rows: &[RequestRow],
) -> Result<(), sqlx::Error> {
    for r in rows {
        sqlx::query(
            "INSERT INTO _holdfast_requests (run_id, stream, connection, endpoint, at, method, url, \
             status, duration_ms, attempt, bytes, error, message, waited_ms, deprecation, sunset) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(r.run.map(|r| r.0))
        .bind(&r.stream)
        .bind(&r.connection)
        .bind(&r.endpoint)
        .bind(to_text(r.at))
        .bind(&r.method)
        .bind(&r.url)
        .bind(r.status.map(i64::from))
        .bind(r.duration.as_secs_f64() * 1000.0)
        .bind(i64::from(r.attempt))
        .bind(r.bytes as i64)
        .bind(&r.error)
        .bind(&r.message)
        .bind(r.waited.as_secs_f64() * 1000.0)
        .bind(&r.deprecation)
        .bind(&r.sunset)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The attempts of `run`, oldest first.
pub(crate) async fn of_run(
    conn: &mut SqliteConnection,
    run: RunId,
    limit: u32,
) -> Result<Vec<RequestRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT run_id, stream, connection, endpoint, at, method, url, status, duration_ms, attempt, \
         bytes, error, message, waited_ms, deprecation, sunset FROM _holdfast_requests \
         WHERE run_id = ? ORDER BY at, id LIMIT ?",
    )
    .bind(run.0)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(crate::error::db_err("reading the request log"))?;
    rows.iter().map(request_row).collect()
}

/// Per endpoint since `since`: attempts, failures, latency percentiles, deprecation.
pub(crate) async fn stats(
    conn: &mut SqliteConnection,
    since: DateTime<Utc>,
) -> Result<Vec<EndpointStats>, StoreError> {
    let err = || crate::error::db_err("computing endpoint stats");
    let since = to_text(since);
    let groups = sqlx::query(
        "SELECT connection, COALESCE(endpoint, method || ' ' || url) AS ep, count(*), \
         sum(error IS NOT NULL), max(deprecation), max(sunset) FROM _holdfast_requests \
         WHERE at >= ? GROUP BY connection, ep ORDER BY connection, ep",
    )
    .bind(&since)
    .fetch_all(&mut *conn)
    .await
    .map_err(err())?;
    let mut out = Vec::with_capacity(groups.len());
    for g in groups {
        let connection: String = g.try_get(0).map_err(err())?;
        let endpoint: String = g.try_get(1).map_err(err())?;
        let attempts = g.try_get::<i64, _>(2).map_err(err())?.max(0) as u64;
        let mut pct = [Duration::ZERO; 3];
        for (slot, p) in pct.iter_mut().zip([0.50, 0.95, 0.99]) {
            let offset = ((attempts.saturating_sub(1)) as f64 * p).round() as i64;
            let ms: f64 = sqlx::query_scalar(
                "SELECT duration_ms FROM _holdfast_requests WHERE at >= ? AND connection = ? \
                 AND COALESCE(endpoint, method || ' ' || url) = ? ORDER BY duration_ms LIMIT 1 OFFSET ?",
            )
            .bind(&since)
            .bind(&connection)
            .bind(&endpoint)
            .bind(offset)
            .fetch_one(&mut *conn)
            .await
            .map_err(err())?;
            *slot = Duration::from_secs_f64(ms.max(0.0) / 1000.0);
        }
        out.push(EndpointStats {
            connection,
            endpoint,
            attempts,
            failed: g.try_get::<i64, _>(3).map_err(err())?.max(0) as u64,
            p50: pct[0],
            p95: pct[1],
            p99: pct[2],
            deprecation: g.try_get(4).map_err(err())?,
            sunset: g.try_get(5).map_err(err())?,
        });
    }
    Ok(out)
}

fn request_row(r: &SqliteRow) -> Result<RequestRow, StoreError> {
    let e = || crate::error::db_err("reading the request log");
    let ms = |i: usize| -> Result<Duration, StoreError> {
        Ok(Duration::from_secs_f64(
            r.try_get::<f64, _>(i).map_err(e())?.max(0.0) / 1000.0,
        ))
    };
    Ok(RequestRow {
        run: r.try_get::<Option<i64>, _>(0).map_err(e())?.map(RunId),
        stream: r.try_get(1).map_err(e())?,
        connection: r.try_get(2).map_err(e())?,
        endpoint: r.try_get(3).map_err(e())?,
        at: from_text(&r.try_get::<String, _>(4).map_err(e())?)?,
        method: r.try_get(5).map_err(e())?,
        url: r.try_get(6).map_err(e())?,
        status: r
            .try_get::<Option<i64>, _>(7)
            .map_err(e())?
            .and_then(|s| u16::try_from(s).ok()),
        duration: ms(8)?,
        attempt: r
            .try_get::<i64, _>(9)
            .map_err(e())?
            .clamp(0, i64::from(u32::MAX)) as u32,
        bytes: r.try_get::<i64, _>(10).map_err(e())?.max(0) as u64,
        error: r.try_get(11).map_err(e())?,
        message: r.try_get(12).map_err(e())?,
        waited: ms(13)?,
        deprecation: r.try_get(14).map_err(e())?,
        sunset: r.try_get(15).map_err(e())?,
    })
}
