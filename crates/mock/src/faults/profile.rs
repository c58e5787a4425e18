//! [`FaultProfile`]: the share of data requests that get each fault, drawn per request.

use std::time::Duration;

use crate::data::hash;

/// Salt of the fault draw, so it is independent of the record generator's streams.
const SALT: u64 = 0xFA17;

/// Which faults a mock injects into its data requests, and how often.
///
/// Each data request (never `/_mock/*` or `/healthz`) that passed auth draws at most one
/// fault from `(seed, its sequence number)`: the same seed and request order always give
/// the same faults, and a retried request (a new sequence number) draws afresh. Rates are
/// shares in `0.0..=1.0`, checked in field order (`too_many` first); if they add up to more
/// than 1 the later kinds get what is left. A faulted request never carries records.
///
/// The default injects nothing. Build one with [`FaultProfile::parse`] or
/// [`FaultProfile::preset`], or set the fields:
///
/// ```
/// use holdfast_mock::FaultProfile;
///
/// let flaky = FaultProfile { too_many: 0.1, server_error: 0.1, ..FaultProfile::default() };
/// assert_eq!(FaultProfile::parse("429=10%,500=0.1"), Ok(flaky.clone()));
/// assert_eq!(FaultProfile::preset("flaky"), Some(flaky));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct FaultProfile {
    /// Share answered `429` with `Retry-After` ([`retry_after`](Self::retry_after)).
    pub too_many: f64,
    /// How long a `429` asks the client to wait (default 1 s). The seconds form is
    /// rounded up to whole seconds.
    pub retry_after: Duration,
    /// Send `Retry-After` as an HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`, rounded up to
    /// the next second) instead of seconds; applies to the mock's rate limit too.
    pub retry_after_http_date: bool,
    /// Share answered `500 {"error":"internal server error"}`.
    pub server_error: f64,
    /// Share answered `503 {"error":"service unavailable"}`.
    pub unavailable: f64,
    /// Share answered only after [`slow_delay`](Self::slow_delay), then with
    /// `504 {"error":"gateway timeout"}`.
    pub slow: f64,
    /// How long a slow request waits (default 10 s: past any sane client timeout).
    pub slow_delay: Duration,
    /// Share whose connection is closed with no response at all: the client sees a
    /// connection error, not a status.
    pub dropped: f64,
    /// Share answered `200` with `Content-Type: text/html` and a login page.
    pub html: f64,
    /// Share answered `200` with
    /// `{"success": false, "error": {"code": "INTERNAL", "message": "try again"}}`.
    pub error_body: f64,
    /// Share answered `200`, `Content-Type: application/json`, with a body that is not
    /// JSON: `{"data": [{"id": 1,,]`.
    pub malformed: f64,
    /// Share answered with the first half of the real response, after which the
    /// connection is aborted: the client gets a body read error.
    pub truncated: f64,
    /// `(starts after, lasts)`, measured from server start: every data request in that
    /// window gets `503 {"error":"service unavailable"}` (counted as fault `down`).
    pub down: Option<(Duration, Duration)>,
}

impl Default for FaultProfile {
    fn default() -> Self {
        Self {
            too_many: 0.0,
            retry_after: Duration::from_secs(1),
            retry_after_http_date: false,
            server_error: 0.0,
            unavailable: 0.0,
            slow: 0.0,
            slow_delay: Duration::from_secs(10),
            dropped: 0.0,
            html: 0.0,
            error_body: 0.0,
            malformed: 0.0,
            truncated: 0.0,
            down: None,
        }
    }
}

/// One injected fault; [`Fault::name`] is its key in specs, stats and the request log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    TooMany,
    ServerError,
    Unavailable,
    Slow,
    Dropped,
    Html,
    ErrorBody,
    Malformed,
    Truncated,
    /// Inside the [`FaultProfile::down`] window.
    Down,
}

