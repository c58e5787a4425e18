//! What goes through the stack: requests and fully-read responses.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::HeaderMap;
use serde_json::Value;
use url::Url;

/// HTTP methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
}

impl Method {
    /// "GET", "POST", ….
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// Who a request is for, so its log record can be attributed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestTags {
    /// The run that sent it.
    pub run: Option<i64>,
    /// The stream that sent it.
    pub stream: Option<String>,
    /// The endpoint as written in the connector file (`GET /v2/contacts/{{ contact.id }}/deals`),
    /// so latency and success rates group per endpoint, not per URL.
    pub endpoint: Option<String>,
}

/// One request, before credentials are added.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    /// Method.
    pub method: Method,
    /// Full URL with query (no credentials).
    pub url: Url,
    /// Extra headers for this request.
    pub headers: Vec<(String, String)>,
    /// A body to send, if any.
    pub body: Option<Bytes>,
    /// When true, a 2xx body that is not valid JSON is a (retryable) error,
    /// and the parsed body comes back in [`HttpResponse::json`].
    pub expect_json: bool,
    /// Attribution for the request log.
    pub tags: Arc<RequestTags>,
    /// Time this attempt spent waiting for the rate limit (filled by the stack).
    pub rate_wait: RateWait,
    /// When set, a 2xx body is written to this file instead of memory (see
    /// [`SaveTo`]); other answers are read as usual, so errors quote them.
    pub save_to: Option<SaveTo>,
    /// False for a request that must not run twice (it starts a job on the
    /// server): it is retried only when it surely did not reach the server
    /// (the connection could not be made, or a `429` refused it).
    pub idempotent: bool,
    /// Rules of this request's own, judged after the connection's (e.g.
    /// "a GraphQL answer with `errors` failed").
    pub classifier: Option<RequestClassifier>,
}

/// Where and how a response body is streamed to disk: memory stays flat
/// whatever its size. Each attempt truncates the file.
#[derive(Debug, Clone)]
pub struct SaveTo {
    /// The file written (created or truncated).
    pub path: PathBuf,
    /// The most bytes written; more is [`HttpErrorKind::TooLarge`](crate::HttpErrorKind::TooLarge).
    pub max_bytes: u64,
    /// Total time for the attempt, body included (instead of the connection's `timeout`).
    pub timeout: Duration,
}

/// A [`Classifier`](crate::verdict::Classifier) that travels with one
/// request: the answers of some requests say "failed" in their own way (a
/// GraphQL `errors` list).
#[derive(Clone)]
pub struct RequestClassifier(pub Arc<dyn crate::verdict::Classifier>);

impl std::fmt::Debug for RequestClassifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RequestClassifier(..)")
    }
}

/// Time an attempt spent queued for the rate limit, shared between the layer
/// that waits and the layer that logs.
#[derive(Debug, Clone, Default)]
pub struct RateWait(Arc<AtomicU64>);

impl RateWait {
    /// Adds `wait`.
    pub fn add(&self, wait: Duration) {
        self.0.fetch_add(
            wait.as_micros().min(u128::from(u64::MAX)) as u64,
            Ordering::Relaxed,
        );
    }

    /// The total so far.
    pub fn get(&self) -> Duration {
        Duration::from_micros(self.0.load(Ordering::Relaxed))
    }
}

impl HttpRequest {
    /// A GET of `url` expecting JSON.
    pub fn get_json(url: Url) -> Self {
        HttpRequest {
            method: Method::Get,
            url,
            headers: Vec::new(),
            body: None,
            expect_json: true,
            tags: Arc::default(),
            rate_wait: RateWait::default(),
            save_to: None,
            idempotent: true,
            classifier: None,
        }
    }
}

/// A response read to the end.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body; for a request with [`HttpRequest::save_to`], only the
    /// first bytes of the saved file (for messages).
    pub body: Bytes,
    /// How many bytes were written to [`HttpRequest::save_to`]'s file, if any.
    pub saved: Option<u64>,
    /// The parsed body, when the request expected JSON and classification passed.
    pub json: Option<Value>,
    /// An `errors:` rule said `skip`: no data in this response.
    pub skipped: bool,
    /// The URL that was requested (without credentials).
    pub url: Url,
    /// Where redirects led, when the answer came from another URL.
    pub redirected_to: Option<Url>,
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

    /// The first value of header `name` as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `Content-Type` header, if any.
    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }
}
