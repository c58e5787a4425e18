//! The request log: one record per attempt, handed to a sink.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::RequestTags;

/// One attempt of one request, as the request log keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRecord {
    /// Attribution (run, stream, endpoint).
    pub tags: std::sync::Arc<RequestTags>,
    /// The connection's name.
    pub connection: String,
    /// When the attempt started.
    pub at: DateTime<Utc>,
    /// "GET", "POST".
    pub method: &'static str,
    /// The URL with secrets removed.
    pub url: String,
    /// The status, if the server answered.
    pub status: Option<u16>,
    /// Time the attempt took.
    pub duration: Duration,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// Body bytes received.
    pub bytes: u64,
    /// The error class when the attempt failed (`status_5xx`, `timeout`, `not_json`, …).
    pub error: Option<&'static str>,
    /// What the error said (redacted), with a body excerpt where there is one.
    pub message: Option<String>,
    /// Time waited before this attempt (backoff, Retry-After, rate limit).
    pub waited: Duration,
    /// The `Deprecation` response header, if sent (RFC 9745).
    pub deprecation: Option<String>,
    /// The `Sunset` response header, if sent (RFC 8594).
    pub sunset: Option<String>,
}

/// Where attempt records go (the engine writes them to the store).
pub trait RequestSink: Send + Sync {
    /// Takes one record. Must not block.
    fn record(&self, attempt: AttemptRecord);
}

/// A sink that drops everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSink;

impl RequestSink for NoSink {
    fn record(&self, _attempt: AttemptRecord) {}
}
