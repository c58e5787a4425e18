//! [`ClassifyLayer`]: wraps a service in [`Classify`].

use std::sync::Arc;

use super::SessionExpiry;
use super::{Classifier, Classify};
use crate::Redactor;

/// Adds classification to a service.
#[derive(Clone)]
pub struct ClassifyLayer {
    classifier: Option<Arc<dyn Classifier>>,
    expiry: Option<Arc<SessionExpiry>>,
    connection: Arc<str>,
    redactor: Arc<Redactor>,
}

impl ClassifyLayer {
    /// Also turns answers that say a login session has expired into
    /// [`HttpErrorKind::SessionExpired`](crate::HttpErrorKind::SessionExpired).
    pub fn with_session_expiry(mut self, expiry: Option<SessionExpiry>) -> Self {
        self.expiry = expiry.map(Arc::new);
        self
    }

    /// Classification for `connection`, with the user's rules if any.
    pub fn new(
        connection: &str,
        classifier: Option<Arc<dyn Classifier>>,
        redactor: Arc<Redactor>,
    ) -> Self {
        ClassifyLayer {
            classifier,
            expiry: None,
            connection: connection.into(),
            redactor,
        }
    }
}

impl<S> tower::Layer<S> for ClassifyLayer {
    type Service = Classify<S>;

    fn layer(&self, inner: S) -> Classify<S> {
        Classify {
            inner,
            classifier: self.classifier.clone(),
            expiry: self.expiry.clone(),
            connection: self.connection.clone(),
            redactor: self.redactor.clone(),
        }
    }
}
