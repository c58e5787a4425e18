//! [`MockRateLimit`]: the mock's own limit on data requests, as a sliding window.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::faults::parse::duration;

/// At most `requests` data requests are admitted in any sliding window of length `per`;
/// the rest get `429` with `Retry-After` (the time until the oldest admitted request
/// leaves the window, rounded up) and count in [`MockStats::rate_limited`](crate::MockStats::rate_limited).
///
/// Only admitted requests fill the window, so a client that keeps knocking is let in as
/// soon as there is room. The window is strict: a token bucket of rate `r` and burst `b`
/// can send `b + r·per` requests in one window, so give it `b` = 0 or a limit with room.
/// The limit applies after auth and before faults and the down window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MockRateLimit {
    /// How many data requests a window admits.
    pub requests: u32,
    /// The window length.
    pub per: Duration,
}

impl MockRateLimit {
    /// Parses `REQUESTS/PER`, e.g. `50/1s`, `100/m`, `5/500ms` (a bare unit means one of it).
    ///
    /// # Errors
    /// A message naming the bad part when the count is not a positive whole number or the
    /// window not a positive duration.
    pub fn parse(spec: &str) -> Result<MockRateLimit, String> {
        let bad = |why: String| format!("invalid rate limit `{spec}`: {why}");
        let (requests, per) = spec
            .trim()
            .split_once('/')
            .ok_or_else(|| bad("expected `REQUESTS/PER`, e.g. `50/1s`".to_owned()))?;
        let requests = requests
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| bad(format!("`{requests}` is not a positive whole number")))?;
        let per = per.trim();
        let per = duration(per)
            .or_else(|error| {
                // A bare unit (`50/s`) means one of it.
                if per.starts_with(|c: char| c.is_ascii_digit()) {
                    Err(error)
                } else {
                    duration(&format!("1{per}")).map_err(|_| error)
                }
            })
            .map_err(bad)?;
        if per.is_zero() {
            return Err(bad("the window must be longer than zero".to_owned()));
        }
        Ok(MockRateLimit { requests, per })
    }
}

/// What is left of the window after admitting a request: sent to clients as
/// `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`
/// (seconds until the oldest admitted request leaves the window, rounded up).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Budget {
    pub(crate) limit: u32,
    pub(crate) remaining: u32,
    pub(crate) reset: Duration,
}

/// The admission times of the requests still inside the window.
#[derive(Debug, Default)]
pub(crate) struct Window {
    admitted: VecDeque<Instant>,
}

impl Window {
    /// Admits a request at `now` (`Ok` with what is left of the budget) or
    /// says how long until one would be (`Err`).
    pub(crate) fn admit(
        &mut self,
        limit: &MockRateLimit,
        now: Instant,
    ) -> Result<Budget, Duration> {
        while let Some(&oldest) = self.admitted.front() {
            if now.saturating_duration_since(oldest) >= limit.per {
                self.admitted.pop_front();
            } else {
                break;
            }
        }
        if self.admitted.len() < limit.requests as usize {
            self.admitted.push_back(now);
            let oldest = self.admitted.front().copied().unwrap_or(now);
            return Ok(Budget {
                limit: limit.requests,
                remaining: limit.requests - self.admitted.len() as u32,
                reset: (oldest + limit.per).saturating_duration_since(now),
            });
        }
        let oldest = self.admitted.front().copied().unwrap_or(now);
        Err((oldest + limit.per).saturating_duration_since(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_names_the_bad_part() {
        let limit = |requests, ms| MockRateLimit {
            requests,
            per: Duration::from_millis(ms),
        };
        assert_eq!(MockRateLimit::parse("50/1s"), Ok(limit(50, 1000)));
        assert_eq!(MockRateLimit::parse(" 5 / 500ms "), Ok(limit(5, 500)));
        assert_eq!(MockRateLimit::parse("100/m"), Ok(limit(100, 60_000)));
        for (spec, needle) in [
            ("50", "REQUESTS/PER"),
            ("x/1s", "`x`"),
            ("0/1s", "`0`"),
            ("5/soon", "`soon`"),
            ("5/0s", "longer than zero"),
        ] {
            let error = MockRateLimit::parse(spec).expect_err(spec);
            assert!(error.contains(needle), "{spec}: {error}");
        }
    }

    #[test]
    fn window_slides() {
        let limit = MockRateLimit {
            requests: 2,
            per: Duration::from_secs(1),
        };
        let (mut window, t0) = (Window::default(), Instant::now());
        let at = |ms| t0 + Duration::from_millis(ms);
        let budget = |remaining, reset_ms| {
            Ok(Budget {
                limit: 2,
                remaining,
                reset: Duration::from_millis(reset_ms),
            })
        };
        assert_eq!(window.admit(&limit, at(0)), budget(1, 1000));
        assert_eq!(window.admit(&limit, at(400)), budget(0, 600));
        assert_eq!(
            window.admit(&limit, at(500)),
            Err(Duration::from_millis(500))
        );
        assert_eq!(window.admit(&limit, at(1000)), budget(0, 400));
        assert_eq!(
            window.admit(&limit, at(1200)),
            Err(Duration::from_millis(200))
        );
    }
}
