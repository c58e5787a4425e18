//! [`SecretStore`]: sealed secrets and OAuth2 token states.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{StoreError, StoredSecret, StoredToken, TokenStatus};

/// Sealed secrets and OAuth2 token states: the store keeps only bytes the
/// caller encrypted, never a secret in plain text.
#[async_trait]
pub trait SecretStore: Send + Sync {
    /// Saves (or replaces) secret `name` as `sealed`, an already encrypted
    /// value: the store never sees a secret in plain text.
    async fn put_secret(
        &self,
        name: &str,
        sealed: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Every stored secret, by name.
    async fn secrets(&self) -> Result<Vec<StoredSecret>, StoreError>;

    /// Deletes secret `name`; `false` when there was none.
    async fn delete_secret(&self, name: &str) -> Result<bool, StoreError>;

    /// Saves (replaces) `connection`'s token state: `sealed` is encrypted by
    /// the caller; `status` is kept beside it in plain text. Durable on `Ok`.
    async fn save_token(
        &self,
        connection: &str,
        sealed: &[u8],
        status: &TokenStatus,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// `connection`'s saved token state, if any.
    async fn load_token(&self, connection: &str) -> Result<Option<StoredToken>, StoreError>;

    /// Every saved token state, by connection.
    async fn tokens(&self) -> Result<Vec<StoredToken>, StoreError>;
}
