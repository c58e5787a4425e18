//! The one error type of the HTTP layer.

use std::time::Duration;

/// What went wrong with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpErrorKind {
    /// The server answered with a non-2xx status.
    Status,
    /// No complete answer within the connection's timeout.
    Timeout,
    /// The connection could not be made or was dropped.
    Connect,
    /// The body could not be read to the end.
    Body,
    /// The request could not be built (bad URL or header).
    Request,
}

/// A request failed. The URL is already redacted.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
#[error("connection `{connection}`: {method} {url} {detail}")]
pub struct HttpError {
    /// The kind of failure.
    pub kind: HttpErrorKind,
    /// The connection's name.
    pub connection: String,
    /// The HTTP method.
    pub method: &'static str,
    /// The URL, with secrets hidden.
    pub url: String,
    /// The status, when the server answered.
    pub status: Option<u16>,
    /// `Retry-After`, when the server sent one.
    pub retry_after: Option<Duration>,
    /// The rest of the message: "answered 404 Not Found: {body excerpt}", "timed out after 30s".
    pub detail: String,
}

impl HttpError {
    /// The kind of failure.
    pub fn kind(&self) -> HttpErrorKind {
        self.kind
    }
}

/// The first `max` characters of a body, on one line, for messages.
pub fn excerpt(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect();
    if text.chars().count() > max {
        out.push('…');
    }
    out
}
