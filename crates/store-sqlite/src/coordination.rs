//! Named leases and shared rate budgets (`_holdfast_leases`,
//! `_holdfast_rate_limits`), each written by one statement in a write
//! transaction, so processes sharing the file agree.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use holdfast_store::{
    CoordinationStore, NamedLease, StoreError, StoreErrorKind, WRITE_PROBE, gcra_wait,
};
use sqlx::sqlite::SqliteConnection;

use crate::error::db_err;
use crate::store::SqliteStore;
use crate::time::{from_text, to_text};

#[async_trait]
impl CoordinationStore for SqliteStore {
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let context = format!("acquiring lease `{name}` for `{holder}`");
        let mut tx = self.begin_write().await.map_err(db_err(&context))?;
        let taken = crate::coordination::acquire(&mut tx, name, holder, until, now).await?;
        tx.commit().await.map_err(db_err(context))?;
        Ok(taken)
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<bool, StoreError> {
        let context = format!("releasing lease `{name}` of `{holder}`");
        let mut tx = self.begin_write().await.map_err(db_err(&context))?;
        let released = crate::coordination::release(&mut tx, name, holder).await?;
        tx.commit().await.map_err(db_err(context))?;
        Ok(released)
    }

    async fn leases(&self) -> Result<Vec<NamedLease>, StoreError> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(db_err("listing leases"))?;
        crate::coordination::list(&mut conn).await
    }

    async fn check_writable(&self, now: DateTime<Utc>) -> Result<(), StoreError> {
        use crate::coordination::PROBE_CONTEXT;
        let mut tx = self.begin_write().await.map_err(db_err(PROBE_CONTEXT))?;
        crate::coordination::probe_write(&mut tx, now).await?;
        tx.commit().await.map_err(db_err(PROBE_CONTEXT))
    }

    async fn reserve_rate(
        &self,
        key: &str,
        interval: Duration,
        burst: u32,
        now: DateTime<Utc>,
    ) -> Result<Duration, StoreError> {
        let context = format!("reserving a slot of rate budget `{key}`");
        let mut tx = self.begin_write().await.map_err(db_err(&context))?;
        let wait = crate::coordination::reserve(&mut tx, key, interval, burst, now).await?;
        tx.commit().await.map_err(db_err(context))?;
        Ok(wait)
    }
}

/// Takes or renews lease `name` for `holder`; whether it is now held by `holder`.
pub(crate) async fn acquire(
    conn: &mut SqliteConnection,
    name: &str,
    holder: &str,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let taken = sqlx::query(
        "INSERT INTO _holdfast_leases (name, holder, until, acquired_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until, \
         acquired_at = CASE WHEN holder = excluded.holder THEN acquired_at \
         ELSE excluded.acquired_at END \
         WHERE until < excluded.acquired_at OR holder = excluded.holder \
         RETURNING 1",
    )
    .bind(name)
    .bind(holder)
    .bind(to_text(until))
    .bind(to_text(now))
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err(format!("acquiring lease `{name}` for `{holder}`")))?;
    Ok(taken.is_some())
}

/// Inserts and deletes the lease [`WRITE_PROBE`] (in the caller's write
/// transaction, whose commit then has pages to write).
pub(crate) async fn probe_write(
    conn: &mut SqliteConnection,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let e = || db_err(PROBE_CONTEXT);
    sqlx::query(
        "INSERT INTO _holdfast_leases (name, holder, until, acquired_at) VALUES (?1, ?1, ?2, ?2) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(WRITE_PROBE)
    .bind(to_text(now))
    .execute(&mut *conn)
    .await
    .map_err(e())?;
    sqlx::query("DELETE FROM _holdfast_leases WHERE name = ?")
        .bind(WRITE_PROBE)
        .execute(&mut *conn)
        .await
        .map_err(e())?;
    Ok(())
}

/// What [`probe_write`] and its commit are doing, for errors.
pub(crate) const PROBE_CONTEXT: &str =
    "checking that the store can be written (a committed write to `_holdfast_leases`)";

/// Deletes lease `name` if `holder` holds it.
pub(crate) async fn release(
    conn: &mut SqliteConnection,
    name: &str,
    holder: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM _holdfast_leases WHERE name = ? AND holder = ?")
        .bind(name)
        .bind(holder)
        .execute(&mut *conn)
        .await
        .map_err(db_err(format!("releasing lease `{name}` of `{holder}`")))?;
    Ok(done.rows_affected() == 1)
}

/// Every lease, by name.
pub(crate) async fn list(conn: &mut SqliteConnection) -> Result<Vec<NamedLease>, StoreError> {
    let e = || db_err("listing leases");
    let rows: Vec<LeaseRecord> = sqlx::query_as(
        "SELECT name, holder, until, acquired_at FROM _holdfast_leases ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(e())?;
    rows.into_iter()
        .map(|r| {
            Ok(NamedLease {
                name: r.name,
                holder: r.holder,
                until: from_text(&r.until)?,
                acquired_at: from_text(&r.acquired_at)?,
            })
        })
        .collect()
}

/// Reserves the next slot of `key`; how long to wait for it.
pub(crate) async fn reserve(
    conn: &mut SqliteConnection,
    key: &str,
    interval: Duration,
    burst: u32,
    now: DateTime<Utc>,
) -> Result<Duration, StoreError> {
    let context = format!("reserving a slot of rate budget `{key}`");
    let step = holdfast_store::interval_micros(interval, &context)?;
    let tat: i64 = sqlx::query_scalar(
        "INSERT INTO _holdfast_rate_limits (key, tat_us) VALUES (?1, ?2 + ?3) \
         ON CONFLICT (key) DO UPDATE SET tat_us = max(tat_us, ?2) + ?3 RETURNING tat_us",
    )
    .bind(key)
    .bind(now.timestamp_micros())
    .bind(step)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err(&context))?;
    let tat = DateTime::from_timestamp_micros(tat).ok_or_else(|| {
        StoreError::new(
            StoreErrorKind::Schema,
            context,
            format!("{tat} is not a time in unix microseconds"),
        )
    })?;
    Ok(gcra_wait(tat, interval, burst, now))
}

/// A named lease as stored.
#[derive(sqlx::FromRow)]
struct LeaseRecord {
    name: String,
    holder: String,
    until: String,
    acquired_at: String,
}
