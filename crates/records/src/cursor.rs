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
/// RFC 3339 UTC), numbers by whole seconds (milliseconds when the value looks
/// like epoch millis); other values are returned as they are.
pub fn cursor_minus(cursor: &Value, lookback: Duration) -> Value {
    if lookback.is_zero() {
        return cursor.clone();
    }
    match cursor {
        Value::String(s) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) => {
                let back = chrono::Duration::from_std(lookback).unwrap_or(chrono::Duration::zero());
                let t = t.with_timezone(&Utc) - back;
                Value::String(t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
            }
            Err(_) => cursor.clone(),
        },
        Value::Number(n) => match n.as_i64() {
            Some(i) => {
                let secs = lookback.as_secs() as i64;
                let step = if i > 100_000_000_000 {
                    secs * 1000
                } else {
                    secs
                };
                Value::from(i - step)
            }
            None => cursor.clone(),
        },
        other => other.clone(),
    }
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
}
