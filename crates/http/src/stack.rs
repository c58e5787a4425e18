//! The order of the layers, in one place, and the [`Client`] that runs them.
//!
//! Outermost first; the first layer listed sees the request first:
//!
//! 1. [`retry`](crate::retry): each attempt re-enters the stack below, so it
//!    gets fresh credentials and spends a rate-limit token; every attempt is logged.
//! 2. [`auth`](crate::auth): credentials for this attempt.
//! 3. [`breaker`](crate::breaker): fails fast while the remote is down, before
//!    spending rate-limit budget.
//! 4. [`rate_limit`](crate::rate_limit): waits for the connection's budget and
//!    for any pause the server asked for.
//! 5. [`concurrency`](crate::concurrency): bounds requests in flight (fixed or AIMD).
//! 6. [`classify`](crate::classify): turns lying answers into errors the
//!    layers above act on.
//! 7. [`transport`](crate::transport): the network.
//!
//! Before any layer, [`Client::send`] asks the connection's [`Scope`] where
//! the URL is: its own origin goes through the stack above; a host under
//! `allowed_hosts:` through a bare stack (retry ⊃ concurrency ⊃ classify ⊃
//! transport: no credentials, no connection headers, no cookies); anywhere
//! else is refused before a byte is sent.

use std::sync::Arc;
use std::time::Duration;

use tower::ServiceBuilder;
use tower::util::BoxCloneSyncService;

use crate::auth::AuthLayer;
use crate::breaker::{Breaker, BreakerLayer, BreakerPhase};
use crate::classify::{Classifier, ClassifyLayer};
use crate::concurrency::{ConcurrencyLayer, InFlight};
use crate::rate_limit::{Gcra, RateBudget, RateLimitLayer, RateLimiter};
use crate::retry::{RetryLayer, RetryPolicy};
use crate::scope::{Reach, Scope};
use crate::tape::Tape;
use crate::transport::{Transport, TransportConfig};
use crate::{
    HttpError, HttpErrorKind, HttpRequest, HttpResponse, Redactor, RequestSink, ResolvedAuth,
};

/// The default most bytes read of one response body: 64 MB (`max_response`).
pub const DEFAULT_MAX_RESPONSE: u64 = 64_000_000;

/// Everything a connection's client needs, templates already rendered.
#[derive(Clone)]
pub struct ClientConfig {
    /// The connection's name (for messages and the request log).
    pub connection: String,
    /// Where requests may go: the connection's origin, and the hosts it
    /// allows without credentials.
    pub scope: Scope,
    /// The most bytes read of one response body.
    pub max_response: u64,
    /// Headers sent with every request.
    pub headers: Vec<(String, String)>,
    /// Total time per attempt, body included.
    pub timeout: Duration,
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Credentials.
    pub auth: ResolvedAuth,
    /// Other values hidden from logs, errors and stored URLs besides the
    /// credentials (e.g. every resolved `secret.NAME` the connection may use).
    pub secrets: Vec<String>,
    /// Client-side rate limit: (requests, per, burst).
    pub rate_limit: Option<(u32, Duration, u32)>,
    /// Where the rate limit's budget is kept when it is shared with other
    /// processes (`None`: in this process).
    pub rate_budget: Option<Arc<dyn RateBudget>>,
    /// Retries.
    pub retry: RetryPolicy,
    /// Circuit breaker: (consecutive failures, cool-down); `None` never opens.
    pub breaker: Option<(u32, Duration)>,
    /// The connection's `errors:` rules.
    pub classifier: Option<Arc<dyn Classifier>>,
    /// In-flight bound.
    pub in_flight: InFlight,
    /// Where attempt records go.
    pub sink: Arc<dyn RequestSink>,
    /// Exchanges recorded on the way, or answered from a cassette
    /// (`None`: the network, nothing kept).
    pub tape: Option<Tape>,
}

