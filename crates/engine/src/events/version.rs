//! Event versions as sortable text, so the store can compare them with `>`.
//!
//! A webhook's `version:` is usually a timestamp (`"2024-06-01T12:00:00Z"`,
//! any offset) or a number (a sequence, epoch seconds). Each becomes text
//! whose byte order is the value's order: timestamps as UTC with nine
//! fraction digits, numbers as fixed-width digits. Kinds never compare
//! equal to each other (a prefix letter keeps them apart).

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

/// The sortable text of a version value, or why it cannot be one.
///
/// # Errors
/// A value that is not a number or a string (null, an object, …).
pub fn sortable(value: &Value) -> Result<String, String> {
    match value {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(integer(i))
            } else if let Some(u) = n.as_u64() {
                Ok(format!("n{:020}", u128::from(u) + (1u128 << 63)))
            } else {
                Ok(float(n.as_f64().unwrap_or_default()))
            }
        }
        Value::String(s) => {
            let text = s.trim();
            if let Ok(t) = DateTime::parse_from_rfc3339(text) {
                return Ok(timestamp(t.with_timezone(&Utc)));
            }
            if let Ok(i) = text.parse::<i64>() {
                return Ok(integer(i));
            }
            Ok(format!("s{text}"))
        }
        other => Err(format!(
            "a version must be a timestamp, a number or a string, found {}",
            match other {
                Value::Null => "null",
                Value::Bool(_) => "a boolean",
                Value::Array(_) => "an array",
                _ => "an object",
            }
        )),
    }
}

/// `n` + 20 digits: i64 shifted to be non-negative, so order is kept.
fn integer(i: i64) -> String {
    let shifted = i128::from(i) + (1i128 << 63);
    format!("n{shifted:020}")
}

/// Floats: the integer below, then the fraction, so `2 < 2.5 < 3` holds
/// in text order too.
fn float(f: f64) -> String {
    let floor = f.floor();
    let whole = integer(floor.clamp(i64::MIN as f64, i64::MAX as f64) as i64);
    let fraction = f - floor;
    if fraction == 0.0 {
        return whole;
    }
    let digits = format!("{fraction:.9}");
    format!(
        "{whole}{}",
        digits.trim_start_matches('0').trim_end_matches('0')
    )
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
    }

    #[test]
    fn other_values_are_refused() {
        assert!(sortable(&json!(null)).is_err());
        assert!(
            sortable(&json!({"a": 1}))
                .unwrap_err()
                .contains("an object")
        );
    }
}
