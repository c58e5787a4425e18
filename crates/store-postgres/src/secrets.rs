//! Sealed secrets (`_holdfast_secrets`) and token states (`_holdfast_tokens`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use holdfast_store::{SecretStore, StoreError, StoredSecret, StoredToken, TokenStatus};
use sqlx::postgres::PgPool;

use crate::error::db_err;
use crate::store::PgStore;

#[async_trait]
impl SecretStore for PgStore {
    async fn put_secret(
        &self,
        name: &str,
        sealed: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        crate::secrets::put(&self.pool, name, sealed, now).await
    }

    async fn secrets(&self) -> Result<Vec<StoredSecret>, StoreError> {
        crate::secrets::list(&self.pool).await
    }

    async fn delete_secret(&self, name: &str) -> Result<bool, StoreError> {
        crate::secrets::delete(&self.pool, name).await
    }

    async fn save_token(
        &self,
        connection: &str,
        sealed: &[u8],
        status: &TokenStatus,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        crate::secrets::put_token(&self.pool, connection, sealed, status, now).await
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
    pool: &PgPool,
    name: &str,
    sealed: &[u8],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO _holdfast_secrets (name, sealed, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at",
    )
    .bind(name)
    .bind(sealed)
    .bind(now)
    .execute(pool)
    .await
    .map_err(db_err(format!("saving secret `{name}`")))?;
    Ok(())
}

/// Deletes secret `name`; true when a row went.
pub(crate) async fn delete(pool: &PgPool, name: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM _holdfast_secrets WHERE name = $1")
        .bind(name)
        .execute(pool)
        .await
        .map_err(db_err(format!("deleting secret `{name}`")))?;
    Ok(done.rows_affected() > 0)
}

/// Every secret, by name.
pub(crate) async fn list(pool: &PgPool) -> Result<Vec<StoredSecret>, StoreError> {
    let rows: Vec<SecretRecord> = sqlx::query_as(
        "SELECT name, sealed, updated_at FROM _holdfast_secrets ORDER BY name COLLATE \"C\"",
    )
    .fetch_all(pool)
    .await
    .map_err(db_err("listing secrets"))?;
    Ok(rows
        .into_iter()
        .map(|r| StoredSecret {
            name: r.name,
            sealed: r.sealed,
            updated_at: r.updated_at,
        })
        .collect())
}

/// Inserts or replaces `connection`'s token state.
pub(crate) async fn put_token(
    pool: &PgPool,
    connection: &str,
    sealed: &[u8],
    status: &TokenStatus,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO _holdfast_tokens (connection, sealed, auth_type, expires_at, last_refresh_at, \
         last_outcome, consecutive_failures, needs_reauth, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (connection) DO UPDATE SET sealed = excluded.sealed, auth_type = excluded.auth_type, \
         expires_at = excluded.expires_at, last_refresh_at = excluded.last_refresh_at, \
         last_outcome = excluded.last_outcome, consecutive_failures = excluded.consecutive_failures, \
         needs_reauth = excluded.needs_reauth, updated_at = excluded.updated_at",
    )
    .bind(connection)
    .bind(sealed)
    .bind(&status.auth_type)
    .bind(status.expires_at)
    .bind(status.last_refresh_at)
    .bind(status.last_outcome.as_deref())
    .bind(i64::from(status.consecutive_failures))
    .bind(status.needs_reauth)
    .bind(now)
    .execute(pool)
    .await
    .map_err(db_err(format!(
        "saving the token state of connection `{connection}`"
    )))?;
    Ok(())
}

/// Token states, all or one connection's.
pub(crate) async fn tokens(
    pool: &PgPool,
    connection: Option<&str>,
) -> Result<Vec<StoredToken>, StoreError> {
    let rows: Vec<TokenRecord> = sqlx::query_as(
        "SELECT connection, sealed, auth_type, expires_at, last_refresh_at, last_outcome, \
         consecutive_failures, needs_reauth, updated_at FROM _holdfast_tokens \
         WHERE $1::text IS NULL OR connection = $1 ORDER BY connection COLLATE \"C\"",
    )
    .bind(connection)
    .fetch_all(pool)
    .await
    .map_err(db_err("reading token states"))?;
    Ok(rows
        .into_iter()
        .map(|r| StoredToken {
            connection: r.connection,
            sealed: r.sealed,
            status: TokenStatus {
                auth_type: r.auth_type,
                expires_at: r.expires_at,
                last_refresh_at: r.last_refresh_at,
                last_outcome: r.last_outcome,
                consecutive_failures: u32::try_from(r.consecutive_failures).unwrap_or(u32::MAX),
                needs_reauth: r.needs_reauth,
            },
            updated_at: r.updated_at,
        })
        .collect())
}

/// A secret as stored.
#[derive(sqlx::FromRow)]
struct SecretRecord {
    name: String,
    sealed: Vec<u8>,
    updated_at: DateTime<Utc>,
}

/// A token state as stored.
#[derive(sqlx::FromRow)]
struct TokenRecord {
    connection: String,
    sealed: Vec<u8>,
    auth_type: String,
    expires_at: Option<DateTime<Utc>>,
    last_refresh_at: Option<DateTime<Utc>>,
    last_outcome: Option<String>,
    consecutive_failures: i64,
    needs_reauth: bool,
    updated_at: DateTime<Utc>,
}
