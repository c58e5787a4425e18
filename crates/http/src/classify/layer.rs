//! [`ClassifyLayer`]: wraps a service in [`Classify`].

use std::sync::Arc;

use super::{Classifier, Classify};
use crate::Redactor;

/// Adds classification to a service.
#[derive(Clone)]
pub struct ClassifyLayer {
    classifier: Option<Arc<dyn Classifier>>,
    connection: Arc<str>,
    redactor: Arc<Redactor>,
}

impl ClassifyLayer {
    /// Classification for `connection`, with the user's rules if any.
    pub fn new(
        connection: &str,
        classifier: Option<Arc<dyn Classifier>>,
        redactor: Arc<Redactor>,
    ) -> Self {
        ClassifyLayer {
            classifier,
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
            connection: self.connection.clone(),
            redactor: self.redactor.clone(),
        }
    }
}
