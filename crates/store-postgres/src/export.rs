//! Exports and verbatim imports: what `holdfast store migrate` reads and writes.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use holdfast_store::{
    Column, ColumnKind, ExportStore, ExportedQuarantine, ExportedRecord, Inventory, NamedShape,
    NamedState, RecordQuery, RunId, RunRow, StoreError, StoreErrorKind, TableSpec,
};
use serde_json::Value;
use sqlx::postgres::{PgArguments, PgConnection, PgPool, PgRow};
use sqlx::{Arguments, AssertSqlSafe, FromRow, Row};

use crate::error::{bind_err, db_err};
use crate::quarantine::QuarantineRecord;
use crate::runs::{RUN_COLUMNS, RunRecord};
use crate::store::PgStore;
use crate::table::{META_COLUMNS, MetaRecord, SEQ_COLUMN, json_of, key_list, quote, sql_type};
use crate::values::count;
use crate::values::{identity, key_texts, mapped_text};

#[async_trait]
impl ExportStore for PgStore {
    async fn inventory(&self) -> Result<Inventory, StoreError> {
        crate::export::inventory(&self.pool).await
    }

    async fn export_records(
        &self,
        table: &TableSpec,
        after: Option<&[Value]>,
        limit: u32,
    ) -> Result<Vec<ExportedRecord>, StoreError> {
        crate::export::records(&self.pool, table, &RecordQuery::export(after, limit)).await
    }

    async fn import_records(
        &self,
        table: &TableSpec,
        records: &[ExportedRecord],
    ) -> Result<(), StoreError> {
        let context = format!("importing records into `{}`", table.name);
        let mut tx = self.pool.begin().await.map_err(db_err(&context))?;
        crate::export::import_records(&mut tx, table, records).await?;
        tx.commit().await.map_err(db_err(context))
    }

    async fn export_runs(
        &self,
        after: Option<RunId>,
        limit: u32,
    ) -> Result<Vec<RunRow>, StoreError> {
        crate::export::runs(&self.pool, after, limit).await
    }

    async fn import_runs(&self, runs: &[RunRow]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_err("importing runs"))?;
        crate::export::import_runs(&mut tx, runs).await?;
        tx.commit().await.map_err(db_err("importing runs"))
    }

    async fn export_quarantine(
        &self,
        after: Option<i64>,
        limit: u32,
    ) -> Result<Vec<ExportedQuarantine>, StoreError> {
        crate::export::quarantine(&self.pool, after, limit).await
    }

    async fn import_quarantine(&self, rows: &[ExportedQuarantine]) -> Result<(), StoreError> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(db_err("importing quarantine"))?;
        crate::export::import_quarantine(&mut tx, rows).await?;
        tx.commit().await.map_err(db_err("importing quarantine"))
    }
}

/// Tables (with mapped column kinds, from their Postgres types), states and
/// shapes, by name.
pub(crate) async fn inventory(pool: &PgPool) -> Result<Inventory, StoreError> {
    let context = "listing what the store holds";
    let registered: Vec<(String, String, String)> =
        sqlx::query_as("SELECT name, primary_key, columns FROM _holdfast_tables ORDER BY name")
            .fetch_all(pool)
            .await
            .map_err(db_err(context))?;
    let mut tables = Vec::with_capacity(registered.len());
    for (name, key, columns) in registered {
        let schema = |e: serde_json::Error| {
            StoreError::with_source(
                StoreErrorKind::Schema,
                format!("reading the registry entry of table `{name}`"),
                e,
            )
        };
        let primary_key: Vec<String> = serde_json::from_str(&key).map_err(schema)?;
        let entries: Vec<Value> = serde_json::from_str(&columns).map_err(schema)?;
        let types: Vec<(String, String)> = sqlx::query_as(
            "SELECT attname::text, format_type(atttypid, atttypmod) FROM pg_attribute \
             WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped",
        )
        .bind(quote(&name))
        .fetch_all(pool)
        .await
        .map_err(db_err(format!("reading the columns of table `{name}`")))?;
        let columns = entries
            .iter()
            .filter_map(|entry| {
                let column = entry["name"].as_str()?;
                let ty = types
                    .iter()
                    .find(|(n, _)| n == column)
                    .map(|(_, t)| t.as_str())
                    .unwrap_or("jsonb");
                let kind = match ty {
                    "text" => ColumnKind::Text,
                    "bigint" => ColumnKind::Integer,
                    "boolean" => ColumnKind::Boolean,
                    _ => ColumnKind::Any,
                };
                Some(Column {
                    name: column.to_owned(),
                    kind,
                })
            })
            .collect();
        tables.push(TableSpec {
            name,
            primary_key,
            columns,
        });
    }
    let mut states = Vec::new();
    let rows: Vec<(String, String, DateTime<Utc>)> =
        sqlx::query_as("SELECT stream, state, updated_at FROM _holdfast_state ORDER BY stream")
            .fetch_all(pool)
            .await
            .map_err(db_err(context))?;
    for (stream, state, updated_at) in rows {
        let state = serde_json::from_str(&state).map_err(|e| {
            StoreError::with_source(
                StoreErrorKind::Schema,
                format!("reading the state of `{stream}`"),
                e,
            )
        })?;
        states.push(NamedState {
            stream,
            state,
            updated_at,
        });
    }
    let shapes: Vec<(String, String, DateTime<Utc>)> =
        sqlx::query_as("SELECT stream, shape, updated_at FROM _holdfast_shapes ORDER BY stream")
            .fetch_all(pool)
            .await
            .map_err(db_err(context))?;
    Ok(Inventory {
        tables,
        states,
        shapes: shapes
            .into_iter()
            .map(|(stream, shape, updated_at)| NamedShape {
                stream,
                shape,
                updated_at,
            })
            .collect(),
    })
}

