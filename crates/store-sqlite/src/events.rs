//! Webhook events applied to stream tables, ordered by version, in the same
//! transaction that marks their jobs done.
//!
//! Each event reads the stored row's `_version`, `_deleted_at` and `_raw`,
//! [`decide`]s in Rust, and writes. Rows written here get run 0 as
//! `_updated_run` / `_last_run`, and `_last_change` 3 when tombstoned.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use holdfast_store::{EventApply, EventOutcome, Lease, StoreError, StoreErrorKind, TableSpec};
use sqlx::sqlite::{SqliteArguments, SqliteConnection};
use sqlx::{Arguments, AssertSqlSafe, Row};

use crate::queue::{LEASE_IS_LIVE, mark_done};
use crate::store::db_err;
use crate::table::quote;
use crate::time::to_text;
use crate::upsert::{bind_key, bind_value};

/// Applies `events` and marks their jobs done (inside the caller's write transaction).
pub(crate) async fn apply(
    conn: &mut SqliteConnection,
    events: &[EventApply<'_>],
    now: DateTime<Utc>,
) -> Result<Vec<EventOutcome>, StoreError> {
    let now_text = to_text(now);
    let mut live: HashMap<Lease, bool> = HashMap::new();
    // Leases that applied something, in order, with their last outcome.
    let mut finished: Vec<(Lease, EventOutcome)> = Vec::new();
    let mut slots: HashMap<Lease, usize> = HashMap::new();
    let mut tables: Vec<(&TableSpec, Statements)> = Vec::new();
    let mut outcomes = Vec::with_capacity(events.len());
    for event in events {
        let is_live = match live.get(&event.lease) {
            Some(&l) => l,
            None => {
                let l = lease_is_live(conn, event.lease).await?;
                live.insert(event.lease, l);
                l
            }
        };
        if !is_live {
            outcomes.push(EventOutcome::LeaseLost);
            continue;
        }
        check_shape(event)?;
        let index = match tables.iter().position(|(t, _)| *t == event.table) {
            Some(i) => i,
            None => {
                tables.push((event.table, Statements::new(event.table)));
                tables.len() - 1
            }
        };
        let outcome = apply_one(conn, &tables[index].1, event, &now_text).await?;
        match slots.get(&event.lease) {
            Some(&i) => finished[i].1 = outcome,
            None => {
                slots.insert(event.lease, finished.len());
                finished.push((event.lease, outcome));
            }
        }
        outcomes.push(outcome);
    }
    for (lease, outcome) in finished {
        let result = serde_json::to_string(&outcome)
            .map_err(|e| StoreError::with_source(StoreErrorKind::Other, "applying events", e))?;
        mark_done(lease, Some(result), now)
            .execute(&mut *conn)
            .await
            .map_err(db_err(format!("finishing job {}", lease.id)))?;
    }
    Ok(outcomes)
}

/// What is stored for an event's key.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stored {
    version: Option<String>,
    deleted: bool,
    raw: String,
}

/// The write an event needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    /// No row yet: insert one (a tombstone when `deleted`).
    Insert { deleted: bool },
    /// New content (or a deleted row back).
    Update,
    /// Same content: record the version and the sighting.
    Touch,
    /// Tombstone an existing row.
    Tombstone,
    /// Stale: write nothing.
    Nothing,
}

/// The rules of [`JobQueue::apply_events`](holdfast_store::JobQueue::apply_events).
fn decide(stored: Option<&Stored>, version: Option<&str>, delete: bool) -> (Write, EventOutcome) {
    let Some(stored) = stored else {
        return if delete {
            (Write::Insert { deleted: true }, EventOutcome::Deleted)
        } else {
            (Write::Insert { deleted: false }, EventOutcome::Created)
        };
    };
    if let (Some(have), Some(incoming)) = (stored.version.as_deref(), version)
        && have >= incoming
    {
        return (Write::Nothing, EventOutcome::Stale);
    }
    if delete {
        (Write::Tombstone, EventOutcome::Deleted)
    } else {
        (Write::Update, EventOutcome::Updated)
    }
}

/// Whether `lease` is still the job's live claim.
async fn lease_is_live(conn: &mut SqliteConnection, lease: Lease) -> Result<bool, StoreError> {
    let found: Option<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT 1 FROM _holdfast_jobs WHERE {LEASE_IS_LIVE}"
    )))
    .bind(lease.id.0)
    .bind(i64::from(lease.attempt))
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err(format!("checking the lease of job {}", lease.id)))?;
    Ok(found.is_some())
}

