//! Stream tables: names, DDL, and the metadata columns every one has.

use holdfast_store::{ColumnKind, StoreError, StoreErrorKind, TableSpec};
use sqlx::AssertSqlSafe;
use sqlx::sqlite::SqliteConnection;

use crate::error::db_err;

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

/// Metadata columns written only by webhook events (NULL otherwise), added
/// to stream tables created before events existed.
const EVENT_COLUMNS: [&str; 2] = ["_version", "_deleted_at"];

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

/// Rejects tables holdfast cannot create.
pub(crate) fn check(table: &TableSpec) -> Result<(), StoreError> {
    let context = format!("preparing table `{}`", table.name);
    if table.primary_key.is_empty() {
        return Err(StoreError::new(
            StoreErrorKind::Schema,
            context,
            "a stream table needs at least one primary key column",
        ));
    }
    if table.name.starts_with("_holdfast") {
        return Err(StoreError::new(
            StoreErrorKind::Schema,
            context,
            "table names starting with `_holdfast` are reserved; pick another `into:`",
        ));
    }
    if let Some(c) = table
        .primary_key
        .iter()
        .chain(table.columns.iter().map(|c| &c.name))
        .find(|c| META_COLUMNS.contains(&c.as_str()))
    {
        return Err(StoreError::new(
            StoreErrorKind::Schema,
            context,
            format!("column `{c}` clashes with a holdfast metadata column; rename it"),
        ));
    }
    Ok(())
}

/// The SQL type for a mapped column: none for `Any`, so values keep their type.
pub(crate) fn sql_type(kind: ColumnKind) -> &'static str {
    match kind {
        ColumnKind::Any => "",
        ColumnKind::Text => " TEXT",
        ColumnKind::Integer | ColumnKind::Boolean => " INTEGER",
    }
}

/// `CREATE TABLE IF NOT EXISTS` for a stream table.
pub(crate) fn create_sql(table: &TableSpec) -> String {
    let keys: String = table
        .primary_key
        .iter()
        .map(|c| format!("    {},\n", quote(c)))
        .chain(
            table
                .columns
                .iter()
                .map(|c| format!("    {}{},\n", quote(&c.name), sql_type(c.kind))),
        )
        .collect();
    format!(
        "CREATE TABLE IF NOT EXISTS {name} (\n{keys}    _raw TEXT NOT NULL,\n    \
         _first_seen TEXT NOT NULL,\n    _updated_at TEXT NOT NULL,\n    \
         _updated_run INTEGER NOT NULL,\n    _last_seen TEXT NOT NULL,\n    \
         _last_run INTEGER NOT NULL,\n    _last_change INTEGER NOT NULL,\n    \
         _version TEXT,\n    _deleted_at TEXT,\n    PRIMARY KEY ({pk})\n)",
        name = quote(&table.name),
        pk = key_list(table),
    )
}

/// Adds the event metadata columns an existing stream table lacks.
pub(crate) async fn add_event_columns(
    conn: &mut SqliteConnection,
    table: &TableSpec,
) -> Result<(), StoreError> {
    let context = format!("preparing table `{}`", table.name);
    let existing: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info(?)")
        .bind(&table.name)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err(&context))?;
    for column in EVENT_COLUMNS {
        if !existing.iter().any(|c| c == column) {
            sqlx::query(AssertSqlSafe(format!(
                "ALTER TABLE {} ADD COLUMN {column} TEXT",
                quote(&table.name)
            )))
            .execute(&mut *conn)
            .await
            .map_err(db_err(&context))?;
        }
    }
    Ok(())
}
