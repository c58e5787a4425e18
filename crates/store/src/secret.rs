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
