//! Webhook events applied to stream tables, ordered by version, in the same
//! transaction that marks their jobs done.
//!
//! Each event reads the stored row's `_version`, `_deleted_at` and `_raw`,
//! is decided by [`holdfast_store::events`], and writes. Rows written here
//! get [`RunId::WEBHOOK`](holdfast_store::RunId::WEBHOOK) as `_updated_run`
//! / `_last_run`.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use holdfast_store::events::{EventJobs, EventWrite, KeyState, check_event_shape, decide_event};
use holdfast_store::{
    EventApply, EventOutcome, LastChange, Lease, RunId, StoreError, StoreErrorKind, TableSpec,
};
use serde_json::Value;
use sqlx::sqlite::{SqliteArguments, SqliteConnection};
use sqlx::{Arguments, AssertSqlSafe, FromRow, Row};

use crate::error::db_err;
use crate::table::quote;
use crate::time::to_text;
use crate::upsert::{bind_key, bind_value};

/// Most rows one batched read or finish names (well under SQLite's bound parameters).
const PER_STATEMENT: usize = 400;

/// Applies `events` and marks their jobs done (inside the caller's write transaction).
///
/// Round trips are what cost here, so leases are checked and stored rows
/// read for the whole batch at once, each event then costs one write, and
/// all jobs are marked done by one statement per 400.
pub(crate) async fn apply(
    conn: &mut SqliteConnection,
    events: &[EventApply<'_>],
    now: DateTime<Utc>,
) -> Result<Vec<EventOutcome>, StoreError> {
    let now_text = to_text(now);
    let live = live_leases(conn, events).await?;
    let mut tables: Vec<(&TableSpec, Statements)> = Vec::new();
    // What each (table, key) holds now, as later events of the batch see it.
    let mut rows: HashMap<(usize, String), Option<KeyState<String>>> = HashMap::new();
    for event in events.iter().filter(|e| live.contains(&e.lease)) {
        check_event_shape(event)?;
        if !tables.iter().any(|(t, _)| *t == event.table) {
            tables.push((event.table, Statements::new(event.table)));
        }
    }
    for (index, (table, sql)) in tables.iter().enumerate() {
        let wanted: Vec<&EventApply<'_>> = events
            .iter()
            .filter(|e| e.table == *table && live.contains(&e.lease))
            .collect();
        read_stored(conn, index, table, sql, &wanted, &mut rows).await?;
    }
    let mut jobs = EventJobs::default();
    let mut outcomes = Vec::with_capacity(events.len());
    for event in events {
        if !live.contains(&event.lease) {
            outcomes.push(EventOutcome::LeaseLost);
            continue;
        }
        let index = tables
            .iter()
            .position(|(t, _)| *t == event.table)
            .unwrap_or_default();
        let slot = rows.entry((index, key_text(&event.row.key))).or_default();
        let outcome = apply_one(conn, &tables[index].1, event, slot, &now_text).await?;
        jobs.record(event.lease, outcome);
        outcomes.push(outcome);
    }
    mark_all_done(conn, &jobs.done(), now).await?;
    Ok(outcomes)
}

/// The leases of `events` that are live (running, same attempt).
async fn live_leases(
    conn: &mut SqliteConnection,
    events: &[EventApply<'_>],
) -> Result<HashSet<Lease>, StoreError> {
    let mut ids: Vec<i64> = events.iter().map(|e| e.lease.id.0).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut running: HashMap<i64, u32> = HashMap::new();
    for chunk in ids.chunks(PER_STATEMENT) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let mut args = SqliteArguments::default();
        for id in chunk {
            add(&mut args, *id)?;
        }
        let found: Vec<(i64, i64)> = sqlx::query_as_with(
            AssertSqlSafe(format!(
                "SELECT id, attempts FROM _holdfast_jobs WHERE state = 'running' AND id IN ({marks})"
            )),
            args,
        )
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err("checking the leases of webhook events"))?;
        for (id, attempts) in found {
            running.insert(id, u32::try_from(attempts).unwrap_or(u32::MAX));
        }
    }
    Ok(events
        .iter()
        .map(|e| e.lease)
        .filter(|l| running.get(&l.id.0) == Some(&l.attempt))
        .collect())
}

