//! Middleware that retries transient failures with exponential backoff and
//! full jitter, honours `Retry-After` (which wins over the computed backoff),
//! caps the total wait per request, and reports every attempt to the request log.

mod layer;
mod policy;

pub use layer::RetryLayer;
pub use policy::RetryPolicy;

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::{
    AttemptRecord, HttpError, HttpRequest, HttpResponse, Redactor, RequestSink, ResponseFuture,
};

/// The next request id for logs (process-wide, from 1).
static NEXT_REQUEST: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// See the module docs.
#[derive(Clone)]
pub struct Retry<S> {
    inner: S,
    policy: RetryPolicy,
    sink: Arc<dyn RequestSink>,
    connection: Arc<str>,
    redactor: Arc<Redactor>,
}

impl<S> tower::Service<HttpRequest> for Retry<S>
where
    S: crate::HttpService,
{
    type Response = HttpResponse;
    type Error = HttpError;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), HttpError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: HttpRequest) -> ResponseFuture {
        let this = self.clone();
        // one id per logical request, shared by its attempts in the logs
        let id = NEXT_REQUEST.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Box::pin(async move {
            let mut waited_total = Duration::ZERO;
            let mut wait_before = Duration::ZERO;
            let mut attempt = 1;
            loop {
                let at = chrono::Utc::now();
                let started = tokio::time::Instant::now();
                // A fresh counter per attempt: the rate-limit layer adds its
                // wait to it, so the log tells queueing from the server's time.
                let mut this_attempt = request.clone();
                this_attempt.rate_wait = crate::RateWait::default();
                let queued = this_attempt.rate_wait.clone();
                let result = tower::ServiceExt::oneshot(this.inner.clone(), this_attempt).await;
                let queued = queued.get();
                let took = started.elapsed().saturating_sub(queued);
                this.log(&request, &result, attempt, at, took, wait_before + queued);
                tracing::debug!(
                    request = id,
                    connection = %this.connection,
                    endpoint = request.tags.endpoint.as_deref().unwrap_or("-"),
                    method = request.method.as_str(),
                    url = %this.redactor.url(&request.url),
                    attempt,
                    status = result.as_ref().ok().map(|r| r.status),
                    outcome = match &result {
                        Ok(_) => "ok",
                        Err(e) => e.class(),
                    },
                    ms = took.as_millis() as u64,
                    "attempt"
                );
                crate::telemetry::attempt(
                    &this.connection,
                    request.tags.endpoint.as_deref().unwrap_or("-"),
                    match &result {
                        Ok(_) => "ok",
                        Err(e) => e.class(),
                    },
                    attempt,
                    took,
                    wait_before,
                    queued,
                );
                let mut error = match result {
                    Ok(response) => return Ok(response),
                    Err(e) => e,
                };
                error.attempts = attempt;
                let may_repeat = request.idempotent || error.surely_unsent();
                if !error.is_retryable() || !may_repeat || attempt >= this.policy.attempts {
                    if !may_repeat && error.is_retryable() {
                        error.detail.push_str(
                            "; not retried: the request starts work on the server and may have \
                             reached it, so a retry could start it twice",
                        );
                    }
                    return Err(error);
                }
                let wait = this.policy.wait(attempt, error.retry_after);
                if waited_total + wait > this.policy.max_wait {
                    error.detail.push_str(&format!(
                        "; not retrying: waiting another {:.1}s would pass retry.max_wait ({}s)",
                        wait.as_secs_f64(),
                        this.policy.max_wait.as_secs()
                    ));
                    return Err(error);
                }
                tracing::info!(
                    request = id,
                    connection = %this.connection,
                    attempt,
                    wait_ms = wait.as_millis() as u64,
                    error = error.class(),
                    "retrying"
                );
                tokio::time::sleep(wait).await;
                waited_total += wait;
                wait_before = wait;
                attempt += 1;
            }
        })
    }
}

impl<S> Retry<S> {
    fn log(
        &self,
        request: &HttpRequest,
        result: &Result<HttpResponse, HttpError>,
        attempt: u32,
        at: chrono::DateTime<chrono::Utc>,
        duration: Duration,
        waited: Duration,
    ) {
        let (status, bytes, error, message, deprecation, sunset) = match result {
            Ok(r) => (
                Some(r.status),
                r.saved.unwrap_or(r.body.len() as u64),
                None,
                None,
                r.header("deprecation").map(str::to_owned),
                r.header("sunset").map(str::to_owned),
            ),
            Err(e) => (
                e.status,
                0,
                Some(e.class()),
                Some(e.detail.clone()),
                None,
                None,
            ),
        };
        self.sink.record(AttemptRecord {
            tags: request.tags.clone(),
            connection: self.connection.to_string(),
            at,
            method: request.method.as_str(),
            url: self.redactor.url(&request.url),
            status,
            duration,
            attempt,
            bytes,
            error,
            message,
            waited,
            deprecation,
            sunset,
        });
    }
}

#[cfg(test)]
mod tests;
