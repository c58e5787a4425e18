//! Event versions as sortable text, so the store can compare them with `>`.
//!
//! A webhook's `version:` must be a number (a sequence, epoch seconds; in
//! JSON or as a numeric string) or a timestamp: RFC 3339 (any offset), the
//! same with a space for the `T`, without an offset (read as UTC), a bare
//! date (midnight UTC) or RFC 2822. Each becomes text whose byte order is
//! the value's order, after a letter naming its kind: `n` + fixed-width
//! digits for numbers, `t` + UTC with nine fraction digits for times.
//!
//! Anything else (`"yesterday"`, `"v2"`, `true`) is refused: comparing it
//! as text would order `"10"` before `"9"` and let an older event
//! overwrite a newer record. Versions of two kinds (a number and a time)
//! cannot be ordered either: the store refuses such an event (see
//! [`holdfast_store::EventOutcome::VersionMismatch`]).

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde_json::Value;

/// Why a value cannot be a version; the message shows the value (cut at
/// 80 characters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VersionError {
    /// Text that is neither a number nor a timestamp.
    #[error(
        "{shown} is neither a number nor a timestamp (such as \"2024-06-01T12:00:00Z\", \
         \"2024-06-01 12:00:00\", \"2024-06-01\" or RFC 2822); versions are ordered \
         as numbers or as times, never as text: point `version:` at a number or a \
         timestamp"
    )]
    NotOrdered {
        /// The value, as shown.
        shown: String,
    },
    /// Null, a boolean, an array or an object.
    #[error("a version must be a number or a timestamp, found {found} ({shown})")]
    NotAVersion {
        /// What it is (`null`, `a boolean`, …).
        found: &'static str,
        /// The value, as shown.
        shown: String,
    },
    /// A number beyond what can be ordered exactly.
    #[error("{shown} is too large to be ordered exactly (versions must fit a 64-bit integer)")]
    TooLarge {
        /// The value, as shown.
        shown: String,
    },
}

/// The sortable text of a version value, or why it cannot be one.
///
/// # Errors
/// A value that is neither a number nor a timestamp (null, an object, a
/// word, …), or a number too large to be ordered exactly; the message
/// shows the value.
pub fn sortable(value: &Value) -> Result<String, VersionError> {
    match value {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(integer(i))
            } else if let Some(u) = n.as_u64() {
                Ok(unsigned(u))
            } else {
                float(n.as_f64().unwrap_or(f64::NAN)).ok_or_else(|| too_large(value))
            }
        }
        Value::String(s) => {
            let text = s.trim();
            if let Some(t) = time(text) {
                return Ok(timestamp(t));
            }
            if let Ok(i) = text.parse::<i64>() {
                return Ok(integer(i));
            }
            if let Ok(u) = text.parse::<u64>() {
                return Ok(unsigned(u));
            }
            if looks_numeric(text)
                && let Ok(f) = text.parse::<f64>()
            {
                return float(f).ok_or_else(|| too_large(value));
            }
            Err(VersionError::NotOrdered {
                shown: shown(value),
            })
        }
        other => Err(VersionError::NotAVersion {
            found: match other {
                Value::Null => "null",
                Value::Bool(_) => "a boolean",
                Value::Array(_) => "an array",
                _ => "an object",
            },
            shown: shown(other),
        }),
    }
}

/// What kind of version `sortable` text (made by [`sortable`]) is, for
/// messages: `a number`, `a timestamp`, or `text` (stored by an earlier
/// holdfast, which kept unreadable versions as text).
pub fn kind(sortable: &str) -> &'static str {
    match sortable.as_bytes().first() {
        Some(b'n') => "a number",
        Some(b't') => "a timestamp",
        _ => "text",
    }
}