impl ClientConfig {
    /// A plain configuration for an API at `base`'s origin: no other host,
    /// no auth, no rate limit, 3 attempts, default breaker, 4 in flight,
    /// bodies up to [`DEFAULT_MAX_RESPONSE`].
    pub fn new(connection: &str, base: &url::Url) -> Self {
        ClientConfig {
            connection: connection.to_owned(),
            scope: Scope::new(base, Vec::new()),
            max_response: DEFAULT_MAX_RESPONSE,
            headers: Vec::new(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            auth: ResolvedAuth::None,
            secrets: Vec::new(),
            rate_limit: None,
            rate_budget: None,
            retry: RetryPolicy {
                attempts: 3,
                initial: Duration::from_millis(250),
                max: Duration::from_secs(60),
                max_wait: Duration::from_secs(300),
            },
            breaker: Some((20, Duration::from_secs(60))),
            classifier: None,
            in_flight: InFlight::fixed(4),
            sink: Arc::new(crate::NoSink),
            tape: None,
        }
    }
}

/// A connection's HTTP client. Cheap to clone; clones share the rate limit,
/// breaker and in-flight bound.
#[derive(Clone)]
pub struct Client {
    service: BoxCloneSyncService<HttpRequest, HttpResponse, HttpError>,
    /// For allowed hosts: no auth, breaker or rate limit of the connection's.
    bare: BoxCloneSyncService<HttpRequest, HttpResponse, HttpError>,
    scope: Arc<Scope>,
    headers: Arc<Vec<(String, String)>>,
    connection: Arc<str>,
    redactor: Arc<Redactor>,
    auth: Arc<ResolvedAuth>,
    breaker: Breaker,
    limiter: RateLimiter,
    in_flight: InFlight,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("connection", &self.connection)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Builds the stack for one connection.
    ///
    /// # Errors
    /// [`HttpErrorKind::Request`] if the TLS stack cannot be initialised.
    pub fn new(config: ClientConfig) -> Result<Client, HttpError> {
        let redactor = Arc::new(Redactor::new(
            config
                .auth
                .secrets()
                .into_iter()
                .chain(config.secrets.iter().cloned()),
            config.auth.query_param().map(str::to_owned),
        ));
        let mut cookies = None;
        let mut expiry = None;
        match &config.auth {
            ResolvedAuth::OAuth2(credential) => credential.attach_redactor(redactor.clone()),
            ResolvedAuth::Session(credential) => {
                credential.attach_redactor(redactor.clone());
                cookies = Some(credential.jar());
                expiry = Some(credential.expiry());
            }
            _ => {}
        }
        let name = config.connection.as_str();
        let breaker = match config.breaker {
            Some((failures, cool_down)) => Breaker::new(failures, cool_down),
            None => Breaker::new(u32::MAX, Duration::ZERO),
        };
        let limiter = match (config.rate_limit, &config.rate_budget) {
            (Some((requests, per, burst)), Some(budget)) => RateLimiter::shared(
                budget.clone(),
                &format!("rate:{name}"),
                requests,
                per,
                burst,
            ),
            (limit, _) => RateLimiter::new(
                limit.map(|(requests, per, burst)| Gcra::new(requests, per, burst)),
            ),
        };
        let scope = Arc::new(config.scope);
        let transport = Transport::new(
            name,
            TransportConfig {
                timeout: config.timeout,
                connect_timeout: config.connect_timeout,
                max_body: config.max_response,
                scope: scope.clone(),
                tape: config.tape.clone(),
            },
            redactor.clone(),
            cookies,
        )?;
        let bare = ServiceBuilder::new()
            .layer(RetryLayer::new(
                name,
                config.retry,
                config.sink.clone(),
                redactor.clone(),
            ))
            .layer(ConcurrencyLayer::new(config.in_flight.clone()))
            .layer(ClassifyLayer::new(
                name,
                config.classifier.clone(),
                redactor.clone(),
            ))
            .service(transport.bare());
        let service = ServiceBuilder::new()
            .layer(RetryLayer::new(
                name,
                config.retry,
                config.sink.clone(),
                redactor.clone(),
            ))
            .layer(AuthLayer::new(config.auth.clone()))
            .layer(BreakerLayer::new(name, breaker.clone(), redactor.clone()))
            .layer(RateLimitLayer::new(limiter.clone()))
            .layer(ConcurrencyLayer::new(config.in_flight.clone()))
            .layer(
                ClassifyLayer::new(name, config.classifier.clone(), redactor.clone())
                    .with_session_expiry(expiry),
            )
            .service(transport);
        Ok(Client {
            service: BoxCloneSyncService::new(service),
            bare: BoxCloneSyncService::new(bare),
            scope,
            headers: Arc::new(config.headers),
            connection: name.into(),
            redactor,
            auth: Arc::new(config.auth),
            breaker,
            limiter,
            in_flight: config.in_flight,
        })
    }

