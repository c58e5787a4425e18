//! [`BreakerLayer`]: wraps a service in [`CircuitBreaker`].

use std::sync::Arc;

use super::{Breaker, CircuitBreaker};
use crate::Redactor;

/// Adds a shared circuit breaker to a service.
#[derive(Debug, Clone)]
pub struct BreakerLayer {
    breaker: Breaker,
    connection: Arc<str>,
    redactor: Arc<Redactor>,
}

impl BreakerLayer {
    /// Every service this layer wraps shares `breaker`.
    pub fn new(connection: &str, breaker: Breaker, redactor: Arc<Redactor>) -> Self {
        BreakerLayer {
            breaker,
            connection: connection.into(),
            redactor,
        }
    }
}

impl<S> tower::Layer<S> for BreakerLayer {
    type Service = CircuitBreaker<S>;

    fn layer(&self, inner: S) -> CircuitBreaker<S> {
        CircuitBreaker {
            inner,
            breaker: self.breaker.clone(),
            connection: self.connection.clone(),
            redactor: self.redactor.clone(),
        }
    }
}
