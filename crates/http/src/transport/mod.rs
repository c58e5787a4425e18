//! Middleware at the bottom of the stack: sends a request with reqwest and
//! reads the body, up to the connection's size limit.
//!
//! It reports only what the network says: an answer (any status) or a
//! timeout, a refused or dropped connection, a body cut off or too large.
//! Deciding whether an answer is a failure is [`classify`](crate::classify)'s
//! job. Redirects are followed only where the connection's [`Scope`] lets
//! its credentials go: within its origin; to an allowed host without them
//! (see `follow.rs`); anywhere else, never.

mod body;
mod follow;
mod jar;
mod save;
mod tape;

pub(crate) use body::read as read_body;
pub use jar::SessionJar;

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::scope::{Reach, Scope};
use crate::tape::Tape;
use crate::{
    HttpError, HttpErrorKind, HttpRequest, HttpResponse, Method, Redactor, ResponseFuture,
};

/// The most redirects followed for one request.
const MAX_REDIRECTS: usize = 10;

/// What a [`Transport`] needs besides its connection's name.
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// Total time per request, body included.
    pub timeout: Duration,
    /// Time to establish a connection (never more than `timeout`).
    pub connect_timeout: Duration,
    /// The most bytes read of one body (after decompression).
    pub max_body: u64,
    /// Where requests may go.
    pub scope: Arc<Scope>,
    /// Exchanges recorded on the way, or answered from a cassette.
    pub tape: Option<Tape>,
}

/// Sends requests over HTTP.
#[derive(Debug, Clone)]
pub struct Transport {
    client: reqwest::Client,
    /// Sends to allowed hosts: no cookies, redirects only within the scope.
    bare: reqwest::Client,
    connection: Arc<str>,
    redactor: Arc<Redactor>,
    config: TransportConfig,
}

impl Transport {
    /// A transport for `connection`; with `cookies`, answers' cookies from
    /// its own origin are kept there and sent back.
    ///
    /// # Errors
    /// [`HttpErrorKind::Request`] if the TLS stack cannot be initialised.
    pub fn new(
        connection: &str,
        config: TransportConfig,
        redactor: Arc<Redactor>,
        cookies: Option<Arc<SessionJar>>,
    ) -> Result<Transport, HttpError> {
        let build_error = |e: reqwest::Error| HttpError {
            kind: HttpErrorKind::Request,
            connection: connection.to_owned(),
            method: "-",
            url: String::new(),
            status: None,
            retry_after: None,
            detail: format!("could not build the HTTP client: {e}"),
            rule_retry: false,
            attempts: 0,
        };
        let base = || {
            reqwest::Client::builder()
                .timeout(config.timeout)
                .connect_timeout(config.connect_timeout.min(config.timeout))
                .user_agent(concat!("holdfast/", env!("CARGO_PKG_VERSION")))
        };
        let mut own = base().redirect(redirects(config.scope.clone(), |r| r == Reach::Own));
        if let Some(jar) = cookies {
            own = own.cookie_provider(jar);
        }
        let bare = base().redirect(redirects(config.scope.clone(), |r| r != Reach::Refused));
        Ok(Transport {
            client: own.build().map_err(build_error)?,
            bare: bare.build().map_err(build_error)?,
            connection: connection.into(),
            redactor,
            config,
        })
    }

    /// The same transport sending as to an allowed host: no cookie jar, and
    /// redirects followed anywhere within the scope (no credentials ride along).
    pub fn bare(&self) -> Transport {
        Transport {
            client: self.bare.clone(),
            ..self.clone()
        }
    }
}

/// A redirect policy that follows while `follow` holds for the target's
/// reach and stops otherwise (the transport then decides on the 3xx).
fn redirects(scope: Arc<Scope>, follow: fn(Reach) -> bool) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
        } else if follow(scope.reach(attempt.url())) {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

impl tower::Service<HttpRequest> for Transport {
    type Response = HttpResponse;
    type Error = HttpError;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), HttpError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: HttpRequest) -> ResponseFuture {
        let this = self.clone();
        Box::pin(async move {
            if let Some(Tape::Replay(cassette)) = &this.config.tape {
                return tape::replay(&this, cassette, request).await;
            }
            let method = match request.method {
                Method::Get => reqwest::Method::GET,
                Method::Post => reqwest::Method::POST,
                Method::Put => reqwest::Method::PUT,
                Method::Patch => reqwest::Method::PATCH,
                Method::Delete => reqwest::Method::DELETE,
            };
            let mut builder = this.client.request(method, request.url.clone());
            for (k, v) in &request.headers {
                builder = builder.header(k.as_str(), v.as_str());
            }
            if let Some(body) = &request.body {
                builder = builder.body(body.clone());
            }
            if let Some(save) = &request.save_to {
                builder = builder.timeout(save.timeout);
            }
            let started = Instant::now();
            let response = builder
                .send()
                .await
                .map_err(|e| this.send_error(&request, &e))?;
            let response = follow::elsewhere(&this, &request, response).await?;
            let status = response.status();
            let redirected_to = (response.url() != &request.url).then(|| response.url().clone());
            let headers = response.headers().clone();
            let mut saved = None;
            let body = match &request.save_to {
                Some(save) if status.is_success() => {
                    let (bytes, head) = save::save(response, &save.path, save.max_bytes)
                        .await
                        .map_err(|e| this.save_error(&request, status, e))?;
                    saved = Some(bytes);
                    head
                }
                _ => body::read(response, this.config.max_body)
                    .await
                    .map_err(|e| this.body_error(&request, status, e))?,
            };
            if let Some(Tape::Record(recorder)) = &this.config.tape {
                tape::record(
                    &this,
                    recorder,
                    &request,
                    (status.as_u16(), &headers),
                    &body,
                    started,
                )
                .await;
            }
            Ok(HttpResponse {
                status: status.as_u16(),
                headers,
                body,
                saved,
                json: None,
                skipped: false,
                url: request.url,
                redirected_to,
                elapsed: started.elapsed(),
            })
        })
    }
}

