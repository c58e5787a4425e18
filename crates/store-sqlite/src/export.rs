//! Exports and verbatim imports: what `holdfast store migrate` reads and writes.

use async_trait::async_trait;
use holdfast_store::{
    Column, ColumnKind, ExportStore, ExportedQuarantine, ExportedRecord, Inventory, NamedShape,
    NamedState, RecordQuery, RunId, RunRow, StoreError, StoreErrorKind, TableSpec,
};
use serde_json::Value;
use sqlx::sqlite::{SqliteArguments, SqliteConnection, SqlitePool, SqliteRow};
use sqlx::{Arguments, AssertSqlSafe, FromRow, Row};

use crate::error::db_err;
use crate::quarantine::QuarantineRecord;
use crate::runs::{RUN_COLUMNS, RunRecord};
use crate::store::SqliteStore;
use crate::table::{META_COLUMNS, MetaRecord, SEQ_COLUMN, key_list, quote};
use crate::time::{from_opt_text, from_text, to_text};
use crate::upsert::{bind_key, bind_value};

#[async_trait]
impl ExportStore for SqliteStore {
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
        let mut tx = self.begin_write().await.map_err(db_err(&context))?;
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
        let mut tx = self.begin_write().await.map_err(db_err("importing runs"))?;
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
            .begin_write()
            .await
            .map_err(db_err("importing quarantine"))?;
        crate::export::import_quarantine(&mut tx, rows).await?;
        tx.commit().await.map_err(db_err("importing quarantine"))
    }
}

/// Bound parameters per import statement (SQLite allows 32,766).
const PARAMS_PER_STATEMENT: usize = 30_000;

/// Tables (with mapped column kinds), states and shapes, by name.
pub(crate) async fn inventory(pool: &SqlitePool) -> Result<Inventory, StoreError> {
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
        // Tables registered before kinds were kept: the declared type tells
        // all but booleans (INTEGER too) apart.
        let declared: Vec<(String, String)> =
            sqlx::query_as("SELECT name, type FROM pragma_table_info(?)")
                .bind(&name)
                .fetch_all(pool)
                .await
                .map_err(db_err(format!("reading the columns of table `{name}`")))?;
        let columns = entries
            .iter()
            .filter_map(|entry| {
                let column = entry["name"].as_str()?;
                let kind = entry["kind"]
                    .as_str()
                    .and_then(ColumnKind::parse)
                    .unwrap_or_else(|| {
                        let ty = declared
                            .iter()
                            .find(|(n, _)| n == column)
                            .map(|(_, t)| t.to_ascii_uppercase())
                            .unwrap_or_default();
                        match ty.as_str() {
                            "TEXT" => ColumnKind::Text,
                            "INTEGER" => ColumnKind::Integer,
                            _ => ColumnKind::Any,
                        }
                    });
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
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT stream, state, updated_at FROM _holdfast_state ORDER BY stream")
            .fetch_all(pool)
            .await
            .map_err(db_err(context))?;
    for (stream, state, at) in rows {
        let state = serde_json::from_str(&state).map_err(|e| {
            StoreError::with_source(
                StoreErrorKind::Schema,
                format!("reading the state of `{stream}`"),
                e,
            )
        })?;
        states.push(NamedState {
            updated_at: from_text(&at)?,
            stream,
            state,
        });
    }
    let mut shapes = Vec::new();
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT stream, shape, updated_at FROM _holdfast_shapes ORDER BY stream")
            .fetch_all(pool)
            .await
            .map_err(db_err(context))?;
    for (stream, shape, at) in rows {
        shapes.push(NamedShape {
            updated_at: from_text(&at)?,
            stream,
            shape,
        });
    }
    Ok(Inventory {
        tables,
        states,
        shapes,
    })
}

/// A page of `table` in key order after `after`.
pub(crate) async fn records(
    pool: &SqlitePool,
    table: &TableSpec,
    query: &RecordQuery,
) -> Result<Vec<ExportedRecord>, StoreError> {
    let context = format!("reading records of `{}`", table.name);
    let keys = key_list(table);
    let mut select: Vec<String> = table
        .primary_key
        .iter()
        .map(|c| format!("json_quote({})", quote(c)))
        .collect();
    select.extend(
        table
            .columns
            .iter()
            .map(|c| format!("json_quote({})", quote(&c.name))),
    );
    select.extend(META_COLUMNS.iter().map(|c| (*c).to_owned()));
    // a table from before the change feed has no numbers until a writer prepares it
    let numbered: bool =
        sqlx::query_scalar("SELECT count(*) > 0 FROM pragma_table_info(?) WHERE name = '_seq'")
            .bind(&table.name)
            .fetch_one(pool)
            .await
            .map_err(db_err(&context))?;
    select.push(if numbered { SEQ_COLUMN } else { "NULL AS _seq" }.to_owned());
    let mut args = SqliteArguments::default();
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
        for (value, column) in key.iter().zip(&table.primary_key) {
            bind_key(&mut args, value, column, &table.name)?;
        }
        filters.push(format!(
            "({keys}) {op} ({})",
            vec!["?"; key.len()].join(", ")
        ));
    }
    let bind = |e: sqlx::error::BoxDynError| {
        StoreError::new(StoreErrorKind::Other, context.clone(), e.to_string())
    };
    if let Some(since) = query.updated_since {
        args.add(to_text(since)).map_err(bind)?;
        filters.push("_updated_at >= ?".to_owned());
    }
    if !query.deleted {
        filters.push("_deleted_at IS NULL".to_owned());
    }
    let order = match query.changed_after {
        Some(_) if !numbered => return Ok(Vec::new()),
        Some(after) => {
            args.add(after).map_err(bind)?;
            filters.push("_seq > ?".to_owned());
            "_seq".to_owned()
        }
        None => keys.clone(),
    };
    args.add(i64::from(query.limit)).map_err(bind)?;
    let filter = if filters.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", filters.join(" AND "))
    };
    let sql = format!(
        "SELECT {} FROM {} {filter} ORDER BY {order} LIMIT ?",
        select.join(", "),
        quote(&table.name)
    );
    let rows = sqlx::query_with(AssertSqlSafe(sql), args)
        .fetch_all(pool)
        .await
        .map_err(db_err(&context))?;
    rows.iter().map(|r| record(r, table, &context)).collect()
}

