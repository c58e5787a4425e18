//! Counters of rejected webhook requests, one row per (webhook, reason).

use chrono::{DateTime, Utc};
use holdfast_store::{Rejection, StoreError};
use sqlx::sqlite::SqliteConnection;

use crate::error::db_err;
use crate::time::{from_text, to_text};

/// Adds `count` rejections, the last one at `now`.
pub(crate) async fn count(
    conn: &mut SqliteConnection,
    webhook: &str,
    reason: &str,
    count: u64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO _holdfast_webhook_rejections (webhook, reason, count, first_at, last_at) \
         VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (webhook, reason) DO UPDATE SET \
         count = count + excluded.count, last_at = max(last_at, excluded.last_at)",
    )
    .bind(webhook)
    .bind(reason)
    .bind(i64::try_from(count).unwrap_or(i64::MAX))
    .bind(to_text(now))
    .execute(&mut *conn)
    .await
    .map_err(db_err(format!(
        "counting a rejection of webhook `{webhook}`"
    )))?;
    Ok(())
}

/// Every counter, most recent first.
pub(crate) async fn list(conn: &mut SqliteConnection) -> Result<Vec<Rejection>, StoreError> {
    let e = || db_err("listing webhook rejections");
    let rows: Vec<RejectionRecord> = sqlx::query_as(
        "SELECT webhook, reason, count, first_at, last_at FROM _holdfast_webhook_rejections \
         ORDER BY last_at DESC, webhook, reason",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(e())?;
    rows.into_iter()
        .map(|r| {
            Ok(Rejection {
                webhook: r.webhook,
                reason: r.reason,
                count: r.count.max(0) as u64,
                first_at: from_text(&r.first_at)?,
                last_at: from_text(&r.last_at)?,
            })
        })
        .collect()
}

/// A counter as stored.
#[derive(sqlx::FromRow)]
struct RejectionRecord {
    webhook: String,
    reason: String,
    count: i64,
    first_at: String,
    last_at: String,
}
