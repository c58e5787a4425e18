//! `schedule:` of a stream: an interval or a cron expression in a time
//! zone, and a jitter smaller than the time between two slots.

use std::str::FromStr;
use std::time::Duration;

use chrono::TimeZone;
use humantime::format_duration;

use super::context::Ctx;
use super::names::suggestion;
use super::values;
use crate::model::{Schedule, Trigger};
use crate::raw::RawSchedule;

/// How many occurrences of a cron expression are looked at to find the
/// shortest time between two of them (which the jitter must stay under).
const CRON_GAPS: usize = 400;

/// Checks a schedule at `path` (`streams.NAME.schedule`, or a stream's
/// `reconcile:` whose `every:`/`cron:` keys are its own); `None` when it has problems.
pub(crate) fn schedule(ctx: &mut Ctx<'_>, path: &str, raw: &RawSchedule) -> Option<Schedule> {
    let path = path.to_owned();
    let calendar = super::calendar::calendar(ctx, &path, raw);
    let jitter = values::duration(
        ctx,
        &format!("{path}.jitter"),
        raw.jitter.as_ref(),
        Duration::ZERO,
    );
    let (trigger, interval) = match (&raw.every, &raw.cron) {
        (Some(_), Some(_)) => {
            ctx.error(
                &format!("{path}.cron"),
                "a schedule takes `every:` or `cron:`, not both",
                "keep one, e.g. `schedule: { every: 15m }` or `schedule: { cron: \"*/15 * * * *\" }`",
            );
            return None;
        }
        (None, None) => {
            let explained = ["every", "cron"]
                .iter()
                .any(|k| ctx.is_explained(&format!("{path}.{k}")));
            if explained {
                return None; // a misspelt key, reported as such
            }
            if raw.windows.is_some() || raw.blackout.is_some() {
                ctx.error(
                    &path,
                    "`windows:` and `blackout:` say when scheduled runs may run, but this \
                     schedule has no runs: it needs `every:` or `cron:`",
                    "add one, e.g. `schedule: { every: 1h, windows: [{ from: \"22:00\", to: \"06:00\" }] }`",
                );
                return None;
            }
            ctx.error(
                &path,
                "a schedule needs `every:` or `cron:`",
                "add one, e.g. `schedule: { every: 15m, jitter: 2m }` or `schedule: { cron: \"0 6 * * *\", timezone: Europe/Berlin }`",
            );
            return None;
        }
        (Some(every), None) => {
            if raw.timezone.is_some() {
                ctx.error(
                    &format!("{path}.timezone"),
                    "`timezone` only applies to `cron:`",
                    "remove it (`every:` counts from the Unix epoch), or write the schedule as `cron:`",
                );
            }
            let at = format!("{path}.every");
            let every = values::positive_duration(ctx, &at, Some(every), Duration::from_secs(900))?;
            if every < Duration::from_secs(1) {
                ctx.error(
                    &at,
                    format!(
                        "`every` must be at least 1s, found {}",
                        format_duration(every)
                    ),
                    "use e.g. `every: 30s`",
                );
                return None;
            }
            (Trigger::Every(every), every)
        }
        (None, Some(expression)) => {
            let timezone = timezone(ctx, &path, raw.timezone.as_deref());
            let cron = cron(ctx, &path, expression);
            let (timezone, cron) = (timezone?, cron?);
            let Some(gap) = shortest_gap(&cron, timezone) else {
                ctx.error(
                    &format!("{path}.cron"),
                    format!("the cron expression `{expression}` never fires"),
                    "check the day of month and the month (e.g. `30 2` is February 30th), \
                     e.g. `\"0 6 * * *\"` (06:00 every day)",
                );
                return None;
            };
            let trigger = Trigger::Cron {
                expression: expression.trim().to_owned(),
                timezone,
            };
            (trigger, gap)
        }
    };
    let jitter = jitter?;
    if jitter >= interval {
        ctx.error(
            &format!("{path}.jitter"),
            format!(
                "`jitter` ({}) must be smaller than the time between two runs ({})",
                format_duration(jitter),
                format_duration(interval)
            ),
            format!(
                "use a fraction of it, e.g. `jitter: {}`",
                format_duration(Duration::from_secs((interval.as_secs() / 10).max(1)))
            ),
        );
        return None;
    }
    Some(Schedule {
        trigger,
        jitter,
        calendar: calendar?,
    })
}

/// Checks the `timezone:` under `path` (default `UTC`).
pub(super) fn timezone(ctx: &mut Ctx<'_>, path: &str, raw: Option<&str>) -> Option<chrono_tz::Tz> {
    let Some(name) = raw else {
        return Some(chrono_tz::UTC);
    };
    match chrono_tz::Tz::from_str(name.trim()) {
        Ok(tz) => Some(tz),
        Err(_) => {
            let near = suggestion(name, chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()));
            ctx.error(
                &format!("{path}.timezone"),
                format!("unknown time zone `{name}`{near}"),
                "use an IANA time zone name, e.g. `Europe/Berlin`, `America/New_York` or `UTC`",
            );
            None
        }
    }
}

fn cron(ctx: &mut Ctx<'_>, path: &str, expression: &str) -> Option<croner::Cron> {
    match croner::Cron::from_str(expression) {
        Ok(cron) => Some(cron),
        Err(e) => {
            ctx.error(
                &format!("{path}.cron"),
                format!("invalid cron expression `{expression}`: {e}"),
                "write five fields, minute hour day-of-month month day-of-week, e.g. \
                 `\"*/15 * * * *\"` (every 15 minutes) or `\"0 6 * * 1-5\"` (06:00 on weekdays)",
            );
            None
        }
    }
}

/// The shortest time between two of the first occurrences after a fixed
/// date (so checking is deterministic); `None` if the expression never fires.
fn shortest_gap(cron: &croner::Cron, tz: chrono_tz::Tz) -> Option<Duration> {
    let start = tz.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single()?;
    let mut last = cron.find_next_occurrence(&start, true).ok()?;
    let mut shortest: Option<Duration> = None;
    for _ in 1..CRON_GAPS {
        let Ok(next) = cron.find_next_occurrence(&last, false) else {
            break;
        };
        if let Ok(gap) = (next - last).to_std() {
            shortest = Some(shortest.map_or(gap, |s| s.min(gap)));
        }
        last = next;
    }
    // a single occurrence: any jitter under a day is fine
    Some(shortest.unwrap_or(Duration::from_secs(86_400)))
}
