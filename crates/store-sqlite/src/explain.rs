//! Reading one stored record back, with its metadata.

use holdfast_store::{StoreError, StoredRecord, TableSpec};
use serde_json::Value;
use sqlx::sqlite::{SqliteArguments, SqliteConnection};
use sqlx::{AssertSqlSafe, FromRow, Row};

use crate::error::db_err;
use crate::table::{MetaRecord, key_list, quote};
use crate::upsert::bind_key;

/// Where the mapped columns start in the query below.
const MAPPED: usize = 9;

/// The record of `table` with primary key `key`, if stored.
pub(crate) async fn record(
    conn: &mut SqliteConnection,
    table: &TableSpec,
    key: &[Value],
) -> Result<Option<StoredRecord>, StoreError> {
    let context = format!("reading a record of `{}`", table.name);
    let mut args = SqliteArguments::default();
    for (value, column) in key.iter().zip(&table.primary_key) {
        bind_key(&mut args, value, column, &table.name)?;
    }
    let mapped: Vec<String> = table
        .columns
        .iter()
        .map(|c| format!(", json_quote({})", quote(&c.name)))
        .collect();
    let marks = vec!["?"; key.len()].join(", ");
    let sql = format!(
        "SELECT _raw, _first_seen, _updated_at, _updated_run, _last_seen, _last_run, _last_change, \
         _version, _deleted_at{} \
         FROM {} WHERE ({}) = ({marks})",
        mapped.concat(),
        quote(&table.name),
        key_list(table)
    );
    let Some(r) = sqlx::query_with(AssertSqlSafe(sql), args)
        .fetch_optional(&mut *conn)
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
