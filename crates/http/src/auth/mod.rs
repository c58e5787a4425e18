//! Middleware that adds credentials to every attempt, so each retry carries
//! the current ones (a refreshed token, once refreshing exists).

mod layer;
mod oauth2;
mod session;

pub use layer::AuthLayer;
pub use oauth2::{
    OAuth2ClientAuth, OAuth2Config, OAuth2Credential, OAuth2Grant, TokenState, TokenStore,
    now_millis,
};
pub use session::{
    Extract, LoginBody, LoginStep, RenderFn, Session, SessionConfig, SessionCredential,
    SessionExpiry, SessionJar,
};

use std::sync::Arc;
use std::task::{Context, Poll};

use base64::Engine as _;

use crate::{HttpError, HttpErrorKind, HttpRequest, HttpResponse, ResponseFuture};

/// The most bytes read of a token endpoint's or login page's answer.
pub(crate) const AUTH_MAX_BODY: u64 = 4_000_000;

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
    /// An OAuth2 access token, renewed as needed (shared by clones).
    OAuth2(Arc<OAuth2Credential>),
    /// A login session: cookies from a login chain, logged in again when it expires.
    Session(Arc<SessionCredential>),
}

impl std::fmt::Debug for ResolvedAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ResolvedAuth::None => "None",
            ResolvedAuth::ApiKey { .. } => "ApiKey(REDACTED)",
            ResolvedAuth::Basic { .. } => "Basic(REDACTED)",
            ResolvedAuth::Bearer { .. } => "Bearer(REDACTED)",
            ResolvedAuth::OAuth2(_) => "OAuth2(REDACTED)",
            ResolvedAuth::Session(_) => "Session(REDACTED)",
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
            ResolvedAuth::OAuth2(c) => c.secrets(),
            ResolvedAuth::Session(_) => vec![],
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

    /// Adds the credentials to `request` (replacing a query key the URL
    /// already carries). OAuth2 tokens and sessions are added by the auth layer instead.
    pub fn apply(&self, request: &mut HttpRequest) {
        match self {
            ResolvedAuth::None | ResolvedAuth::OAuth2(_) | ResolvedAuth::Session(_) => {}
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
        let inner = self.inner.clone();
        if let ResolvedAuth::OAuth2(credential) = &*self.credentials {
            let credential = credential.clone();
            return Box::pin(async move {
                let mut result = with_oauth2(inner, credential, request).await;
                if let Ok(response) = &mut result {
                    response.url = url;
                }
                result
            });
        }
        if let ResolvedAuth::Session(credential) = &*self.credentials {
            let credential = credential.clone();
            return Box::pin(async move {
                let mut result = with_session(inner, credential, request).await;
                if let Ok(response) = &mut result {
                    response.url = url;
                }
                result
            });
        }
        self.credentials.apply(&mut request);
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

/// Sends `request` with the current access token; a 401 renews the token
/// once (unless another request already did) and retries once, never more.
async fn with_oauth2<S>(
    inner: S,
    credential: Arc<OAuth2Credential>,
    request: HttpRequest,
) -> Result<HttpResponse, HttpError>
where
    S: crate::HttpService,
{
    let token = credential.token(None).await?;
    let mut first = request.clone();
    bearer(&mut first, &token);
    match tower::ServiceExt::oneshot(inner.clone(), first).await {
        Err(e) if e.status == Some(401) => {
            tracing::info!(connection = %e.connection, "401: renewing the access token and retrying once");
            let renewed = credential.token(Some(&token)).await?;
            let mut second = request;
            bearer(&mut second, &renewed);
            tower::ServiceExt::oneshot(inner, second).await
        }
        other => other,
    }
}

/// Sends `request` in the current session (logging in first if there is
/// none); an answer that says the session expired logs in again once
/// (unless another request already did) and retries once, never more.
async fn with_session<S>(
    inner: S,
    credential: Arc<SessionCredential>,
    request: HttpRequest,
) -> Result<HttpResponse, HttpError>
where
    S: crate::HttpService,
{
    let session = credential.session(None).await?;
    let mut first = request.clone();
    credential.apply(&session, &mut first)?;
    match tower::ServiceExt::oneshot(inner.clone(), first).await {
        Err(e) if e.kind == HttpErrorKind::SessionExpired => {
            tracing::info!(connection = %e.connection, "the session expired: logging in again and retrying once");
            let renewed = credential.session(Some(&session)).await?;
            let mut second = request;
            credential.apply(&renewed, &mut second)?;
            match tower::ServiceExt::oneshot(inner, second).await {
                Err(e) if e.kind == HttpErrorKind::SessionExpired => {
                    Err(credential.still_expired(e).await)
                }
                other => other,
            }
        }
        other => other,
    }
}

fn bearer(request: &mut HttpRequest, token: &str) {
    request
        .headers
        .retain(|(k, _)| !k.eq_ignore_ascii_case("authorization"));
    request
        .headers
        .push(("authorization".into(), format!("Bearer {token}")));
}
