//! The request log: writing attempts, reading a run's, endpoint health.

use std::time::Duration;

use chrono::{DateTime, Utc};
use holdfast_store::{EndpointStats, FailureMode, RequestRow, RunId, StoreError};
use sqlx::sqlite::SqliteConnection;

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
    let rows: Vec<RequestRecord> = sqlx::query_as(
        "SELECT run_id, stream, connection, endpoint, at, method, url, status, duration_ms, attempt, \
         bytes, error, message, waited_ms, deprecation, sunset FROM _holdfast_requests \
         WHERE run_id = ? ORDER BY at, id LIMIT ?",
    )
    .bind(run.0)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(crate::error::db_err("reading the request log"))?;
    rows.into_iter().map(RequestRecord::into_row).collect()
}

/// Per endpoint since `since`: attempts, failures, latency percentiles, deprecation.
pub(crate) async fn stats(
    conn: &mut SqliteConnection,
    since: DateTime<Utc>,
) -> Result<Vec<EndpointStats>, StoreError> {
    let err = || crate::error::db_err("computing endpoint stats");
    let since = to_text(since);
    let groups: Vec<GroupRecord> = sqlx::query_as(
        "SELECT connection, COALESCE(endpoint, method || ' ' || url) AS ep, count(*) AS attempts, \
         sum(error IS NOT NULL) AS failed, max(deprecation) AS deprecation, max(sunset) AS sunset \
         FROM _holdfast_requests \
         WHERE at >= ? GROUP BY connection, ep ORDER BY connection, ep",
    )
    .bind(&since)
    .fetch_all(&mut *conn)
    .await
    .map_err(err())?;
    let mut out = Vec::with_capacity(groups.len());
    for g in groups {
        let (connection, endpoint) = (g.connection, g.ep);
        let attempts = g.attempts.max(0) as u64;
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
            failed: g.failed.max(0) as u64,
            p50: pct[0],
            p95: pct[1],
            p99: pct[2],
            deprecation: g.deprecation,
            sunset: g.sunset,
        });
    }
    Ok(out)
}

/// Failed attempts since `since` per connection, stream and error class,
/// each with its last status and message.
pub(crate) async fn failure_modes(
    conn: &mut SqliteConnection,
    since: DateTime<Utc>,
) -> Result<Vec<FailureMode>, StoreError> {
    let err = || crate::error::db_err("grouping the request log's failures");
    let since = to_text(since);
    let groups: Vec<FailureRecord> = sqlx::query_as(
        "SELECT connection, stream, error, count(*) AS n, min(at) AS first_at, max(at) AS last_at \
         FROM _holdfast_requests WHERE at >= ? AND error IS NOT NULL \
         GROUP BY connection, stream, error \
         ORDER BY connection, stream IS NULL, stream, n DESC, error",
    )
    .bind(&since)
    .fetch_all(&mut *conn)
    .await
    .map_err(err())?;
    let mut out = Vec::with_capacity(groups.len());
    for g in groups {
        let last: Option<(Option<i64>, Option<String>)> = sqlx::query_as(
            "SELECT status, message FROM _holdfast_requests WHERE at >= ? AND connection = ? \
             AND stream IS ? AND error = ? ORDER BY at DESC, id DESC LIMIT 1",
        )
        .bind(&since)
        .bind(&g.connection)
        .bind(&g.stream)
        .bind(&g.error)
        .fetch_optional(&mut *conn)
        .await
        .map_err(err())?;
        let (status, message) = last.unwrap_or_default();
        out.push(FailureMode {
            connection: g.connection,
            stream: g.stream,
            error: g.error,
            count: g.n.max(0) as u64,
            first_at: from_text(&g.first_at)?,
            last_at: from_text(&g.last_at)?,
            last_status: status.and_then(|s| u16::try_from(s).ok()),
            last_message: message,
        });
    }
    Ok(out)
}

/// One group of failed attempts.
#[derive(sqlx::FromRow)]
struct FailureRecord {
    connection: String,
    stream: Option<String>,
    error: String,
    n: i64,
    first_at: String,
    last_at: String,
}

/// A request log row as stored (durations in milliseconds).
#[derive(sqlx::FromRow)]
struct RequestRecord {
    run_id: Option<i64>,
    stream: Option<String>,
    connection: String,
    endpoint: Option<String>,
    at: String,
    method: String,
    url: String,
    status: Option<i64>,
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
    fn into_row(self) -> Result<RequestRow, StoreError> {
        let ms = |ms: f64| Duration::from_secs_f64(ms.max(0.0) / 1000.0);
        Ok(RequestRow {
            run: self.run_id.map(RunId),
            stream: self.stream,
            connection: self.connection,
            endpoint: self.endpoint,
            at: from_text(&self.at)?,
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
        })
    }
}

/// One endpoint's attempts in the window.
#[derive(sqlx::FromRow)]
struct GroupRecord {
    connection: String,
    ep: String,
    attempts: i64,
    failed: i64,
    deprecation: Option<String>,
    sunset: Option<String>,
}
