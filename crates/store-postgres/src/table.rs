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
    if let Some(c) = names().skip(1).find(|c| META_COLUMNS.contains(&c.as_str())) {
        return Err(StoreError::new(
            StoreErrorKind::Schema,
            context(),
            format!("column `{c}` clashes with a holdfast metadata column; rename it"),
        ));
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
         _version text COLLATE \"C\",\n    _deleted_at timestamptz,\n    PRIMARY KEY ({pk})\n)",
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
