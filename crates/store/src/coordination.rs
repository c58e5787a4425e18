//! Coordination between processes sharing one store: named leases (a stream
//! never runs on two workers at once) and shared rate-limit budgets (a
//! connection's limit holds across every process), and the alert board.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// A named lease as stored (see [`CoordinationStore::acquire_lease`](crate::CoordinationStore::acquire_lease)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedLease {
    /// What is leased (e.g. `stream:contacts`).
    pub name: String,
    /// Who holds it (e.g. `host/pid/worker`).
    pub holder: String,
    /// It is held up to and including this instant; after it, anyone may take it.
    pub until: DateTime<Utc>,
    /// When the current holder took it (renewals keep this).
    pub acquired_at: DateTime<Utc>,
}

/// The lease name [`CoordinationStore::check_writable`](crate::CoordinationStore::check_writable)
/// writes and deletes in one transaction: never held, never listed.
pub const WRITE_PROBE: &str = "holdfast:write-probe";

impl NamedLease {
    /// Whether the lease is still held at `now` (its end is inclusive).
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.until >= now
    }
}

/// An alert's state as kept in the store (see [`ObservabilityStore::save_alert`](crate::ObservabilityStore::save_alert)):
/// the evaluator's memory of which alerts fire, shared by every process and
/// kept across restarts, so each transition is announced once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAlert {
    /// The rule's name (`no_records`, …).
    pub rule: String,
    /// What it is about (a stream, a connection, `queue`).
    pub subject: String,
    /// Firing now (else resolved).
    pub firing: bool,
    /// When it entered that state.
    pub since: DateTime<Utc>,
    /// The sentence that said why.
    pub message: String,
    /// Where the rule is written (`alerts[0]`).
    pub place: String,
}

/// A rate budget's interval in whole microseconds, as both backends store
/// it; an error naming `context` when it does not fit.
pub fn interval_micros(interval: Duration, context: &str) -> Result<i64, crate::StoreError> {
    i64::try_from(interval.as_micros()).map_err(|_| {
        crate::StoreError::new(
            crate::StoreErrorKind::InvalidData,
            context,
            format!("an interval of {interval:?} is out of range"),
        )
    })
}

/// How long the caller of [`CoordinationStore::reserve_rate`](crate::CoordinationStore::reserve_rate)
/// waits, by the generic cell rate algorithm (GCRA) with reservation.
///
/// Each key keeps a theoretical arrival time `tat`. A reservation at `now`
/// moves it to `tat' = max(tat, now) + interval` and must wait until
/// `tat' - interval × burst`: the first `burst` reservations of an idle key
/// go at once, the ones after are spaced by `interval`, and a key left idle
/// regains its whole burst. `tat_after` is `tat'`; a `burst` of 0 counts as 1.
///
/// Both backends store `tat'` in one atomic statement and compute the wait
/// here, so they agree to the microsecond.
pub fn gcra_wait(
    tat_after: DateTime<Utc>,
    interval: Duration,
    burst: u32,
    now: DateTime<Utc>,
) -> Duration {
    let span = interval.saturating_mul(burst.max(1));
    let allowed_at = chrono::TimeDelta::from_std(span)
        .ok()
        .and_then(|span| tat_after.checked_sub_signed(span));
    match allowed_at {
        Some(at) if at > now => (at - now).to_std().unwrap_or_default(),
        Some(_) => Duration::ZERO,
        // A span too large to subtract: waits as long as it says.
        None => span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at_ms(ms: i64) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
    }

    #[test]
    fn burst_then_spaced() {
        let interval = Duration::from_millis(100);
        let now = at_ms(0);
        let mut tat = now;
        let mut waits = Vec::new();
        for _ in 0..5 {
            tat = tat.max(now) + chrono::TimeDelta::milliseconds(100);
            waits.push(gcra_wait(tat, interval, 2, now).as_millis());
        }
        assert_eq!(waits, [0, 0, 100, 200, 300]);
        assert_eq!(gcra_wait(at_ms(100), interval, 0, now).as_millis(), 0);
    }
}
