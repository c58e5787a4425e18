//! The page upsert: many records per statement, each classified as created,
//! updated or unchanged by the statement itself.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use holdfast_store::{LastChange, PageOutcome, RecordRow, StoreError, StoreErrorKind, TableSpec};
use serde_json::Value;
use sqlx::sqlite::{SqliteArguments, SqliteConnection};
use sqlx::{Arguments, AssertSqlSafe};

use crate::table::{key_list, quote};

/// Rows per statement: well under SQLite's 32,766 bound parameters even for wide keys.
const ROWS_PER_STATEMENT: usize = 1000;

/// What an upsert writes: live records, or tombstones (`deleted_when:` matched).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Mode {
    /// Live records: a tombstone a sync or a reconciliation made is lifted;
    /// a webhook's stays (its version orders it, or it has none to compare).
    Live,
    /// Records the API marks deleted: `_deleted_at` is set once, the content
    /// is kept up to date.
    Tombstone,
    /// Keys a tombstone endpoint reports deleted: `_deleted_at` is set once,
    /// the row's content is kept (only a new key stores the endpoint's record).
    Deletion,
}

/// Builds upsert statements once per (table, mode, row count) and keeps them.
#[derive(Debug, Default)]
pub(crate) struct UpsertCache {
    sql: Mutex<HashMap<(String, Mode, usize), Arc<str>>>,
}

impl UpsertCache {
    /// Upserts `rows` into `table` on `conn` (inside the caller's transaction).
    pub(crate) async fn apply(
        &self,
        conn: &mut SqliteConnection,
        (table, mode): (&TableSpec, Mode),
        rows: &[RecordRow],
        run: i64,
        now: &str,
    ) -> Result<PageOutcome, StoreError> {
        let mut outcome = PageOutcome::default();
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let sql = self.sql_for(table, mode, chunk.len());
            let args = bind(table, chunk, run, now)?;
            let returned: Vec<i64> = sqlx::query_scalar_with(AssertSqlSafe(sql), args)
                .fetch_all(&mut *conn)
                .await
                .map_err(|e| {
                    StoreError::with_source(
                        StoreErrorKind::Other,
                        format!("upserting into `{}`", table.name),
                        e,
                    )
                })?;
            for change in returned {
                match LastChange::from_code(change) {
                    Some(LastChange::Created) => outcome.created += 1,
                    Some(LastChange::Updated) => outcome.updated += 1,
                    Some(LastChange::Deleted) => outcome.deleted += 1,
                    Some(LastChange::Restored) => outcome.restored += 1,
                    _ => outcome.unchanged += 1,
                }
            }
        }
        Ok(outcome)
    }

    fn sql_for(&self, table: &TableSpec, mode: Mode, rows: usize) -> Arc<str> {
        let key = (
            format!("{}/{}", table.name, table.columns.len()),
            mode,
            rows,
        );
        let mut cache = self.sql.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(key)
            .or_insert_with(|| upsert_sql(table, mode, rows).into())
            .clone()
    }
}

/// The statement for `rows` records. Parameters: now, run, then per row the
/// key values and the raw JSON. `_last_change` reports what happened to each
/// row (see [`LastChange`]).
fn upsert_sql(table: &TableSpec, mode: Mode, rows: usize) -> String {
    let name = quote(&table.name);
    let keys = key_list(table);
    let nkeys = table.primary_key.len();
    let width = nkeys + 1 + table.columns.len();
    let row = format!("({})", vec!["?"; width].join(", "));
    let values = vec![row.as_str(); rows].join(", ");
    let v_cols: Vec<String> = (1..=width).map(|i| format!("column{i}")).collect();
    let key_cols = v_cols[..nkeys].join(", ");
    let raw_col = &v_cols[nkeys];
    let mapped: Vec<String> = table.columns.iter().map(|c| quote(&c.name)).collect();
    let (mapped_names, mapped_values, mapped_set) = if mapped.is_empty() {
        (String::new(), String::new(), String::new())
    } else {
        (
            format!(", {}", mapped.join(", ")),
            format!(", {}", v_cols[nkeys + 1..].join(", ")),
            mapped
                .iter()
                .map(|c| format!("{c} = excluded.{c}, "))
                .collect::<String>(),
        )
    };
    // `same`: the stored row stays as it is in content and liveness.
    let (created, deleted, same, change, deleted_at) = match mode {
        Mode::Live => {
            // a tombstone a sync or a reconciliation made, never a webhook's
            let lifted = format!(
                "{name}._deleted_at IS NOT NULL AND {name}._version IS NULL \
                 AND {name}._updated_run <> {webhook}",
                webhook = holdfast_store::RunId::WEBHOOK.0
            );
            (
                "1",
                "NULL",
                format!("{name}._raw = excluded._raw AND NOT ({lifted})"),
                format!(
                    "CASE WHEN {lifted} THEN 4 WHEN {name}._raw = excluded._raw THEN 0 ELSE 2 END"
                ),
                format!("CASE WHEN {lifted} THEN NULL ELSE {name}._deleted_at END"),
            )
        }
        Mode::Tombstone | Mode::Deletion => (
            "3",
            "meta.now",
            format!("{name}._deleted_at IS NOT NULL"),
            format!("CASE WHEN {name}._deleted_at IS NOT NULL THEN 0 ELSE 3 END"),
            format!("COALESCE({name}._deleted_at, excluded._deleted_at)"),
        ),
    };
    // a deletion keeps the row's content; the others write the record
    let (mapped_set, content) = match mode {
        Mode::Deletion => (String::new(), ""),
        _ => (mapped_set, "_raw = excluded._raw, "),
    };
    format!(
        "WITH meta(now, run) AS (VALUES (?, ?)), v AS (VALUES {values}) \
         INSERT INTO {name} ({keys}, _raw{mapped_names}, _first_seen, _updated_at, _updated_run, _last_seen, _last_run, _last_change, _deleted_at) \
         SELECT {key_cols}, {raw_col}{mapped_values}, meta.now, meta.now, meta.run, meta.now, meta.run, {created}, {deleted} FROM v, meta WHERE true \
         ON CONFLICT ({keys}) DO UPDATE SET {mapped_set}\
         _updated_at = CASE WHEN {same} THEN {name}._updated_at ELSE excluded._updated_at END, \
         _updated_run = CASE WHEN {same} THEN {name}._updated_run ELSE excluded._updated_run END, \
         _last_change = {change}, _deleted_at = {deleted_at}, \
         {content}_last_seen = excluded._last_seen, _last_run = excluded._last_run \
         RETURNING _last_change"
    )
}

