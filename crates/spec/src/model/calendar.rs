//! `windows:` and `blackout:` of a schedule: when scheduled runs may start
//! and go on. Pure functions of the calendar and the clock, so every process
//! agrees on them.

use chrono::{DateTime, Datelike, Days, LocalResult, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// When a stream's scheduled runs may run: heavy runs (bulk reads, full
/// refreshes, reconciliation scans) only inside `windows` (when there are
/// any), and nothing at all inside `blackouts`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Calendar {
    /// The off-peak windows; empty: heavy runs may run at any time.
    pub windows: Vec<Window>,
    /// Periods in which nothing scheduled runs.
    pub blackouts: Vec<Blackout>,
    /// Which runs the windows hold back.
    pub applies_to: WindowsApplyTo,
}

/// `windows_apply_to:` which scheduled runs wait for a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WindowsApplyTo {
    /// Heavy runs only (`heavy`, the default): bulk reads, full refreshes
    /// (no saved cursor, or a stream without `incremental:`) and
    /// reconciliation scans. Incremental runs go on at any time.
    #[default]
    Heavy,
    /// Every scheduled run (`all`).
    All,
}

/// One off-peak window: some weekdays, from a time of day to another (the
/// next day when `to` is not after `from`), in a time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// The weekdays it opens on, Monday first (a window that crosses
    /// midnight belongs to the day it opens).
    pub days: [bool; 7],
    /// Opens at this many minutes after midnight (0..1440).
    pub from: u32,
    /// Closes at this many minutes after midnight (0..=1440); at or before
    /// `from`: the next day.
    pub to: u32,
    /// The time zone `from` and `to` are read in.
    pub timezone: Tz,
}

/// A period in which nothing scheduled runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blackout {
    /// Whole days, `from` to `to` inclusive, in a time zone.
    Dates {
        /// The first day.
        from: NaiveDate,
        /// The last day (at or after `from`).
        to: NaiveDate,
        /// The time zone the days are read in.
        timezone: Tz,
    },
    /// The last `days` days of every month (month-end close), in a time zone.
    MonthEnd {
        /// How many days (1..=27).
        days: u32,
        /// The time zone the days are read in.
        timezone: Tz,
    },
}

/// An interval of time, start inclusive, end exclusive.
type Span = (DateTime<Utc>, DateTime<Utc>);

/// How many steps the searches below take before they give up (each step
/// jumps at least to the next window or past a blackout).
const MAX_STEPS: usize = 1000;

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Calendar {
    /// True when it neither holds runs back nor stops them.
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty() && self.blackouts.is_empty()
    }

    /// Whether a run (`heavy` or not) must be inside a window.
    pub fn windowed(&self, heavy: bool) -> bool {
        !self.windows.is_empty() && (heavy || self.applies_to == WindowsApplyTo::All)
    }

    /// The first moment at or after `t` at which a run (`heavy` or not) may
    /// start: outside every blackout and, when windowed, inside a window.
    /// `None` when there is none (windows that blackouts cover for good).
    pub fn next_allowed(&self, t: DateTime<Utc>, heavy: bool) -> Option<DateTime<Utc>> {
        let mut t = t;
        for _ in 0..MAX_STEPS {
            if let Some((_, end)) = self.blackout_at(t) {
                t = end;
                continue;
            }
            if !self.windowed(heavy) {
                return Some(t);
            }
            let near = self.windows_near(t);
            if near.iter().any(|(s, e)| *s <= t && t < *e) {
                return Some(t);
            }
            t = near.iter().map(|(s, _)| *s).filter(|s| *s > t).min()?;
        }
        None
    }

    /// The first moment after `t` at which a run that may go on at `t`
    /// must stop: the end of its window (windows that touch or overlap
    /// count as one) or the start of the next blackout, whichever comes
    /// first. `None`: never.
    pub fn allowed_until(&self, t: DateTime<Utc>, heavy: bool) -> Option<DateTime<Utc>> {
        let blackout = self
            .blackouts
            .iter()
            .flat_map(|b| b.spans_near(t))
            .map(|(s, _)| s)
            .filter(|s| *s > t)
            .min();
        let window = self.windowed(heavy).then(|| {
            let mut end = t;
            for _ in 0..64 {
                let longest = self
                    .windows_near(end)
                    .into_iter()
                    .filter(|(s, e)| *s <= end && end < *e)
                    .map(|(_, e)| e)
                    .max();
                match longest {
                    Some(e) => end = e,
                    None => break,
                }
            }
            end
        });
        match (blackout, window) {
            (Some(b), Some(w)) => Some(b.min(w)),
            (b, w) => b.or(w),
        }
    }

    /// The window `t` is in, if any (the first of those it is in).
    pub fn window_at(&self, t: DateTime<Utc>) -> Option<&Window> {
        self.windows
            .iter()
            .find(|w| w.spans_near(t).iter().any(|(s, e)| *s <= t && t < *e))
    }

    /// The blackout `t` is in, if any (the latest end of those it is in).
    pub fn blackout_at(&self, t: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        self.blackouts
            .iter()
            .flat_map(|b| b.spans_near(t))
            .filter(|(s, e)| *s <= t && t < *e)
            .max_by_key(|(_, e)| *e)
    }

    /// Every window's openings from two days before `t` to eight after.
    fn windows_near(&self, t: DateTime<Utc>) -> Vec<Span> {
        self.windows.iter().flat_map(|w| w.spans_near(t)).collect()
    }
}

