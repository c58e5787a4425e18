//! Webhook events applied to stream tables, ordered by version, in the same
//! transaction that marks their jobs done.
//!
//! The jobs of the batch are locked first (`FOR UPDATE`), so a lease that
//! is live when checked stays live until the commit; the stored rows of the
//! batch's keys are read (and locked) with one statement per table. Each
//! event is then decided by [`holdfast_store::events`] and folded into its
//! key's [`plan::Plan`], so a table gets one `INSERT` and one `UPDATE`
//! whatever the batch holds, and all jobs are marked done by one statement.
//! Rows written here get [`RunId::WEBHOOK`](holdfast_store::RunId::WEBHOOK)
//! as `_updated_run` / `_last_run`.

mod plan;
mod write;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use holdfast_store::events::{EventJobs, check_event_shape};
use holdfast_store::{EventApply, EventOutcome, Lease, StoreError, StoreErrorKind, TableSpec};
use serde_json::Value;
use sqlx::postgres::{PgArguments, PgConnection};
use sqlx::{Arguments, AssertSqlSafe, FromRow, Row};

use crate::error::{bind_err, db_err};
use crate::table::quote;
use crate::values::{identity, key_texts, mapped_text};
use plan::{Plan, Stored};

/// Applies `events` and marks their jobs done (inside the caller's transaction).
pub(crate) async fn apply(
    conn: &mut PgConnection,
    events: &[EventApply<'_>],
    now: DateTime<Utc>,
) -> Result<Vec<EventOutcome>, StoreError> {
    let live = live_leases(conn, events).await?;
    // Each live event's parameters, checked before anything is written.
    let mut prepared: Vec<Option<Prepared>> = Vec::with_capacity(events.len());
    let mut tables: Vec<&TableSpec> = Vec::new();
    for event in events {
        if !live.contains(&event.lease) {
            prepared.push(None);
            continue;
        }
        prepared.push(Some(Prepared::new(event)?));
        if !tables.contains(&event.table) {
            tables.push(event.table);
        }
    }
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    crate::table::lock_for_changes(&mut *conn, &names)
        .await
        .map_err(db_err("taking the change locks of webhook events' tables"))?;
    let table_of = |event: &EventApply<'_>| {
        tables
            .iter()
            .position(|t| *t == event.table)
            .unwrap_or_default()
    };
    // Each (table, key)'s plan, and where its key's parameters are.
    let mut plans: HashMap<(usize, String), (Plan, usize)> = HashMap::new();
    for (index, table) in tables.iter().enumerate() {
        let wanted: Vec<(usize, &Prepared)> = events
            .iter()
            .zip(&prepared)
            .enumerate()
            .filter_map(|(i, (e, p))| p.as_ref().filter(|_| e.table == *table).map(|p| (i, p)))
            .collect();
        read_stored(conn, index, table, &wanted, &mut plans).await?;
    }
    let mut jobs = EventJobs::default();
    let mut outcomes = Vec::with_capacity(events.len());
    for (i, (event, prepared)) in events.iter().zip(&prepared).enumerate() {
        let Some(prepared) = prepared else {
            outcomes.push(EventOutcome::LeaseLost);
            continue;
        };
        let key = (table_of(event), identity(&event.row.key));
        let (plan, _) = plans.entry(key).or_insert_with(|| (Plan::new(None), i));
        let outcome = plan.apply(i, &prepared.raw, event.version.as_deref(), event.delete);
        jobs.record(event.lease, outcome);
        outcomes.push(outcome);
    }
    for (index, table) in tables.iter().enumerate() {
        let mut mine: Vec<(&Plan, &Prepared, Option<&Prepared>)> = Vec::new();
        for ((t, _), (plan, key_at)) in &plans {
            if *t != index {
                continue;
            }
            let Some(key) = prepared[*key_at].as_ref() else {
                continue;
            };
            let content = plan.content.and_then(|c| prepared[c].as_ref());
            mine.push((plan, key, content));
        }
        write::write(conn, table, &mine, now).await?;
    }
    mark_all_done(conn, &jobs.done(), now).await?;
    Ok(outcomes)
}

