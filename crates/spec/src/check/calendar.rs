//! `windows:`, `windows_apply_to:` and `blackout:` of a schedule: off-peak
//! windows for heavy runs and periods in which nothing scheduled runs.

use chrono::NaiveDate;

use super::context::Ctx;
use super::names::suggestion;
use super::schedule::timezone;
use crate::model::{Blackout, Calendar, Window, WindowsApplyTo, day_names};
use crate::raw::{RawBlackout, RawSchedule, RawWindow, Scalar};

/// The most days `month_end:` takes: every month keeps a day outside it.
const MAX_MONTH_END: u32 = 27;

/// Checks the calendar of the schedule at `path`; `None` when it has problems.
pub(crate) fn calendar(ctx: &mut Ctx<'_>, path: &str, raw: &RawSchedule) -> Option<Calendar> {
    let before = ctx.error_count();
    let mut calendar = Calendar::default();
    if let Some(windows) = &raw.windows {
        if windows.is_empty() {
            ctx.error(
                &format!("{path}.windows"),
                "`windows: []` leaves no time for heavy runs: they would never run",
                "add a window, e.g. `windows: [{ days: mon-fri, from: \"22:00\", to: \"06:00\" }]`, \
                 or remove `windows:` (runs start at any time)",
            );
        }
        for (i, w) in windows.iter().enumerate() {
            if let Some(w) = window(ctx, &format!("{path}.windows[{i}]"), w) {
                calendar.windows.push(w);
            }
        }
    }
    calendar.applies_to = match raw.windows_apply_to.as_deref().map(str::trim) {
        None | Some("heavy") => WindowsApplyTo::Heavy,
        Some("all") => WindowsApplyTo::All,
        Some(other) => {
            ctx.error(
                &format!("{path}.windows_apply_to"),
                format!("unknown `windows_apply_to: {other}`"),
                "use `heavy` (bulk reads, full refreshes and reconciliations wait for a window; \
                 the default) or `all` (every scheduled run does)",
            );
            WindowsApplyTo::Heavy
        }
    };
    if raw.windows_apply_to.is_some() && raw.windows.is_none() {
        ctx.error(
            &format!("{path}.windows_apply_to"),
            "`windows_apply_to:` needs `windows:` beside it",
            "add `windows: [{ from: \"22:00\", to: \"06:00\" }]`, or remove it",
        );
    }
    for (i, b) in raw.blackout.iter().flatten().enumerate() {
        if let Some(b) = blackout(ctx, &format!("{path}.blackout[{i}]"), b) {
            calendar.blackouts.push(b);
        }
    }
    (ctx.error_count() == before).then_some(calendar)
}

fn window(ctx: &mut Ctx<'_>, path: &str, raw: &RawWindow) -> Option<Window> {
    let days = match &raw.days {
        None => Some([true; 7]),
        Some(list) => days(ctx, &format!("{path}.days"), &list.0),
    };
    let from = required_time(ctx, path, "from", raw.from.as_ref(), "22:00");
    let to = required_time(ctx, path, "to", raw.to.as_ref(), "06:00");
    let timezone = timezone(ctx, path, raw.timezone.as_deref());
    let (days, from, to, timezone) = (days?, from?, to?, timezone?);
    if from == to {
        ctx.error(
            &format!("{path}.to"),
            format!("a window from `{0}` to `{0}` is empty", minutes_text(from)),
            "for a whole day write `from: \"00:00\"` and `to: \"24:00\"`; otherwise choose \
             another `to:` (one before `from:` crosses midnight, e.g. `22:00` to `06:00`)",
        );
        return None;
    }
    if from >= 1440 {
        ctx.error(
            &format!("{path}.from"),
            "a window cannot open at `24:00`",
            "write `from: \"00:00\"`",
        );
        return None;
    }
    Some(Window {
        days,
        from,
        to,
        timezone,
    })
}