impl Transport {
    /// An error about `request`, its URL and detail redacted.
    fn fail(
        &self,
        request: &HttpRequest,
        kind: HttpErrorKind,
        status: Option<u16>,
        detail: &str,
    ) -> HttpError {
        HttpError {
            kind,
            connection: self.connection.to_string(),
            method: request.method.as_str(),
            url: self.redactor.url(&request.url),
            status,
            retry_after: None,
            detail: self.redactor.text(detail),
            rule_retry: false,
            attempts: 0,
        }
    }

    fn send_error(&self, request: &HttpRequest, e: &reqwest::Error) -> HttpError {
        let (kind, what) = describe(e, self.config.timeout);
        self.fail(request, kind, None, &what)
    }

    fn save_error(
        &self,
        request: &HttpRequest,
        status: reqwest::StatusCode,
        e: save::SaveError,
    ) -> HttpError {
        match e {
            save::SaveError::Body(body::BodyError::TooLarge { declared }) => {
                let limit = request.save_to.as_ref().map_or(0, |s| s.max_bytes);
                let detail = format!(
                    "answered {status} with a file {} the download limit of {} \
                     (`max_download`); it was not read. Raise `max_download` if files this \
                     large are expected",
                    match declared {
                        Some(n) => format!("of {n} bytes, over"),
                        None => "over".to_owned(),
                    },
                    body::human(limit),
                );
                self.fail(
                    request,
                    HttpErrorKind::TooLarge,
                    Some(status.as_u16()),
                    &detail,
                )
            }
            save::SaveError::Body(e) => self.body_error(request, status, e),
            save::SaveError::File(e) => {
                let path = request
                    .save_to
                    .as_ref()
                    .map(|s| s.path.display().to_string())
                    .unwrap_or_default();
                let detail =
                    format!("answered {status} but the file {path} could not be written: {e}");
                self.fail(
                    request,
                    HttpErrorKind::Request,
                    Some(status.as_u16()),
                    &detail,
                )
            }
        }
    }

    fn body_error(
        &self,
        request: &HttpRequest,
        status: reqwest::StatusCode,
        e: body::BodyError,
    ) -> HttpError {
        let (kind, detail) = match e {
            body::BodyError::TooLarge { declared } => (
                HttpErrorKind::TooLarge,
                format!(
                    "answered {status} with a body {} the connection's limit of {} \
                     (`max_response`); nothing of it was used. Ask for smaller pages, \
                     or raise `max_response` on connection `{}` if answers this large are expected",
                    match declared {
                        Some(n) => format!("of {} bytes, over", n),
                        None => "over".to_owned(),
                    },
                    body::human(self.config.max_body),
                    self.connection
                ),
            ),
            body::BodyError::Read(e) => {
                let (kind, what) = describe(&e, self.config.timeout);
                let kind = if kind == HttpErrorKind::Timeout {
                    kind
                } else {
                    HttpErrorKind::Body
                };
                (kind, format!("answered {status} but the body {what}"))
            }
        };
        self.fail(request, kind, Some(status.as_u16()), &detail)
    }
}

fn describe(e: &reqwest::Error, timeout: Duration) -> (HttpErrorKind, String) {
    if e.is_timeout() {
        (
            HttpErrorKind::Timeout,
            format!("timed out after {}s", timeout.as_secs_f32()),
        )
    } else if e.is_builder() {
        (
            HttpErrorKind::Request,
            format!("is not a valid request: {}", root_cause(e)),
        )
    } else if e.is_connect() {
        (
            HttpErrorKind::Connect,
            format!("could not connect: {}", root_cause(e)),
        )
    } else if e.is_body() || e.is_decode() {
        (
            HttpErrorKind::Body,
            format!("was cut off: {}", root_cause(e)),
        )
    } else {
        (
            HttpErrorKind::Connect,
            format!("failed: the connection was dropped ({})", root_cause(e)),
        )
    }
}

/// The innermost cause's message (reqwest's own Display repeats the URL, unredacted).
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}