impl Fault {
    /// The drawn kinds, in draw order.
    pub(crate) const DRAWN: [Fault; 9] = [
        Fault::TooMany,
        Fault::ServerError,
        Fault::Unavailable,
        Fault::Slow,
        Fault::Dropped,
        Fault::Html,
        Fault::ErrorBody,
        Fault::Malformed,
        Fault::Truncated,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Fault::TooMany => "429",
            Fault::ServerError => "500",
            Fault::Unavailable => "503",
            Fault::Slow => "slow",
            Fault::Dropped => "dropped",
            Fault::Html => "html",
            Fault::ErrorBody => "error_body",
            Fault::Malformed => "malformed",
            Fault::Truncated => "truncated",
            Fault::Down => "down",
        }
    }
}

impl FaultProfile {
    /// Whether this profile never injects anything.
    pub fn is_none(&self) -> bool {
        self.down.is_none() && Fault::DRAWN.iter().all(|&f| share(self.rate(f)) == 0.0)
    }

    /// The rate field of a drawn kind (`Down` has none and maps to a zero).
    pub(crate) fn rate(&self, fault: Fault) -> f64 {
        *match fault {
            Fault::TooMany => &self.too_many,
            Fault::ServerError => &self.server_error,
            Fault::Unavailable => &self.unavailable,
            Fault::Slow => &self.slow,
            Fault::Dropped => &self.dropped,
            Fault::Html => &self.html,
            Fault::ErrorBody => &self.error_body,
            Fault::Malformed => &self.malformed,
            Fault::Truncated => &self.truncated,
            Fault::Down => &0.0,
        }
    }

    pub(crate) fn rate_mut(&mut self, fault: Fault) -> Option<&mut f64> {
        Some(match fault {
            Fault::TooMany => &mut self.too_many,
            Fault::ServerError => &mut self.server_error,
            Fault::Unavailable => &mut self.unavailable,
            Fault::Slow => &mut self.slow,
            Fault::Dropped => &mut self.dropped,
            Fault::Html => &mut self.html,
            Fault::ErrorBody => &mut self.error_body,
            Fault::Malformed => &mut self.malformed,
            Fault::Truncated => &mut self.truncated,
            Fault::Down => return None,
        })
    }

    /// The fault of data request number `seq` under `seed`, if any.
    pub(crate) fn draw(&self, seed: u64, seq: u64) -> Option<Fault> {
        // 53 random bits: a uniform float in [0, 1).
        let u = (hash(seed, seq, SALT) >> 11) as f64 / (1u64 << 53) as f64;
        let mut upto = 0.0;
        Fault::DRAWN.into_iter().find(|&fault| {
            upto += share(self.rate(fault));
            u < upto
        })
    }

    /// Whether `elapsed` (since server start) falls in the down window.
    pub(crate) fn is_down(&self, elapsed: Duration) -> bool {
        self.down
            .is_some_and(|(after, lasts)| elapsed >= after && elapsed < after.saturating_add(lasts))
    }
}

/// A rate as a usable share: NaN and negatives are 0, anything above 1 is 1.
fn share(rate: f64) -> f64 {
    if rate > 0.0 { rate.min(1.0) } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_deterministic_and_follow_the_rates() {
        let profile = FaultProfile {
            too_many: 0.25,
            html: 0.25,
            ..FaultProfile::default()
        };
        let draws: Vec<_> = (0..4000).map(|seq| profile.draw(7, seq)).collect();
        assert_eq!(
            draws,
            (0..4000).map(|s| profile.draw(7, s)).collect::<Vec<_>>()
        );
        let count = |f| draws.iter().filter(|d| **d == f).count();
        assert!((900..1100).contains(&count(Some(Fault::TooMany))));
        assert!((900..1100).contains(&count(Some(Fault::Html))));
        assert_ne!(
            draws,
            (0..4000).map(|s| profile.draw(8, s)).collect::<Vec<_>>()
        );
        assert!(FaultProfile::default().is_none());
        assert!(!profile.is_none());
    }

    #[test]
    fn full_rate_always_faults_and_nan_never_does() {
        let all = FaultProfile {
            dropped: 1.0,
            ..FaultProfile::default()
        };
        assert!((0..1000).all(|s| all.draw(1, s) == Some(Fault::Dropped)));
        let nan = FaultProfile {
            too_many: f64::NAN,
            ..FaultProfile::default()
        };
        assert!((0..1000).all(|s| nan.draw(1, s).is_none()));
    }
}
