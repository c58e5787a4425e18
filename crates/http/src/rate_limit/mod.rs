//! Middleware that keeps a connection under its rate limit: a client-side
//! token bucket (GCRA) every attempt spends from, plus what the server says
//! (`Retry-After` on a 429, `X-RateLimit-Remaining: 0` / `RateLimit-Remaining: 0`
//! with their reset) pauses every request of the connection until then.
//!
//! With a [`RateBudget`] (e.g. kept in a PostgreSQL store), the bucket lives
//! outside the process: every process of a cluster reserves its slots from
//! the same budget, so the connection's limit holds across all of them.

mod gcra;
mod headers;
mod layer;

pub use gcra::Gcra;
pub use layer::RateLimitLayer;

use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;

use crate::{HttpError, HttpRequest, HttpResponse, ResponseFuture};

/// A rate budget kept outside the process and shared by every process that
/// uses it (see the module docs).
#[async_trait::async_trait]
pub trait RateBudget: Send + Sync {
    /// Reserves the next slot of budget `key` (bursts of up to `burst`, then
    /// one per `interval`) and says how long to wait before using it.
    ///
    /// # Errors
    /// A message when the budget cannot be reached.
    async fn reserve(&self, key: &str, interval: Duration, burst: u32) -> Result<Duration, String>;
}

/// A connection's shared limiter. Cheap to clone (all clones share the budget).
#[derive(Clone, Default)]
pub struct RateLimiter {
    state: Arc<Mutex<State>>,
    shared: Option<Arc<Shared>>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("shared", &self.shared.as_ref().map(|s| &s.key))
            .finish_non_exhaustive()
    }
}

/// Where a shared limiter reserves its slots.
struct Shared {
    budget: Arc<dyn RateBudget>,
    key: String,
    interval: Duration,
    burst: u32,
}

#[derive(Debug, Default)]
struct State {
    bucket: Option<Gcra>,
    /// No request before this instant (the server asked us to wait).
    not_before: Option<Instant>,
}

impl RateLimiter {
    /// A limiter with an optional client-side quota.
    pub fn new(bucket: Option<Gcra>) -> Self {
        RateLimiter {
            state: Arc::new(Mutex::new(State {
                bucket,
                not_before: None,
            })),
            shared: None,
        }
    }

    /// A limiter whose quota (`requests` per `per`, bursts of `burst`) is
    /// the budget `key` in `budget`, shared with every other process using
    /// it. When the budget cannot be reached, the process keeps the quota on
    /// its own (and says so in the log) rather than failing requests.
    pub fn shared(
        budget: Arc<dyn RateBudget>,
        key: &str,
        requests: u32,
        per: Duration,
        burst: u32,
    ) -> Self {
        let mut limiter = RateLimiter::new(Some(Gcra::new(requests, per, burst)));
        limiter.shared = Some(Arc::new(Shared {
            budget,
            key: key.to_owned(),
            interval: per / requests.max(1),
            burst: burst.max(1),
        }));
        limiter
    }

    /// Reserves the next slot and waits for it; returns how long it waited.
    pub async fn acquire(&self) -> Duration {
        if let Some(shared) = &self.shared {
            match shared
                .budget
                .reserve(&shared.key, shared.interval, shared.burst)
                .await
            {
                Ok(wait) => {
                    let now = Instant::now();
                    let not_before = {
                        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
                        s.not_before.unwrap_or(now)
                    };
                    let slot = (now + wait).max(not_before);
                    if slot > now {
                        tokio::time::sleep_until(slot).await;
                    }
                    return slot.saturating_duration_since(now);
                }
                Err(e) => {
                    tracing::warn!(budget = %shared.key, error = %e, "the shared rate budget cannot be reached: keeping the limit in this process");
                }
            }
        }
        let now = Instant::now();
        let slot = {
            let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let bucket_slot = s.bucket.as_mut().map_or(now, |b| b.reserve(now));
            bucket_slot.max(s.not_before.unwrap_or(now))
        };
        if slot > now {
            tokio::time::sleep_until(slot).await;
        }
        slot.saturating_duration_since(now)
    }

    /// Pauses the whole connection until `now + wait` (a server's request).
    pub fn pause_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.not_before.is_none_or(|nb| nb < until) {
            s.not_before = Some(until);
        }
    }

    fn observe(&self, result: &Result<HttpResponse, HttpError>) {
        let wait = match result {
            Ok(response) => headers::exhausted_for(&response.headers, chrono::Utc::now()),
            Err(e) if e.status == Some(429) => {
                Some(e.retry_after.unwrap_or(Duration::from_secs(1)))
            }
            Err(_) => None,
        };
        if let Some(wait) = wait {
            tracing::debug!(
                wait_ms = wait.as_millis() as u64,
                "server asked to slow down"
            );
            self.pause_for(wait);
        }
    }
}

/// See the module docs.
#[derive(Debug, Clone)]
pub struct RateLimit<S> {
    inner: S,
    limiter: RateLimiter,
}

impl<S> tower::Service<HttpRequest> for RateLimit<S>
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
        let limiter = self.limiter.clone();
        let inner = self.inner.clone();
        Box::pin(async move {
            request.rate_wait.add(limiter.acquire().await);
            let result = tower::ServiceExt::oneshot(inner, request).await;
            limiter.observe(&result);
            result
        })
    }
}

#[cfg(test)]
mod tests;
