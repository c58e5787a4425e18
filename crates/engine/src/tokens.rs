//! OAuth2 token state kept in the store, sealed with the secrets key (the
//! connection's name, as `token:<connection>`, is the associated data): a
//! restarted process reuses a valid access token and the latest refresh
//! token. The status beside it (expiry, last refresh, failures,
//! re-authorization) is plain text for `holdfast status`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use holdfast_http::{TokenState, TokenStore};
use holdfast_secrets::Key;
use holdfast_store::TokenStatus;
use holdfast_store::prelude::*;
use serde_json::{Value, json};

/// A token store as connections take it.
pub type SharedTokenStore = Arc<dyn TokenStore>;

/// A [`TokenStore`] over a [`Store`].
pub struct SealedTokenStore {
    store: Arc<dyn Store>,
    key: Key,
}

impl std::fmt::Debug for SealedTokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealedTokenStore")
    }
}

impl SealedTokenStore {
    /// Token states in `store`, sealed with `key`.
    pub fn new(store: Arc<dyn Store>, key: Key) -> Self {
        SealedTokenStore { store, key }
    }
}

/// The associated data a connection's token state is sealed under.
fn sealed_name(connection: &str) -> String {
    format!("token:{connection}")
}

fn time(millis: Option<i64>) -> Option<DateTime<Utc>> {
    millis.and_then(DateTime::from_timestamp_millis)
}

/// The shareable part of `state`.
pub fn status(state: &TokenState) -> TokenStatus {
    TokenStatus {
        auth_type: if state.session { "session" } else { "oauth2" }.to_owned(),
        expires_at: time(state.expires_at),
        last_refresh_at: time(state.last_refresh_at),
        last_outcome: state.last_outcome.clone(),
        consecutive_failures: state.consecutive_failures,
        needs_reauth: state.needs_reauth,
    }
}

#[async_trait::async_trait]
impl TokenStore for SealedTokenStore {
    async fn load(&self, connection: &str) -> Result<Option<TokenState>, String> {
        let Some(stored) = self
            .store
            .load_token(connection)
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(None);
        };
        let plain = holdfast_secrets::open(&self.key, &sealed_name(connection), &stored.sealed)
            .map_err(|e| e.to_string())?;
        let v: Value = serde_json::from_str(plain.expose()).map_err(|e| e.to_string())?;
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        let int = |k: &str| v.get(k).and_then(Value::as_i64);
        Ok(Some(TokenState {
            access_token: text("access_token"),
            expires_at: int("expires_at"),
            refresh_token: text("refresh_token"),
            last_refresh_at: int("last_refresh_at"),
            issued_at: int("issued_at"),
            last_outcome: stored.status.last_outcome,
            consecutive_failures: stored.status.consecutive_failures,
            needs_reauth: stored.status.needs_reauth,
            session: stored.status.auth_type == "session",
        }))
    }

    async fn save(&self, connection: &str, state: &TokenState) -> Result<(), String> {
        let plain = json!({
            "access_token": state.access_token,
            "expires_at": state.expires_at,
            "refresh_token": state.refresh_token,
            "last_refresh_at": state.last_refresh_at,
            "issued_at": state.issued_at,
        })
        .to_string();
        let sealed = holdfast_secrets::seal(&self.key, &sealed_name(connection), plain.as_bytes())
            .map_err(|e| e.to_string())?;
        self.store
            .save_token(connection, &sealed, &status(state), Utc::now())
            .await
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_state_is_sealed_and_reads_back() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("h.db");
        let store = holdfast_store_sqlite::SqliteStore::open(path.to_str().expect("utf-8"))
            .await
            .expect("store");
        let store: Arc<dyn Store> = Arc::new(store);
        let key = Key::generate().expect("key");
        let tokens = SealedTokenStore::new(store.clone(), key.clone());
        let state = TokenState {
            access_token: Some("access-secret-abc".into()),
            expires_at: Some(1_900_000_000_000),
            refresh_token: Some("refresh-secret-xyz".into()),
            last_refresh_at: Some(1_899_999_000_000),
            issued_at: Some(1_899_999_000_000),
            last_outcome: Some("ok".into()),
            consecutive_failures: 0,
            needs_reauth: false,
            session: false,
        };
        tokens.save("crm", &state).await.expect("save");
        assert_eq!(tokens.load("crm").await.expect("load"), Some(state));
        let raw = store.load_token("crm").await.expect("raw").expect("row");
        let bytes = String::from_utf8_lossy(&raw.sealed).into_owned();
        assert!(!bytes.contains("secret"), "sealed, not plain");
        assert_eq!(raw.status.auth_type, "oauth2");
        let other = SealedTokenStore::new(store, Key::generate().expect("key"));
        assert!(
            other.load("crm").await.is_err(),
            "another key cannot open it"
        );
    }
}
