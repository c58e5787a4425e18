//! [`ConcurrencyLayer`]: wraps a service in [`ConcurrencyLimit`].

use super::{ConcurrencyLimit, InFlight};

/// Adds a shared in-flight bound to a service.
#[derive(Debug, Clone)]
pub struct ConcurrencyLayer {
    limit: InFlight,
}

impl ConcurrencyLayer {
    /// Every service this layer wraps shares `limit`.
    pub fn new(limit: InFlight) -> Self {
        ConcurrencyLayer { limit }
    }
}

impl<S> tower::Layer<S> for ConcurrencyLayer {
    type Service = ConcurrencyLimit<S>;

    fn layer(&self, inner: S) -> ConcurrencyLimit<S> {
        ConcurrencyLimit {
            inner,
            limit: self.limit.clone(),
        }
    }
}
