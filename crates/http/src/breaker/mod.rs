//! Middleware that stops hammering a remote that is down: after `failures`
//! consecutive remote failures (5xx, timeouts, dropped connections) the
//! breaker opens and every request fails fast for `cool_down`; then one probe
//! goes through, and its outcome closes or re-opens the breaker.

mod layer;
mod state;

pub use layer::BreakerLayer;
pub use state::{Breaker, BreakerPhase};

use std::task::{Context, Poll};

use crate::{HttpError, HttpErrorKind, HttpRequest, HttpResponse, Redactor, ResponseFuture};

/// See the module docs.
#[derive(Debug, Clone)]
pub struct CircuitBreaker<S> {
    inner: S,
    breaker: Breaker,
    connection: std::sync::Arc<str>,
    redactor: std::sync::Arc<Redactor>,
}

impl<S> tower::Service<HttpRequest> for CircuitBreaker<S>
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
        let breaker = self.breaker.clone();
        let inner = self.inner.clone();
        let connection = self.connection.clone();
        let url = self.redactor.url(&request.url);
        let method = request.method.as_str();
        Box::pin(async move {
            if let Err(reason) = breaker.admit() {
                return Err(HttpError {
                    kind: HttpErrorKind::BreakerOpen,
                    connection: connection.to_string(),
                    method,
                    url,
                    status: None,
                    retry_after: None,
                    detail: format!("not sent: the remote looks down ({reason})"),
                    rule_retry: false,
                    attempts: 0,
                });
            }
            let result = tower::ServiceExt::oneshot(inner, request).await;
            match &result {
                Err(e) if e.is_remote_failure() => breaker.failed(),
                _ => breaker.succeeded(),
            }
            crate::telemetry::breaker(&connection, breaker.phase().gauge());
            result
        })
    }
}

#[cfg(test)]
mod tests;