fn record(r: &SqliteRow, table: &TableSpec, context: &str) -> Result<ExportedRecord, StoreError> {
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
        .into_exported(key, values)
}

/// Upserts `records` verbatim into `table` on `conn` (the caller's transaction).
pub(crate) async fn import_records(
    conn: &mut SqliteConnection,
    table: &TableSpec,
    records: &[ExportedRecord],
) -> Result<(), StoreError> {
    let context = format!("importing records into `{}`", table.name);
    let mut names: Vec<String> = table.primary_key.iter().map(|c| quote(c)).collect();
    names.extend(table.columns.iter().map(|c| quote(&c.name)));
    names.extend(META_COLUMNS.iter().map(|c| (*c).to_owned()));
    names.push(SEQ_COLUMN.to_owned());
    let width = names.len();
    // a row imported without a change number keeps (or, by the table's
    // trigger, gets) one of this store's
    let set: Vec<String> = names[table.primary_key.len()..]
        .iter()
        .map(|c| match c.as_str() {
            SEQ_COLUMN => format!("{c} = coalesce(excluded.{c}, {}.{c})", quote(&table.name)),
            _ => format!("{c} = excluded.{c}"),
        })
        .collect();
    let per = (PARAMS_PER_STATEMENT / width).max(1);
    let row_marks = format!("({})", vec!["?"; width].join(", "));
    for chunk in records.chunks(per) {
        let sql = format!(
            "INSERT INTO {} ({}) VALUES {} ON CONFLICT ({}) DO UPDATE SET {}",
            quote(&table.name),
            names.join(", "),
            vec![row_marks.as_str(); chunk.len()].join(", "),
            key_list(table),
            set.join(", ")
        );
        let mut args = SqliteArguments::default();
        for record in chunk {
            bind_record(&mut args, table, record, &context)?;
        }
        sqlx::query_with(AssertSqlSafe(sql), args)
            .execute(&mut *conn)
            .await
            .map_err(db_err(&context))?;
    }
    Ok(())
}

fn bind_record(
    args: &mut SqliteArguments,
    table: &TableSpec,
    record: &ExportedRecord,
    context: &str,
) -> Result<(), StoreError> {
    let invalid =
        |message: String| StoreError::new(StoreErrorKind::InvalidData, context.to_owned(), message);
    if record.key.len() != table.primary_key.len() {
        return Err(invalid(format!(
            "a record has {} key values but the table has {} primary key columns",
            record.key.len(),
            table.primary_key.len()
        )));
    }
    if record.values.len() != table.columns.len() {
        return Err(invalid(format!(
            "a record has {} mapped values but the table has {} mapped columns",
            record.values.len(),
            table.columns.len()
        )));
    }
    let err = |e: sqlx::error::BoxDynError| {
        StoreError::new(StoreErrorKind::Other, context.to_owned(), e.to_string())
    };
    for (value, column) in record.key.iter().zip(&table.primary_key) {
        bind_key(args, value, column, &table.name)?;
    }
    for value in &record.values {
        bind_value(args, value)?;
    }
    args.add(record.raw.clone()).map_err(err)?;
    args.add(to_text(record.first_seen)).map_err(err)?;
    args.add(to_text(record.updated_at)).map_err(err)?;
    args.add(record.updated_run.0).map_err(err)?;
    args.add(to_text(record.last_seen)).map_err(err)?;
    args.add(record.last_run.0).map_err(err)?;
    args.add(record.last_change.code()).map_err(err)?;
    args.add(record.version.clone()).map_err(err)?;
    args.add(record.deleted_at.map(to_text)).map_err(err)?;
    args.add(record.seq).map_err(err)?;
    Ok(())
}