/// A page of `table` in key order after `after`. `_raw` comes back as
/// compact JSON (JSONB keeps content, not spelling).
pub(crate) async fn records(
    pool: &PgPool,
    table: &TableSpec,
    query: &RecordQuery,
) -> Result<Vec<ExportedRecord>, StoreError> {
    let context = format!("reading records of `{}`", table.name);
    // Qualified: a bare name in ORDER BY would mean the text output column.
    let keys = table
        .primary_key
        .iter()
        .map(|c| format!("s.{}", quote(c)))
        .collect::<Vec<_>>()
        .join(", ");
    let mut select: Vec<String> = table
        .primary_key
        .iter()
        .map(|c| format!("s.{}::text", quote(c)))
        .collect();
    select.extend(table.columns.iter().map(json_of));
    select.push("s._raw::text".to_owned());
    select.extend(META_COLUMNS[1..].iter().map(|c| format!("s.{c}")));
    // a table from before the change feed has no numbers until a writer prepares it
    let numbered = crate::table::numbered(pool, &table.name)
        .await
        .map_err(db_err(&context))?;
    select.push(
        if numbered {
            "s._seq"
        } else {
            "NULL::bigint AS _seq"
        }
        .to_owned(),
    );
    let mut args = PgArguments::default();
    args.add(i64::from(query.limit))
        .map_err(bind_err(&context))?;
    let mut n = 1;
    let mut filters = Vec::new();
    for (op, key, what) in [
        (">", query.after.as_deref(), "`after`"),
        ("=", query.key.as_deref(), "the key"),
    ] {
        let Some(key) = key else { continue };
        if key.len() != table.primary_key.len() {
            return Err(StoreError::new(
                StoreErrorKind::InvalidData,
                context,
                format!(
                    "{what} has {} key values but the table has {} primary key columns",
                    key.len(),
                    table.primary_key.len()
                ),
            ));
        }
        let mut marks = Vec::new();
        for text in key_texts(key, &table.primary_key, &table.name)? {
            args.add(text).map_err(bind_err(&context))?;
            n += 1;
            marks.push(format!("${n}::jsonb"));
        }
        filters.push(format!("({keys}) {op} ({})", marks.join(", ")));
    }
    if let Some(since) = query.updated_since {
        args.add(since).map_err(bind_err(&context))?;
        n += 1;
        filters.push(format!("s._updated_at >= ${n}"));
    }
    if !query.deleted {
        filters.push("s._deleted_at IS NULL".to_owned());
    }
    let order = match query.changed_after {
        Some(_) if !numbered => return Ok(Vec::new()),
        Some(after) => {
            args.add(after).map_err(bind_err(&context))?;
            n += 1;
            filters.push(format!("s._seq > ${n}"));
            "s._seq".to_owned()
        }
        None => keys.clone(),
    };
    let filter = if filters.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", filters.join(" AND "))
    };
    let sql = format!(
        "SELECT {} FROM {} AS s {filter} ORDER BY {order} LIMIT $1",
        select.join(", "),
        quote(&table.name)
    );
    let rows = sqlx::query_with(AssertSqlSafe(sql), args)
        .fetch_all(pool)
        .await
        .map_err(db_err(&context))?;
    rows.iter().map(|r| record(r, table, &context)).collect()
}

