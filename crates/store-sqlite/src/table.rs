//! Stream tables: names, DDL, and the metadata columns every one has.

use holdfast_store::{
    ColumnKind, ExportedRecord, LastChange, RunId, StoreError, StoreErrorKind, StoredRecord,
    TableSpec,
};
use serde_json::Value;
use sqlx::AssertSqlSafe;
use sqlx::sqlite::SqliteConnection;

use crate::error::db_err;
use crate::time::{from_opt_text, from_text};

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

/// The metadata of a stream-table row, read by column name ([`META_COLUMNS`]).
#[derive(sqlx::FromRow)]
pub(crate) struct MetaRecord {
    #[sqlx(rename = "_raw")]
    raw: String,
    #[sqlx(rename = "_first_seen")]
    first_seen: String,
    #[sqlx(rename = "_updated_at")]
    updated_at: String,
    #[sqlx(rename = "_updated_run")]
    updated_run: i64,
    #[sqlx(rename = "_last_seen")]
    last_seen: String,
    #[sqlx(rename = "_last_run")]
    last_run: i64,
    #[sqlx(rename = "_last_change")]
    last_change: i64,
    #[sqlx(rename = "_version")]
    version: Option<String>,
    #[sqlx(rename = "_deleted_at")]
    deleted_at: Option<String>,
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
            first_seen: from_text(&self.first_seen)?,
            updated_at: from_text(&self.updated_at)?,
            updated_run: RunId(self.updated_run),
            last_seen: from_text(&self.last_seen)?,
            last_run: RunId(self.last_run),
            last_change: LastChange::try_from(self.last_change)?,
            version: self.version,
            deleted_at: from_opt_text(self.deleted_at.as_deref())?,
        })
    }

    /// The record as exported, with its `key` and mapped `values`.
    pub(crate) fn into_exported(
        self,
        key: Vec<Value>,
        values: Vec<Value>,
    ) -> Result<ExportedRecord, StoreError> {
        Ok(ExportedRecord {
            key,
            raw: self.raw,
            values,
            first_seen: from_text(&self.first_seen)?,
            updated_at: from_text(&self.updated_at)?,
            updated_run: RunId(self.updated_run),
            last_seen: from_text(&self.last_seen)?,
            last_run: RunId(self.last_run),
            last_change: LastChange::try_from(self.last_change)?,
            version: self.version,
            deleted_at: from_opt_text(self.deleted_at.as_deref())?,
            seq: self.seq,
        })
    }
}

/// Metadata columns added to stream tables created before they existed:
/// `_version` and `_deleted_at` (webhook events, tombstones) and `_seq`.
const EVENT_COLUMNS: [&str; 3] = ["_version", "_deleted_at", SEQ_COLUMN];

/// The change sequence column: set by the table's triggers (see [`change_feed_sql`]).
pub(crate) const SEQ_COLUMN: &str = "_seq";

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
        .find(|c| META_COLUMNS.contains(&c.as_str()) || c.as_str() == SEQ_COLUMN)
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
         _version TEXT,\n    _deleted_at TEXT,\n    _seq INTEGER,\n    PRIMARY KEY ({pk})\n)",
        name = quote(&table.name),
        pk = key_list(table),
    )
}

/// The change feed's index and triggers of `table` (idempotent): a row
/// inserted without a `_seq`, or updated so that its content (`_raw`) or
/// liveness (`_deleted_at`) changes without the statement setting `_seq`
/// itself, gets the table's next number. Writes are serialized (one writer
/// at a time), so numbers follow commit order.
pub(crate) fn change_feed_sql(table: &TableSpec) -> [String; 3] {
    let name = quote(&table.name);
    let named = |suffix: &str| quote(&format!("{}__holdfast_{suffix}", table.name));
    let next = format!(
        "UPDATE {name} SET _seq = (SELECT coalesce(max(_seq), 0) + 1 FROM {name}) \
         WHERE rowid = NEW.rowid"
    );
    [
        format!(
            "CREATE INDEX IF NOT EXISTS {} ON {name} (_seq)",
            named("seq")
        ),
        format!(
            "CREATE TRIGGER IF NOT EXISTS {} AFTER INSERT ON {name} FOR EACH ROW \
             WHEN NEW._seq IS NULL BEGIN {next}; END",
            named("seq_insert")
        ),
        format!(
            "CREATE TRIGGER IF NOT EXISTS {} AFTER UPDATE OF _raw, _deleted_at ON {name} \
             FOR EACH ROW WHEN (OLD._raw IS NOT NEW._raw OR OLD._deleted_at IS NOT NEW._deleted_at) \
             AND NEW._seq IS OLD._seq BEGIN {next}; END",
            named("seq_update")
        ),
    ]
}

/// Creates the change feed's index and triggers; rows without a number
/// (a table from before the feed) are numbered in rowid order.
pub(crate) async fn add_change_feed(
    conn: &mut SqliteConnection,
    table: &TableSpec,
) -> Result<(), StoreError> {
    let context = format!("preparing the change feed of `{}`", table.name);
    for sql in change_feed_sql(table) {
        sqlx::query(AssertSqlSafe(sql))
            .execute(&mut *conn)
            .await
            .map_err(db_err(&context))?;
    }
    let name = quote(&table.name);
    sqlx::query(AssertSqlSafe(format!(
        "UPDATE {name} SET _seq = (SELECT coalesce(max(_seq), 0) FROM {name}) + rowid \
         WHERE _seq IS NULL"
    )))
    .execute(&mut *conn)
    .await
    .map_err(db_err(&context))?;
    Ok(())
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
            let kind = if column == SEQ_COLUMN {
                "INTEGER"
            } else {
                "TEXT"
            };
            sqlx::query(AssertSqlSafe(format!(
                "ALTER TABLE {} ADD COLUMN {column} {kind}",
                quote(&table.name)
            )))
            .execute(&mut *conn)
            .await
            .map_err(db_err(&context))?;
        }
    }
    Ok(())
}
