//! [`Client`]: sends one request with the connection's headers, timeout and auth.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::HeaderMap;
use url::Url;

use crate::error::excerpt;
use crate::{HttpError, HttpErrorKind, Redactor, ResolvedAuth};

/// What a connection's client needs, with templates already rendered.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The connection's name (for messages).
    pub connection: String,
    /// Headers sent with every request.
    pub headers: Vec<(String, String)>,
    /// Total time allowed per request.
    pub timeout: Duration,
    /// Credentials.
    pub auth: ResolvedAuth,
}

/// HTTP methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// One request, before auth.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    /// Method.
    pub method: Method,
    /// Full URL with query.
    pub url: Url,
    /// Extra headers for this request.
    pub headers: Vec<(String, String)>,
}

/// A 2xx response, read to the end.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
    /// The URL that was requested (without credentials).
    pub url: Url,
    /// Time from sending to the last body byte.
    pub elapsed: Duration,
}

impl HttpResponse {
    /// All values of header `name`, joined with ", ".
    pub fn header_joined(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }

    /// The `Content-Type` header, if any.
    pub fn content_type(&self) -> Option<&str> {
        self.headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
    }
}

/// A connection's HTTP client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    inner: reqwest::Client,
    config: Arc<ClientConfig>,
    redactor: Arc<Redactor>,
}

impl Client {
    /// Builds the client for a connection.
    ///
    /// # Errors
    /// [`HttpErrorKind::Request`] if the TLS stack cannot be initialised.
    pub fn new(config: ClientConfig) -> Result<Client, HttpError> {
        let inner = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("holdfast/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| HttpError {
                kind: HttpErrorKind::Request,
                connection: config.connection.clone(),
                method: "-",
                url: String::new(),
                status: None,
                retry_after: None,
                detail: format!("could not build the HTTP client: {e}"),
            })?;
        let redactor = Redactor::new(
            config.auth.secrets(),
            config.auth.query_param().map(str::to_owned),
        );
        Ok(Client {
            inner,
            config: Arc::new(config),
            redactor: Arc::new(redactor),
        })
    }

    /// The redactor for this connection's secrets.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Removes this connection's query credentials from `url`, so a URL the
    /// server sent back (a next-page link) can be stored without the key.
    pub fn strip_credentials(&self, url: &mut Url) {
        if let Some(param) = self.config.auth.query_param() {
            let kept: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(k, _)| k != param)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            url.query_pairs_mut().clear().extend_pairs(kept);
            if url.query() == Some("") {
                url.set_query(None);
            }
        }
    }

    /// The connection's name.
    pub fn connection(&self) -> &str {
        &self.config.connection
    }

    /// Sends `request` and reads the whole body.
    ///
    /// # Errors
    /// Any non-2xx status ([`HttpErrorKind::Status`], with a body excerpt and
    /// `Retry-After`), a timeout, a connection failure or a broken body.
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let method = request.method.as_str();
        let shown_url = self.redactor.url(&request.url);
        let fail = |kind, status, retry_after, detail: String| HttpError {
            kind,
            connection: self.config.connection.clone(),
            method,
            url: shown_url.clone(),
            status,
            retry_after,
            detail: self.redactor.text(&detail),
        };
        let mut url = request.url.clone();
        self.config.auth.apply_to_url(&mut url);
        let mut builder = match request.method {
            Method::Get => self.inner.get(url),
            Method::Post => self.inner.post(url),
        };
        for (k, v) in self.config.headers.iter().chain(&request.headers) {
            builder = builder.header(k.as_str(), v.as_str());
        }
        builder = self.config.auth.apply_to_request(builder);
        let started = Instant::now();
        let response = builder.send().await.map_err(|e| {
            let (kind, what) = classify(&e, self.config.timeout);
            fail(kind, None, None, what)
        })?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(|e| {
            let (kind, what) = classify(&e, self.config.timeout);
            fail(
                if kind == HttpErrorKind::Timeout {
                    kind
                } else {
                    HttpErrorKind::Body
                },
                Some(status.as_u16()),
                None,
                format!("answered {status} but {what}"),
            )
        })?;
        let elapsed = started.elapsed();
        tracing::debug!(
            connection = %self.config.connection,
            method,
            url = %shown_url,
            status = status.as_u16(),
            elapsed_ms = elapsed.as_millis() as u64,
            bytes = body.len(),
            "request"
        );
        if !status.is_success() {
            let retry_after = headers
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Err(fail(
                HttpErrorKind::Status,
                Some(status.as_u16()),
                retry_after,
                format!("answered {status}: {}", excerpt(&body, 300)),
            ));
        }
        Ok(HttpResponse {
            status: status.as_u16(),
            headers,
            body,
            url: request.url,
            elapsed,
        })
    }
}

fn classify(e: &reqwest::Error, timeout: Duration) -> (HttpErrorKind, String) {
    if e.is_timeout() {
        (
            HttpErrorKind::Timeout,
            format!("timed out after {}s", timeout.as_secs_f32()),
        )
    } else if e.is_connect() {
        (
            HttpErrorKind::Connect,
            format!("could not connect: {}", root_cause(e)),
        )
    } else if e.is_builder() {
        (
            HttpErrorKind::Request,
            format!("is not a valid request: {}", root_cause(e)),
        )
    } else {
        (HttpErrorKind::Connect, format!("failed: {}", root_cause(e)))
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