fn bind<'q>(
    table: &TableSpec,
    rows: &'q [RecordRow],
    run: i64,
    now: &'q str,
) -> Result<SqliteArguments, StoreError> {
    let mut args = SqliteArguments::default();
    let err = |e: sqlx::error::BoxDynError| {
        StoreError::new(StoreErrorKind::Other, "binding a record", e.to_string())
    };
    args.add(now.to_owned()).map_err(err)?;
    args.add(run).map_err(err)?;
    for row in rows {
        if row.key.len() != table.primary_key.len() {
            return Err(StoreError::new(
                StoreErrorKind::InvalidData,
                format!("upserting into `{}`", table.name),
                format!(
                    "a record has {} key values but the table has {} primary key columns",
                    row.key.len(),
                    table.primary_key.len()
                ),
            ));
        }
        for (value, column) in row.key.iter().zip(&table.primary_key) {
            bind_key(&mut args, value, column, &table.name)?;
        }
        args.add(row.raw.clone()).map_err(err)?;
        if row.values.len() != table.columns.len() {
            return Err(StoreError::new(
                StoreErrorKind::InvalidData,
                format!("upserting into `{}`", table.name),
                format!(
                    "a record has {} mapped values but the table has {} mapped columns",
                    row.values.len(),
                    table.columns.len()
                ),
            ));
        }
        for value in &row.values {
            bind_value(&mut args, value)?;
        }
    }
    Ok(args)
}

/// Binds one primary key value with its JSON type kept (integer, real,
/// text). An integer above SQLite's 64-bit signed range (up to 2^64 - 1) is
/// bound as its exact decimal text, never as a float: two ids that differ
/// by one stay two rows.
pub(crate) fn bind_key(
    args: &mut SqliteArguments,
    value: &Value,
    column: &str,
    table: &str,
) -> Result<(), StoreError> {
    match value {
        Value::Number(n) if n.as_i64().is_none() && n.as_u64().is_some() => args
            .add(n.to_string())
            .map_err(|e| StoreError::new(StoreErrorKind::Other, "binding a key", e.to_string())),
        Value::String(_) | Value::Number(_) | Value::Bool(_) => bind_value(args, value),
        other => Err(StoreError::new(
            StoreErrorKind::InvalidData,
            format!("upserting into `{table}`"),
            format!(
                "primary key `{column}` must be a string or a number, found {}",
                json_kind(other)
            ),
        )),
    }
}

/// Binds a mapped value: null as NULL, booleans as 0/1, numbers as numbers,
/// strings as text, objects and arrays as JSON text.
pub(crate) fn bind_value(args: &mut SqliteArguments, value: &Value) -> Result<(), StoreError> {
    let err = |e: sqlx::error::BoxDynError| {
        StoreError::new(
            StoreErrorKind::Other,
            "binding a mapped value",
            e.to_string(),
        )
    };
    match value {
        Value::Null => args.add(Option::<String>::None).map_err(err),
        Value::Bool(b) => args.add(i64::from(*b)).map_err(err),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => args.add(i).map_err(err),
            (None, Some(f)) => args.add(f).map_err(err),
            (None, None) => args.add(n.to_string()).map_err(err),
        },
        Value::String(s) => args.add(s.clone()).map_err(err),
        other => args.add(other.to_string()).map_err(err),
    }
}

/// "null", "an object", … for messages.
pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_has_one_placeholder_per_bind() {
        let mut table = TableSpec::new("t", vec!["a".into(), "b".into()]);
        let sql = upsert_sql(&table, Mode::Live, 3);
        assert_eq!(sql.matches('?').count(), 2 + 3 * 3);
        let sql = upsert_sql(&table, Mode::Tombstone, 3);
        assert_eq!(sql.matches('?').count(), 2 + 3 * 3);
        table.columns.push(holdfast_store::Column {
            name: "email".into(),
            kind: holdfast_store::ColumnKind::Text,
        });
        let sql = upsert_sql(&table, Mode::Live, 2);
        assert_eq!(sql.matches('?').count(), 2 + 2 * 4);
        assert!(sql.contains("\"email\" = excluded.\"email\""), "{sql}");
        assert!(sql.contains("ON CONFLICT (\"a\", \"b\")"));
    }
}
