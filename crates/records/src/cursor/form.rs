//! Reading a cursor value as a point in time, and writing a point back in
//! the exact form the value had (same format, precision and JSON type).

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, Offset, Timelike, Utc};
use holdfast_spec::CursorFormat;
use serde_json::Value;

/// A cursor value read: the instant it names (nanoseconds since the Unix
/// epoch) and how it was written.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Reading {
    /// Nanoseconds since 1970-01-01T00:00:00Z.
    pub(super) at: i128,
    /// How to write another instant the same way.
    form: Form,
}

/// How a cursor value was written.
#[derive(Debug, Clone, PartialEq)]
enum Form {
    /// `YYYY-MM-DD<sep>HH:MM:SS[.f…]<zone>`; `zone` as written (empty: none,
    /// read as UTC), `offset` what it means.
    Text {
        sep: char,
        frac: usize,
        zone: String,
        offset: FixedOffset,
    },
    /// `YYYY-MM-DD`.
    Date,
    /// Units of 10^-`scale` seconds (0: seconds, 3: milliseconds) with
    /// `frac` decimals, as a JSON number or (`text`) a string.
    Epoch { scale: u32, frac: usize, text: bool },
    /// A strftime pattern; `offset`: the zone it wrote (`None`: a local
    /// time read as UTC), `date`: only a date; `number`: a JSON number.
    Pattern {
        pattern: String,
        offset: Option<FixedOffset>,
        date: bool,
        number: bool,
    },
}

/// Past this many digits a bare epoch number is milliseconds: 12 digits in
/// seconds is after the year 5138, in milliseconds after 1973-03-03.
const MILLIS_DIGITS: usize = 12;

/// What `format` reads, for messages.
pub(super) fn tried(format: &CursorFormat) -> String {
    match format {
        CursorFormat::Auto => "tried RFC 3339, `YYYY-MM-DD HH:MM:SS[.fff]`, `YYYY-MM-DD`, \
                               epoch seconds and epoch milliseconds"
            .to_owned(),
        CursorFormat::Rfc3339 => "cursor_format: rfc3339".to_owned(),
        CursorFormat::EpochSeconds => "cursor_format: epoch_seconds".to_owned(),
        CursorFormat::EpochMillis => "cursor_format: epoch_millis".to_owned(),
        CursorFormat::Pattern(p) => format!("cursor_format: \"{p}\""),
    }
}

/// `value` read in `format`, or `None` when it is not written that way.
pub(super) fn read(format: &CursorFormat, value: &Value) -> Option<Reading> {
    match format {
        CursorFormat::Auto => match value {
            Value::String(s) => text(s, true).or_else(|| epoch(s, None, true)),
            Value::Number(n) => epoch(&n.to_string(), None, false),
            _ => None,
        },
        CursorFormat::Rfc3339 => text(value.as_str()?, false),
        CursorFormat::EpochSeconds | CursorFormat::EpochMillis => {
            let scale = if *format == CursorFormat::EpochMillis {
                3
            } else {
                0
            };
            match value {
                Value::String(s) => epoch(s, Some(scale), true),
                Value::Number(n) => epoch(&n.to_string(), Some(scale), false),
                _ => None,
            }
        }
        CursorFormat::Pattern(pattern) => patterned(pattern, value),
    }
}

