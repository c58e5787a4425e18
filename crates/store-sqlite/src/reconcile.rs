//! Reconciliation on SQLite: the sweep of rows a complete scan did not see,
//! and the record of each reconciliation (`_holdfast_reconciliations`).

use chrono::{DateTime, Utc};
use holdfast_store::{
    MissingAction, ReconcileOutcome, Reconciliation, RunId, StoreError, StoreErrorKind, Sweep,
    SweepOutcome, TableSpec,
};
use serde_json::Value;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Arguments, AssertSqlSafe};

use crate::error::db_err;
use crate::store::SqliteStore;
use crate::table::{key_list, quote};
use crate::time::{from_text, to_text};
use crate::upsert::bind_key;

/// Counts the missing rows and applies the sweep's action in one write transaction.
pub(crate) async fn sweep(
    store: &SqliteStore,
    sweep: &Sweep<'_>,
) -> Result<SweepOutcome, StoreError> {
    let name = quote(&sweep.table.name);
    let context = format!(
        "sweeping `{}` after a reconciliation scan",
        sweep.table.name
    );
    let missing_rows = "_deleted_at IS NULL AND _last_run <> ?1 AND _last_seen < ?2";
    let mut tx = store.begin_write().await.map_err(db_err(&context))?;
    let (live, missing): (i64, i64) = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT count(*) FILTER (WHERE _deleted_at IS NULL), \
         count(*) FILTER (WHERE {missing_rows}) FROM {name}"
    )))
    .bind(sweep.run.0)
    .bind(to_text(sweep.seen_since))
    .fetch_one(&mut *tx)
    .await
    .map_err(db_err(&context))?;
    let (live, missing) = (live.max(0) as u64, missing.max(0) as u64);
    let refused = sweep.refuses(missing, live);
    let statement = match sweep.to_apply(missing, live) {
        None | Some(MissingAction::Report) => None,
        Some(MissingAction::SoftDelete) => Some(format!(
            "UPDATE {name} SET _deleted_at = ?3, _updated_at = ?3, _updated_run = ?1, \
             _last_change = 3 WHERE {missing_rows}"
        )),
        Some(MissingAction::HardDelete) => Some(format!("DELETE FROM {name} WHERE {missing_rows}")),
    };
    let mut applied = 0;
    if let Some(sql) = statement {
        applied = sqlx::query(AssertSqlSafe(sql))
            .bind(sweep.run.0)
            .bind(to_text(sweep.seen_since))
            .bind(to_text(sweep.now))
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
    store: &SqliteStore,
    table: &TableSpec,
    run: RunId,
    keys: &[Vec<Value>],
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let context = format!("marking keys seen in `{}`", table.name);
    let mut distinct: Vec<&Vec<Value>> = Vec::with_capacity(keys.len());
    let mut seen = std::collections::HashSet::new();
    for key in keys {
        if seen.insert(serde_json::to_string(key).unwrap_or_default()) {
            distinct.push(key);
        }
    }
    let nkeys = table.primary_key.len().max(1);
    let row = format!("({})", vec!["?"; nkeys].join(", "));
    let mut tx = store.begin_write().await.map_err(db_err(&context))?;
    let mut touched = 0;
    for chunk in distinct.chunks(400 / nkeys) {
        let sql = format!(
            "UPDATE {} SET _last_seen = ?, _last_run = ? WHERE _deleted_at IS NULL AND ({}) IN \
             (VALUES {})",
            quote(&table.name),
            key_list(table),
            vec![row.as_str(); chunk.len()].join(", ")
        );
        let mut args = SqliteArguments::default();
        let bind = |e: sqlx::error::BoxDynError| {
            StoreError::new(StoreErrorKind::Other, context.clone(), e.to_string())
        };
        args.add(to_text(now)).map_err(bind)?;
        args.add(run.0).map_err(bind)?;
        for key in chunk {
            if key.len() != table.primary_key.len() {
                return Err(StoreError::new(
                    StoreErrorKind::InvalidData,
                    context,
                    format!(
                        "a key has {} values but the table has {} primary key columns",
                        key.len(),
                        table.primary_key.len()
                    ),
                ));
            }
            for (value, column) in key.iter().zip(&table.primary_key) {
                bind_key(&mut args, value, column, &table.name)?;
            }
        }
        touched += sqlx::query_with(AssertSqlSafe(sql), args)
            .execute(&mut *tx)
            .await
            .map_err(db_err(&context))?
            .rows_affected();
    }
    tx.commit().await.map_err(db_err(context))?;
    Ok((distinct.len() as u64).saturating_sub(touched))
}

/// Inserts (or replaces) one reconciliation.
pub(crate) async fn save(store: &SqliteStore, r: &Reconciliation) -> Result<(), StoreError> {
    let context = format!("recording the reconciliation of `{}`", r.stream);
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let mut tx = store.begin_write().await.map_err(db_err(&context))?;
    sqlx::query(
        "INSERT OR REPLACE INTO _holdfast_reconciliations (run, stream, started_at, finished_at, \
         outcome, action, upstream, local, fetched, changed, missing, deleted, restored, refused, \
         reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(r.run.0)
    .bind(&r.stream)
    .bind(to_text(r.started_at))
    .bind(to_text(r.finished_at))
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
    .execute(&mut *tx)
    .await
    .map_err(db_err(&context))?;
    tx.commit().await.map_err(db_err(context))
}

/// A stored reconciliation row.
#[derive(sqlx::FromRow)]
struct Row {
    run: i64,
    stream: String,
    started_at: String,
    finished_at: String,
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
    store: &SqliteStore,
    stream: Option<&str>,
    limit: u32,
) -> Result<Vec<Reconciliation>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT run, stream, started_at, finished_at, outcome, action, upstream, local, fetched, \
         changed, missing, deleted, restored, refused, reason FROM _holdfast_reconciliations \
         WHERE (?1 IS NULL OR stream = ?1) ORDER BY run DESC LIMIT ?2",
    )
    .bind(stream)
    .bind(i64::from(limit))
    .fetch_all(store.pool())
    .await
    .map_err(db_err("listing reconciliations"))?;
    let count = |n: i64| n.max(0) as u64;
    rows.into_iter()
        .map(|r| {
            Ok(Reconciliation {
                run: RunId(r.run),
                stream: r.stream,
                started_at: from_text(&r.started_at)?,
                finished_at: from_text(&r.finished_at)?,
                outcome: ReconcileOutcome::from_stored(&r.outcome)?,
                action: MissingAction::parse(&r.action).ok_or_else(|| {
                    StoreError::new(
                        holdfast_store::StoreErrorKind::Schema,
                        "reading reconciliations",
                        format!("unknown action `{}`", r.action),
                    )
                })?,
                upstream: count(r.upstream),
                local: count(r.local),
                fetched: count(r.fetched),
                changed: count(r.changed),
                missing: count(r.missing),
                deleted: count(r.deleted),
                restored: count(r.restored),
                refused: count(r.refused),
                reason: r.reason,
            })
        })
        .collect()
}
