//! Middleware that adds credentials to every attempt, so each retry carries
//! the current ones (a refreshed token, once refreshing exists).

mod layer;

pub use layer::AuthLayer;

use std::sync::Arc;
use std::task::{Context, Poll};

use base64::Engine as _;

use crate::{HttpError, HttpRequest, HttpResponse, ResponseFuture};

/// Where an API key is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyLocation {
    /// As a request header.
    Header,
    /// As a query parameter.
    Query,
}

/// A connection's credentials, templates rendered.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub enum ResolvedAuth {
    /// No credentials.
    None,
    /// An API key in a header or query parameter.
    ApiKey {
        /// Header or parameter name.
        name: String,
        /// The key.
        value: String,
        /// Where it goes.
        location: KeyLocation,
    },
    /// HTTP basic auth.
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: String,
    },
    /// A bearer token.
    Bearer {
        /// The token.
        token: String,
    },
}

impl std::fmt::Debug for ResolvedAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ResolvedAuth::None => "None",
            ResolvedAuth::ApiKey { .. } => "ApiKey(REDACTED)",
            ResolvedAuth::Basic { .. } => "Basic(REDACTED)",
            ResolvedAuth::Bearer { .. } => "Bearer(REDACTED)",
        })
    }
}

impl ResolvedAuth {
    /// The secret values, for the redactor.
    pub fn secrets(&self) -> Vec<String> {
        match self {
            ResolvedAuth::None => vec![],
            ResolvedAuth::ApiKey { value, .. } => vec![value.clone()],
            ResolvedAuth::Basic { username, password } => {
                let pair = format!("{username}:{password}");
                vec![
                    password.clone(),
                    base64::engine::general_purpose::STANDARD.encode(pair),
                ]
            }
            ResolvedAuth::Bearer { token } => vec![token.clone()],
        }
    }

    /// The query parameter carrying a key, if any (hidden in URLs).
    pub fn query_param(&self) -> Option<&str> {
        match self {
            ResolvedAuth::ApiKey {
                name,
                location: KeyLocation::Query,
                ..
            } => Some(name),
            _ => None,
        }
    }

    /// Adds the credentials to `request` (replacing a query key the URL already carries).
    pub fn apply(&self, request: &mut HttpRequest) {
        match self {
            ResolvedAuth::None => {}
            ResolvedAuth::ApiKey {
                name,
                value,
                location: KeyLocation::Query,
            } => {
                remove_query_param(&mut request.url, name);
                request.url.query_pairs_mut().append_pair(name, value);
            }
            ResolvedAuth::ApiKey { name, value, .. } => {
                request.headers.push((name.clone(), value.clone()));
            }
            ResolvedAuth::Basic { username, password } => {
                let encoded = base64::engine::general_purpose::STANDARD
                    .encode(format!("{username}:{password}"));
                request
                    .headers
                    .push(("authorization".into(), format!("Basic {encoded}")));
            }
            ResolvedAuth::Bearer { token } => {
                request
                    .headers
                    .push(("authorization".into(), format!("Bearer {token}")));
            }
        }
    }
}

/// Removes every `name=…` pair from `url`'s query (dropping an empty query).
pub(crate) fn remove_query_param(url: &mut url::Url, name: &str) {
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut().clear().extend_pairs(kept);
    if url.query() == Some("") {
        url.set_query(None);
    }
}

/// See the module docs.
#[derive(Debug, Clone)]
pub struct Auth<S> {
    inner: S,
    credentials: Arc<ResolvedAuth>,
}

impl<S> tower::Service<HttpRequest> for Auth<S>
where
    S: crate::HttpService,
{
    type Response = HttpResponse;
    type Error = HttpError;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), HttpError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: HttpRequest) -> ResponseFuture {
        let url = request.url.clone();
        self.credentials.apply(&mut request);
        let inner = self.inner.clone();
        Box::pin(async move {
            // Below this layer the URL may carry a key: give back the clean one.
            let mut result = tower::ServiceExt::oneshot(inner, request).await;
            if let Ok(response) = &mut result {
                response.url = url;
            }
            result
        })
    }
}
