//! Reconciliation on PostgreSQL: the sweep of rows a complete scan did not
//! see, and the record of each reconciliation (`_holdfast_reconciliations`).

use chrono::{DateTime, Utc};
use holdfast_store::{
    MissingAction, ReconcileOutcome, Reconciliation, RunId, StoreError, StoreErrorKind, Sweep,
    SweepOutcome, TableSpec,
};
use serde_json::Value;
use sqlx::AssertSqlSafe;

use crate::error::db_err;
use crate::store::PgStore;
use crate::table::quote;
use crate::values::{count, key_texts};

/// Counts the missing rows and applies the sweep's action in one transaction.
///
/// A row written between the count and the action (a webhook event) has a
/// `_last_seen` after `seen_since`, so the action never reaches past the
/// rows counted.
pub(crate) async fn sweep(store: &PgStore, sweep: &Sweep<'_>) -> Result<SweepOutcome, StoreError> {
    let name = quote(&sweep.table.name);
    let context = format!(
        "sweeping `{}` after a reconciliation scan",
        sweep.table.name
    );
    let missing_rows = "_deleted_at IS NULL AND _last_run <> $1 AND _last_seen < $2";
    let mut tx = store.pool.begin().await.map_err(db_err(&context))?;
    crate::table::lock_for_changes(&mut tx, &[&sweep.table.name])
        .await
        .map_err(db_err(&context))?;
    let (live, missing): (i64, i64) = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT count(*) FILTER (WHERE _deleted_at IS NULL), \
         count(*) FILTER (WHERE {missing_rows}) FROM {name}"
    )))
    .bind(sweep.run.0)
    .bind(sweep.seen_since)
    .fetch_one(&mut *tx)
    .await
    .map_err(db_err(&context))?;
    let (live, missing) = (live.max(0) as u64, missing.max(0) as u64);
    let refused = sweep.refuses(missing, live);
    let statement = match sweep.to_apply(missing, live) {
        None | Some(MissingAction::Report) => None,
        Some(MissingAction::SoftDelete) => Some(format!(
            "UPDATE {name} SET _deleted_at = $3, _updated_at = $3, _updated_run = $1, \
             _last_change = 3 WHERE {missing_rows}"
        )),
        Some(MissingAction::HardDelete) => Some(format!("DELETE FROM {name} WHERE {missing_rows}")),
    };
    let mut applied = 0;
    if let Some(sql) = statement {
        let query = sqlx::query(AssertSqlSafe(sql))
            .bind(sweep.run.0)
            .bind(sweep.seen_since);
        let query = match sweep.action {
            MissingAction::SoftDelete => query.bind(sweep.now),
            _ => query,
        };
        applied = query
            .execute(&mut *tx)
            .await
            .map_err(db_err(&context))?
            .rows_affected();
    }
    tx.commit().await.map_err(db_err(context))?;
    Ok(SweepOutcome {
        live,
        missing,
        applied,
        refused,
    })
}

/// Marks the live rows of `keys` seen by `run`; how many keys have no live row.
pub(crate) async fn touch(
    store: &PgStore,
    table: &TableSpec,
    run: RunId,
    keys: &[Vec<Value>],
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let context = format!("marking keys seen in `{}`", table.name);
    let nkeys = table.primary_key.len();
    let mut columns: Vec<Vec<String>> = vec![Vec::new(); nkeys];
    let mut seen = std::collections::HashSet::new();
    for key in keys {
        let texts = key_texts(key, &table.primary_key, &table.name)?;
        if seen.insert(texts.join("\u{1f}")) {
            for (column, text) in columns.iter_mut().zip(texts) {
                column.push(text);
            }
        }
    }
    let distinct = seen.len() as u64;
    let arrays: Vec<String> = (0..nkeys).map(|i| format!("${}::text[]", i + 3)).collect();
    let aliases: Vec<String> = (0..nkeys).map(|i| format!("k{i}")).collect();
    let matches: Vec<String> = table
        .primary_key
        .iter()
        .enumerate()
        .map(|(i, c)| format!("t.{} = u.k{i}::jsonb", quote(c)))
        .collect();
    let sql = format!(
        "UPDATE {} AS t SET _last_seen = $1, _last_run = $2 FROM UNNEST({}) AS u({}) \
         WHERE t._deleted_at IS NULL AND {}",
        quote(&table.name),
        arrays.join(", "),
        aliases.join(", "),
        matches.join(" AND ")
    );
    let mut query = sqlx::query(AssertSqlSafe(sql)).bind(now).bind(run.0);
    for column in columns {
        query = query.bind(column);
    }
    let touched = query
        .execute(&store.pool)
        .await
        .map_err(db_err(context))?
        .rows_affected();
    Ok(distinct.saturating_sub(touched))
}

