//! Named leases and shared rate budgets, each one atomic statement, so any
//! number of processes on the database agree without a lock of their own.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use holdfast_store::{CoordinationStore, NamedLease, StoreError, WRITE_PROBE, gcra_wait};
use sqlx::postgres::PgPool;

use crate::error::db_err;
use crate::store::PgStore;

#[async_trait]
impl CoordinationStore for PgStore {
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        crate::coordination::acquire(&self.pool, name, holder, until, now).await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<bool, StoreError> {
        crate::coordination::release(&self.pool, name, holder).await
    }

    async fn leases(&self) -> Result<Vec<NamedLease>, StoreError> {
        crate::coordination::list(&self.pool).await
    }

    async fn check_writable(&self, now: DateTime<Utc>) -> Result<(), StoreError> {
        crate::coordination::probe_write(&self.pool, now).await
    }

    async fn reserve_rate(
        &self,
        key: &str,
        interval: Duration,
        burst: u32,
        now: DateTime<Utc>,
    ) -> Result<Duration, StoreError> {
        crate::coordination::reserve(&self.pool, key, interval, burst, now).await
    }
}

/// Takes or renews lease `name` for `holder`: the upsert only updates a row
/// that has ended or that `holder` holds, and returns a row only then.
pub(crate) async fn acquire(
    pool: &PgPool,
    name: &str,
    holder: &str,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let taken = sqlx::query(
        "INSERT INTO _holdfast_leases AS l (name, holder, until, acquired_at) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until, \
         acquired_at = CASE WHEN l.holder = excluded.holder THEN l.acquired_at \
         ELSE excluded.acquired_at END \
         WHERE l.until < excluded.acquired_at OR l.holder = excluded.holder \
         RETURNING 1",
    )
    .bind(name)
    .bind(holder)
    .bind(until)
    .bind(now)
    .fetch_optional(pool)
    .await
    .map_err(db_err(format!("acquiring lease `{name}` for `{holder}`")))?;
    Ok(taken.is_some())
}

/// Inserts and deletes the lease [`WRITE_PROBE`] in one committed
/// transaction: the commit meets whatever would stop a real write.
pub(crate) async fn probe_write(pool: &PgPool, now: DateTime<Utc>) -> Result<(), StoreError> {
    let e = || {
        db_err("checking that the store can be written (a committed write to `_holdfast_leases`)")
    };
    let mut tx = pool.begin().await.map_err(e())?;
    sqlx::query(
        "INSERT INTO _holdfast_leases (name, holder, until, acquired_at) VALUES ($1, $1, $2, $2) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(WRITE_PROBE)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(e())?;
    sqlx::query("DELETE FROM _holdfast_leases WHERE name = $1")
        .bind(WRITE_PROBE)
        .execute(&mut *tx)
        .await
        .map_err(e())?;
    tx.commit().await.map_err(e())
}

/// Deletes lease `name` if `holder` holds it.
pub(crate) async fn release(pool: &PgPool, name: &str, holder: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM _holdfast_leases WHERE name = $1 AND holder = $2")
        .bind(name)
        .bind(holder)
        .execute(pool)
        .await
        .map_err(db_err(format!("releasing lease `{name}` of `{holder}`")))?;
    Ok(done.rows_affected() == 1)
}

/// Every lease, by name.
pub(crate) async fn list(pool: &PgPool) -> Result<Vec<NamedLease>, StoreError> {
    let e = || db_err("listing leases");
    let rows: Vec<LeaseRecord> = sqlx::query_as(
        "SELECT name, holder, until, acquired_at FROM _holdfast_leases ORDER BY name COLLATE \"C\"",
    )
    .fetch_all(pool)
    .await
    .map_err(e())?;
    Ok(rows
        .into_iter()
        .map(|r| NamedLease {
            name: r.name,
            holder: r.holder,
            until: r.until,
            acquired_at: r.acquired_at,
        })
        .collect())
}

/// Reserves the next slot of `key`: `tat = greatest(tat, now) + interval`
/// in one upsert (the row lock orders concurrent callers), then the wait
/// is [`gcra_wait`]'s.
pub(crate) async fn reserve(
    pool: &PgPool,
    key: &str,
    interval: Duration,
    burst: u32,
    now: DateTime<Utc>,
) -> Result<Duration, StoreError> {
    let context = format!("reserving a slot of rate budget `{key}`");
    let step = holdfast_store::interval_micros(interval, &context)?;
    let tat: DateTime<Utc> = sqlx::query_scalar(
        "INSERT INTO _holdfast_rate_limits AS r (key, tat) \
         VALUES ($1, $2 + $3 * interval '1 microsecond') \
         ON CONFLICT (key) DO UPDATE SET tat = greatest(r.tat, $2) + $3 * interval '1 microsecond' \
         RETURNING tat",
    )
    .bind(key)
    .bind(now)
    .bind(step)
    .fetch_one(pool)
    .await
    .map_err(db_err(&context))?;
    Ok(gcra_wait(tat, interval, burst, now))
}

/// A named lease as stored.
#[derive(sqlx::FromRow)]
struct LeaseRecord {
    name: String,
    holder: String,
    until: DateTime<Utc>,
    acquired_at: DateTime<Utc>,
}
