//! Timestamps and dates: many input formats, one stored form (RFC 3339 UTC,
//! `YYYY-MM-DD`), so stored times compare as text.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde_json::Value;

use super::coerce::found;
use super::decimal;

/// The keyword for RFC 3339 text with any offset.
const RFC3339: &str = "rfc3339";
/// The keyword for seconds since 1970-01-01T00:00:00Z.
const EPOCH_SECONDS: &str = "epoch_seconds";
/// The keyword for milliseconds since 1970-01-01T00:00:00Z.
const EPOCH_MILLIS: &str = "epoch_millis";
/// Past this a bare epoch number is taken as milliseconds (year 5138 in seconds).
const MILLIS_ABOVE: i128 = 100_000_000_000;

/// Coerces `value` to RFC 3339 UTC text, trying `formats` in order.
pub(crate) fn timestamp(formats: &[String], value: &Value) -> Result<Value, String> {
    let instant = if formats.is_empty() {
        match value {
            Value::String(s) => rfc3339(s),
            Value::Number(_) => epoch_auto(value),
            _ => None,
        }
    } else {
        formats.iter().find_map(|f| instant(f, value))
    };
    instant
        .map(|t| Value::String(t.to_rfc3339_opts(SecondsFormat::AutoSi, true)))
        .ok_or_else(|| {
            let tried = timestamp_formats(formats);
            format!(
                "expected a timestamp, found {} (tried {tried})",
                found(value)
            )
        })
}

/// Coerces `value` to `YYYY-MM-DD`, trying `formats` in order (default
/// `%Y-%m-%d`, then `rfc3339`).
pub(crate) fn date(formats: &[String], value: &Value) -> Result<Value, String> {
    let parsed = if formats.is_empty() {
        day("%Y-%m-%d", value).or_else(|| day(RFC3339, value))
    } else {
        formats.iter().find_map(|f| day(f, value))
    };
    parsed
        .map(|d| Value::String(d.format("%Y-%m-%d").to_string()))
        .ok_or_else(|| {
            let tried = date_formats(formats);
            format!("expected a date, found {} (tried {tried})", found(value))
        })
}

/// The timestamp formats as listed in messages.
pub(crate) fn timestamp_formats(formats: &[String]) -> String {
    if formats.is_empty() {
        format!("{RFC3339}, {EPOCH_SECONDS}, {EPOCH_MILLIS}")
    } else {
        formats.join(", ")
    }
}

/// The date formats as listed in messages.
pub(crate) fn date_formats(formats: &[String]) -> String {
    if formats.is_empty() {
        format!("%Y-%m-%d, {RFC3339}")
    } else {
        formats.join(", ")
    }
}

/// `value` read with one format, as an instant.
fn instant(format: &str, value: &Value) -> Option<DateTime<Utc>> {
    match format {
        RFC3339 => rfc3339(value.as_str()?),
        EPOCH_SECONDS => epoch(value, 0),
        EPOCH_MILLIS => epoch(value, 3),
        pattern => {
            let text = pattern_text(value)?;
            let text = text.trim();
            if let Ok(t) = DateTime::parse_from_str(text, pattern) {
                return Some(t.to_utc());
            }
            if let Ok(t) = NaiveDateTime::parse_from_str(text, pattern) {
                return Some(t.and_utc());
            }
            let d = NaiveDate::parse_from_str(text, pattern).ok()?;
            Some(d.and_hms_opt(0, 0, 0)?.and_utc())
        }
    }
}

/// `value` read with one format, as a calendar date (in the value's own offset).
fn day(format: &str, value: &Value) -> Option<NaiveDate> {
    match format {
        RFC3339 => DateTime::parse_from_rfc3339(value.as_str()?.trim())
            .ok()
            .map(|t| t.date_naive()),
        EPOCH_SECONDS => epoch(value, 0).map(|t| t.date_naive()),
        EPOCH_MILLIS => epoch(value, 3).map(|t| t.date_naive()),
        pattern => {
            let text = pattern_text(value)?;
            let text = text.trim();
            NaiveDate::parse_from_str(text, pattern)
                .or_else(|_| NaiveDateTime::parse_from_str(text, pattern).map(|t| t.date()))
                .ok()
        }
    }
}

/// Strings as they are, numbers as their literal text (`20240304`).
fn pattern_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn rfc3339(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.to_utc())
}

/// A bare epoch number: seconds, or milliseconds past [`MILLIS_ABOVE`].
fn epoch_auto(value: &Value) -> Option<DateTime<Utc>> {
    let Value::Number(n) = value else { return None };
    let exact = decimal::number(n)?;
    let whole: i128 = exact.int.parse().ok()?;
    epoch(value, if whole > MILLIS_ABOVE { 3 } else { 0 })
}

/// A number or numeric string of units of 10^-`scale` seconds since the epoch,
/// exactly (fractions below a nanosecond are dropped).
fn epoch(value: &Value, scale: u32) -> Option<DateTime<Utc>> {
    let exact = match value {
        Value::Number(n) => decimal::number(n)?,
        Value::String(s) => decimal::parse(s, false)?,
        _ => return None,
    };
    if exact.int.len() > 24 {
        return None;
    }
    let digits = (9 - scale) as usize;
    let frac: String = exact
        .frac
        .chars()
        .chain(std::iter::repeat('0'))
        .take(digits)
        .collect();
    let whole: i128 = exact.int.parse().ok()?;
    let part: i128 = if digits == 0 { 0 } else { frac.parse().ok()? };
    let mut nanos = whole * 10i128.pow(digits as u32) + part;
    if exact.negative {
        nanos = -nanos;
    }
    let secs = i64::try_from(nanos.div_euclid(1_000_000_000)).ok()?;
    let sub = u32::try_from(nanos.rem_euclid(1_000_000_000)).ok()?;
    DateTime::from_timestamp(secs, sub)
}
