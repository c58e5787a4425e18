//! The slots of a schedule and the jitter of each: pure functions of the
//! schedule, the stream's name and the clock, so every process agrees.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use holdfast_spec::{Schedule, Trigger};
use sha2::{Digest, Sha256};

/// A schedule ready to compute with.
#[derive(Debug, Clone)]
pub struct Slots {
    kind: Kind,
    jitter: Duration,
    /// As written (`every 15m (jitter 2m)`), for messages.
    shown: String,
}

/// A schedule that cannot be computed with (not one `holdfast check` passes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SlotsError {
    /// An interval of less than a millisecond.
    #[error("`every` must be at least 1s, found {every:?}")]
    TooShort {
        /// The interval.
        every: Duration,
    },
    /// A cron expression that does not parse.
    #[error("invalid cron expression `{expression}`: {reason}")]
    Cron {
        /// The expression.
        expression: String,
        /// Why it does not parse.
        reason: String,
    },
}

#[derive(Debug, Clone)]
enum Kind {
    /// Multiples of this many milliseconds since the epoch.
    Every(i64),
    /// The times of an expression in a zone.
    Cron(Box<croner::Cron>, chrono_tz::Tz),
}

impl Slots {
    /// The slots of a checked schedule.
    ///
    /// # Errors
    /// A cron expression that does not parse, or an interval of less than a
    /// millisecond (neither passes `holdfast check`).
    pub fn new(schedule: &Schedule) -> Result<Slots, SlotsError> {
        let kind = match &schedule.trigger {
            Trigger::Every(every) => {
                let ms = i64::try_from(every.as_millis()).unwrap_or(i64::MAX);
                if ms < 1 {
                    return Err(SlotsError::TooShort { every: *every });
                }
                Kind::Every(ms)
            }
            Trigger::Cron {
                expression,
                timezone,
            } => {
                let cron = croner::Cron::from_str(expression).map_err(|e| SlotsError::Cron {
                    expression: expression.clone(),
                    reason: e.to_string(),
                })?;
                Kind::Cron(Box::new(cron), *timezone)
            }
        };
        Ok(Slots {
            kind,
            jitter: schedule.jitter,
            shown: schedule.to_string(),
        })
    }

    /// The latest slot at or before `now`; `None` when the schedule has not
    /// fired before (a cron expression with no earlier time).
    pub fn latest(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match &self.kind {
            Kind::Every(ms) => {
                let slot = now.timestamp_millis().div_euclid(*ms) * ms;
                DateTime::from_timestamp_millis(slot)
            }
            Kind::Cron(cron, tz) => {
                let local = now.trunc_subsecs(0).with_timezone(tz);
                cron.find_previous_occurrence(&local, true)
                    .ok()
                    .map(|t| t.with_timezone(&Utc))
            }
        }
    }

    /// The first slot strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match &self.kind {
            Kind::Every(ms) => {
                let slot = (after.timestamp_millis().div_euclid(*ms) + 1) * ms;
                DateTime::from_timestamp_millis(slot)
            }
            Kind::Cron(cron, tz) => {
                let local = after.trunc_subsecs(0).with_timezone(tz);
                cron.find_next_occurrence(&local, false)
                    .ok()
                    .map(|t| t.with_timezone(&Utc))
            }
        }
    }

    /// The schedule's `jitter:` (every delay is below it).
    pub fn max_jitter(&self) -> Duration {
        self.jitter
    }

    /// The delay of `stream`'s run for `slot`, in `[0, jitter)`: a hash of
    /// both, so every process computes the same one, and streams on the
    /// same schedule start apart.
    pub fn jitter(&self, stream: &str, slot: DateTime<Utc>) -> Duration {
        let bound = u64::try_from(self.jitter.as_millis()).unwrap_or(u64::MAX);
        if bound == 0 {
            return Duration::ZERO;
        }
        let digest = Sha256::digest(format!("{stream}\n{}", slot.timestamp()).as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        Duration::from_millis(u64::from_be_bytes(first) % bound)
    }

    /// When `stream`'s run for `slot` is due: the slot plus its jitter.
    pub fn run_at(&self, stream: &str, slot: DateTime<Utc>) -> DateTime<Utc> {
        slot + chrono::Duration::from_std(self.jitter(stream, slot)).unwrap_or_default()
    }
}

