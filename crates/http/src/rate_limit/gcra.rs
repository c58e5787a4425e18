//! GCRA, the token bucket as one timestamp: never more than `burst` at once,
//! never more than `requests` per `per` on average.

use std::time::Duration;

use tokio::time::Instant;

/// A token bucket kept as its theoretical arrival time.
#[derive(Debug, Clone)]
pub struct Gcra {
    /// Time between two requests at the sustained rate.
    interval: Duration,
    /// How far ahead of the sustained rate a burst may run.
    tolerance: Duration,
    /// The theoretical arrival time of the next request.
    tat: Option<Instant>,
}

impl Gcra {
    /// `requests` per `per`, bursts of up to `burst`.
    pub fn new(requests: u32, per: Duration, burst: u32) -> Self {
        let interval = per / requests.max(1);
        Gcra {
            interval,
            tolerance: interval * burst.max(1).saturating_sub(1),
            tat: None,
        }
    }

    /// Reserves the next slot at or after `now` and returns it. The caller
    /// waits until then; reservations never overlap, so concurrent callers
    /// queue fairly and the rate holds.
    pub fn reserve(&mut self, now: Instant) -> Instant {
        let tat = self.tat.map_or(now, |t| t.max(now));
        let allowed_at = tat.checked_sub(self.tolerance).map_or(now, |t| t.max(now));
        self.tat = Some(tat + self.interval);
        allowed_at
    }
}