impl Reading {
    /// The instant `at` (nanoseconds since the epoch) written as this
    /// reading was; times before the form's earliest (year 0 for text) are
    /// written as the earliest.
    pub(super) fn write(&self, at: i128) -> Value {
        match &self.form {
            Form::Text {
                sep,
                frac,
                zone,
                offset,
            } => {
                let local = local_time(at, *offset);
                let mut out = local.format(&format!("%Y-%m-%d{sep}%H:%M:%S")).to_string();
                if *frac > 0 {
                    let nanos = format!("{:09}", local.nanosecond() % 1_000_000_000);
                    out.push('.');
                    out.push_str(&nanos[..(*frac).min(9)]);
                    out.extend(std::iter::repeat_n('0', frac.saturating_sub(9)));
                }
                out.push_str(zone);
                Value::String(out)
            }
            Form::Date => {
                let local = local_time(at, utc());
                Value::String(local.format("%Y-%m-%d").to_string())
            }
            Form::Epoch { scale, frac, text } => write_epoch(at, *scale, *frac, *text),
            Form::Pattern {
                pattern,
                offset,
                date,
                number,
            } => {
                let local = local_time(at, offset.unwrap_or(utc()));
                let out = if *date {
                    local.date().format(pattern).to_string()
                } else if let Some(offset) = offset {
                    local.and_local_timezone(*offset).single().map_or_else(
                        || local.format(pattern).to_string(),
                        |t| t.format(pattern).to_string(),
                    )
                } else {
                    local.format(pattern).to_string()
                };
                match out.parse::<i64>() {
                    Ok(n) if *number => Value::from(n),
                    _ => Value::String(out),
                }
            }
        }
    }
}

fn utc() -> FixedOffset {
    Utc.fix()
}

