//! How a connection copes with a struggling API: rate limit, retry,
//! breaker and the responses that lie about success.

use serde::Deserialize;

use super::Scalar;

/// `rate_limit: { requests: 10, per: 1s, burst: 20 }`: never more than
/// `requests` per `per` on average.
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a rate limit (a mapping with `requests:` and `per:`)"
)]
pub(crate) struct RawRateLimit {
    /// Required. Requests allowed per period, at least 1.
    pub(crate) requests: Option<Scalar>,
    /// Required. The period, more than `0s`, e.g. `1s` or `1m`.
    pub(crate) per: Option<Scalar>,
    /// Requests that may go at once after a quiet spell, at least 1.
    /// Default: `requests`.
    pub(crate) burst: Option<Scalar>,
}

/// `retry: { attempts: 8, initial: 250ms, max: 60s, max_wait: 5m }`; each
/// key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "retry settings (a mapping such as `{ attempts: 5 }`)"
)]
pub(crate) struct RawRetry {
    /// Total attempts per request, the first included; at least 1 (1 means
    /// no retries). Default 5.
    pub(crate) attempts: Option<Scalar>,
    /// Backoff before the first retry, doubled each time; at most `max`.
    /// Default `250ms`.
    pub(crate) initial: Option<Scalar>,
    /// Largest single backoff. Default `60s`.
    pub(crate) max: Option<Scalar>,
    /// Most time one request may spend waiting between attempts
    /// (`Retry-After` included); past it the request fails. Default `5m`.
    pub(crate) max_wait: Option<Scalar>,
}

/// `breaker: { failures: 20, cool_down: 60s }`; each key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "breaker settings (a mapping such as `{ failures: 20, cool_down: 60s }`)"
)]
pub(crate) struct RawBreaker {
    /// Consecutive failed attempts that open the breaker; at least 1. Default 20.
    pub(crate) failures: Option<Scalar>,
    /// How long it stays open before one probe request; more than `0s`.
    /// Default `60s`.
    pub(crate) cool_down: Option<Scalar>,
}

/// One `errors:` rule: `{ when: "status == 200 and body.success == false", action: retry }`.
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an error rule (a mapping with `when:` and `action:`)"
)]
pub(crate) struct RawErrorRule {
    /// Required. A Jinja condition over `status`, `headers` and `body`,
    /// without braces.
    pub(crate) when: Option<String>,
    /// Required. `retry` (a transient failure, retried like a 503), `fail`
    /// (fail the stream) or `skip` (no records; the chain ends).
    pub(crate) action: Option<String>,
}
