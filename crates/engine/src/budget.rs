//! A connection's rate budget kept in the store ([`CoordinationStore::reserve_rate`]),
//! so that every process sharing a PostgreSQL store keeps the connection's
//! limit together, not each on its own.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
pub use holdfast_http::rate_limit::RateBudget;
use holdfast_store::prelude::*;

/// A [`RateBudget`] over a [`Store`].
pub struct StoreBudget {
    store: Arc<dyn Store>,
}

impl std::fmt::Debug for StoreBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreBudget")
    }
}

impl StoreBudget {
    /// Budgets kept in `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        StoreBudget { store }
    }
}

#[async_trait::async_trait]
impl RateBudget for StoreBudget {
    async fn reserve(&self, key: &str, interval: Duration, burst: u32) -> Result<Duration, String> {
        self.store
            .reserve_rate(key, interval, burst, Utc::now())
            .await
            .map_err(|e| e.to_string())
    }
}