fn required_time(
    ctx: &mut Ctx<'_>,
    path: &str,
    key: &str,
    value: Option<&Scalar>,
    example: &str,
) -> Option<u32> {
    let at = format!("{path}.{key}");
    let Some(Scalar(text)) = value else {
        if ctx.is_explained(&at) {
            return None; // a misspelt key, reported as such
        }
        ctx.error(
            path,
            format!("a window needs `{key}:`"),
            format!("add e.g. `{key}: \"{example}\"` (a time of day, HH:MM)"),
        );
        return None;
    };
    let parsed = text.trim().split_once(':').and_then(|(h, m)| {
        let ok = h.len() == 2 && m.len() == 2;
        let (h, m) = (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
        (ok && m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
    });
    if parsed.is_none() {
        ctx.error(
            &at,
            format!("`{key}: {text}` is not a time of day"),
            format!(
                "write HH:MM on the 24-hour clock, in quotes, e.g. `{key}: \"{example}\"` \
                 (`24:00` for midnight at the end of a day)"
            ),
        );
    }
    parsed
}

fn minutes_text(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// `[mon, tue]`, `mon-fri`, `fri-mon`, `sat,sun`.
fn days(ctx: &mut Ctx<'_>, path: &str, items: &[String]) -> Option<[bool; 7]> {
    let mut days = [false; 7];
    let mut ok = true;
    let names = day_names();
    for item in items.iter().flat_map(|i| i.split(',')) {
        let item = item.trim().to_ascii_lowercase();
        let day = |name: &str| {
            names
                .iter()
                .position(|d| *d == name.get(..3).unwrap_or(name))
        };
        let known = |name: &str| day(name).filter(|_| is_day(name));
        let range = match item.split_once('-') {
            Some((a, b)) => known(a.trim()).zip(known(b.trim())),
            None => known(&item).map(|d| (d, d)),
        };
        let Some((first, last)) = range else {
            let bad = item
                .split('-')
                .map(str::trim)
                .find(|d| known(d).is_none())
                .unwrap_or(&item);
            let near = suggestion(bad, names.iter().copied());
            ctx.error(
                path,
                format!("unknown day `{bad}`{near}"),
                "use mon, tue, wed, thu, fri, sat, sun: a list (`[sat, sun]`) or a range \
                 (`mon-fri`, `fri-mon`)",
            );
            ok = false;
            continue;
        };
        let mut d = first;
        loop {
            days[d] = true;
            if d == last {
                break;
            }
            d = (d + 1) % 7;
        }
    }
    if ok && !days.contains(&true) {
        ctx.error(
            path,
            "`days:` names no day: the window would never open",
            "name the days, e.g. `days: mon-fri`, or leave `days:` out (every day)",
        );
        return None;
    }
    ok.then_some(days)
}

/// `mon`, `monday`, `Mon`: a day's name or its first three letters.
fn is_day(name: &str) -> bool {
    const FULL: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    name.len() == 3 && day_names().contains(&name) || FULL.contains(&name)
}

fn blackout(ctx: &mut Ctx<'_>, path: &str, raw: &RawBlackout) -> Option<Blackout> {
    let timezone = timezone(ctx, path, raw.timezone.as_deref());
    if raw.month_end.is_some() && (raw.from.is_some() || raw.to.is_some()) {
        ctx.error(
            &format!("{path}.month_end"),
            "a blackout takes `month_end:` or `from:`/`to:` dates, not both",
            "write two blackouts: `{ month_end: 2 }` and `{ from: 2026-12-24, to: 2026-12-27 }`",
        );
        return None;
    }
    if let Some(Scalar(text)) = &raw.month_end {
        let days = text.trim().parse::<u32>().ok();
        let Some(days) = days.filter(|d| (1..=MAX_MONTH_END).contains(d)) else {
            ctx.error(
                &format!("{path}.month_end"),
                format!("`month_end: {text}` must be a number of days from 1 to {MAX_MONTH_END}"),
                "write how many days at the end of each month nothing runs, e.g. \
                 `month_end: 2` (the last two days)",
            );
            return None;
        };
        return Some(Blackout::MonthEnd {
            days,
            timezone: timezone?,
        });
    }
    let Some(from_text) = &raw.from else {
        ctx.error(
            path,
            "a blackout needs `from:` (and `to:`) dates or `month_end:`",
            "write e.g. `{ from: 2026-12-24, to: 2026-12-27 }` or `{ month_end: 2 }`",
        );
        return None;
    };
    let from = date(ctx, &format!("{path}.from"), from_text);
    let to = match &raw.to {
        Some(to) => date(ctx, &format!("{path}.to"), to),
        None => from,
    };
    let (from, to, timezone) = (from?, to?, timezone?);
    if to < from {
        ctx.error(
            &format!("{path}.to"),
            format!("the blackout ends ({to}) before it starts ({from})"),
            "swap `from:` and `to:` (both days are inside the blackout)",
        );
        return None;
    }
    Some(Blackout::Dates { from, to, timezone })
}

fn date(ctx: &mut Ctx<'_>, path: &str, Scalar(text): &Scalar) -> Option<NaiveDate> {
    match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(e) => {
            ctx.error(
                path,
                format!("`{text}` is not a date: {e}"),
                "write YYYY-MM-DD, e.g. `2026-12-24`",
            );
            None
        }
    }
}
