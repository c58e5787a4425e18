//! Middleware at the bottom of the stack: sends a request with reqwest and reads the whole body.
//!
//! It reports only what the network says: an answer (any status) or a
//! timeout, a refused or dropped connection, a body cut off. Deciding
//! whether an answer is a failure is [`classify`](crate::classify)'s job.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::auth::SessionJar;
use crate::{
    HttpError, HttpErrorKind, HttpRequest, HttpResponse, Method, Redactor, ResponseFuture,
};

/// Sends requests over HTTP.
#[derive(Debug, Clone)]
pub struct Transport {
    client: reqwest::Client,
    connection: Arc<str>,
    redactor: Arc<Redactor>,
    timeout: Duration,
}

impl Transport {
    /// A transport with these timeouts (total per request, and for
    /// connecting); with `cookies`, answers' cookies are kept there and sent back.
    ///
    /// # Errors
    /// [`HttpErrorKind::Request`] if the TLS stack cannot be initialised.
    pub fn new(
        connection: &str,
        timeout: Duration,
        connect_timeout: Duration,
        redactor: Arc<Redactor>,
        cookies: Option<Arc<SessionJar>>,
    ) -> Result<Transport, HttpError> {
        let mut builder = reqwest::Client::builder();
        if let Some(jar) = cookies {
            builder = builder.cookie_provider(jar);
        }
        let client = builder
            .timeout(timeout)
            .connect_timeout(connect_timeout.min(timeout))
            .user_agent(concat!("holdfast/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| HttpError {
                kind: HttpErrorKind::Request,
                connection: connection.to_owned(),
                method: "-",
                url: String::new(),
                status: None,
                retry_after: None,
                detail: format!("could not build the HTTP client: {e}"),
                rule_retry: false,
                attempts: 0,
            })?;
        Ok(Transport {
            client,
            connection: connection.into(),
            redactor,
            timeout,
        })
    }
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
            let fail = |kind, status: Option<u16>, detail: String| HttpError {
                kind,
                connection: this.connection.to_string(),
                method: request.method.as_str(),
                url: this.redactor.url(&request.url),
                status,
                retry_after: None,
                detail: this.redactor.text(&detail),
                rule_retry: false,
                attempts: 0,
            };
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
            let started = Instant::now();
            let response = builder.send().await.map_err(|e| {
                let (kind, what) = describe(&e, this.timeout);
                fail(kind, None, what)
            })?;
            let status = response.status();
            let redirected_to = (response.url() != &request.url).then(|| response.url().clone());
            let headers = response.headers().clone();
            let body = response.bytes().await.map_err(|e| {
                let (kind, what) = describe(&e, this.timeout);
                let kind = if kind == HttpErrorKind::Timeout {
                    kind
                } else {
                    HttpErrorKind::Body
                };
                fail(
                    kind,
                    Some(status.as_u16()),
                    format!("answered {status} but the body {what}"),
                )
            })?;
            Ok(HttpResponse {
                status: status.as_u16(),
                headers,
                body,
                json: None,
                skipped: false,
                url: request.url,
                redirected_to,
                elapsed: started.elapsed(),
            })
        })
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