    /// Sends `request` through the stack (connection headers first) when its
    /// URL is the connection's origin; to an allowed host without any
    /// headers, credentials or cookies; nowhere else.
    ///
    /// # Errors
    /// [`HttpErrorKind::Refused`] for a URL outside the scope (nothing sent);
    /// else the last attempt's error once retries are exhausted or pointless.
    pub async fn send(&self, mut request: HttpRequest) -> Result<HttpResponse, HttpError> {
        match self.scope.reach(&request.url) {
            Reach::Own => {
                if !self.headers.is_empty() {
                    let mut headers = (*self.headers).clone();
                    headers.append(&mut request.headers);
                    request.headers = headers;
                }
                tower::ServiceExt::oneshot(self.service.clone(), request).await
            }
            Reach::Allowed => {
                request.headers.clear();
                self.strip_credentials(&mut request.url);
                tower::ServiceExt::oneshot(self.bare.clone(), request).await
            }
            Reach::Refused => Err(self.refused(&request)),
        }
    }

    /// Where requests may go.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    fn refused(&self, request: &HttpRequest) -> HttpError {
        let url = self.redactor.url(&request.url);
        let origin = self.scope.origin();
        let detail = format!(
            "refused: the URL leaves connection `{}`'s origin {origin}, so it was not \
             requested and the connection's credentials stayed there. If that host is \
             expected (pre-signed download links, say), list it under the connection's \
             `allowed_hosts:`; it is then fetched without credentials",
            self.connection
        );
        tracing::warn!(connection = %self.connection, %url, "refused a URL outside the connection's origin");
        HttpError {
            kind: HttpErrorKind::Refused,
            connection: self.connection.to_string(),
            method: request.method.as_str(),
            url,
            status: None,
            retry_after: None,
            detail,
            rule_retry: false,
            attempts: 0,
        }
    }

    /// Renews an OAuth2 token that is due (see [`OAuth2Credential::keep_alive`](crate::OAuth2Credential::keep_alive));
    /// nothing for other credentials.
    ///
    /// # Errors
    /// The token endpoint failed or refused the grant.
    pub async fn keep_alive(&self) -> Result<(), HttpError> {
        match &*self.auth {
            ResolvedAuth::OAuth2(credential) => credential.keep_alive().await,
            _ => Ok(()),
        }
    }

    /// The redactor for this connection's secrets.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// The connection's name.
    pub fn connection(&self) -> &str {
        &self.connection
    }

    /// Where the breaker stands.
    pub fn breaker_phase(&self) -> BreakerPhase {
        self.breaker.phase()
    }

    /// The connection's in-flight bound.
    pub fn in_flight(&self) -> &InFlight {
        &self.in_flight
    }

    /// The connection's rate limiter.
    pub fn rate_limiter(&self) -> &RateLimiter {
        &self.limiter
    }

    /// Removes this connection's query credentials from `url`, so a URL the
    /// server sent back (a next-page link) can be stored without the key.
    pub fn strip_credentials(&self, url: &mut url::Url) {
        if let Some(param) = self.auth.query_param() {
            crate::auth::remove_query_param(url, param);
        }
    }
}
