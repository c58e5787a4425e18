//! Quarantine: records kept out of their table, once each, until resolved.

use holdfast_store::{QuarantineRow, QuarantinedRecord, RunId, StoreError, Violation};
use serde_json::Value;
use sqlx::sqlite::{SqliteArguments, SqliteConnection};
use sqlx::{Arguments, AssertSqlSafe};

use crate::error::db_err;
use crate::time::from_text;
use crate::upsert::bind_key;

/// Adds `records`; one already waiting (same stream and payload) is updated
/// in place with the new run, reason and violations, and counted as seen again.
pub(crate) async fn insert(
    conn: &mut SqliteConnection,
    stream: &str,
    run: RunId,
    records: &[QuarantinedRecord],
    now: &str,
) -> Result<(), sqlx::Error> {
    for q in records {
        let violations = serde_json::to_string(&q.violations).unwrap_or_else(|_| "[]".into());
        sqlx::query(
            "INSERT INTO _holdfast_quarantine (stream, run_id, reason, raw, violations, fingerprint, at) \
             VALUES (?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (stream, fingerprint) WHERE resolved_at IS NULL DO UPDATE SET \
             run_id = excluded.run_id, reason = excluded.reason, violations = excluded.violations, \
             at = excluded.at, seen = seen + 1",
        )
        .bind(stream)
        .bind(run.0)
        .bind(&q.reason)
        .bind(&q.raw)
        .bind(violations)
        .bind(fingerprint(&q.raw))
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Marks quarantine rows resolved (their records are now in the table).
pub(crate) async fn resolve(
    conn: &mut SqliteConnection,
    ids: &[i64],
    run: RunId,
    now: &str,
) -> Result<(), sqlx::Error> {
    for id in ids {
        sqlx::query(
            "UPDATE _holdfast_quarantine SET resolved_at = ?, resolved_run = ? WHERE id = ?",
        )
        .bind(now)
        .bind(run.0)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

const COLUMNS: &str = "id, stream, run_id, reason, raw, violations, at, seen";

/// Unresolved rows, newest first.
pub(crate) async fn list(
    conn: &mut SqliteConnection,
    stream: Option<&str>,
    limit: u32,
) -> Result<Vec<QuarantineRow>, StoreError> {
    let rows: Vec<QuarantineRecord> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM _holdfast_quarantine \
         WHERE resolved_at IS NULL AND (?1 IS NULL OR stream = ?1) ORDER BY id DESC LIMIT ?2"
    )))
    .bind(stream)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err("listing quarantine"))?;
    rows.into_iter().map(QuarantineRecord::into_row).collect()
}

/// Unresolved rows of `stream` whose payload has `key` at `fields`.
pub(crate) async fn by_key(
    conn: &mut SqliteConnection,
    stream: &str,
    fields: &[String],
    key: &[Value],
) -> Result<Vec<QuarantineRow>, StoreError> {
    let mut args = SqliteArguments::default();
    let err = |e: sqlx::error::BoxDynError| {
        StoreError::new(
            holdfast_store::StoreErrorKind::Other,
            "reading quarantine",
            e.to_string(),
        )
    };
    args.add(stream.to_owned()).map_err(err)?;
    let mut filter = String::new();
    for (field, value) in fields.iter().zip(key) {
        filter.push_str(" AND json_extract(raw, ?) = ?");
        args.add(format!("$.\"{}\"", field.replace('"', "")))
            .map_err(err)?;
        bind_key(&mut args, value, field, stream)?;
    }
    let rows: Vec<QuarantineRecord> = sqlx::query_as_with(
        AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM _holdfast_quarantine WHERE stream = ? AND resolved_at IS NULL{filter} ORDER BY id DESC"
        )),
        args,
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err("reading quarantine"))?;
    rows.into_iter().map(QuarantineRecord::into_row).collect()
}

/// A quarantine row as stored (`COLUMNS`).
#[derive(sqlx::FromRow)]
pub(crate) struct QuarantineRecord {
    id: i64,
    stream: String,
    run_id: i64,
    reason: String,
    raw: String,
    violations: String,
    at: String,
    seen: i64,
}

impl QuarantineRecord {
    /// The row as listed.
    pub(crate) fn into_row(self) -> Result<QuarantineRow, StoreError> {
        Ok(QuarantineRow {
            id: self.id,
            stream: self.stream,
            run: RunId(self.run_id),
            reason: self.reason,
            raw: self.raw,
            violations: serde_json::from_str::<Vec<Violation>>(&self.violations)
                .unwrap_or_default(),
            at: from_text(&self.at)?,
            seen: self.seen.max(0) as u64,
        })
    }
}

/// FNV-1a over the payload: stable across versions, enough to tell records apart.
pub(crate) fn fingerprint(raw: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in raw.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}
