//! Stream tables: names, DDL, and the metadata columns every one has.

use chrono::{DateTime, Utc};
use holdfast_store::{
    Column, ColumnKind, ExportedRecord, LastChange, RunId, StoreError, StoreErrorKind,
    StoredRecord, TableSpec,
};
use serde_json::Value;

/// Metadata columns holdfast adds to every stream table.
pub(crate) const META_COLUMNS: [&str; 9] = [
    "_raw",
    "_first_seen",
    "_updated_at",
    "_updated_run",
    "_last_seen",
    "_last_run",
    "_last_change",
    "_version",
    "_deleted_at",
];

/// The metadata of a stream-table row, read by column name
/// ([`META_COLUMNS`], `_raw` selected as text).
#[derive(sqlx::FromRow)]
pub(crate) struct MetaRecord {
    #[sqlx(rename = "_raw")]
    raw: String,
    #[sqlx(rename = "_first_seen")]
    first_seen: DateTime<Utc>,
    #[sqlx(rename = "_updated_at")]
    updated_at: DateTime<Utc>,
    #[sqlx(rename = "_updated_run")]
    updated_run: i64,
    #[sqlx(rename = "_last_seen")]
    last_seen: DateTime<Utc>,
    #[sqlx(rename = "_last_run")]
    last_run: i64,
    #[sqlx(rename = "_last_change")]
    last_change: i32,
    #[sqlx(rename = "_version")]
    version: Option<String>,
    #[sqlx(rename = "_deleted_at")]
    deleted_at: Option<DateTime<Utc>>,
    /// Read where selected (exports, the change feed).
    #[sqlx(rename = "_seq", default)]
    seq: Option<i64>,
}

impl MetaRecord {
    /// The record as `explain` shows it, with its mapped `columns`.
    pub(crate) fn into_stored(
        self,
        columns: Vec<(String, Value)>,
    ) -> Result<StoredRecord, StoreError> {
        Ok(StoredRecord {
            raw: self.raw,
            columns,
            first_seen: self.first_seen,
            updated_at: self.updated_at,
            updated_run: RunId(self.updated_run),
            last_seen: self.last_seen,
            last_run: RunId(self.last_run),
            last_change: LastChange::try_from(i64::from(self.last_change))?,
            version: self.version,
            deleted_at: self.deleted_at,
        })
    }

    /// The record as exported, with its `key` and mapped `values`; `_raw`
    /// as compact JSON (JSONB keeps content, not spelling).
    pub(crate) fn into_exported(
        self,
        key: Vec<Value>,
        values: Vec<Value>,
        context: &str,
    ) -> Result<ExportedRecord, StoreError> {
        let raw: Value = serde_json::from_str(&self.raw)
            .map_err(|e| StoreError::with_source(StoreErrorKind::Schema, context.to_owned(), e))?;
        Ok(ExportedRecord {
            key,
            raw: raw.to_string(),
            values,
            first_seen: self.first_seen,
            updated_at: self.updated_at,
            updated_run: RunId(self.updated_run),
            last_seen: self.last_seen,
            last_run: RunId(self.last_run),
            last_change: LastChange::try_from(i64::from(self.last_change))?,
            version: self.version,
            deleted_at: self.deleted_at,
            seq: self.seq,
        })
    }
}

/// Postgres truncates longer identifiers silently; holdfast refuses them.
const MAX_IDENTIFIER: usize = 63;

/// `name` quoted as an SQL identifier.
pub(crate) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The primary key columns, quoted and joined: `"a", "b"`.
pub(crate) fn key_list(table: &TableSpec) -> String {
    table
        .primary_key
        .iter()
        .map(|c| quote(c))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The Postgres type of a mapped column.
pub(crate) fn sql_type(kind: ColumnKind) -> &'static str {
    match kind {
        ColumnKind::Any => "jsonb",
        ColumnKind::Text => "text",
        ColumnKind::Integer => "bigint",
        ColumnKind::Boolean => "boolean",
    }
}

/// The expression reading mapped column `c` back as JSON text (booleans as 0/1).
pub(crate) fn json_of(c: &Column) -> String {
    match c.kind {
        ColumnKind::Boolean => format!("to_jsonb({}::int)::text", quote(&c.name)),
        _ => format!("to_jsonb({})::text", quote(&c.name)),
    }
}

