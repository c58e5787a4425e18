//! Counters of rejected webhook requests, one row per (webhook, reason).

use chrono::{DateTime, Utc};
use holdfast_store::{Rejection, StoreError};
use sqlx::postgres::PgPool;

use crate::error::db_err;
use crate::records::count;

/// Adds `n` rejections of (`webhook`, `reason`), the last one at `now`.
pub(crate) async fn add(
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
pub(crate) async fn list(pool: &PgPool) -> Result<Vec<Rejection>, StoreError> {
    let e = || db_err("listing webhook rejections");
    let rows: Vec<RejectionRecord> = sqlx::query_as(
        "SELECT webhook, reason, count, first_at, last_at FROM _holdfast_webhook_rejections \
         ORDER BY last_at DESC, webhook, reason",
    )
    .fetch_all(pool)
    .await
    .map_err(e())?;
    Ok(rows
        .into_iter()
        .map(|r| Rejection {
            webhook: r.webhook,
            reason: r.reason,
            count: r.count.max(0) as u64,
            first_at: r.first_at,
            last_at: r.last_at,
        })
        .collect())
}

/// A counter as stored.
#[derive(sqlx::FromRow)]
struct RejectionRecord {
    webhook: String,
    reason: String,
    count: i64,
    first_at: DateTime<Utc>,
    last_at: DateTime<Utc>,
}
