//! Sealed secrets: `_holdfast_secrets` (name, sealed bytes, updated_at).

use holdfast_store::{StoreError, StoredSecret};
use sqlx::Row;
use sqlx::sqlite::{SqliteConnection, SqlitePool};

use crate::store::db_err;
use crate::time::from_text;

/// Inserts or replaces secret `name`.
pub(crate) async fn put(
    conn: &mut SqliteConnection,
    name: &str,
    sealed: &[u8],
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO _holdfast_secrets (name, sealed, updated_at) VALUES (?, ?, ?) \
         ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at",
    )
    .bind(name)
    .bind(sealed)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes secret `name`; true when a row went.
pub(crate) async fn delete(conn: &mut SqliteConnection, name: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM _holdfast_secrets WHERE name = ?")
        .bind(name)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Every secret, by name.
pub(crate) async fn list(pool: &SqlitePool) -> Result<Vec<StoredSecret>, StoreError> {
    let rows = sqlx::query("SELECT name, sealed, updated_at FROM _holdfast_secrets ORDER BY name")
        .fetch_all(pool)
        .await
        .map_err(db_err("listing secrets"))?;
    rows.iter()
        .map(|r| {
            let e = || db_err("reading secrets");
            Ok(StoredSecret {
                name: r.try_get(0).map_err(e())?,
                sealed: r.try_get(1).map_err(e())?,
                updated_at: from_text(&r.try_get::<String, _>(2).map_err(e())?)?,
            })
        })
        .collect()
}