/// `at` as the wall time at `offset`, never before 0000-01-01T00:00:00
/// there (the earliest a four-digit year can write).
fn local_time(at: i128, offset: FixedOffset) -> NaiveDateTime {
    let earliest = NaiveDate::from_ymd_opt(0, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or(NaiveDateTime::MIN);
    let secs = at.div_euclid(1_000_000_000);
    let nanos = u32::try_from(at.rem_euclid(1_000_000_000)).unwrap_or(0);
    i64::try_from(secs)
        .ok()
        .and_then(|s| DateTime::<Utc>::from_timestamp(s, nanos))
        .and_then(|t| {
            t.naive_utc()
                .checked_add_signed(Duration::seconds(i64::from(offset.local_minus_utc())))
        })
        .map_or(earliest, |t| t.max(earliest))
}

/// Nanoseconds since the epoch of `t`.
fn nanos(t: DateTime<Utc>) -> i128 {
    i128::from(t.timestamp()) * 1_000_000_000 + i128::from(t.timestamp_subsec_nanos())
}

/// `YYYY-MM-DD`, `YYYY-MM-DD[T ]HH:MM:SS[.f…]` with an optional zone (`Z`,
/// `±HH:MM`, `±HHMM`, `±HH`); `any`: also without a zone and date only
/// (else RFC 3339 only).
fn text(s: &str, any: bool) -> Option<Reading> {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let date_ok = digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10);
    if !date_ok {
        return None;
    }
    let day = NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()?;
    if b.len() == 10 {
        let at = nanos(day.and_hms_opt(0, 0, 0)?.and_utc());
        return any.then_some(Reading {
            at,
            form: Form::Date,
        });
    }
    let sep = char::from(*b.get(10)?);
    let time_ok = matches!(sep, 'T' | 't' | ' ')
        && digits(11..13)
        && b.get(13) == Some(&b':')
        && digits(14..16)
        && b.get(16) == Some(&b':')
        && digits(17..19);
    if !time_ok {
        return None;
    }
    let mut end = 19;
    let mut frac = 0;
    if b.get(19) == Some(&b'.') {
        frac = b[20..].iter().take_while(|d| d.is_ascii_digit()).count();
        if frac == 0 {
            return None;
        }
        end = 20 + frac;
    }
    let clock = format!("{}T{}", s.get(..10)?, s.get(11..end)?);
    let naive = NaiveDateTime::parse_from_str(&clock, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    let zone = s.get(end..)?;
    let offset = match zone {
        "" if any => utc(),
        "" => return None,
        "Z" | "z" => utc(),
        _ => offset_of(zone, any)?,
    };
    let at = nanos(naive.and_utc()) - i128::from(offset.local_minus_utc()) * 1_000_000_000;
    Some(Reading {
        at,
        form: Form::Text {
            sep,
            frac,
            zone: zone.to_owned(),
            offset,
        },
    })
}

/// `±HH:MM` (and, unless `strict` RFC 3339 is asked for, `±HHMM`, `±HH`).
fn offset_of(zone: &str, lenient: bool) -> Option<FixedOffset> {
    let (sign, rest) = match zone.as_bytes().first()? {
        b'+' => (1, &zone[1..]),
        b'-' => (-1, &zone[1..]),
        _ => return None,
    };
    let (h, m) = match (rest.len(), rest.as_bytes().get(2)) {
        (5, Some(b':')) => (rest.get(..2)?, rest.get(3..)?),
        (4, _) if lenient => (rest.get(..2)?, rest.get(2..)?),
        (2, _) if lenient => (rest, "00"),
        _ => return None,
    };
    if !(h.bytes().all(|c| c.is_ascii_digit()) && m.bytes().all(|c| c.is_ascii_digit())) {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if m >= 60 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// An epoch number written as `s` (`-`? digits, `.` digits?); `scale`
/// `None`: seconds, or milliseconds from [`MILLIS_DIGITS`] digits on.
fn epoch(s: &str, scale: Option<u32>, text: bool) -> Option<Reading> {
    let (negative, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let all_digits = |t: &str| t.bytes().all(|c| c.is_ascii_digit());
    if int.is_empty()
        || !all_digits(int)
        || !all_digits(frac)
        || (body.contains('.') && frac.is_empty())
    {
        return None;
    }
    if int.len() > 24 {
        return None;
    }
    let scale = scale.unwrap_or(if int.trim_start_matches('0').len() >= MILLIS_DIGITS {
        3
    } else {
        0
    });
    let unit_digits = 9 - scale as usize;
    let kept: String = frac
        .chars()
        .chain(std::iter::repeat('0'))
        .take(unit_digits)
        .collect();
    let whole: i128 = int.parse().ok()?;
    let part: i128 = if unit_digits == 0 {
        0
    } else {
        kept.parse().ok()?
    };
    let mut at = whole * 10i128.pow(unit_digits as u32) + part;
    if negative {
        at = -at;
    }
    Some(Reading {
        at,
        form: Form::Epoch {
            scale,
            frac: frac.len().min(unit_digits),
            text,
        },
    })
}

/// `at` in units of 10^-`scale` s with `frac` decimals, rounded down
/// (earlier), as text or a JSON number; whole numbers stay within `i64`.
fn write_epoch(at: i128, scale: u32, frac: usize, text: bool) -> Value {
    let step = 10i128.pow(9 - scale - frac as u32);
    let units = at.div_euclid(step);
    if frac == 0 {
        let whole = i64::try_from(units).unwrap_or(if units < 0 { i64::MIN } else { i64::MAX });
        return if text {
            Value::String(whole.to_string())
        } else {
            Value::from(whole)
        };
    }
    let size = 10i128.pow(frac as u32);
    let sign = if units < 0 { "-" } else { "" };
    let abs = units.unsigned_abs();
    let size = size.unsigned_abs();
    let written = format!("{sign}{}.{:0frac$}", abs / size, abs % size);
    if text {
        return Value::String(written);
    }
    written
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::String(written), Value::Number)
}

/// `value` read with a strftime pattern: with a zone, as a local time (UTC),
/// or as a date.
fn patterned(pattern: &str, value: &Value) -> Option<Reading> {
    let (s, number) = match value {
        Value::String(s) => (s.clone(), false),
        Value::Number(n) => (n.to_string(), true),
        _ => return None,
    };
    let form = |offset, date| Form::Pattern {
        pattern: pattern.to_owned(),
        offset,
        date,
        number,
    };
    if let Ok(t) = DateTime::parse_from_str(&s, pattern) {
        let offset = *t.offset();
        return Some(Reading {
            at: nanos(t.to_utc()),
            form: form(Some(offset), false),
        });
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(&s, pattern) {
        return Some(Reading {
            at: nanos(t.and_utc()),
            form: form(None, false),
        });
    }
    let d = NaiveDate::parse_from_str(&s, pattern).ok()?;
    Some(Reading {
        at: nanos(d.and_hms_opt(0, 0, 0)?.and_utc()),
        form: form(None, true),
    })
}