/// Reads, decides and writes one event.
async fn apply_one(
    conn: &mut SqliteConnection,
    sql: &Statements,
    event: &EventApply<'_>,
    now: &str,
) -> Result<EventOutcome, StoreError> {
    let context = || format!("applying an event to `{}`", event.table.name);
    let row = sqlx::query_with(AssertSqlSafe(sql.select.as_str()), keys(event)?)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err(context()))?;
    let stored = match row {
        Some(r) => Some(Stored {
            version: r.try_get(0).map_err(db_err(context()))?,
            deleted: r.try_get(1).map_err(db_err(context()))?,
            raw: r.try_get(2).map_err(db_err(context()))?,
        }),
        None => None,
    };
    let (mut write, mut outcome) = decide(stored.as_ref(), event.version.as_deref(), event.delete);
    if write == Write::Update
        && stored
            .as_ref()
            .is_some_and(|s| !s.deleted && s.raw == event.row.raw)
    {
        (write, outcome) = (Write::Touch, EventOutcome::Unchanged);
    }
    let mut args = SqliteArguments::default();
    let statement = match write {
        Write::Nothing => return Ok(outcome),
        Write::Insert { deleted } => {
            bind_keys(&mut args, event)?;
            add(&mut args, event.row.raw.clone())?;
            bind_values(&mut args, event)?;
            add(&mut args, event.version.clone())?;
            add(&mut args, deleted.then(|| now.to_owned()))?;
            add(&mut args, now.to_owned())?;
            add(&mut args, if deleted { 3_i64 } else { 1 })?;
            &sql.insert
        }
        Write::Update => {
            add(&mut args, event.row.raw.clone())?;
            bind_values(&mut args, event)?;
            add(&mut args, event.version.clone())?;
            add(&mut args, now.to_owned())?;
            bind_keys(&mut args, event)?;
            &sql.update
        }
        Write::Touch => {
            bind_values(&mut args, event)?;
            add(&mut args, event.version.clone())?;
            add(&mut args, now.to_owned())?;
            bind_keys(&mut args, event)?;
            &sql.touch
        }
        Write::Tombstone => {
            add(&mut args, event.version.clone())?;
            add(&mut args, now.to_owned())?;
            bind_keys(&mut args, event)?;
            &sql.tombstone
        }
    };
    sqlx::query_with(AssertSqlSafe(statement.as_str()), args)
        .execute(&mut *conn)
        .await
        .map_err(db_err(context()))?;
    Ok(outcome)
}

/// The statements of one table, built once per batch. Each numbers its own
/// parameters: `?1` and the ones after the column lists are the time.
struct Statements {
    /// `_version`, `_deleted_at IS NOT NULL`, `_raw` of the key.
    select: String,
    /// keys, raw, mapped, version, deleted_at, now, last_change.
    insert: String,
    /// raw, mapped, version, now, keys.
    update: String,
    /// mapped, version, now, keys.
    touch: String,
    /// version, now, keys.
    tombstone: String,
}

