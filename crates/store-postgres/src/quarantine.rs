//! Quarantine: records kept out of their table, once each, until resolved.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use holdfast_store::{QuarantineRow, QuarantinedRecord, RunId, StoreError, Violation};
use serde_json::Value;
use sqlx::postgres::{PgArguments, PgConnection, PgPool};
use sqlx::{Arguments, AssertSqlSafe};

use crate::error::{bind_err, db_err};

/// Adds `records` in one statement; one already waiting (same stream and
/// payload) is updated in place with the new run, reason and violations, and
/// counted as seen again (as often as the page repeats it).
pub(crate) async fn insert(
    conn: &mut PgConnection,
    stream: &str,
    run: RunId,
    records: &[QuarantinedRecord],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    if records.is_empty() {
        return Ok(());
    }
    let mut slot: HashMap<String, usize> = HashMap::new();
    let (mut reason, mut raw, mut violations, mut prints, mut seen, mut doc) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for q in records {
        let print = fingerprint(&q.raw);
        // Text cannot hold NUL; JSONB cannot hold \u0000 either.
        let kept = q.raw.replace('\0', "\u{fffd}");
        let parsed = (!kept.contains("\\u0000") && serde_json::from_str::<Value>(&kept).is_ok())
            .then(|| kept.clone());
        let v = serde_json::to_string(&q.violations)
            .unwrap_or_else(|_| "[]".into())
            .replace("\\u0000", "\u{fffd}");
        match slot.get(&print) {
            Some(&i) => {
                reason[i] = q.reason.replace('\0', "\u{fffd}");
                violations[i] = v;
                seen[i] += 1;
            }
            None => {
                slot.insert(print.clone(), reason.len());
                reason.push(q.reason.replace('\0', "\u{fffd}"));
                raw.push(kept);
                violations.push(v);
                prints.push(print);
                seen.push(1_i64);
                doc.push(parsed);
            }
        }
    }
    sqlx::query(
        "INSERT INTO _holdfast_quarantine \
         (stream, run_id, reason, raw, violations, fingerprint, at, seen, doc) \
         SELECT $1, $2, u.reason, u.raw, u.violations, u.fp, $3, u.seen, u.doc::jsonb \
         FROM UNNEST($4::text[], $5::text[], $6::text[], $7::text[], $8::int8[], $9::text[]) \
         AS u(reason, raw, violations, fp, seen, doc) \
         ON CONFLICT (stream, fingerprint) WHERE resolved_at IS NULL DO UPDATE SET \
         run_id = excluded.run_id, reason = excluded.reason, violations = excluded.violations, \
         at = excluded.at, seen = _holdfast_quarantine.seen + excluded.seen",
    )
    .bind(stream)
    .bind(run.0)
    .bind(now)
    .bind(reason)
    .bind(raw)
    .bind(violations)
    .bind(prints)
    .bind(seen)
    .bind(doc)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks quarantine rows resolved (their records are now in the table).
pub(crate) async fn resolve(
    conn: &mut PgConnection,
    ids: &[i64],
    run: RunId,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE _holdfast_quarantine SET resolved_at = $1, resolved_run = $2 \
         WHERE id = ANY($3) AND resolved_at IS NULL",
    )
    .bind(now)
    .bind(run.0)
    .bind(ids)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

const COLUMNS: &str = "id, stream, run_id, reason, raw, violations, at, seen";

/// Unresolved rows, newest first.
pub(crate) async fn list(
    pool: &PgPool,
    stream: Option<&str>,
    limit: u32,
) -> Result<Vec<QuarantineRow>, StoreError> {
    let rows: Vec<QuarantineRecord> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM _holdfast_quarantine \
         WHERE resolved_at IS NULL AND ($1::text IS NULL OR stream = $1) ORDER BY id DESC LIMIT $2"
    )))
    .bind(stream)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_err("listing quarantine"))?;
    Ok(rows.into_iter().map(QuarantineRecord::into_row).collect())
}

/// Unresolved rows of `stream` whose payload has `key` at `fields`.
pub(crate) async fn by_key(
    pool: &PgPool,
    stream: &str,
    fields: &[String],
    key: &[Value],
) -> Result<Vec<QuarantineRow>, StoreError> {
    let context = "reading quarantine";
    let mut args = PgArguments::default();
    args.add(stream.to_owned()).map_err(bind_err(context))?;
    let mut filter = String::new();
    for (i, (field, value)) in fields.iter().zip(key).enumerate() {
        filter.push_str(&format!(
            " AND doc -> ${} = ${}::jsonb",
            2 + 2 * i,
            3 + 2 * i
        ));
        args.add(field.clone()).map_err(bind_err(context))?;
        args.add(value.to_string()).map_err(bind_err(context))?;
    }
    let rows: Vec<QuarantineRecord> = sqlx::query_as_with(
        AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM _holdfast_quarantine \
             WHERE stream = $1 AND resolved_at IS NULL{filter} ORDER BY id DESC"
        )),
        args,
    )
    .fetch_all(pool)
    .await
    .map_err(db_err(context))?;
    Ok(rows.into_iter().map(QuarantineRecord::into_row).collect())
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
    at: DateTime<Utc>,
    seen: i64,
}

impl QuarantineRecord {
    /// The row as listed.
    pub(crate) fn into_row(self) -> QuarantineRow {
        QuarantineRow {
            id: self.id,
            stream: self.stream,
            run: RunId(self.run_id),
            reason: self.reason,
            raw: self.raw,
            violations: serde_json::from_str::<Vec<Violation>>(&self.violations)
                .unwrap_or_default(),
            at: self.at,
            seen: self.seen.max(0) as u64,
        }
    }
}

/// FNV-1a over the payload: stable across versions, the same as the SQLite store's.
pub(crate) fn fingerprint(raw: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in raw.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}