/// Reads what `table` holds for the keys of `events` into `rows` (absent
/// keys become `None`).
async fn read_stored(
    conn: &mut SqliteConnection,
    index: usize,
    table: &TableSpec,
    sql: &Statements,
    events: &[&EventApply<'_>],
    rows: &mut HashMap<(usize, String), Option<KeyState<String>>>,
) -> Result<(), StoreError> {
    let context = || format!("reading `{}` for webhook events", table.name);
    let mut seen = HashSet::new();
    let unique: Vec<&&EventApply<'_>> = events
        .iter()
        .filter(|e| seen.insert(key_text(&e.row.key)))
        .collect();
    let nkeys = table.primary_key.len();
    for chunk in unique.chunks(PER_STATEMENT / nkeys.max(1)) {
        let mut args = SqliteArguments::default();
        for event in chunk {
            bind_keys(&mut args, event)?;
            rows.insert((index, key_text(&event.row.key)), None);
        }
        let found = sqlx::query_with(AssertSqlSafe(sql.select_many(chunk.len())), args)
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err(context()))?;
        for row in found {
            let key: Vec<Value> = (0..nkeys).map(|i| key_value(&row, i)).collect();
            let stored = StoredKey::from_row(&row).map_err(db_err(context()))?;
            let stored = KeyState {
                version: stored.version,
                deleted: stored.deleted,
                raw: stored.raw,
            };
            rows.insert((index, key_text(&key)), Some(stored));
        }
    }
    Ok(())
}

/// What a key holds, read by column name after its key columns.
#[derive(sqlx::FromRow)]
struct StoredKey {
    #[sqlx(rename = "_version")]
    version: Option<String>,
    #[sqlx(rename = "_deleted")]
    deleted: bool,
    #[sqlx(rename = "_raw")]
    raw: String,
}

/// A key column read back with its SQLite type.
fn key_value(row: &sqlx::sqlite::SqliteRow, i: usize) -> Value {
    if let Ok(n) = row.try_get::<i64, _>(i) {
        return Value::from(n);
    }
    if let Ok(f) = row.try_get::<f64, _>(i) {
        return Value::from(f);
    }
    row.try_get::<String, _>(i)
        .map(Value::from)
        .unwrap_or(Value::Null)
}

/// The map key of a primary key: its values as JSON.
fn key_text(key: &[Value]) -> String {
    serde_json::to_string(key).unwrap_or_default()
}

