//! The alert board: `_holdfast_alerts`, one row per (rule, subject).

use holdfast_store::{StoreError, StoredAlert};
use sqlx::sqlite::SqliteConnection;

use crate::error::db_err;
use crate::time::{from_text, to_text};

/// Saves `alert` by (rule, subject).
pub(crate) async fn save(
    conn: &mut SqliteConnection,
    alert: &StoredAlert,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO _holdfast_alerts (rule, subject, firing, since, message, place) \
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (rule, subject) DO UPDATE SET \
         firing = excluded.firing, since = excluded.since, message = excluded.message, \
         place = excluded.place",
    )
    .bind(&alert.rule)
    .bind(&alert.subject)
    .bind(alert.firing)
    .bind(to_text(alert.since))
    .bind(&alert.message)
    .bind(&alert.place)
    .execute(&mut *conn)
    .await
    .map_err(db_err(format!(
        "saving alert `{}` about `{}`",
        alert.rule, alert.subject
    )))?;
    Ok(())
}

/// Every alert, by rule then subject.
pub(crate) async fn list(conn: &mut SqliteConnection) -> Result<Vec<StoredAlert>, StoreError> {
    let e = || db_err("listing alerts");
    let rows: Vec<AlertRecord> = sqlx::query_as(
        "SELECT rule, subject, firing, since, message, place FROM _holdfast_alerts \
         ORDER BY rule, subject",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(e())?;
    rows.into_iter()
        .map(|r| {
            Ok(StoredAlert {
                rule: r.rule,
                subject: r.subject,
                firing: r.firing,
                since: from_text(&r.since)?,
                message: r.message,
                place: r.place,
            })
        })
        .collect()
}

/// An alert as stored.
#[derive(sqlx::FromRow)]
struct AlertRecord {
    rule: String,
    subject: String,
    firing: bool,
    since: String,
    message: String,
    place: String,
}
