//! Stream tables (the user's data) read with SQL, as any reader of the
//! SQLite file would.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

/// Opens an existing SQLite file.
pub async fn open_pool(db: &Path) -> SqlitePool {
    let options = SqliteConnectOptions::new()
        .filename(db)
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(10));
    // No idle or lifetime reaping: sqlx then spawns no maintenance task, which
    // can spin while a test's runtime shuts down with this pool still open.
    SqlitePoolOptions::new()
        .max_connections(2)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(options)
        .await
        .unwrap_or_else(|e| panic!("open {}: {e}", db.display()))
}

/// The integer primary keys of `table`, ascending.
pub async fn ids(pool: &SqlitePool, table: &str) -> Vec<i64> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM \"{table}\" ORDER BY id"
    )))
    .fetch_all(pool)
    .await
    .unwrap_or_else(|e| panic!("ids of {table}: {e}"))
}

/// `count(*)` of `table`.
pub async fn count(pool: &SqlitePool, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM \"{table}\""
    )))
    .fetch_one(pool)
    .await
    .unwrap_or_else(|e| panic!("count of {table}: {e}"))
}

/// `_raw` of every row of `table` by primary key `id` (as text).
pub async fn raw_by_id(pool: &SqlitePool, table: &str) -> BTreeMap<String, Value> {
    let rows: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT CAST(id AS TEXT), _raw FROM \"{table}\""
    )))
    .fetch_all(pool)
    .await
    .unwrap_or_else(|e| panic!("rows of {table}: {e}"));
    rows.into_iter()
        .map(|(id, raw)| (id, serde_json::from_str(&raw).expect("_raw is JSON")))
        .collect()
}

/// The columns of `table` as (name, declared type), in table order.
pub async fn table_columns(pool: &SqlitePool, table: &str) -> Vec<(String, String)> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT name, type FROM pragma_table_info('{table}') ORDER BY cid"
    )))
    .fetch_all(pool)
    .await
    .unwrap_or_else(|e| panic!("columns of {table}: {e}"))
}
