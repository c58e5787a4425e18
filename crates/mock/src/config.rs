//! What a mock server serves: how many contacts, which seed, how slow, which auth.

use std::time::Duration;

/// Settings for one mock CRM; [`MockConfig::default`] gives 1000 contacts, seed 42,
/// no latency and no auth.
#[derive(Debug, Clone, PartialEq, Eq)]
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
}

impl Default for MockConfig {
    fn default() -> Self {
        Self {
            records: 1000,
            seed: 42,
            latency: Duration::ZERO,
            auth: None,
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