impl std::fmt::Display for Slots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn every(every: u64, jitter: u64) -> Slots {
        Slots::new(&Schedule {
            trigger: Trigger::Every(Duration::from_secs(every)),
            jitter: Duration::from_secs(jitter),
            calendar: Default::default(),
        })
        .expect("a valid schedule")
    }

    fn cron(expression: &str, timezone: chrono_tz::Tz) -> Slots {
        Slots::new(&Schedule {
            trigger: Trigger::Cron {
                expression: expression.to_owned(),
                timezone,
            },
            jitter: Duration::ZERO,
            calendar: Default::default(),
        })
        .expect("a valid schedule")
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
            .single()
            .expect("a valid time")
    }

    #[test]
    fn every_slots_are_multiples_since_the_epoch() {
        let s = every(900, 0);
        let now = utc(2026, 11, 23, 10, 7, 30) + chrono::Duration::milliseconds(250);
        assert_eq!(s.latest(now), Some(utc(2026, 11, 23, 10, 0, 0)));
        assert_eq!(s.next_after(now), Some(utc(2026, 11, 23, 10, 15, 0)));
        // a slot is its own latest, and not its own next
        let slot = utc(2026, 11, 23, 10, 15, 0);
        assert_eq!(s.latest(slot), Some(slot));
        assert_eq!(s.next_after(slot), Some(utc(2026, 11, 23, 10, 30, 0)));
    }

    #[test]
    fn jitter_is_within_bounds_deterministic_and_spread() {
        let s = every(900, 120);
        let slot = utc(2026, 11, 23, 10, 0, 0);
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..200 {
            let name = format!("stream_{i}");
            let j = s.jitter(&name, slot);
            assert!(j < Duration::from_secs(120), "{name}: {j:?}");
            assert_eq!(j, s.jitter(&name, slot), "the same in every process");
            assert_eq!(
                s.run_at(&name, slot),
                slot + chrono::Duration::from_std(j).unwrap_or_default()
            );
            seen.insert(j.as_secs());
        }
        // 200 streams on one schedule do not start together (no top-of-hour herd)
        assert!(
            seen.len() > 50,
            "only {} distinct start seconds",
            seen.len()
        );
        // and one stream's delay changes from slot to slot
        let later = utc(2026, 11, 23, 10, 15, 0);
        let per_slot: std::collections::BTreeSet<Duration> = (0..20)
            .map(|k| s.jitter("contacts", later + chrono::Duration::minutes(15 * k)))
            .collect();
        assert!(per_slot.len() > 10);
        assert_eq!(every(900, 0).jitter("contacts", slot), Duration::ZERO);
    }

    #[test]
    fn downtime_yields_one_latest_slot() {
        let s = every(60, 10);
        let last_run_slot = utc(2026, 11, 23, 8, 0, 0);
        // down for three hours: the slots missed are 180, the one to run is the latest
        let back = utc(2026, 11, 23, 11, 0, 42);
        let latest = s.latest(back).expect("a slot");
        assert_eq!(latest, utc(2026, 11, 23, 11, 0, 0));
        assert!(latest > last_run_slot);
        assert_eq!(s.next_after(back), Some(utc(2026, 11, 23, 11, 1, 0)));
    }

    #[test]
    fn cron_in_a_time_zone_follows_daylight_saving() {
        // 09:00 in Berlin is 08:00 UTC in winter (CET) and 07:00 UTC in summer (CEST)
        let s = cron("0 9 * * *", chrono_tz::Europe::Berlin);
        let winter = utc(2026, 3, 28, 12, 0, 0);
        assert_eq!(s.latest(winter), Some(utc(2026, 3, 28, 8, 0, 0)));
        // the clocks go forward on Sunday 2026-03-29 at 02:00 local
        assert_eq!(s.next_after(winter), Some(utc(2026, 3, 29, 7, 0, 0)));
        let summer = utc(2026, 10, 24, 12, 0, 0);
        // and back on Sunday 2026-10-25
        assert_eq!(s.next_after(summer), Some(utc(2026, 10, 25, 8, 0, 0)));
        assert_eq!(s.latest(summer), Some(utc(2026, 10, 24, 7, 0, 0)));
        // a time that does not exist that night (02:30 local) still gives one
        // occurrence that day or the next, never one in the past
        let skipped = cron("30 2 * * *", chrono_tz::Europe::Berlin);
        let next = skipped
            .next_after(utc(2026, 3, 28, 12, 0, 0))
            .expect("an occurrence");
        assert!(next > utc(2026, 3, 28, 12, 0, 0) && next < utc(2026, 3, 31, 0, 0, 0));
    }

    #[test]
    fn cron_slots_step_and_round_down() {
        let s = cron("*/5 * * * *", chrono_tz::UTC);
        let now = utc(2026, 11, 23, 10, 7, 30) + chrono::Duration::milliseconds(900);
        assert_eq!(s.latest(now), Some(utc(2026, 11, 23, 10, 5, 0)));
        assert_eq!(s.next_after(now), Some(utc(2026, 11, 23, 10, 10, 0)));
        let on = utc(2026, 11, 23, 10, 10, 0) + chrono::Duration::milliseconds(300);
        assert_eq!(s.latest(on), Some(utc(2026, 11, 23, 10, 10, 0)));
    }
}