/// Rejects tables holdfast cannot create.
pub(crate) fn check(table: &TableSpec) -> Result<(), StoreError> {
    let context = || format!("preparing table `{}`", table.name);
    if table.primary_key.is_empty() {
        return Err(StoreError::new(
            StoreErrorKind::Schema,
            context(),
            "a stream table needs at least one primary key column",
        ));
    }
    if table.name.starts_with("_holdfast") {
        return Err(StoreError::new(
            StoreErrorKind::Schema,
            context(),
            "table names starting with `_holdfast` are reserved; pick another `into:`",
        ));
    }
    let names = || {
        std::iter::once(&table.name)
            .chain(&table.primary_key)
            .chain(table.columns.iter().map(|c| &c.name))
    };
    if let Some(c) = names().find(|c| c.len() > MAX_IDENTIFIER) {
        return Err(StoreError::new(
            StoreErrorKind::Schema,
            context(),
            format!(
                "`{c}` is longer than PostgreSQL's {MAX_IDENTIFIER}-byte identifiers; shorten it"
            ),
        ));
    }
    if let Some(c) = names().find(|c| c.contains('\0')) {
        return Err(StoreError::new(
            StoreErrorKind::Schema,
            context(),
            format!("`{}` holds a NUL character; rename it", c.escape_debug()),
        ));
    }
    if let Some(c) = names()
        .skip(1)
        .find(|c| META_COLUMNS.contains(&c.as_str()) || c.as_str() == SEQ_COLUMN)
    {
        return Err(StoreError::new(
            StoreErrorKind::Schema,
            context(),
            format!("column `{c}` clashes with a holdfast metadata column; rename it"),
        ));
    }
    Ok(())
}

/// The change sequence column (see [`change_feed_sql`]).
pub(crate) const SEQ_COLUMN: &str = "_seq";

/// The name of `table`'s change sequence: short and the same in every
/// process (a hash of the table name), so long table names fit.
pub(crate) fn seq_name(table: &str) -> String {
    // FNV-1a, 64 bits
    let hash = table.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("_holdfast_seq_{hash:016x}")
}

/// The statements that give `table` its change feed (idempotent): the
/// `_seq` column, its sequence, index and trigger, and numbers for rows
/// that have none (a table from before the feed), in key order.
pub(crate) fn change_feed_sql(table: &TableSpec) -> Vec<String> {
    let name = quote(&table.name);
    let seq = seq_name(&table.name);
    vec![
        format!("ALTER TABLE {name} ADD COLUMN IF NOT EXISTS _seq bigint"),
        format!("CREATE SEQUENCE IF NOT EXISTS {seq}"),
        format!("CREATE INDEX IF NOT EXISTS {seq}_i ON {name} (_seq)"),
        format!(
            "CREATE OR REPLACE TRIGGER {seq}_t BEFORE INSERT OR UPDATE ON {name} \
             FOR EACH ROW EXECUTE FUNCTION _holdfast_next_seq('{seq}')"
        ),
        format!("UPDATE {name} SET _seq = nextval('{seq}') WHERE _seq IS NULL",),
    ]
}

/// Whether `table` has the change feed's `_seq` column (a table from before
/// it has none until a writer prepares it).
pub(crate) async fn numbered(pool: &sqlx::PgPool, table: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) > 0 FROM information_schema.columns WHERE table_schema = \
         current_schema() AND table_name = $1 AND column_name = '_seq'",
    )
    .bind(table)
    .fetch_one(pool)
    .await
}

/// Takes the advisory lock of each of `tables` (in name order, so two
/// writers never wait on each other in a circle) until the transaction
/// ends: a table's writers commit one after another, so its change numbers
/// follow commit order.
pub(crate) async fn lock_for_changes(
    conn: &mut sqlx::PgConnection,
    tables: &[&str],
) -> Result<(), sqlx::Error> {
    let mut names: Vec<&str> = tables.to_vec();
    names.sort_unstable();
    names.dedup();
    for name in names {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))")
            .bind(format!("holdfast:changes:{name}"))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// `CREATE TABLE IF NOT EXISTS` for a stream table.
pub(crate) fn create_sql(table: &TableSpec) -> String {
    let columns: String = table
        .primary_key
        .iter()
        .map(|c| format!("    {} jsonb NOT NULL,\n", quote(c)))
        .chain(
            table
                .columns
                .iter()
                .map(|c| format!("    {} {},\n", quote(&c.name), sql_type(c.kind))),
        )
        .collect();
    format!(
        "CREATE TABLE IF NOT EXISTS {name} (\n{columns}    _raw jsonb NOT NULL,\n    \
         _first_seen timestamptz NOT NULL,\n    _updated_at timestamptz NOT NULL,\n    \
         _updated_run bigint NOT NULL,\n    _last_seen timestamptz NOT NULL,\n    \
         _last_run bigint NOT NULL,\n    _last_change integer NOT NULL,\n    \
         _version text COLLATE \"C\",\n    _deleted_at timestamptz,\n    _seq bigint,\n    \
         PRIMARY KEY ({pk})\n)",
        name = quote(&table.name),
        pk = key_list(table),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_jsonb_and_names_quoted() {
        let mut t = TableSpec::new("we\"ird", vec!["id".into()]);
        t.columns.push(Column {
            name: "vip".into(),
            kind: ColumnKind::Boolean,
        });
        let sql = create_sql(&t);
        assert!(sql.contains("\"we\"\"ird\""), "{sql}");
        assert!(sql.contains("\"id\" jsonb NOT NULL"), "{sql}");
        assert!(sql.contains("\"vip\" boolean"), "{sql}");
        assert!(check(&TableSpec::new("x".repeat(64), vec!["id".into()])).is_err());
        assert!(check(&TableSpec::new("t", vec!["_raw".into()])).is_err());
        assert!(check(&t).is_ok());
    }
}
