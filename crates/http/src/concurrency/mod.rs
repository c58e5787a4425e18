//! Middleware that bounds requests in flight on a connection, either to a
//! fixed number or adaptively (AIMD): start at one, add one after a window of
//! clean, fast answers, halve on 429/5xx/timeouts or when latency doubles, so
//! a fragile API is never pushed into the failures it shows under load.

mod aimd;
mod layer;

pub use aimd::InFlight;
pub use layer::ConcurrencyLayer;

use std::task::{Context, Poll};

use crate::{HttpError, HttpRequest, HttpResponse, ResponseFuture};

/// See the module docs.
#[derive(Debug, Clone)]
pub struct ConcurrencyLimit<S> {
    inner: S,
    limit: InFlight,
}

impl<S> tower::Service<HttpRequest> for ConcurrencyLimit<S>
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
        let limit = self.limit.clone();
        let inner = self.inner.clone();
        Box::pin(async move {
            let permit = limit.acquire().await;
            let started = tokio::time::Instant::now();
            let result = tower::ServiceExt::oneshot(inner, request).await;
            let overloaded = match &result {
                Ok(_) => false,
                Err(e) => e.status == Some(429) || e.is_remote_failure(),
            };
            limit.release(permit, overloaded, started.elapsed());
            result
        })
    }
}

#[cfg(test)]
mod tests;
