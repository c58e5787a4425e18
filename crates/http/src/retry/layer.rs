//! [`RetryLayer`]: wraps a service in [`Retry`].

use std::sync::Arc;

use super::{Retry, RetryPolicy};
use crate::{Redactor, RequestSink};

/// Adds retries (and the request log) to a service.
#[derive(Clone)]
pub struct RetryLayer {
    policy: RetryPolicy,
    sink: Arc<dyn RequestSink>,
    connection: Arc<str>,
    redactor: Arc<Redactor>,
}

impl RetryLayer {
    /// Retries by `policy`, reporting every attempt to `sink`.
    pub fn new(
        connection: &str,
        policy: RetryPolicy,
        sink: Arc<dyn RequestSink>,
        redactor: Arc<Redactor>,
    ) -> Self {
        RetryLayer {
            policy,
            sink,
            connection: connection.into(),
            redactor,
        }
    }
}

impl<S> tower::Layer<S> for RetryLayer {
    type Service = Retry<S>;

    fn layer(&self, inner: S) -> Retry<S> {
        Retry {
            inner,
            policy: self.policy,
            sink: self.sink.clone(),
            connection: self.connection.clone(),
            redactor: self.redactor.clone(),
        }
    }
}
