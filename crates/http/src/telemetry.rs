//! The numbers the HTTP stack reports, through the `metrics` facade: the
//! process decides where they go (`holdfast serve` serves them at
//! `/metrics`); without a recorder they cost next to nothing.

/// Attempts per connection, endpoint (as written in the connector file, e.g.
/// `GET /v2/contacts`) and outcome (`ok`, or the error class: `status_5xx`,
/// `status_429`, `timeout`, `not_json`, …).
pub const HTTP_REQUESTS: &str = "holdfast_http_requests_total";
/// Attempt latency (server time, without rate-limit queueing) per connection and endpoint.
pub const HTTP_DURATION: &str = "holdfast_http_request_duration_seconds";
/// Attempts that were retries (the second and later of a request).
pub const HTTP_RETRIES: &str = "holdfast_http_retries_total";
/// Waits before retries (backoff and `Retry-After`), per connection (a histogram:
/// `_sum` is the total time waited).
pub const HTTP_RETRY_WAIT: &str = "holdfast_http_retry_wait_seconds";
/// Time attempts spent queued for the connection's rate limit (a histogram;
/// only attempts that waited are observed).
pub const HTTP_RATE_LIMIT_WAIT: &str = "holdfast_http_rate_limit_wait_seconds";
/// The circuit breaker per connection: 0 closed, 1 half-open, 2 open.
pub const BREAKER_STATE: &str = "holdfast_breaker_state";
/// The buckets (seconds) of every `_seconds` histogram.
pub const DURATION_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Token requests per connection and outcome (`ok`, `invalid_grant`, `error`).
pub const AUTH_REFRESHES: &str = "holdfast_auth_refreshes_total";
/// 1 while a connection needs a person to authorize it again, else 0.
pub const AUTH_NEEDS_REAUTH: &str = "holdfast_auth_needs_reauth";
/// When a connection's access token expires (Unix seconds).
pub const AUTH_TOKEN_EXPIRY: &str = "holdfast_auth_token_expiry_timestamp_seconds";
/// Session login chains per connection and outcome (`ok`, `error`, `rejected`).
pub const SESSION_LOGINS: &str = "holdfast_session_logins_total";

/// Counts a token request's outcome and keeps the re-authorization gauge
/// and the expiry (Unix milliseconds) in step.
pub(crate) fn token_refreshed(connection: &str, outcome: &'static str, expires_at: Option<i64>) {
    let connection = connection.to_owned();
    metrics::counter!(AUTH_REFRESHES, "connection" => connection.clone(), "outcome" => outcome)
        .increment(1);
    let reauth = if outcome == "invalid_grant" { 1.0 } else { 0.0 };
    metrics::gauge!(AUTH_NEEDS_REAUTH, "connection" => connection.clone()).set(reauth);
    if let Some(ms) = expires_at {
        #[allow(clippy::cast_precision_loss)]
        metrics::gauge!(AUTH_TOKEN_EXPIRY, "connection" => connection).set(ms as f64 / 1000.0);
    }
}

/// Counts a session login's outcome.
pub(crate) fn session_login(connection: &str, outcome: &'static str) {
    metrics::counter!(SESSION_LOGINS, "connection" => connection.to_owned(), "outcome" => outcome)
        .increment(1);
}

/// Counts one attempt: its outcome, latency and the waits before it.
pub(crate) fn attempt(
    connection: &str,
    endpoint: &str,
    outcome: &'static str,
    attempt: u32,
    duration: std::time::Duration,
    backoff: std::time::Duration,
    queued: std::time::Duration,
) {
    let (c, e) = (connection.to_owned(), endpoint.to_owned());
    metrics::counter!(HTTP_REQUESTS, "connection" => c.clone(), "endpoint" => e.clone(), "outcome" => outcome)
        .increment(1);
    metrics::histogram!(HTTP_DURATION, "connection" => c.clone(), "endpoint" => e.clone())
        .record(duration.as_secs_f64());
    if attempt > 1 {
        metrics::counter!(HTTP_RETRIES, "connection" => c.clone(), "endpoint" => e).increment(1);
        metrics::histogram!(HTTP_RETRY_WAIT, "connection" => c.clone())
            .record(backoff.as_secs_f64());
    }
    if !queued.is_zero() {
        metrics::histogram!(HTTP_RATE_LIMIT_WAIT, "connection" => c).record(queued.as_secs_f64());
    }
}

/// Sets the breaker gauge of `connection` to `state` (0 closed, 1 half-open, 2 open).
pub(crate) fn breaker(connection: &str, state: f64) {
    metrics::gauge!(BREAKER_STATE, "connection" => connection.to_owned()).set(state);
}
