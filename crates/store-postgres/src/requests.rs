//! The request log: writing attempts (one statement a batch), reading a
//! run's, endpoint health.

use std::time::Duration;

use chrono::{DateTime, Utc};
use holdfast_store::{EndpointStats, FailureMode, RequestRow, RunId, StoreError};
use sqlx::postgres::{PgConnection, PgPool};

use crate::error::db_err;
use crate::values::count;

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
    let rows: Vec<RequestRecord> = sqlx::query_as(
        "SELECT run_id, stream, connection, endpoint, at, method, url, status, duration_ms, attempt, \
         bytes, error, message, waited_ms, deprecation, sunset FROM _holdfast_requests \
         WHERE run_id = $1 ORDER BY at, id LIMIT $2",
    )
    .bind(run.0)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_err("reading the request log"))?;
    Ok(rows.into_iter().map(RequestRecord::into_row).collect())
}

/// Per endpoint since `since`: attempts, failures, latency percentiles
/// (the value at rank `round((n - 1) × p)`, as the SQLite store), deprecation.
pub(crate) async fn stats(
    pool: &PgPool,
    since: DateTime<Utc>,
) -> Result<Vec<EndpointStats>, StoreError> {
    let err = || db_err("computing endpoint stats");
    let groups: Vec<GroupRecord> = sqlx::query_as(
        "SELECT connection, ep, n, failed, deprecation, sunset, \
         d[1 + round((n - 1) * 0.50)::int] AS p50, d[1 + round((n - 1) * 0.95)::int] AS p95, \
         d[1 + round((n - 1) * 0.99)::int] AS p99 \
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
    Ok(groups
        .into_iter()
        .map(|g| EndpointStats {
            connection: g.connection,
            endpoint: g.ep,
            attempts: g.n.max(0) as u64,
            failed: g.failed.max(0) as u64,
            deprecation: g.deprecation,
            sunset: g.sunset,
            p50: ms(g.p50),
            p95: ms(g.p95),
            p99: ms(g.p99),
        })
        .collect())
}

/// Failed attempts since `since` per connection, stream and error class,
/// each with its last status and message.
pub(crate) async fn failure_modes(
    pool: &PgPool,
    since: DateTime<Utc>,
) -> Result<Vec<FailureMode>, StoreError> {
    let groups: Vec<FailureRecord> = sqlx::query_as(
        "SELECT connection, stream, error, count(*) AS n, min(at) AS first_at, max(at) AS last_at, \
         (array_agg(status ORDER BY at DESC, id DESC))[1] AS last_status, \
         (array_agg(message ORDER BY at DESC, id DESC))[1] AS last_message \
         FROM _holdfast_requests WHERE at >= $1 AND error IS NOT NULL \
         GROUP BY connection, stream, error \
         ORDER BY connection, stream IS NULL, stream, n DESC, error",
    )
    .bind(since)
    .fetch_all(pool)
    .await
    .map_err(db_err("grouping the request log's failures"))?;
    Ok(groups
        .into_iter()
        .map(|g| FailureMode {
            connection: g.connection,
            stream: g.stream,
            error: g.error,
            count: g.n.max(0) as u64,
            first_at: g.first_at,
            last_at: g.last_at,
            last_status: g.last_status.and_then(|s| u16::try_from(s).ok()),
            last_message: g.last_message,
        })
        .collect())
}

/// One group of failed attempts.
#[derive(sqlx::FromRow)]
struct FailureRecord {
    connection: String,
    stream: Option<String>,
    error: String,
    n: i64,
    first_at: DateTime<Utc>,
    last_at: DateTime<Utc>,
    last_status: Option<i32>,
    last_message: Option<String>,
}

/// A request log row as stored (durations in milliseconds).
#[derive(sqlx::FromRow)]
struct RequestRecord {
    run_id: Option<i64>,
    stream: Option<String>,
    connection: String,
    endpoint: Option<String>,
    at: DateTime<Utc>,
    method: String,
    url: String,
    status: Option<i32>,
    duration_ms: f64,
    attempt: i64,
    bytes: i64,
    error: Option<String>,
    message: Option<String>,
    waited_ms: f64,
    deprecation: Option<String>,
    sunset: Option<String>,
}

impl RequestRecord {
    fn into_row(self) -> RequestRow {
        let ms = |ms: f64| Duration::from_secs_f64(ms.max(0.0) / 1000.0);
        RequestRow {
            run: self.run_id.map(RunId),
            stream: self.stream,
            connection: self.connection,
            endpoint: self.endpoint,
            at: self.at,
            method: self.method,
            url: self.url,
            status: self.status.and_then(|s| u16::try_from(s).ok()),
            duration: ms(self.duration_ms),
            attempt: self.attempt.clamp(0, i64::from(u32::MAX)) as u32,
            bytes: self.bytes.max(0) as u64,
            error: self.error,
            message: self.message,
            waited: ms(self.waited_ms),
            deprecation: self.deprecation,
            sunset: self.sunset,
        }
    }
}

/// One endpoint's attempts in the window, with its latency percentiles.
#[derive(sqlx::FromRow)]
struct GroupRecord {
    connection: String,
    ep: String,
    n: i64,
    failed: i64,
    deprecation: Option<String>,
    sunset: Option<String>,
    p50: f64,
    p95: f64,
    p99: f64,
}