fn record(r: &PgRow, table: &TableSpec, context: &str) -> Result<ExportedRecord, StoreError> {
    let e = || db_err(context);
    let json = |i: usize| -> Result<Value, StoreError> {
        let text: Option<String> = r.try_get(i).map_err(e())?;
        match text {
            Some(t) => serde_json::from_str(&t).map_err(|err| {
                StoreError::with_source(StoreErrorKind::Schema, context.to_owned(), err)
            }),
            None => Ok(Value::Null),
        }
    };
    let nkeys = table.primary_key.len();
    let meta = nkeys + table.columns.len();
    let key = (0..nkeys).map(json).collect::<Result<Vec<_>, _>>()?;
    let values = (nkeys..meta).map(json).collect::<Result<Vec<_>, _>>()?;
    MetaRecord::from_row(r)
        .map_err(e())?
        .into_exported(key, values, context)
}

/// Upserts `records` verbatim into `table` in one statement on `conn` (the
/// caller's transaction). A key given twice keeps its last row.
pub(crate) async fn import_records(
    conn: &mut PgConnection,
    table: &TableSpec,
    records: &[ExportedRecord],
) -> Result<(), StoreError> {
    let context = format!("importing records into `{}`", table.name);
    if records.is_empty() {
        return Ok(());
    }
    let mut last: HashMap<String, usize> = HashMap::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        last.insert(identity(&r.key), i);
    }
    let nkeys = table.primary_key.len();
    let mut keys: Vec<Vec<String>> = vec![Vec::new(); nkeys];
    let mut mapped: Vec<Vec<Option<String>>> = vec![Vec::new(); table.columns.len()];
    let (mut raw, mut first_seen, mut updated_at, mut updated_run) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut last_seen, mut last_run, mut last_change, mut version, mut deleted_at) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut seq: Vec<Option<i64>> = Vec::new();
    for (i, r) in records.iter().enumerate() {
        if last.get(&identity(&r.key)) != Some(&i) {
            continue;
        }
        for (column, text) in
            keys.iter_mut()
                .zip(key_texts(&r.key, &table.primary_key, &table.name)?)
        {
            column.push(text);
        }
        if r.values.len() != table.columns.len() {
            return Err(StoreError::new(
                StoreErrorKind::InvalidData,
                context,
                format!(
                    "a record has {} mapped values but the table has {} mapped columns",
                    r.values.len(),
                    table.columns.len()
                ),
            ));
        }
        for ((column, value), spec) in mapped.iter_mut().zip(&r.values).zip(&table.columns) {
            column.push(mapped_text(value, spec, &table.name)?);
        }
        raw.push(r.raw.clone());
        first_seen.push(r.first_seen);
        updated_at.push(r.updated_at);
        updated_run.push(r.updated_run.0);
        last_seen.push(r.last_seen);
        last_run.push(r.last_run.0);
        last_change.push(r.last_change.code() as i32);
        version.push(r.version.clone());
        deleted_at.push(r.deleted_at);
        seq.push(r.seq);
    }
    let mut arrays = Vec::new();
    let mut aliases = Vec::new();
    let mut selects = Vec::new();
    let mut n = 0;
    let mut next = |ty: &str| {
        n += 1;
        format!("${n}::{ty}[]")
    };
    for i in 0..nkeys {
        arrays.push(next("text"));
        aliases.push(format!("k{i}"));
        selects.push(format!("u.k{i}::jsonb"));
    }
    for (i, c) in table.columns.iter().enumerate() {
        arrays.push(next("text"));
        aliases.push(format!("m{i}"));
        selects.push(format!("u.m{i}::{}", sql_type(c.kind)));
    }
    for (alias, ty, cast) in [
        ("raw", "text", "::jsonb"),
        ("first_seen", "timestamptz", ""),
        ("updated_at", "timestamptz", ""),
        ("updated_run", "int8", ""),
        ("last_seen", "timestamptz", ""),
        ("last_run", "int8", ""),
        ("last_change", "int4", ""),
        ("version", "text", ""),
        ("deleted_at", "timestamptz", ""),
        ("seq", "int8", ""),
    ] {
        arrays.push(next(ty));
        aliases.push(alias.to_owned());
        selects.push(format!("u.{alias}{cast}"));
    }
    let mut names: Vec<String> = table.primary_key.iter().map(|c| quote(c)).collect();
    names.extend(table.columns.iter().map(|c| quote(&c.name)));
    names.extend(META_COLUMNS.iter().map(|c| (*c).to_owned()));
    names.push(SEQ_COLUMN.to_owned());
    // a row imported without a change number keeps (or, by the table's
    // trigger, gets) one of this store's
    let set: Vec<String> = names[nkeys..]
        .iter()
        .map(|c| match c.as_str() {
            SEQ_COLUMN => format!("{c} = coalesce(excluded.{c}, {}.{c})", quote(&table.name)),
            _ => format!("{c} = excluded.{c}"),
        })
        .collect();
    let sql = format!(
        "INSERT INTO {} ({}) SELECT {} FROM UNNEST({}) AS u({}) ON CONFLICT ({}) DO UPDATE SET {}",
        quote(&table.name),
        names.join(", "),
        selects.join(", "),
        arrays.join(", "),
        aliases.join(", "),
        key_list(table),
        set.join(", ")
    );
    let mut args = PgArguments::default();
    for column in keys {
        args.add(column).map_err(bind_err(&context))?;
    }
    for column in mapped {
        args.add(column).map_err(bind_err(&context))?;
    }
    args.add(raw).map_err(bind_err(&context))?;
    args.add(first_seen).map_err(bind_err(&context))?;
    args.add(updated_at).map_err(bind_err(&context))?;
    args.add(updated_run).map_err(bind_err(&context))?;
    args.add(last_seen).map_err(bind_err(&context))?;
    args.add(last_run).map_err(bind_err(&context))?;
    args.add(last_change).map_err(bind_err(&context))?;
    args.add(version).map_err(bind_err(&context))?;
    args.add(deleted_at).map_err(bind_err(&context))?;
    args.add(seq).map_err(bind_err(&context))?;
    crate::table::lock_for_changes(&mut *conn, &[&table.name])
        .await
        .map_err(db_err(&context))?;
    sqlx::query_with(AssertSqlSafe(sql), args)
        .execute(&mut *conn)
        .await
        .map_err(db_err(&context))?;
    // numbers imported verbatim: the sequence goes on above them
    let seq_name = crate::table::seq_name(&table.name);
    sqlx::query(AssertSqlSafe(format!(
        "SELECT setval('{seq_name}', greatest((SELECT coalesce(max(_seq), 1) FROM {}), \
         (SELECT last_value FROM {seq_name})))",
        quote(&table.name)
    )))
    .execute(&mut *conn)
    .await
    .map_err(db_err(&context))?;
    Ok(())
}