/// Marks the jobs of `finished` done, each with its outcome as result.
async fn mark_all_done(
    conn: &mut SqliteConnection,
    finished: &[(Lease, EventOutcome)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for chunk in finished.chunks(PER_STATEMENT) {
        let values = vec!["(?, ?, ?)"; chunk.len()].join(", ");
        // parameters in text order: the values, then the time
        let mut args = SqliteArguments::default();
        for (lease, outcome) in chunk {
            add(&mut args, lease.id.0)?;
            add(&mut args, i64::from(lease.attempt))?;
            add(&mut args, format!("\"{}\"", outcome.as_str()))?;
        }
        add(&mut args, to_text(now))?;
        sqlx::query_with(
            AssertSqlSafe(format!(
                "WITH v(id, attempts, result) AS (VALUES {values}) \
                 UPDATE _holdfast_jobs SET state = 'done', result = v.result, \
                 lease_until = NULL, updated_at = ? FROM v \
                 WHERE _holdfast_jobs.id = v.id AND _holdfast_jobs.state = 'running' \
                 AND _holdfast_jobs.attempts = v.attempts"
            )),
            args,
        )
        .execute(&mut *conn)
        .await
        .map_err(db_err("finishing webhook event jobs"))?;
    }
    Ok(())
}

/// Decides and writes one event; `slot` is what its key holds, updated.
async fn apply_one(
    conn: &mut SqliteConnection,
    sql: &Statements,
    event: &EventApply<'_>,
    slot: &mut Option<KeyState<String>>,
    now: &str,
) -> Result<EventOutcome, StoreError> {
    let context = || format!("applying an event to `{}`", event.table.name);
    let (write, outcome) =
        decide_event(slot, &event.row.raw, event.version.as_deref(), event.delete);
    let mut args = SqliteArguments::default();
    let statement = match write {
        EventWrite::Nothing => return Ok(outcome),
        EventWrite::Insert { deleted } => {
            bind_keys(&mut args, event)?;
            add(&mut args, event.row.raw.clone())?;
            bind_values(&mut args, event)?;
            add(&mut args, event.version.clone())?;
            add(&mut args, deleted.then(|| now.to_owned()))?;
            add(&mut args, now.to_owned())?;
            add(&mut args, write.last_change().map(LastChange::code))?;
            &sql.insert
        }
        EventWrite::Update => {
            add(&mut args, event.row.raw.clone())?;
            bind_values(&mut args, event)?;
            add(&mut args, event.version.clone())?;
            add(&mut args, now.to_owned())?;
            bind_keys(&mut args, event)?;
            &sql.update
        }
        EventWrite::Touch => {
            bind_values(&mut args, event)?;
            add(&mut args, event.version.clone())?;
            add(&mut args, now.to_owned())?;
            bind_keys(&mut args, event)?;
            &sql.touch
        }
        EventWrite::Tombstone => {
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
    /// The table, quoted.
    name: String,
    /// The key columns, quoted.
    keys: Vec<String>,
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
    /// Reads `n` keys at once: key columns, then `_version`, `_deleted_at IS NOT NULL` and `_raw`.
    fn select_many(&self, n: usize) -> String {
        let tuple = if self.keys.len() == 1 {
            "?".to_owned()
        } else {
            format!("({})", vec!["?"; self.keys.len()].join(", "))
        };
        let list = vec![tuple.as_str(); n].join(", ");
        let lhs = if self.keys.len() == 1 {
            self.keys[0].clone()
        } else {
            format!("({})", self.keys.join(", "))
        };
        let in_list = if self.keys.len() == 1 {
            format!("({list})")
        } else {
            format!("(VALUES {list})")
        };
        format!(
            "SELECT {}, _version, _deleted_at IS NOT NULL AS _deleted, _raw FROM {} \
             WHERE {lhs} IN {in_list}",
            self.keys.join(", "),
            self.name
        )
    }

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
        // Literals: the webhook's run and the `_last_change` codes.
        let w = RunId::WEBHOOK.0;
        let (updated, unchanged, deleted) = (
            LastChange::Updated.code(),
            LastChange::Unchanged.code(),
            LastChange::Deleted.code(),
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
             VALUES ({values}, ?{p}, ?{d}, ?{n}, ?{n}, {w}, ?{n}, {w}, ?{c})",
            columns.join(", "),
            d = p + 1,
            n = p + 2,
            c = p + 3,
        );

        let p = 1 + nm + 1; // version
        let update = format!(
            "UPDATE {name} SET _raw = ?1, {}_version = COALESCE(?{p}, _version), \
             _deleted_at = NULL, _updated_at = ?{n}, _updated_run = {w}, _last_seen = ?{n}, \
             _last_run = {w}, _last_change = {updated} WHERE {}",
            sets(2),
            key_match(p + 2),
            n = p + 1,
        );

        let p = nm + 1; // version
        let touch = format!(
            "UPDATE {name} SET {}_version = COALESCE(?{p}, _version), _last_seen = ?{n}, \
             _last_run = {w}, _last_change = {unchanged} WHERE {}",
            sets(1),
            key_match(p + 2),
            n = p + 1,
        );

        let tombstone = format!(
            "UPDATE {name} SET _version = COALESCE(?1, _version), \
             _updated_at = CASE WHEN _deleted_at IS NULL THEN ?2 ELSE _updated_at END, \
             _updated_run = CASE WHEN _deleted_at IS NULL THEN {w} ELSE _updated_run END, \
             _deleted_at = COALESCE(_deleted_at, ?2), _last_seen = ?2, _last_run = {w}, \
             _last_change = {deleted} WHERE {}",
            key_match(3)
        );
        Statements {
            name: name.clone(),
            keys: keys.clone(),
            insert,
            update,
            touch,
            tombstone,
        }
    }
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

    #[test]
    fn statements_number_their_parameters() {
        let mut t = TableSpec::new("t", vec!["a".into(), "b".into()]);
        t.columns.push(Column {
            name: "m".into(),
            kind: ColumnKind::Text,
        });
        let s = Statements::new(&t);
        let many = s.select_many(2);
        assert!(
            many.ends_with("WHERE (\"a\", \"b\") IN (VALUES (?, ?), (?, ?))"),
            "{many}"
        );
        let one = Statements::new(&TableSpec::new("t", vec!["id".into()])).select_many(3);
        assert!(one.ends_with("WHERE \"id\" IN (?, ?, ?)"), "{one}");
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