/// Runs in id order after `after`.
pub(crate) async fn runs(
    pool: &SqlitePool,
    after: Option<RunId>,
    limit: u32,
) -> Result<Vec<RunRow>, StoreError> {
    let rows: Vec<RunRecord> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {RUN_COLUMNS} FROM _holdfast_runs WHERE id > ? ORDER BY id LIMIT ?"
    )))
    .bind(after.map_or(i64::MIN, |r| r.0))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_err("exporting runs"))?;
    rows.into_iter().map(RunRecord::into_run).collect()
}

/// Upserts runs by id on `conn` (AUTOINCREMENT then continues above them).
pub(crate) async fn import_runs(
    conn: &mut SqliteConnection,
    runs: &[RunRow],
) -> Result<(), StoreError> {
    for run in runs {
        sqlx::query(
            "INSERT INTO _holdfast_runs (id, stream, started_at, finished_at, pages, created, \
             updated, unchanged, deleted, restored, quarantined, outcome, error, holder, \
             lease_until, last_page_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET stream = excluded.stream, \
             started_at = excluded.started_at, finished_at = excluded.finished_at, \
             pages = excluded.pages, created = excluded.created, updated = excluded.updated, \
             unchanged = excluded.unchanged, deleted = excluded.deleted, \
             restored = excluded.restored, quarantined = excluded.quarantined, outcome = excluded.outcome, error = excluded.error, holder = excluded.holder, \
             lease_until = excluded.lease_until, last_page_at = excluded.last_page_at",
        )
        .bind(run.id.0)
        .bind(&run.stream)
        .bind(to_text(run.started_at))
        .bind(run.finished_at.map(to_text))
        .bind(count(run.pages))
        .bind(count(run.outcome_counts.created))
        .bind(count(run.outcome_counts.updated))
        .bind(count(run.outcome_counts.unchanged))
        .bind(count(run.outcome_counts.deleted))
        .bind(count(run.outcome_counts.restored))
        .bind(count(run.quarantined))
        .bind(run.outcome.as_str())
        .bind(&run.error)
        .bind(&run.holder)
        .bind(run.lease_until.map(to_text))
        .bind(run.last_page_at.map(to_text))
        .execute(&mut *conn)
        .await
        .map_err(db_err(format!(
            "importing run {} of `{}`",
            run.id, run.stream
        )))?;
    }
    Ok(())
}

/// Quarantine rows in id order after `after`.
pub(crate) async fn quarantine(
    pool: &SqlitePool,
    after: Option<i64>,
    limit: u32,
) -> Result<Vec<ExportedQuarantine>, StoreError> {
    let context = "exporting quarantine";
    let rows: Vec<ExportedQuarantineRecord> = sqlx::query_as(
        "SELECT id, stream, run_id, reason, raw, violations, at, seen, resolved_at, resolved_run \
         FROM _holdfast_quarantine WHERE id > ? ORDER BY id LIMIT ?",
    )
    .bind(after.unwrap_or(i64::MIN))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_err(context))?;
    rows.into_iter()
        .map(|r| {
            Ok(ExportedQuarantine::new(
                r.row.into_row()?,
                from_opt_text(r.resolved_at.as_deref())?,
                r.resolved_run.map(RunId),
            ))
        })
        .collect()
}

/// A quarantine row as exported: as listed, and how it was resolved.
#[derive(sqlx::FromRow)]
struct ExportedQuarantineRecord {
    #[sqlx(flatten)]
    row: QuarantineRecord,
    resolved_at: Option<String>,
    resolved_run: Option<i64>,
}

/// Upserts quarantine rows by id on `conn`.
pub(crate) async fn import_quarantine(
    conn: &mut SqliteConnection,
    rows: &[ExportedQuarantine],
) -> Result<(), StoreError> {
    for q in rows {
        let violations = serde_json::to_string(&q.violations).unwrap_or_else(|_| "[]".into());
        sqlx::query(
            "INSERT INTO _holdfast_quarantine (id, stream, run_id, reason, raw, violations, \
             fingerprint, at, seen, resolved_at, resolved_run) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET stream = excluded.stream, run_id = excluded.run_id, \
             reason = excluded.reason, raw = excluded.raw, violations = excluded.violations, \
             fingerprint = excluded.fingerprint, at = excluded.at, seen = excluded.seen, \
             resolved_at = excluded.resolved_at, resolved_run = excluded.resolved_run",
        )
        .bind(q.id)
        .bind(&q.stream)
        .bind(q.run.0)
        .bind(&q.reason)
        .bind(&q.raw)
        .bind(violations)
        .bind(crate::quarantine::fingerprint(&q.raw))
        .bind(to_text(q.at))
        .bind(count(q.seen))
        .bind(q.resolved_at.map(to_text))
        .bind(q.resolved_run.map(|r| r.0))
        .execute(&mut *conn)
        .await
        .map_err(db_err(format!(
            "importing quarantine row {} of `{}`",
            q.id, q.stream
        )))?;
    }
    Ok(())
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
