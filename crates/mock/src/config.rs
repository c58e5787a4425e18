//! What a mock server serves: how many contacts, which seed, how slow, which auth, which
//! faults and rate limit.

use std::time::Duration;

use crate::faults::FaultProfile;
use crate::limit::MockRateLimit;

/// Settings for one mock CRM; [`MockConfig::default`] gives 1000 contacts, seed 42,
/// no latency, no auth, no faults and no rate limit.
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
}