impl Window {
    fn spans_near(&self, t: DateTime<Utc>) -> Vec<Span> {
        let today = t.with_timezone(&self.timezone).date_naive();
        let Some(first) = today.checked_sub_days(Days::new(2)) else {
            return Vec::new();
        };
        first
            .iter_days()
            .take(11)
            .filter(|d| self.days[d.weekday().num_days_from_monday() as usize])
            .map(|d| {
                let start = local(self.timezone, d, self.from);
                let end = if self.to > self.from {
                    local(self.timezone, d, self.to)
                } else {
                    local(self.timezone, d, self.to + 1440)
                };
                (start, end)
            })
            .collect()
    }
}

impl Blackout {
    fn spans_near(&self, t: DateTime<Utc>) -> Vec<Span> {
        match self {
            Blackout::Dates { from, to, timezone } => {
                vec![(local(*timezone, *from, 0), local(*timezone, *to, 1440))]
            }
            Blackout::MonthEnd { days, timezone } => {
                let here = t.with_timezone(timezone).date_naive();
                let Some(month) = here.with_day(1) else {
                    return Vec::new();
                };
                // last month's end, this month's and next month's
                [
                    month.checked_sub_months(chrono::Months::new(1)),
                    Some(month),
                ]
                .into_iter()
                .chain([month.checked_add_months(chrono::Months::new(1))])
                .flatten()
                .filter_map(|m| {
                    let next = m.checked_add_months(chrono::Months::new(1))?;
                    let start = next.checked_sub_days(Days::new(u64::from(*days)))?;
                    Some((local(*timezone, start, 0), local(*timezone, next, 0)))
                })
                .collect()
            }
        }
    }
}

/// `minutes` after midnight of `date` in `tz`, in UTC (1440 and more: the
/// next days). A local time that does not exist (clocks going forward) is
/// read as the first one after it that does; one that exists twice (clocks
/// going back) as the first of the two.
fn local(tz: Tz, date: NaiveDate, minutes: u32) -> DateTime<Utc> {
    let date = date
        .checked_add_days(Days::new(u64::from(minutes / 1440)))
        .unwrap_or(date);
    let minutes = minutes % 1440;
    let mut naive = date
        .and_hms_opt(minutes / 60, minutes % 60, 0)
        .unwrap_or_default();
    for _ in 0..8 {
        match tz.from_local_datetime(&naive) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => return t.with_timezone(&Utc),
            LocalResult::None => naive += chrono::Duration::minutes(15),
        }
    }
    Utc.from_utc_datetime(&naive)
}

/// `22:00` for 1320 minutes.
fn hh_mm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

impl std::fmt::Display for Window {
    /// `mon-fri 22:00-06:00 Europe/Berlin`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let chosen: Vec<usize> = (0..7).filter(|d| self.days[*d]).collect();
        let contiguous = chosen.windows(2).all(|p| p[1] == p[0] + 1);
        let days = match chosen.as_slice() {
            all if all.len() == 7 => "daily".to_owned(),
            [one] => DAY_NAMES[*one].to_owned(),
            [first, .., last] if contiguous => {
                format!("{}-{}", DAY_NAMES[*first], DAY_NAMES[*last])
            }
            some => some
                .iter()
                .map(|d| DAY_NAMES[*d])
                .collect::<Vec<_>>()
                .join(","),
        };
        write!(
            f,
            "{days} {}-{} {}",
            hh_mm(self.from),
            hh_mm(self.to),
            self.timezone.name()
        )
    }
}

impl std::fmt::Display for Blackout {
    /// `2026-12-24..2026-12-27 UTC`, `the last 2 days of each month UTC`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Blackout::Dates { from, to, timezone } if from == to => {
                write!(f, "{from} {}", timezone.name())
            }
            Blackout::Dates { from, to, timezone } => {
                write!(f, "{from}..{to} {}", timezone.name())
            }
            Blackout::MonthEnd { days: 1, timezone } => {
                write!(f, "the last day of each month {}", timezone.name())
            }
            Blackout::MonthEnd { days, timezone } => {
                write!(f, "the last {days} days of each month {}", timezone.name())
            }
        }
    }
}

