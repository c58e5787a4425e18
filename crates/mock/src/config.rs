//! What a mock server serves: how many contacts, which seed, how slow, which auth, which
//! faults and rate limit, which bad records and which shape.

use std::time::Duration;

use crate::faults::FaultProfile;
use crate::limit::MockRateLimit;
use crate::quirks::BadKind;
use crate::shape::ShapeVersion;

/// Settings for one mock CRM; [`MockConfig::default`] gives 1000 contacts, seed 42,
/// no latency, no auth, no faults, no rate limit, no bad records, the original shape and
/// no analytics beacon.
#[derive(Debug, Clone, PartialEq)]
pub struct MockConfig {
    /// How many contacts exist (ids `1..=records`). Records are generated on demand, so
    /// millions cost no memory.
    pub records: u64,
    /// Seed of the generator: the same seed always gives the same bytes.
    pub seed: u64,
    /// Delay added to every data response (not to `/_mock/*` or `/healthz`).
    pub latency: Duration,
    /// Credentials every data endpoint demands; `None` leaves them open.
    pub auth: Option<MockAuth>,
    /// Faults injected into data requests (after auth); drawn from `seed`.
    pub faults: FaultProfile,
    /// The mock's own limit on data requests (after auth, before faults); `None` for none.
    pub rate_limit: Option<MockRateLimit>,
    /// Every `bad_every`-th contact (ids `N, 2N, 3N, ...`) is served deliberately bad, the
    /// kind rotating by `(id / N) % 5` through [`BAD_KINDS`](crate::BAD_KINDS)(crate::BAD_KINDS):
    /// `null_email` (`"email": null`), `string_number` (`"version": "lots"`), `missing_key`
    /// (no `"id"`), `renamed_field` (`"e_mail"` instead of `"email"`, same value) and
    /// `bad_date` (`"created": "31/31/2024"`). [`bad_kind`](crate::bad_kind) tells which
    /// ids are bad and how. 0 (the default) serves every contact good. Bad records keep
    /// their place in every listing; only their JSON is broken.
    pub bad_every: u64,
    /// The contact shape served at start; `POST /_mock/shape?version=...` or
    /// [`MockServer::set_shape`](crate::MockServer::set_shape) switch it later (this field
    /// keeps the starting value; [`MockState::shape`](crate::MockState::shape) tells the
    /// current one).
    pub shape: ShapeVersion,
    /// `POST /v2/notes`: the first request of each idempotency key answers
    /// only after this delay (its note is created at once), so a client with
    /// a shorter timeout must retry with the same key. `None`: answer at once.
    pub slow_first_write: Option<Duration>,
    /// Where the web app's `/home` page sends its analytics beacon (an
    /// image loaded from `{analytics_url}/collect?...`), e.g. a second local
    /// server standing in for a third-party host. `None`: no beacon.
    pub analytics_url: Option<String>,
}

impl Default for MockConfig {
    fn default() -> Self {
        Self {
            records: 1000,
            seed: 42,
            latency: Duration::ZERO,
            auth: None,
            faults: FaultProfile::default(),
            rate_limit: None,
            bad_every: 0,
            shape: ShapeVersion::Original,
            slow_first_write: None,
            analytics_url: None,
        }
    }
}

/// The credentials a mock server demands; values are compared exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MockAuth {
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// A header `name: value`, e.g. `X-Api-Key: secret` (the name is case-insensitive).
    ApiKeyHeader {
        /// Header name.
        name: String,
        /// Expected header value.
        value: String,
    },
    /// A query parameter `?name=value`.
    ApiKeyQuery {
        /// Query parameter name.
        name: String,
        /// Expected (decoded) parameter value.
        value: String,
    },
    /// `Authorization: Basic base64(username:password)`.
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: String,
    },
    /// `Authorization: Bearer <JWT>` whose payload's `exp` (Unix seconds) is
    /// still in the future: any JWT issued by a test OAuth2 server passes
    /// until it expires. The signature is **not** checked (a test double
    /// for "the token is present and unexpired", nothing more).
    UnexpiredJwt,
    /// A portal login (see the `portal` routes): `GET /login` serves a form
    /// with a CSRF token, `POST /login` with these credentials opens a
    /// session cookie good for `requests_per_session` data requests; data
    /// requests without a live session are redirected to `/login`.
    Session {
        /// User name.
        username: String,
        /// Password.
        password: String,
        /// Data requests a session serves before it expires.
        requests_per_session: u64,
    },
}

/// Which kind of bad record contact `id` is served as under `config`
/// ([`MockConfig::bad_every`]), as a [`BAD_KINDS`](crate::BAD_KINDS) name; `None` for a good record, for
/// every id when `bad_every` is 0, and for ids outside `1..=records`.
///
/// ```
/// use holdfast_mock::{MockConfig, bad_kind};
///
/// let config = MockConfig { records: 100, bad_every: 10, ..MockConfig::default() };
/// assert_eq!(bad_kind(&config, 9), None);
/// assert_eq!(bad_kind(&config, 10), Some("string_number"));
/// assert_eq!(bad_kind(&config, 50), Some("null_email"));
/// assert_eq!(bad_kind(&config, 110), None);
/// ```
pub fn bad_kind(config: &MockConfig, id: u64) -> Option<&'static str> {
    if id > config.records {
        return None;
    }
    BadKind::of(config.bad_every, id).map(BadKind::name)
}
