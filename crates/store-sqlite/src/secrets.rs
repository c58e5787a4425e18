//! Sealed secrets: `_holdfast_secrets` (name, sealed bytes, updated_at).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use holdfast_store::{SecretStore, StoreError, StoredSecret, StoredToken, TokenStatus};
use sqlx::sqlite::{SqliteConnection, SqlitePool};

use crate::error::db_err;
use crate::store::SqliteStore;
use crate::time::{from_opt_text, from_text, to_text};

#[async_trait]
impl SecretStore for SqliteStore {
    async fn put_secret(
        &self,
        name: &str,
        sealed: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let context = format!("saving secret `{name}`");
        let mut tx = self.begin_write().await.map_err(db_err(&context))?;
        crate::secrets::put(&mut tx, name, sealed, &to_text(now))
            .await
            .map_err(db_err(&context))?;
        tx.commit().await.map_err(db_err(context))
    }

    async fn secrets(&self) -> Result<Vec<StoredSecret>, StoreError> {
        crate::secrets::list(&self.pool).await
    }

    async fn delete_secret(&self, name: &str) -> Result<bool, StoreError> {
        let context = format!("deleting secret `{name}`");
        let mut tx = self.begin_write().await.map_err(db_err(&context))?;
        let deleted = crate::secrets::delete(&mut tx, name)
            .await
            .map_err(db_err(&context))?;
        tx.commit().await.map_err(db_err(context))?;
        Ok(deleted)
    }

    async fn save_token(
        &self,
        connection: &str,
        sealed: &[u8],
        status: &TokenStatus,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let context = format!("saving the token state of connection `{connection}`");
        let mut tx = self.begin_write().await.map_err(db_err(&context))?;
        crate::secrets::put_token(&mut tx, connection, sealed, status, &to_text(now))
            .await
            .map_err(db_err(&context))?;
        tx.commit().await.map_err(db_err(context))
    }

    async fn load_token(&self, connection: &str) -> Result<Option<StoredToken>, StoreError> {
        Ok(crate::secrets::tokens(&self.pool, Some(connection))
            .await?
            .into_iter()
            .next())
    }

    async fn tokens(&self) -> Result<Vec<StoredToken>, StoreError> {
        crate::secrets::tokens(&self.pool, None).await
    }
}

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
    let rows: Vec<SecretRecord> =
        sqlx::query_as("SELECT name, sealed, updated_at FROM _holdfast_secrets ORDER BY name")
            .fetch_all(pool)
            .await
            .map_err(db_err("listing secrets"))?;
    rows.into_iter()
        .map(|r| {
            Ok(StoredSecret {
                name: r.name,
                sealed: r.sealed,
                updated_at: from_text(&r.updated_at)?,
            })
        })
        .collect()
}

/// Inserts or replaces `connection`'s token state.
pub(crate) async fn put_token(
    conn: &mut SqliteConnection,
    connection: &str,
    sealed: &[u8],
    status: &TokenStatus,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO _holdfast_tokens (connection, sealed, auth_type, expires_at, last_refresh_at, \
         last_outcome, consecutive_failures, needs_reauth, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (connection) DO UPDATE SET sealed = excluded.sealed, auth_type = excluded.auth_type, \
         expires_at = excluded.expires_at, last_refresh_at = excluded.last_refresh_at, \
         last_outcome = excluded.last_outcome, consecutive_failures = excluded.consecutive_failures, \
         needs_reauth = excluded.needs_reauth, updated_at = excluded.updated_at",
    )
    .bind(connection)
    .bind(sealed)
    .bind(&status.auth_type)
    .bind(status.expires_at.map(to_text))
    .bind(status.last_refresh_at.map(to_text))
    .bind(status.last_outcome.as_deref())
    .bind(i64::from(status.consecutive_failures))
    .bind(status.needs_reauth)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Token states, all or one connection's.
pub(crate) async fn tokens(
    pool: &SqlitePool,
    connection: Option<&str>,
) -> Result<Vec<StoredToken>, StoreError> {
    let rows: Vec<TokenRecord> = sqlx::query_as(
        "SELECT connection, sealed, auth_type, expires_at, last_refresh_at, last_outcome, \
         consecutive_failures, needs_reauth, updated_at FROM _holdfast_tokens \
         WHERE ?1 IS NULL OR connection = ?1 ORDER BY connection",
    )
    .bind(connection)
    .fetch_all(pool)
    .await
    .map_err(db_err("reading token states"))?;
    rows.into_iter()
        .map(|r| {
            Ok(StoredToken {
                connection: r.connection,
                sealed: r.sealed,
                status: TokenStatus {
                    auth_type: r.auth_type,
                    expires_at: from_opt_text(r.expires_at.as_deref())?,
                    last_refresh_at: from_opt_text(r.last_refresh_at.as_deref())?,
                    last_outcome: r.last_outcome,
                    consecutive_failures: u32::try_from(r.consecutive_failures).unwrap_or(u32::MAX),
                    needs_reauth: r.needs_reauth,
                },
                updated_at: from_text(&r.updated_at)?,
            })
        })
        .collect()
}

/// A secret as stored.
#[derive(sqlx::FromRow)]
struct SecretRecord {
    name: String,
    sealed: Vec<u8>,
    updated_at: String,
}

/// A token state as stored.
#[derive(sqlx::FromRow)]
struct TokenRecord {
    connection: String,
    sealed: Vec<u8>,
    auth_type: String,
    expires_at: Option<String>,
    last_refresh_at: Option<String>,
    last_outcome: Option<String>,
    consecutive_failures: i64,
    needs_reauth: bool,
    updated_at: String,
}
