//! The request log: writing attempts (one statement a batch), reading a
//! run's, endpoint health.

use std::time::Duration;

use chrono::{DateTime, Utc};
use holdfast_store::{EndpointStats, RequestRow, RunId, StoreError};
use sqlx::Row;
use sqlx::postgres::{PgConnection, PgPool, PgRow};

use crate::error::db_err;
use crate::records::count;

/// Appends `rows` on `conn` (inside the caller's transaction, if any).
pub(crate) async fn insert(
    conn: &mut PgConnection,
    rows: &[RequestRow],
) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let col = |f: &dyn Fn(&RequestRow) -> Option<String>| rows.iter().map(f).collect::<Vec<_>>();
    sqlx::query(
        "INSERT INTO _holdfast_requests (run_id, stream, connection, endpoint, at, method, url, \
         status, duration_ms, attempt, bytes, error, message, waited_ms, deprecation, sunset) \
         SELECT * FROM UNNEST($1::int8[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], \
         $6::text[], $7::text[], $8::int4[], $9::float8[], $10::int8[], $11::int8[], $12::text[], \
         $13::text[], $14::float8[], $15::text[], $16::text[])",
    )
    .bind(rows.iter().map(|r| r.run.map(|r| r.0)).collect::<Vec<_>>())
    .bind(col(&|r| r.stream.clone()))
    .bind(
        rows.iter()
            .map(|r| r.connection.clone())
            .collect::<Vec<_>>(),
    )
    .bind(col(&|r| r.endpoint.clone()))
    .bind(rows.iter().map(|r| r.at).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.method.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.url.clone()).collect::<Vec<_>>())
    .bind(
        rows.iter()
            .map(|r| r.status.map(i32::from))
            .collect::<Vec<_>>(),
    )
    .bind(rows.iter().map(|r| ms(r.duration)).collect::<Vec<_>>())
    .bind(
        rows.iter()
            .map(|r| i64::from(r.attempt))
            .collect::<Vec<_>>(),
    )
    .bind(rows.iter().map(|r| count(r.bytes)).collect::<Vec<_>>())
    .bind(col(&|r| r.error.clone()))
    .bind(col(&|r| r.message.clone()))
    .bind(rows.iter().map(|r| ms(r.waited)).collect::<Vec<_>>())
    .bind(col(&|r| r.deprecation.clone()))
    .bind(col(&|r| r.sunset.clone()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The attempts of `run`, oldest first.
pub(crate) async fn of_run(
    pool: &PgPool,
    run: RunId,
    limit: u32,
) -> Result<Vec<RequestRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT run_id, stream, connection, endpoint, at, method, url, status, duration_ms, attempt, \
         bytes, error, message, waited_ms, deprecation, sunset FROM _holdfast_requests \
         WHERE run_id = $1 ORDER BY at, id LIMIT $2",
    )
    .bind(run.0)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_err("reading the request log"))?;
    rows.iter().map(request_row).collect()
}

/// Per endpoint since `since`: attempts, failures, latency percentiles
/// (the value at rank `round((n - 1) × p)`, as the SQLite store), deprecation.
pub(crate) async fn stats(
    pool: &PgPool,
    since: DateTime<Utc>,
) -> Result<Vec<EndpointStats>, StoreError> {
    let err = || db_err("computing endpoint stats");
    let groups = sqlx::query(
        "SELECT connection, ep, n, failed, deprecation, sunset, \
         d[1 + round((n - 1) * 0.50)::int], d[1 + round((n - 1) * 0.95)::int], \
         d[1 + round((n - 1) * 0.99)::int] \
         FROM (SELECT connection, COALESCE(endpoint, method || ' ' || url) AS ep, count(*) AS n, \
         count(error) AS failed, max(deprecation) AS deprecation, max(sunset) AS sunset, \
         array_agg(duration_ms ORDER BY duration_ms) AS d FROM _holdfast_requests \
         WHERE at >= $1 GROUP BY 1, 2) s ORDER BY connection, ep",
    )
    .bind(since)
    .fetch_all(pool)
    .await
    .map_err(err())?;
    let ms = |v: f64| Duration::from_secs_f64(v.max(0.0) / 1000.0);
    groups
        .iter()
        .map(|g| {
            Ok(EndpointStats {
                connection: g.try_get(0).map_err(err())?,
                endpoint: g.try_get(1).map_err(err())?,
                attempts: g.try_get::<i64, _>(2).map_err(err())?.max(0) as u64,
                failed: g.try_get::<i64, _>(3).map_err(err())?.max(0) as u64,
                deprecation: g.try_get(4).map_err(err())?,
                sunset: g.try_get(5).map_err(err())?,
                p50: ms(g.try_get(6).map_err(err())?),
                p95: ms(g.try_get(7).map_err(err())?),
                p99: ms(g.try_get(8).map_err(err())?),
            })
        })
        .collect()
}

fn request_row(r: &PgRow) -> Result<RequestRow, StoreError> {
    let e = || db_err("reading the request log");
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
        at: r.try_get(4).map_err(e())?,
        method: r.try_get(5).map_err(e())?,
        url: r.try_get(6).map_err(e())?,
        status: r
            .try_get::<Option<i32>, _>(7)
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
