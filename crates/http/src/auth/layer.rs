//! [`AuthLayer`]: wraps a service in [`Auth`].

use std::sync::Arc;

use super::{Auth, ResolvedAuth};

/// Adds credentials to every request.
#[derive(Debug, Clone)]
pub struct AuthLayer {
    credentials: Arc<ResolvedAuth>,
}

impl AuthLayer {
    /// Applies `credentials` to every request.
    pub fn new(credentials: ResolvedAuth) -> Self {
        AuthLayer {
            credentials: Arc::new(credentials),
        }
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = Auth<S>;

    fn layer(&self, inner: S) -> Auth<S> {
        Auth {
            inner,
            credentials: self.credentials.clone(),
        }
    }
}