/// The weekday names `days:` takes, Monday first.
pub fn day_names() -> &'static [&'static str; 7] {
    &DAY_NAMES
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("a valid time")
    }

    fn nightly(days: [bool; 7], tz: Tz) -> Calendar {
        Calendar {
            windows: vec![Window {
                days,
                from: 22 * 60,
                to: 6 * 60,
                timezone: tz,
            }],
            ..Calendar::default()
        }
    }

    const WEEKDAYS: [bool; 7] = [true, true, true, true, true, false, false];

    #[test]
    fn a_window_across_midnight_opens_on_its_days() {
        let c = nightly(WEEKDAYS, chrono_tz::UTC);
        // Monday 2026-11-23 12:00: the window opens at 22:00
        let noon = utc(2026, 11, 23, 12, 0);
        assert_eq!(c.next_allowed(noon, true), Some(utc(2026, 11, 23, 22, 0)));
        // an incremental run is not held back, unless every run is windowed
        assert_eq!(c.next_allowed(noon, false), Some(noon));
        assert_eq!(c.allowed_until(noon, false), None);
        let all = Calendar {
            applies_to: WindowsApplyTo::All,
            ..c.clone()
        };
        assert_eq!(
            all.next_allowed(noon, false),
            Some(utc(2026, 11, 23, 22, 0))
        );
        // inside it (Tuesday 03:00, opened Monday): now, until 06:00
        let night = utc(2026, 11, 24, 3, 0);
        assert_eq!(c.next_allowed(night, true), Some(night));
        assert_eq!(c.allowed_until(night, true), Some(utc(2026, 11, 24, 6, 0)));
        // Friday night's window runs into Saturday; Saturday has none: Monday 22:00
        let saturday = utc(2026, 11, 28, 7, 0);
        assert_eq!(
            c.next_allowed(saturday, true),
            Some(utc(2026, 11, 30, 22, 0))
        );
        assert_eq!(
            c.next_allowed(utc(2026, 11, 28, 5, 0), true),
            Some(utc(2026, 11, 28, 5, 0))
        );
    }

    #[test]
    fn a_window_follows_its_time_zone_and_daylight_saving() {
        let c = nightly([true; 7], chrono_tz::Europe::Berlin);
        // 22:00 in Berlin is 21:00 UTC in winter and 20:00 UTC in summer
        assert_eq!(
            c.next_allowed(utc(2026, 1, 10, 12, 0), true),
            Some(utc(2026, 1, 10, 21, 0))
        );
        assert_eq!(
            c.next_allowed(utc(2026, 7, 10, 12, 0), true),
            Some(utc(2026, 7, 10, 20, 0))
        );
    }

    #[test]
    fn blackouts_hold_everything_and_cut_windows_short() {
        let mut c = nightly([true; 7], chrono_tz::UTC);
        c.blackouts = vec![
            Blackout::MonthEnd {
                days: 2,
                timezone: chrono_tz::UTC,
            },
            Blackout::Dates {
                from: NaiveDate::from_ymd_opt(2026, 12, 24).expect("date"),
                to: NaiveDate::from_ymd_opt(2026, 12, 26).expect("date"),
                timezone: chrono_tz::UTC,
            },
        ];
        // November has 30 days: the 29th and 30th are dark, for every run
        let dark = utc(2026, 11, 29, 10, 0);
        assert_eq!(
            c.blackout_at(dark).map(|b| b.1),
            Some(utc(2026, 12, 1, 0, 0))
        );
        assert_eq!(c.next_allowed(dark, false), Some(utc(2026, 12, 1, 0, 0)));
        // a heavy run: the rest of the night that began on the 30th
        assert_eq!(c.next_allowed(dark, true), Some(utc(2026, 12, 1, 0, 0)));
        // the window of the 28th ends when the blackout starts
        let late = utc(2026, 11, 28, 23, 0);
        assert_eq!(c.allowed_until(late, true), Some(utc(2026, 11, 29, 0, 0)));
        assert_eq!(c.allowed_until(late, false), Some(utc(2026, 11, 29, 0, 0)));
        // Christmas
        assert_eq!(
            c.next_allowed(utc(2026, 12, 25, 23, 0), true),
            Some(utc(2026, 12, 27, 0, 0))
        );
    }

    #[test]
    fn windows_shown() {
        let c = nightly(WEEKDAYS, chrono_tz::Europe::Berlin);
        assert_eq!(
            c.windows[0].to_string(),
            "mon-fri 22:00-06:00 Europe/Berlin"
        );
        let c = nightly(
            [true, false, true, false, false, false, true],
            chrono_tz::UTC,
        );
        assert_eq!(c.windows[0].to_string(), "mon,wed,sun 22:00-06:00 UTC");
    }
}
