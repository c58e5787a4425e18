//! The request log buffer: the HTTP stack reports every attempt here, and the
//! sync writes what has gathered in the transaction of the next page it commits.

use std::sync::{Arc, Mutex};

use holdfast_http::{AttemptRecord, RequestSink};
use holdfast_store::{RequestRow, RunId};

/// Attempts waiting to be written. Cheap to clone (clones share the buffer).
#[derive(Debug, Clone, Default)]
pub struct RequestLog {
    pending: Arc<Mutex<Vec<RequestRow>>>,
}

impl RequestLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes everything gathered so far.
    pub fn drain(&self) -> Vec<RequestRow> {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl RequestSink for RequestLog {
    fn record(&self, a: AttemptRecord) {
        let row = RequestRow {
            run: a.tags.run.map(RunId),
            stream: a.tags.stream.clone(),
            connection: a.connection,
            endpoint: a.tags.endpoint.clone(),
            at: a.at,
            method: a.method.to_owned(),
            url: a.url,
            status: a.status,
            duration: a.duration,
            attempt: a.attempt,
            bytes: a.bytes,
            error: a.error.map(str::to_owned),
            message: a.message,
            waited: a.waited,
            deprecation: a.deprecation,
            sunset: a.sunset,
        };
        if let Some(message) = &row.message {
            tracing::info!(
                connection = %row.connection,
                stream = row.stream.as_deref().unwrap_or("-"),
                url = %row.url,
                attempt = row.attempt,
                error = row.error.as_deref().unwrap_or("-"),
                "request failed: {message}"
            );
        }
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(row);
    }
}
