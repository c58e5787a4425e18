//! Secrets as the store keeps them: sealed bytes only, never plain text.

use std::fmt;

use chrono::{DateTime, Utc};

/// One stored secret: its name, its sealed value (encrypted by the caller,
/// e.g. with `holdfast-secrets`), and when it was last set.
///
/// `Debug` shows the sealed value's length, not its bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredSecret {
    /// The secret's name (what templates read as `secret.NAME`).
    pub name: String,
    /// The encrypted value.
    pub sealed: Vec<u8>,
    /// When it was last set.
    pub updated_at: DateTime<Utc>,
}

impl fmt::Debug for StoredSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredSecret")
            .field("name", &self.name)
            .field("sealed", &format_args!("{} bytes", self.sealed.len()))
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// A connection's OAuth2 token state as the store keeps it: the tokens sealed
/// (encrypted by the caller), the status beside them in plain text for
/// `holdfast status`.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredToken {
    /// The connection's name.
    pub connection: String,
    /// The encrypted token state (access token, refresh token, expiry).
    pub sealed: Vec<u8>,
    /// What can be shown.
    pub status: TokenStatus,
    /// When it was last saved.
    pub updated_at: DateTime<Utc>,
}

impl fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredToken")
            .field("connection", &self.connection)
            .field("sealed", &format_args!("{} bytes", self.sealed.len()))
            .field("status", &self.status)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// The shareable part of a token state (no token in it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenStatus {
    /// The auth type (`oauth2`).
    pub auth_type: String,
    /// When the access token expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// When a token was last requested.
    pub last_refresh_at: Option<DateTime<Utc>>,
    /// `ok`, or what went wrong (redacted).
    pub last_outcome: Option<String>,
    /// Token requests that failed in a row.
    pub consecutive_failures: u32,
    /// The grant was refused: a person must authorize again.
    pub needs_reauth: bool,
}
