//! The page upsert: a whole page per statement (arrays unnested server
//! side), each row classified as created, updated or unchanged by the
//! statement itself, which returns only the three counts.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use holdfast_store::{PageOutcome, RecordRow, RunId, StoreError, TableSpec};
use sqlx::postgres::{PgArguments, PgConnection};
use sqlx::{Arguments, AssertSqlSafe};

use crate::error::{bind_err, db_err};
use crate::table::{key_list, quote, sql_type};
use crate::values::{identity, key_texts, mapped_text};

/// A page's records, checked and laid out as column arrays.
///
/// Postgres refuses to update one row twice in one statement, so a page
/// that repeats a key is cut into rounds: round `n` holds the `n`th
/// occurrence of each key, and later occurrences see earlier ones (as when
/// the page is applied row by row).
pub(crate) struct Upsert<'a> {
    table: &'a TableSpec,
    mode: Mode,
    rounds: Vec<Columns>,
}

/// What an upsert writes: live records, or tombstones (`deleted_when:` matched).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// One statement's parameters: per key column, `_raw`, per mapped column.
#[derive(Default)]
struct Columns {
    keys: Vec<Vec<String>>,
    raw: Vec<String>,
    mapped: Vec<Vec<Option<String>>>,
}

impl<'a> Upsert<'a> {
    /// Checks and converts `rows` for `table`.
    ///
    /// # Errors
    /// [`StoreErrorKind::InvalidData`](holdfast_store::StoreErrorKind) when
    /// a key or a mapped value does not fit the table.
    pub(crate) fn new(
        (table, mode): (&'a TableSpec, Mode),
        rows: &[RecordRow],
    ) -> Result<Upsert<'a>, StoreError> {
        let mut rounds: Vec<Columns> = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::with_capacity(rows.len());
        for row in rows {
            let keys = key_texts(&row.key, &table.primary_key, &table.name)?;
            if row.values.len() != table.columns.len() {
                return Err(StoreError::new(
                    holdfast_store::StoreErrorKind::InvalidData,
                    format!("upserting into `{}`", table.name),
                    format!(
                        "a record has {} mapped values but the table has {} mapped columns",
                        row.values.len(),
                        table.columns.len()
                    ),
                ));
            }
            let round = {
                let n = seen.entry(identity(&row.key)).or_insert(0);
                *n += 1;
                *n - 1
            };
            if rounds.len() <= round {
                rounds.push(Columns {
                    keys: vec![Vec::new(); table.primary_key.len()],
                    raw: Vec::new(),
                    mapped: vec![Vec::new(); table.columns.len()],
                });
            }
            let target = &mut rounds[round];
            for (column, key) in target.keys.iter_mut().zip(keys) {
                column.push(key);
            }
            target.raw.push(row.raw.clone());
            for ((column, value), spec) in target
                .mapped
                .iter_mut()
                .zip(&row.values)
                .zip(&table.columns)
            {
                column.push(mapped_text(value, spec, &table.name)?);
            }
        }
        Ok(Upsert {
            table,
            mode,
            rounds,
        })
    }

    /// Writes the page on `conn` (inside the caller's transaction).
    pub(crate) async fn apply(
        self,
        conn: &mut PgConnection,
        run: RunId,
        now: DateTime<Utc>,
    ) -> Result<PageOutcome, StoreError> {
        let context = format!("upserting into `{}`", self.table.name);
        let mut outcome = PageOutcome::default();
        if self.rounds.is_empty() {
            return Ok(outcome);
        }
        let sql = upsert_sql(self.table, self.mode);
        for round in self.rounds {
            let mut args = PgArguments::default();
            args.add(now).map_err(bind_err(&context))?;
            args.add(run.0).map_err(bind_err(&context))?;
            for column in round.keys {
                args.add(column).map_err(bind_err(&context))?;
            }
            args.add(round.raw).map_err(bind_err(&context))?;
            for column in round.mapped {
                args.add(column).map_err(bind_err(&context))?;
            }
            let (created, updated, unchanged, deleted, restored): (i64, i64, i64, i64, i64) =
                sqlx::query_as_with(AssertSqlSafe(sql.as_str()), args)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(db_err(&context))?;
            let count = |n: i64| n.max(0) as u64;
            outcome.created += count(created);
            outcome.updated += count(updated);
            outcome.unchanged += count(unchanged);
            outcome.deleted += count(deleted);
            outcome.restored += count(restored);
        }
        Ok(outcome)
    }
}