/// Runs in id order after `after`.
pub(crate) async fn runs(
    pool: &PgPool,
    after: Option<RunId>,
    limit: u32,
) -> Result<Vec<RunRow>, StoreError> {
    let rows: Vec<RunRecord> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {RUN_COLUMNS} FROM _holdfast_runs WHERE id > $1 ORDER BY id LIMIT $2"
    )))
    .bind(after.map_or(i64::MIN, |r| r.0))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_err("exporting runs"))?;
    rows.into_iter().map(RunRecord::into_run).collect()
}

/// Upserts runs by id on `conn`, then moves the id sequence past them.
pub(crate) async fn import_runs(
    conn: &mut PgConnection,
    runs: &[RunRow],
) -> Result<(), StoreError> {
    for run in runs {
        sqlx::query(
            "INSERT INTO _holdfast_runs (id, stream, started_at, finished_at, pages, created, \
             updated, unchanged, quarantined, outcome, error, holder, lease_until, last_page_at, \
             deleted, restored) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
             ON CONFLICT (id) DO UPDATE SET stream = excluded.stream, \
             started_at = excluded.started_at, finished_at = excluded.finished_at, \
             pages = excluded.pages, created = excluded.created, updated = excluded.updated, \
             unchanged = excluded.unchanged, quarantined = excluded.quarantined, \
             outcome = excluded.outcome, error = excluded.error, holder = excluded.holder, \
             lease_until = excluded.lease_until, last_page_at = excluded.last_page_at, \
             deleted = excluded.deleted, restored = excluded.restored",
        )
        .bind(run.id.0)
        .bind(&run.stream)
        .bind(run.started_at)
        .bind(run.finished_at)
        .bind(count(run.pages))
        .bind(count(run.outcome_counts.created))
        .bind(count(run.outcome_counts.updated))
        .bind(count(run.outcome_counts.unchanged))
        .bind(count(run.quarantined))
        .bind(run.outcome.as_str())
        .bind(&run.error)
        .bind(&run.holder)
        .bind(run.lease_until)
        .bind(run.last_page_at)
        .bind(count(run.outcome_counts.deleted))
        .bind(count(run.outcome_counts.restored))
        .execute(&mut *conn)
        .await
        .map_err(db_err(format!(
            "importing run {} of `{}`",
            run.id, run.stream
        )))?;
    }
    advance_sequence(conn, "_holdfast_runs").await
}