/// Inserts (or replaces) one reconciliation.
pub(crate) async fn save(store: &PgStore, r: &Reconciliation) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO _holdfast_reconciliations (run, stream, started_at, finished_at, outcome, \
         action, upstream, local, fetched, changed, missing, deleted, restored, refused, reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (run) DO UPDATE SET stream = excluded.stream, \
         started_at = excluded.started_at, finished_at = excluded.finished_at, \
         outcome = excluded.outcome, action = excluded.action, upstream = excluded.upstream, \
         local = excluded.local, fetched = excluded.fetched, changed = excluded.changed, \
         missing = excluded.missing, deleted = excluded.deleted, restored = excluded.restored, \
         refused = excluded.refused, reason = excluded.reason",
    )
    .bind(r.run.0)
    .bind(&r.stream)
    .bind(r.started_at)
    .bind(r.finished_at)
    .bind(r.outcome.as_str())
    .bind(r.action.as_str())
    .bind(count(r.upstream))
    .bind(count(r.local))
    .bind(count(r.fetched))
    .bind(count(r.changed))
    .bind(count(r.missing))
    .bind(count(r.deleted))
    .bind(count(r.restored))
    .bind(count(r.refused))
    .bind(&r.reason)
    .execute(&store.pool)
    .await
    .map_err(db_err(format!(
        "recording the reconciliation of `{}`",
        r.stream
    )))?;
    Ok(())
}

/// A stored reconciliation row.
#[derive(sqlx::FromRow)]
struct Row {
    run: i64,
    stream: String,
    started_at: DateTime<Utc>,
    finished_at: DateTime<Utc>,
    outcome: String,
    action: String,
    upstream: i64,
    local: i64,
    fetched: i64,
    changed: i64,
    missing: i64,
    deleted: i64,
    restored: i64,
    refused: i64,
    reason: Option<String>,
}

/// The newest reconciliations first.
pub(crate) async fn list(
    store: &PgStore,
    stream: Option<&str>,
    limit: u32,
) -> Result<Vec<Reconciliation>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT run, stream, started_at, finished_at, outcome, action, upstream, local, fetched, \
         changed, missing, deleted, restored, refused, reason FROM _holdfast_reconciliations \
         WHERE ($1::text IS NULL OR stream = $1) ORDER BY run DESC LIMIT $2",
    )
    .bind(stream)
    .bind(i64::from(limit))
    .fetch_all(&store.pool)
    .await
    .map_err(db_err("listing reconciliations"))?;
    let n = |v: i64| v.max(0) as u64;
    rows.into_iter()
        .map(|r| {
            Ok(Reconciliation {
                run: RunId(r.run),
                stream: r.stream,
                started_at: r.started_at,
                finished_at: r.finished_at,
                outcome: ReconcileOutcome::from_stored(&r.outcome)?,
                action: MissingAction::parse(&r.action).ok_or_else(|| {
                    StoreError::new(
                        StoreErrorKind::Schema,
                        "reading reconciliations",
                        format!("unknown action `{}`", r.action),
                    )
                })?,
                upstream: n(r.upstream),
                local: n(r.local),
                fetched: n(r.fetched),
                changed: n(r.changed),
                missing: n(r.missing),
                deleted: n(r.deleted),
                restored: n(r.restored),
                refused: n(r.refused),
                reason: r.reason,
            })
        })
        .collect()
}
