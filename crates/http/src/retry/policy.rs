//! How long to wait before the next attempt.

use std::time::Duration;

/// Attempts, backoff and the total-wait cap of one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts, the first included.
    pub attempts: u32,
    /// Backoff ceiling before the first retry; doubles each retry.
    pub initial: Duration,
    /// Largest computed backoff.
    pub max: Duration,
    /// Most total waiting per request.
    pub max_wait: Duration,
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1`: the server's `Retry-After` when
    /// it sent one, else full jitter, a uniform draw in
    /// `[0, min(max, initial * 2^(attempt-1))]`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use holdfast_http::retry::RetryPolicy;
    /// let p = RetryPolicy { attempts: 5, initial: Duration::from_millis(100), max: Duration::from_secs(1), max_wait: Duration::from_secs(60) };
    /// assert!(p.wait(3, None) <= Duration::from_millis(400));
    /// assert_eq!(p.wait(1, Some(Duration::from_secs(7))), Duration::from_secs(7));
    /// ```
    pub fn wait(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(server) = retry_after {
            return server;
        }
        let ceiling = self
            .initial
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
            .min(self.max);
        ceiling.mul_f64(fastrand::f64())
    }
}
