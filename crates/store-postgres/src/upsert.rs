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
    rounds: Vec<Columns>,
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
    pub(crate) fn new(table: &'a TableSpec, rows: &[RecordRow]) -> Result<Upsert<'a>, StoreError> {
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
        Ok(Upsert { table, rounds })
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
        let sql = upsert_sql(self.table);
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
            let (created, updated, unchanged): (i64, i64, i64) =
                sqlx::query_as_with(AssertSqlSafe(sql.as_str()), args)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(db_err(&context))?;
            let count = |n: i64| n.max(0) as u64;
            outcome.created += count(created);
            outcome.updated += count(updated);
            outcome.unchanged += count(unchanged);
        }
        Ok(outcome)
    }
}

/// The statement for `table`. Parameters: `$1` now, `$2` run, then one text
/// array per key column, `_raw`, and per mapped column.
fn upsert_sql(table: &TableSpec) -> String {
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
    format!(
        "WITH up AS (INSERT INTO {name} AS t ({keys}, _raw{mapped_names}, _first_seen, _updated_at, \
         _updated_run, _last_seen, _last_run, _last_change) \
         SELECT {selects}, $1, $1, $2, $1, $2, 1 FROM UNNEST({arrays}) AS u({aliases}) \
         ON CONFLICT ({keys}) DO UPDATE SET {mapped_set}\
         _updated_at = CASE WHEN t._raw = excluded._raw THEN t._updated_at ELSE excluded._updated_at END, \
         _updated_run = CASE WHEN t._raw = excluded._raw THEN t._updated_run ELSE excluded._updated_run END, \
         _last_change = CASE WHEN t._raw = excluded._raw THEN 0 ELSE 2 END, \
         _raw = excluded._raw, _last_seen = excluded._last_seen, _last_run = excluded._last_run \
         RETURNING _last_change) \
         SELECT count(*) FILTER (WHERE _last_change = 1), count(*) FILTER (WHERE _last_change = 2), \
         count(*) FILTER (WHERE _last_change = 0) FROM up",
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
        let upsert = Upsert::new(&t, &rows).unwrap_or_else(|e| panic!("{e}"));
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
        let sql = upsert_sql(&t);
        assert!(
            sql.contains("UNNEST($3::text[], $4::text[], $5::text[], $6::text[])"),
            "{sql}"
        );
        assert!(sql.contains("u.m0::bigint"), "{sql}");
        assert!(sql.contains("ON CONFLICT (\"a\", \"b\")"), "{sql}");
    }
}