/// A value for a message: its JSON, cut at 80 characters.
pub fn shown(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(80) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// `n` + 20 digits: i64 shifted to be non-negative, so order is kept.
fn integer(i: i64) -> String {
    let shifted = i128::from(i) + (1i128 << 63);
    format!("n{shifted:020}")
}

/// Above `i64::MAX`, on the same scale (still 20 digits).
fn unsigned(u: u64) -> String {
    format!("n{:020}", u128::from(u) + (1u128 << 63))
}

/// Floats: the integer below, then the fraction, so `2 < 2.5 < 3` holds
/// in text order too. `None` where that integer is not an `i64` (whole
/// numbers up to `u64::MAX` excepted), as it could not be ordered exactly.
fn float(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    let floor = f.floor();
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if !(-TWO_63..TWO_63).contains(&floor) {
        // a whole number within u64 (JSON `1e19`) is still exact
        return (f == floor && (0.0..2.0 * TWO_63).contains(&f)).then(|| unsigned(f as u64));
    }
    let whole = integer(floor as i64);
    let fraction = f - floor;
    if fraction == 0.0 {
        return Some(whole);
    }
    let digits = format!("{fraction:.9}");
    Some(format!(
        "{whole}{}",
        digits.trim_start_matches('0').trim_end_matches('0')
    ))
}

fn too_large(value: &Value) -> VersionError {
    VersionError::TooLarge {
        shown: shown(value),
    }
}

/// Digits with an optional sign, point and exponent (not `inf` or `NaN`,
/// which Rust's float parser reads too).
fn looks_numeric(text: &str) -> bool {
    text.bytes().any(|b| b.is_ascii_digit())
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
}

/// A timestamp in one of the accepted forms, in UTC.
fn time(text: &str) -> Option<DateTime<Utc>> {
    // only text that starts like a date is tried (cheap for numbers)
    if text.len() < 10 {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    if text.as_bytes().get(10) == Some(&b' ') {
        let with_t = format!("{}T{}", &text[..10], &text[11..]);
        if let Ok(t) = DateTime::parse_from_rfc3339(&with_t) {
            return Some(t.with_timezone(&Utc));
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    DateTime::parse_from_rfc2822(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn timestamp(t: DateTime<Utc>) -> String {
    format!("t{}", t.to_rfc3339_opts(SecondsFormat::Nanos, true))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn s(v: Value) -> String {
        sortable(&v).expect("sortable")
    }

    #[test]
    fn timestamps_order_across_offsets_and_precision() {
        let a = s(json!("2024-06-01T12:00:00Z"));
        let b = s(json!("2024-06-01T14:00:00.5+02:00")); // 12:00:00.5Z
        let c = s(json!("2024-06-01T12:00:01Z"));
        assert!(a < b && b < c, "{a} {b} {c}");
        assert_eq!(s(json!("2024-06-01T14:00:00+02:00")), a);
    }

    #[test]
    fn common_timestamp_forms_are_times() {
        let noon = s(json!("2024-06-01T12:00:00Z"));
        for same in [
            "2024-06-01 12:00:00Z",
            "2024-06-01 14:00:00+02:00",
            "2024-06-01 12:00:00",
            "2024-06-01T12:00:00",
            "2024-06-01T12:00:00.000",
            "Sat, 01 Jun 2024 12:00:00 +0000",
            " 2024-06-01T12:00:00Z ",
        ] {
            assert_eq!(s(json!(same)), noon, "{same}");
        }
        assert_eq!(
            s(json!("2024-06-01")),
            s(json!("2024-06-01T00:00:00Z")),
            "a date is its midnight, UTC"
        );
        assert_eq!(kind(&noon), "a timestamp");
    }

    #[test]
    fn numbers_order_numerically_not_as_text() {
        let v: Vec<String> = [json!(-5), json!(2), json!(10), json!(1_700_000_000_000_i64)]
            .into_iter()
            .map(s)
            .collect();
        let mut sorted = v.clone();
        sorted.sort();
        assert_eq!(v, sorted);
        assert_eq!(s(json!("10")), s(json!(10)));
        assert_eq!(s(json!(10.0)), s(json!(10)));
        assert!(s(json!(2)) < s(json!(2.5)) && s(json!(2.5)) < s(json!(3)));
        assert!(s(json!(-3)) < s(json!(-2.5)) && s(json!(-2.5)) < s(json!(-2)));
        assert!(s(json!("9")) < s(json!("10")), "not as text");
        assert_eq!(
            s(json!("2.5")),
            s(json!(2.5)),
            "decimal strings are numbers"
        );
        assert!(s(json!(i64::MAX)) < s(json!(u64::MAX)));
        assert_eq!(s(json!(1e19)), s(json!(10_000_000_000_000_000_000_u64)));
        assert_eq!(s(json!("18446744073709551615")), s(json!(u64::MAX)));
        assert_eq!(kind(&s(json!(7))), "a number");
    }

    #[test]
    fn issue_13_words_are_refused_not_compared_as_text() {
        for word in ["yesterday", "v2", "inf", "NaN", "", "2024-13-45", "1.2.3"] {
            let err = sortable(&json!(word)).expect_err(word).to_string();
            assert!(
                err.contains(&format!("\"{word}\" is neither a number nor a timestamp")),
                "{err}"
            );
        }
        assert!(
            sortable(&json!(1e300))
                .expect_err("too large")
                .to_string()
                .contains("too large")
        );
    }

    #[test]
    fn other_values_are_refused() {
        assert!(sortable(&json!(null)).is_err());
        let err = sortable(&json!({"a": 1})).unwrap_err().to_string();
        assert!(
            err.contains("an object") && err.contains(r#"{"a":1}"#),
            "{err}"
        );
        let long = sortable(&json!("x".repeat(500))).unwrap_err().to_string();
        assert!(long.contains('…') && long.len() < 400, "{long}");
    }
}
