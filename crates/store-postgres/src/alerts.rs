//! The alert board: `_holdfast_alerts`, one row per (rule, subject).

use chrono::{DateTime, Utc};
use holdfast_store::{StoreError, StoredAlert};
use sqlx::postgres::PgPool;

use crate::error::db_err;

/// Saves `alert` by (rule, subject).
pub(crate) async fn save(pool: &PgPool, alert: &StoredAlert) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO _holdfast_alerts (rule, subject, firing, since, message, place) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (rule, subject) DO UPDATE SET \
         firing = EXCLUDED.firing, since = EXCLUDED.since, message = EXCLUDED.message, \
         place = EXCLUDED.place",
    )
    .bind(&alert.rule)
    .bind(&alert.subject)
    .bind(alert.firing)
    .bind(alert.since)
    .bind(&alert.message)
    .bind(&alert.place)
    .execute(pool)
    .await
    .map_err(db_err(format!(
        "saving alert `{}` about `{}`",
        alert.rule, alert.subject
    )))?;
    Ok(())
}

/// Every alert, by rule then subject.
pub(crate) async fn list(pool: &PgPool) -> Result<Vec<StoredAlert>, StoreError> {
    let e = || db_err("listing alerts");
    let rows: Vec<AlertRecord> = sqlx::query_as(
        "SELECT rule, subject, firing, since, message, place FROM _holdfast_alerts \
         ORDER BY rule COLLATE \"C\", subject COLLATE \"C\"",
    )
    .fetch_all(pool)
    .await
    .map_err(e())?;
    Ok(rows
        .into_iter()
        .map(|r| StoredAlert {
            rule: r.rule,
            subject: r.subject,
            firing: r.firing,
            since: r.since,
            message: r.message,
            place: r.place,
        })
        .collect())
}

/// An alert as stored.
#[derive(sqlx::FromRow)]
struct AlertRecord {
    rule: String,
    subject: String,
    firing: bool,
    since: DateTime<Utc>,
    message: String,
    place: String,
}