/// The statement for `table`. Parameters: `$1` now, `$2` run, then one text
/// array per key column, `_raw`, and per mapped column. It returns how many
/// rows were created, updated, unchanged, deleted and restored.
fn upsert_sql(table: &TableSpec, mode: Mode) -> String {
    let name = quote(&table.name);
    let keys = key_list(table);
    let nkeys = table.primary_key.len();
    let mut arrays = Vec::new();
    let mut aliases = Vec::new();
    let mut selects = Vec::new();
    for i in 0..nkeys {
        arrays.push(format!("${}::text[]", 3 + i));
        aliases.push(format!("k{i}"));
        selects.push(format!("u.k{i}::jsonb"));
    }
    arrays.push(format!("${}::text[]", 3 + nkeys));
    aliases.push("raw".to_owned());
    selects.push("u.raw::jsonb".to_owned());
    let mut mapped_set = String::new();
    for (i, c) in table.columns.iter().enumerate() {
        arrays.push(format!("${}::text[]", 4 + nkeys + i));
        aliases.push(format!("m{i}"));
        selects.push(format!("u.m{i}::{}", sql_type(c.kind)));
        let q = quote(&c.name);
        mapped_set.push_str(&format!("{q} = excluded.{q}, "));
    }
    let mapped_names: String = table
        .columns
        .iter()
        .map(|c| format!(", {}", quote(&c.name)))
        .collect();
    // `same`: the stored row stays as it is in content and liveness.
    // a tombstone a sync or a reconciliation made, never a webhook's
    let lifted = format!(
        "t._deleted_at IS NOT NULL AND t._version IS NULL AND t._updated_run <> {}",
        holdfast_store::RunId::WEBHOOK.0
    );
    let (created, deleted, same, change, deleted_at) = match mode {
        Mode::Live => (
            "1",
            "NULL::timestamptz",
            format!("t._raw = excluded._raw AND NOT ({lifted})"),
            format!("CASE WHEN {lifted} THEN 4 WHEN t._raw = excluded._raw THEN 0 ELSE 2 END"),
            format!("CASE WHEN {lifted} THEN NULL ELSE t._deleted_at END"),
        ),
        Mode::Tombstone | Mode::Deletion => (
            "3",
            "$1",
            "t._deleted_at IS NOT NULL".to_owned(),
            "CASE WHEN t._deleted_at IS NOT NULL THEN 0 ELSE 3 END".to_owned(),
            "COALESCE(t._deleted_at, excluded._deleted_at)".to_owned(),
        ),
    };
    // a deletion keeps the row's content; the others write the record
    let (mapped_set, content) = match mode {
        Mode::Deletion => (String::new(), ""),
        _ => (mapped_set, "_raw = excluded._raw, "),
    };
    format!(
        "WITH up AS (INSERT INTO {name} AS t ({keys}, _raw{mapped_names}, _first_seen, _updated_at, \
         _updated_run, _last_seen, _last_run, _last_change, _deleted_at) \
         SELECT {selects}, $1, $1, $2, $1, $2, {created}, {deleted} FROM UNNEST({arrays}) AS u({aliases}) \
         ON CONFLICT ({keys}) DO UPDATE SET {mapped_set}\
         _updated_at = CASE WHEN {same} THEN t._updated_at ELSE excluded._updated_at END, \
         _updated_run = CASE WHEN {same} THEN t._updated_run ELSE excluded._updated_run END, \
         _last_change = {change}, _deleted_at = {deleted_at}, \
         {content}_last_seen = excluded._last_seen, _last_run = excluded._last_run \
         RETURNING _last_change) \
         SELECT count(*) FILTER (WHERE _last_change = 1), count(*) FILTER (WHERE _last_change = 2), \
         count(*) FILTER (WHERE _last_change = 0), count(*) FILTER (WHERE _last_change = 3), \
         count(*) FILTER (WHERE _last_change = 4) FROM up",
        selects = selects.join(", "),
        arrays = arrays.join(", "),
        aliases = aliases.join(", "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn repeated_keys_go_to_later_rounds() {
        let t = TableSpec::new("t", vec!["id".into()]);
        let rows = [
            RecordRow::new(vec![json!(1)], "{}".into()),
            RecordRow::new(vec![json!(2)], "{}".into()),
            RecordRow::new(vec![json!(1.0)], "{\"v\":2}".into()),
        ];
        let upsert = Upsert::new((&t, Mode::Live), &rows).unwrap_or_else(|e| panic!("{e}"));
        let sizes: Vec<usize> = upsert.rounds.iter().map(|r| r.raw.len()).collect();
        assert_eq!(sizes, [2, 1]);
    }

    #[test]
    fn statement_unnests_one_array_per_column() {
        let mut t = TableSpec::new("t", vec!["a".into(), "b".into()]);
        t.columns.push(holdfast_store::Column {
            name: "n".into(),
            kind: holdfast_store::ColumnKind::Integer,
        });
        let sql = upsert_sql(&t, Mode::Live);
        assert!(
            sql.contains("UNNEST($3::text[], $4::text[], $5::text[], $6::text[])"),
            "{sql}"
        );
        assert!(sql.contains("u.m0::bigint"), "{sql}");
        assert!(sql.contains("ON CONFLICT (\"a\", \"b\")"), "{sql}");
    }
}