/// Quarantine rows in id order after `after`.
pub(crate) async fn quarantine(
    pool: &PgPool,
    after: Option<i64>,
    limit: u32,
) -> Result<Vec<ExportedQuarantine>, StoreError> {
    let context = "exporting quarantine";
    let rows: Vec<ExportedQuarantineRecord> = sqlx::query_as(
        "SELECT id, stream, run_id, reason, raw, violations, at, seen, resolved_at, resolved_run \
         FROM _holdfast_quarantine WHERE id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after.unwrap_or(i64::MIN))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_err(context))?;
    Ok(rows
        .into_iter()
        .map(|r| {
            ExportedQuarantine::new(r.row.into_row(), r.resolved_at, r.resolved_run.map(RunId))
        })
        .collect())
}

/// A quarantine row as exported: as listed, and how it was resolved.
#[derive(sqlx::FromRow)]
struct ExportedQuarantineRecord {
    #[sqlx(flatten)]
    row: QuarantineRecord,
    resolved_at: Option<DateTime<Utc>>,
    resolved_run: Option<i64>,
}

/// Upserts quarantine rows by id on `conn`, then moves the id sequence past them.
pub(crate) async fn import_quarantine(
    conn: &mut PgConnection,
    rows: &[ExportedQuarantine],
) -> Result<(), StoreError> {
    for q in rows {
        // Text cannot hold NUL; JSONB cannot hold \u0000 either (as in `insert`).
        let raw = q.raw.replace('\0', "\u{fffd}");
        let doc = (!raw.contains("\\u0000") && serde_json::from_str::<Value>(&raw).is_ok())
            .then(|| raw.clone());
        let violations = serde_json::to_string(&q.violations)
            .unwrap_or_else(|_| "[]".into())
            .replace("\\u0000", "\u{fffd}");
        sqlx::query(
            "INSERT INTO _holdfast_quarantine (id, stream, run_id, reason, raw, violations, \
             fingerprint, at, seen, resolved_at, resolved_run, doc) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb) \
             ON CONFLICT (id) DO UPDATE SET stream = excluded.stream, run_id = excluded.run_id, \
             reason = excluded.reason, raw = excluded.raw, violations = excluded.violations, \
             fingerprint = excluded.fingerprint, at = excluded.at, seen = excluded.seen, \
             resolved_at = excluded.resolved_at, resolved_run = excluded.resolved_run, \
             doc = excluded.doc",
        )
        .bind(q.id)
        .bind(&q.stream)
        .bind(q.run.0)
        .bind(q.reason.replace('\0', "\u{fffd}"))
        .bind(&raw)
        .bind(violations)
        .bind(crate::quarantine::fingerprint(&q.raw))
        .bind(q.at)
        .bind(count(q.seen))
        .bind(q.resolved_at)
        .bind(q.resolved_run.map(|r| r.0))
        .bind(doc)
        .execute(&mut *conn)
        .await
        .map_err(db_err(format!(
            "importing quarantine row {} of `{}`",
            q.id, q.stream
        )))?;
    }
    advance_sequence(conn, "_holdfast_quarantine").await
}

/// Moves `table`'s id sequence past its highest id, so rows added later do
/// not collide with imported ids.
async fn advance_sequence(conn: &mut PgConnection, table: &str) -> Result<(), StoreError> {
    sqlx::query(AssertSqlSafe(format!(
        "SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table} \
         HAVING max(id) IS NOT NULL"
    )))
    .execute(&mut *conn)
    .await
    .map_err(db_err(format!("advancing the ids of `{table}`")))?;
    Ok(())
}
