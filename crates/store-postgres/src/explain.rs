//! Reading one stored record back, with its metadata.

use holdfast_store::{StoreError, StoredRecord, TableSpec};
use serde_json::Value;
use sqlx::postgres::{PgArguments, PgPool};
use sqlx::{Arguments, AssertSqlSafe, FromRow, Row};

use crate::error::{bind_err, db_err};
use crate::table::{MetaRecord, json_of, quote};
use crate::values::key_texts;

/// Where the mapped columns start in the query below.
const MAPPED: usize = 9;

/// The record of `table` with primary key `key`, if stored.
pub(crate) async fn record(
    pool: &PgPool,
    table: &TableSpec,
    key: &[Value],
) -> Result<Option<StoredRecord>, StoreError> {
    let context = format!("reading a record of `{}`", table.name);
    let mut args = PgArguments::default();
    let mut filter = Vec::new();
    for (i, (text, column)) in key_texts(key, &table.primary_key, &table.name)?
        .into_iter()
        .zip(&table.primary_key)
        .enumerate()
    {
        args.add(text).map_err(bind_err(&context))?;
        filter.push(format!("{} = ${}::jsonb", quote(column), i + 1));
    }
    let mapped: String = table
        .columns
        .iter()
        .map(|c| format!(", {}", json_of(c)))
        .collect();
    let sql = format!(
        "SELECT _raw::text, _first_seen, _updated_at, _updated_run, _last_seen, _last_run, \
         _last_change, _version, _deleted_at{mapped} FROM {} WHERE {}",
        quote(&table.name),
        filter.join(" AND ")
    );
    let Some(r) = sqlx::query_with(AssertSqlSafe(sql), args)
        .fetch_optional(pool)
        .await
        .map_err(db_err(&context))?
    else {
        return Ok(None);
    };
    let e = || db_err(&context);
    let mut columns = Vec::new();
    for (i, c) in table.columns.iter().enumerate() {
        let text: Option<String> = r.try_get(MAPPED + i).map_err(e())?;
        let value = text
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null);
        columns.push((c.name.clone(), value));
    }
    MetaRecord::from_row(&r)
        .map_err(e())?
        .into_stored(columns)
        .map(Some)
}