/// The leases of `events` that are live (running, same attempt); their
/// jobs stay locked until the transaction ends.
async fn live_leases(
    conn: &mut PgConnection,
    events: &[EventApply<'_>],
) -> Result<HashSet<Lease>, StoreError> {
    let mut ids: Vec<i64> = events.iter().map(|e| e.lease.id.0).collect();
    ids.sort_unstable();
    ids.dedup();
    let found: Vec<(i64, i32)> = sqlx::query_as(
        "SELECT id, attempts FROM _holdfast_jobs WHERE state = 'running' AND id = ANY($1) \
         ORDER BY id FOR UPDATE",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err("checking the leases of webhook events"))?;
    let running: HashMap<i64, i64> = found
        .into_iter()
        .map(|(id, attempts)| (id, i64::from(attempts)))
        .collect();
    Ok(events
        .iter()
        .map(|e| e.lease)
        .filter(|l| running.get(&l.id.0) == Some(&i64::from(l.attempt)))
        .collect())
}

/// An event's key and mapped values as parameters.
pub(crate) struct Prepared {
    /// The key as given (for identity).
    key_values: Vec<Value>,
    keys: Vec<String>,
    mapped: Vec<Option<String>>,
    /// The record as sent (bound as `jsonb`).
    raw_text: String,
    /// The record parsed, to compare with what is stored.
    raw: Value,
}

impl Prepared {
    fn new(event: &EventApply<'_>) -> Result<Prepared, StoreError> {
        let table = event.table;
        let context = || format!("applying an event to `{}`", table.name);
        check_event_shape(event)?;
        let keys = key_texts(&event.row.key, &table.primary_key, &table.name)?;
        let mapped = event
            .row
            .values
            .iter()
            .zip(&table.columns)
            .map(|(v, c)| mapped_text(v, c, &table.name))
            .collect::<Result<_, _>>()?;
        let raw = serde_json::from_str(&event.row.raw).map_err(|e| {
            StoreError::new(
                StoreErrorKind::InvalidData,
                context(),
                format!("the event's record is not JSON: {e}"),
            )
        })?;
        Ok(Prepared {
            key_values: event.row.key.clone(),
            keys,
            mapped,
            raw_text: event.row.raw.clone(),
            raw,
        })
    }
}

/// Reads (and locks) what `table` holds for the keys of `events` (their
/// batch index and parameters) and starts each key's plan.
async fn read_stored(
    conn: &mut PgConnection,
    index: usize,
    table: &TableSpec,
    events: &[(usize, &Prepared)],
    plans: &mut HashMap<(usize, String), (Plan, usize)>,
) -> Result<(), StoreError> {
    let context = format!("reading `{}` for webhook events", table.name);
    let nkeys = table.primary_key.len();
    let mut columns: Vec<Vec<String>> = vec![Vec::new(); nkeys];
    // Where each key's parameters are (its first event), by identity.
    let mut first: HashMap<String, usize> = HashMap::new();
    let mut seen = HashSet::new();
    for (i, prepared) in events {
        let id = identity(&prepared.key_values);
        if seen.insert(id.clone()) {
            first.insert(id, *i);
            for (column, key) in columns.iter_mut().zip(&prepared.keys) {
                column.push(key.clone());
            }
        }
    }
    let mut args = PgArguments::default();
    for column in columns {
        args.add(column).map_err(bind_err(&context))?;
    }
    let found = sqlx::query_with(AssertSqlSafe(select_sql(table)), args)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err(&context))?;
    let mut stored: HashMap<String, Stored> = HashMap::new();
    for row in found {
        let e = || db_err(&context);
        let key = (0..nkeys)
            .map(|i| {
                let text: String = row.try_get(i).map_err(e())?;
                serde_json::from_str::<Value>(&text)
                    .map_err(|err| StoreError::with_source(StoreErrorKind::Schema, &*context, err))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let found = StoredKey::from_row(&row).map_err(e())?;
        stored.insert(
            identity(&key),
            Stored {
                version: found.version,
                deleted: found.deleted,
                raw: serde_json::from_str(&found.raw).unwrap_or(Value::Null),
            },
        );
    }
    for (id, at) in first {
        let plan = Plan::new(stored.remove(&id));
        plans.insert((index, id), (plan, at));
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

/// Reads the keys of one text array per key column: key columns as JSON
/// text, `_version`, `_deleted_at IS NOT NULL`, `_raw` as text; locks them.
fn select_sql(table: &TableSpec) -> String {
    let keys: Vec<String> = table.primary_key.iter().map(|c| quote(c)).collect();
    let nk = keys.len();
    let arrays: Vec<String> = (1..=nk).map(|i| format!("${i}::text[]")).collect();
    let aliases: Vec<String> = (0..nk).map(|i| format!("k{i}")).collect();
    let join: Vec<String> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| format!("t.{k} = u.k{i}::jsonb"))
        .collect();
    format!(
        "SELECT {}, t._version, t._deleted_at IS NOT NULL AS _deleted, t._raw::text \
         FROM {} t JOIN UNNEST({}) AS u({}) ON {} FOR UPDATE OF t",
        keys.iter()
            .map(|k| format!("t.{k}::text"))
            .collect::<Vec<_>>()
            .join(", "),
        quote(&table.name),
        arrays.join(", "),
        aliases.join(", "),
        join.join(" AND "),
    )
}

/// Marks the jobs of `finished` done, each with its outcome as result.
async fn mark_all_done(
    conn: &mut PgConnection,
    finished: &[(Lease, EventOutcome)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if finished.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE _holdfast_jobs j SET state = 'done', result = v.result, lease_until = NULL, \
         updated_at = $4 FROM UNNEST($1::int8[], $2::int4[], $3::text[]) AS v(id, attempts, result) \
         WHERE j.id = v.id AND j.state = 'running' AND j.attempts = v.attempts",
    )
    .bind(finished.iter().map(|(l, _)| l.id.0).collect::<Vec<_>>())
    .bind(
        finished
            .iter()
            .map(|(l, _)| i32::try_from(l.attempt).unwrap_or(i32::MAX))
            .collect::<Vec<_>>(),
    )
    .bind(
        finished
            .iter()
            .map(|(_, o)| format!("\"{}\"", o.as_str()))
            .collect::<Vec<_>>(),
    )
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(db_err("finishing webhook event jobs"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lock_the_rows_of_the_batch() {
        let t = TableSpec::new("t", vec!["a".into(), "b".into()]);
        let sql = select_sql(&t);
        assert!(
            sql.contains("JOIN UNNEST($1::text[], $2::text[]) AS u(k0, k1)"),
            "{sql}"
        );
        assert!(sql.ends_with("FOR UPDATE OF t"), "{sql}");
    }
}
