//! Incremental cursors: which value is later, and stepping back by a lookback.

use std::cmp::Ordering;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

/// The later of `current` and `candidate`.
///
/// Numbers compare as numbers, RFC 3339 timestamps as instants (whatever
/// their offsets), anything else as text. Null never wins.
pub fn cursor_max(current: Option<&Value>, candidate: &Value) -> Option<Value> {
    match (current, candidate) {
        (None, Value::Null) => None,
        (None, c) => Some(c.clone()),
        (Some(cur), Value::Null) => Some(cur.clone()),
        (Some(cur), c) => Some(if compare(c, cur) == Ordering::Greater {
            c.clone()
        } else {
            cur.clone()
        }),
    }
}

/// `cursor` moved back by `lookback`: timestamps by the duration (kept in
/// RFC 3339 UTC, never before `0000-01-01T00:00:00Z`, the earliest time
/// RFC 3339 can write), numbers by whole seconds (milliseconds when the value
/// looks like epoch millis, never below `i64::MIN`); other values are
/// returned as they are. Whatever the upstream sent as a cursor, this never
/// overflows (a wrapped cursor would skip every record).
pub fn cursor_minus(cursor: &Value, lookback: Duration) -> Value {
    if lookback.is_zero() {
        return cursor.clone();
    }
    match cursor {
        Value::String(s) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) => {
                let earliest = earliest_rfc3339();
                let t = chrono::Duration::from_std(lookback)
                    .ok()
                    .and_then(|back| t.with_timezone(&Utc).checked_sub_signed(back))
                    .map_or(earliest, |t| t.max(earliest));
                Value::String(t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
            }
            Err(_) => cursor.clone(),
        },
        Value::Number(n) => match n.as_i64() {
            Some(i) => {
                let secs = i64::try_from(lookback.as_secs()).unwrap_or(i64::MAX);
                let step = if i > 100_000_000_000 {
                    secs.saturating_mul(1000)
                } else {
                    secs
                };
                Value::from(i.saturating_sub(step))
            }
            None => cursor.clone(),
        },
        other => other.clone(),
    }
}

/// `0000-01-01T00:00:00Z`: earlier instants have no RFC 3339 form.
fn earliest_rfc3339() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(-62_167_219_200, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            _ => Ordering::Equal,
        },
        (Value::String(x), Value::String(y)) => {
            match (
                DateTime::parse_from_rfc3339(x),
                DateTime::parse_from_rfc3339(y),
            ) {
                (Ok(x), Ok(y)) => x.cmp(&y),
                _ => x.cmp(y),
            }
        }
        _ => a.to_string().cmp(&b.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn max_by_type() {
        assert_eq!(cursor_max(None, &json!(null)), None);
        assert_eq!(cursor_max(Some(&json!(5)), &json!(12)), Some(json!(12)));
        assert_eq!(cursor_max(Some(&json!(12)), &json!(5)), Some(json!(12)));
        // 10:00+02:00 is 08:00Z, earlier than 09:00Z although it sorts later as text.
        assert_eq!(
            cursor_max(
                Some(&json!("2024-03-04T09:00:00Z")),
                &json!("2024-03-04T10:00:00+02:00")
            ),
            Some(json!("2024-03-04T09:00:00Z"))
        );
        assert_eq!(cursor_max(Some(&json!("b")), &json!("a")), Some(json!("b")));
    }

    #[test]
    fn lookback() {
        let five = Duration::from_secs(300);
        assert_eq!(
            cursor_minus(&json!("2024-01-01T00:05:00Z"), five),
            json!("2024-01-01T00:00:00Z")
        );
        assert_eq!(
            cursor_minus(&json!(1_709_546_400), five),
            json!(1_709_546_100)
        );
        assert_eq!(
            cursor_minus(&json!(1_709_546_400_000_i64), five),
            json!(1_709_546_100_000_i64)
        );
        assert_eq!(cursor_minus(&json!("abc"), five), json!("abc"));
    }

    /// Found by `fuzz/run record_map`: a cursor near the ends of its range,
    /// or a huge `lookback:`, overflowed (a panic in debug builds; in release
    /// a numeric cursor wrapped to near `i64::MAX`, so the next incremental
    /// sync asked for records newer than that and silently got none).
    #[test]
    fn issue_13_fuzz_cursor_lookback_never_overflows() {
        let five = Duration::from_secs(300);
        assert_eq!(cursor_minus(&json!(i64::MIN), five), json!(i64::MIN));
        assert_eq!(cursor_minus(&json!(i64::MIN + 100), five), json!(i64::MIN));
        assert_eq!(
            cursor_minus(&json!(1_709_546_400_000_i64), Duration::from_secs(u64::MAX)),
            json!(1_709_546_400_000_i64 - i64::MAX)
        );
        assert_eq!(
            cursor_minus(&json!(-5), Duration::from_secs(u64::MAX)),
            json!(i64::MIN)
        );
        // the fuzzer's input: `9000000000000\n{"updated_at":"0000-01-01T00:00:00Z"}`
        let huge = Duration::from_secs(9_000_000_000_000);
        assert_eq!(
            cursor_minus(&json!("0000-01-01T00:00:00Z"), huge),
            json!("0000-01-01T00:00:00Z")
        );
        assert_eq!(
            cursor_minus(
                &json!("0001-06-01T00:00:00+02:00"),
                Duration::from_secs(u64::MAX)
            ),
            json!("0000-01-01T00:00:00Z")
        );
        assert_eq!(
            cursor_minus(&json!("0000-01-01T00:04:00Z"), five),
            json!("0000-01-01T00:00:00Z"),
            "never before the earliest RFC 3339 time"
        );
        assert_eq!(
            cursor_minus(&json!("9999-12-31T23:59:59.5+00:00"), five),
            json!("9999-12-31T23:54:59.500Z")
        );
    }
}
