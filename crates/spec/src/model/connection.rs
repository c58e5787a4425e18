//! Connections: where a remote API is and how to talk to it.

use std::time::Duration;

use super::{Auth, Template};

/// A remote API: where it is and how to talk to it.
#[derive(Debug, Clone)]
pub struct Connection {
    /// The name under `connections:`.
    pub name: String,
    /// Base URL every stream path is joined to.
    pub base_url: Template,
    /// Headers sent with every request (e.g. a pinned API version).
    pub headers: Vec<(String, Template)>,
    /// Total time allowed for one request, body included. Default 30 s.
    pub timeout: Duration,
    /// Time allowed to establish a connection. Default 10 s (never more than `timeout`).
    pub connect_timeout: Duration,
    /// How requests authenticate.
    pub auth: Auth,
    /// Client-side rate limit (a token bucket), if any.
    pub rate_limit: Option<RateLimit>,
    /// Retries with exponential backoff and full jitter.
    pub retry: Retry,
    /// Circuit breaker; `None` when the file says `breaker: off`.
    pub breaker: Option<Breaker>,
    /// Responses that lie about success, and what to do with them, in file order.
    pub errors: Vec<ErrorRule>,
    /// How many requests may be in flight on this connection at once.
    pub concurrency: Concurrency,
    /// Other hosts that URLs handed over by the API may lead to, fetched
    /// without credentials (`allowed_hosts:`); anywhere else is refused.
    pub allowed_hosts: Vec<AllowedHost>,
    /// The most bytes read of one response body (`max_response:`, default 64 MB).
    pub max_response: u64,
}

/// One entry of `allowed_hosts:`: `files.example.com`, `files.example.com:8443`,
/// `*.example.com` (any subdomain, not the domain itself) or, with a scheme,
/// `http://127.0.0.1:9000`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    /// `http` or `https` when the entry names one; `None`: https (and http too
    /// when the connection's base URL is http).
    pub scheme: Option<String>,
    /// The host name, lowercase, or an IP address.
    pub host: String,
    /// True for `*.host`: every subdomain of `host`.
    pub subdomains: bool,
    /// The port when the entry names one; `None`: the scheme's default.
    pub port: Option<u16>,
}

/// `rate_limit: { requests, per, burst }`: never more than `requests` per
/// `per` on average, with bursts of up to `burst` (default: `requests`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per period (>= 1).
    pub requests: u32,
    /// The period (> 0).
    pub per: Duration,
    /// Bucket size (>= 1).
    pub burst: u32,
}

/// `retry: { attempts, initial, max, max_wait }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Total attempts per request, the first included (>= 1; 1 = no retries). Default 5.
    pub attempts: u32,
    /// Backoff before the first retry, doubled each time (full jitter). Default 250 ms.
    pub initial: Duration,
    /// Largest single backoff. Default 60 s.
    pub max: Duration,
    /// Cap on the total time one request may spend waiting between attempts
    /// (Retry-After included); past it the request fails. Default 5 min.
    pub max_wait: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 5,
            initial: Duration::from_millis(250),
            max: Duration::from_secs(60),
            max_wait: Duration::from_secs(300),
        }
    }
}

/// `breaker: { failures, cool_down }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Breaker {
    /// Consecutive failed attempts that open the breaker (>= 1). Default 20.
    pub failures: u32,
    /// How long it stays open before one probe request. Default 60 s.
    pub cool_down: Duration,
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker {
            failures: 20,
            cool_down: Duration::from_secs(60),
        }
    }
}

/// One `errors:` rule: a Jinja condition over `status`, `headers` and `body`.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorRule {
    /// The condition (an expression, no braces), e.g. `status == 200 and body.success == false`.
    pub when: Template,
    /// What to do when it holds.
    pub action: ErrorAction,
}

/// What to do with a response an `errors:` rule matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorAction {
    /// A transient failure: retry it like a 503.
    Retry,
    /// A permanent failure: fail the stream with the response excerpt.
    Fail,
    /// Not an error and no data: the page yields no records and the chain ends.
    Skip,
}

/// `max_concurrency` and `concurrency`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Concurrency {
    /// At most this many requests in flight (`max_concurrency: N`, default 4).
    Fixed(u32),
    /// `concurrency: adaptive`: start at 1, raise while latency and errors stay
    /// flat, halve on 429/5xx or rising latency, never above `max` (`max_concurrency`).
    Adaptive {
        /// The ceiling.
        max: u32,
    },
}