impl Statements {
    fn new(table: &TableSpec) -> Statements {
        let name = quote(&table.name);
        let keys: Vec<String> = table.primary_key.iter().map(|c| quote(c)).collect();
        let mapped: Vec<String> = table.columns.iter().map(|c| quote(&c.name)).collect();
        let key_match = |first: usize| {
            keys.iter()
                .enumerate()
                .map(|(i, k)| format!("{k} = ?{}", first + i))
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        // Positional marks `?a, ?a+1, …` for `n` parameters from `a`.
        let marks = |from: usize, n: usize| -> Vec<String> {
            (from..from + n).map(|i| format!("?{i}")).collect()
        };
        let sets = |from: usize| -> String {
            mapped
                .iter()
                .zip(marks(from, mapped.len()))
                .map(|(c, m)| format!("{c} = {m}, "))
                .collect()
        };
        let (nk, nm) = (keys.len(), mapped.len());

        let select = format!(
            "SELECT _version, _deleted_at IS NOT NULL, _raw FROM {name} WHERE {}",
            key_match(1)
        );

        let columns: Vec<&str> = keys
            .iter()
            .map(String::as_str)
            .chain(["_raw"])
            .chain(mapped.iter().map(String::as_str))
            .collect();
        let values = marks(1, nk + 1 + nm).join(", ");
        let p = nk + 1 + nm + 1; // version
        let insert = format!(
            "INSERT INTO {name} ({}, _version, _deleted_at, _first_seen, _updated_at, \
             _updated_run, _last_seen, _last_run, _last_change) \
             VALUES ({values}, ?{p}, ?{d}, ?{n}, ?{n}, 0, ?{n}, 0, ?{c})",
            columns.join(", "),
            d = p + 1,
            n = p + 2,
            c = p + 3,
        );

        let p = 1 + nm + 1; // version
        let update = format!(
            "UPDATE {name} SET _raw = ?1, {}_version = COALESCE(?{p}, _version), \
             _deleted_at = NULL, _updated_at = ?{n}, _updated_run = 0, _last_seen = ?{n}, \
             _last_run = 0, _last_change = 2 WHERE {}",
            sets(2),
            key_match(p + 2),
            n = p + 1,
        );

        let p = nm + 1; // version
        let touch = format!(
            "UPDATE {name} SET {}_version = COALESCE(?{p}, _version), _last_seen = ?{n}, \
             _last_run = 0, _last_change = 0 WHERE {}",
            sets(1),
            key_match(p + 2),
            n = p + 1,
        );

        let tombstone = format!(
            "UPDATE {name} SET _version = COALESCE(?1, _version), \
             _updated_at = CASE WHEN _deleted_at IS NULL THEN ?2 ELSE _updated_at END, \
             _updated_run = CASE WHEN _deleted_at IS NULL THEN 0 ELSE _updated_run END, \
             _deleted_at = COALESCE(_deleted_at, ?2), _last_seen = ?2, _last_run = 0, \
             _last_change = 3 WHERE {}",
            key_match(3)
        );
        Statements {
            select,
            insert,
            update,
            touch,
            tombstone,
        }
    }
}

/// Refuses an event whose key or mapped values do not fit its table.
fn check_shape(event: &EventApply<'_>) -> Result<(), StoreError> {
    let table = event.table;
    let context = || format!("applying an event to `{}`", table.name);
    if event.row.key.len() != table.primary_key.len() {
        return Err(StoreError::new(
            StoreErrorKind::InvalidData,
            context(),
            format!(
                "the event has {} key values but the table has {} primary key columns",
                event.row.key.len(),
                table.primary_key.len()
            ),
        ));
    }
    if event.row.values.len() != table.columns.len() {
        return Err(StoreError::new(
            StoreErrorKind::InvalidData,
            context(),
            format!(
                "the event has {} mapped values but the table has {} mapped columns",
                event.row.values.len(),
                table.columns.len()
            ),
        ));
    }
    Ok(())
}

fn keys(event: &EventApply<'_>) -> Result<SqliteArguments, StoreError> {
    let mut args = SqliteArguments::default();
    bind_keys(&mut args, event)?;
    Ok(args)
}

fn bind_keys(args: &mut SqliteArguments, event: &EventApply<'_>) -> Result<(), StoreError> {
    for (value, column) in event.row.key.iter().zip(&event.table.primary_key) {
        bind_key(args, value, column, &event.table.name)?;
    }
    Ok(())
}

fn bind_values(args: &mut SqliteArguments, event: &EventApply<'_>) -> Result<(), StoreError> {
    event
        .row
        .values
        .iter()
        .try_for_each(|value| bind_value(args, value))
}

fn add<T>(args: &mut SqliteArguments, value: T) -> Result<(), StoreError>
where
    T: sqlx::Encode<'static, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + 'static,
{
    args.add(value)
        .map_err(|e| StoreError::new(StoreErrorKind::Other, "binding an event", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use holdfast_store::{Column, ColumnKind};

    fn stored(version: Option<&str>, deleted: bool) -> Stored {
        Stored {
            version: version.map(str::to_owned),
            deleted,
            raw: "{}".into(),
        }
    }

    #[test]
    fn versions_order_as_text() {
        let s = stored(Some("0002"), false);
        assert_eq!(decide(Some(&s), Some("0001"), false).1, EventOutcome::Stale);
        assert_eq!(decide(Some(&s), Some("0002"), true).1, EventOutcome::Stale);
        assert_eq!(decide(Some(&s), Some("0003"), false).0, Write::Update);
        assert_eq!(decide(Some(&s), None, true).0, Write::Tombstone);
        let unversioned = stored(None, true);
        assert_eq!(
            decide(Some(&unversioned), Some("0001"), false).0,
            Write::Update
        );
        assert_eq!(
            decide(None, Some("1"), true),
            (Write::Insert { deleted: true }, EventOutcome::Deleted)
        );
    }

    #[test]
    fn statements_number_their_parameters() {
        let mut t = TableSpec::new("t", vec!["a".into(), "b".into()]);
        t.columns.push(Column {
            name: "m".into(),
            kind: ColumnKind::Text,
        });
        let s = Statements::new(&t);
        assert!(
            s.select.ends_with("\"a\" = ?1 AND \"b\" = ?2"),
            "{}",
            s.select
        );
        assert!(
            s.insert
                .contains("VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, 0, ?7, 0, ?8)"),
            "{}",
            s.insert
        );
        assert!(
            s.update.contains("\"m\" = ?2, _version = COALESCE(?3"),
            "{}",
            s.update
        );
        assert!(
            s.update.ends_with("\"a\" = ?5 AND \"b\" = ?6"),
            "{}",
            s.update
        );
        assert!(
            s.touch.contains("\"m\" = ?1, _version = COALESCE(?2"),
            "{}",
            s.touch
        );
        assert!(
            s.touch.ends_with("\"a\" = ?4 AND \"b\" = ?5"),
            "{}",
            s.touch
        );
        assert!(
            s.tombstone.ends_with("\"a\" = ?3 AND \"b\" = ?4"),
            "{}",
            s.tombstone
        );
    }
}
