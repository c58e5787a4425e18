//! Primary keys: the values that identify a record.

use serde_json::Value;

/// The values of `fields` in `record`, or why the record has no usable key
/// (it is then quarantined, never written).
///
/// Integers keep their exact value up to 2^64 - 1. A whole number beyond
/// what a float holds exactly (2^53, when it is not an integer up to 2^64)
/// has already lost digits when the body was read, so two different ids
/// could become one: such a key is refused rather than merged.
///
/// # Errors
/// A reason naming the field when one is missing, null, not a
/// string/number/boolean, or a number too large to keep exactly.
pub fn primary_key(record: &Value, fields: &[String]) -> Result<Vec<Value>, String> {
    let Value::Object(map) = record else {
        return Err(format!(
            "the record is {} and not an object, so it has no primary key `{}`",
            kind(record),
            fields.join("`, `")
        ));
    };
    fields
        .iter()
        .map(|f| match map.get(f) {
            None => Err(format!("missing primary key field `{f}`")),
            Some(Value::Null) => Err(format!("primary key field `{f}` is null")),
            Some(Value::Number(n)) if inexact(n) => Err(format!(
                "primary key field `{f}` is {n}, a number too large to keep exactly (integer ids \
                 are exact up to 18446744073709551615): different ids could become one; \
                 ask the API for string ids, or use another field as the key"
            )),
            Some(v @ (Value::String(_) | Value::Number(_) | Value::Bool(_))) => Ok(v.clone()),
            Some(v) => Err(format!(
                "primary key field `{f}` is {}; keys must be strings or numbers",
                kind(v)
            )),
        })
        .collect()
}

/// A float that is whole and at least 2^53: its digits are not all kept.
fn inexact(n: &serde_json::Number) -> bool {
    n.as_i64().is_none()
        && n.as_u64().is_none()
        && n.as_f64()
            .is_some_and(|f| f.fract() == 0.0 && f.abs() >= 9_007_199_254_740_992.0)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_and_reasons() {
        let f = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            primary_key(&json!({"id": 7}), &f(&["id"])),
            Ok(vec![json!(7)])
        );
        assert_eq!(
            primary_key(&json!({"a": "x", "b": 2}), &f(&["a", "b"])),
            Ok(vec![json!("x"), json!(2)])
        );
        assert_eq!(
            primary_key(&json!({"a": 1}), &f(&["id"])),
            Err("missing primary key field `id`".into())
        );
        assert_eq!(
            primary_key(&json!({"id": null}), &f(&["id"])),
            Err("primary key field `id` is null".into())
        );
        assert!(
            primary_key(&json!({"id": {"v": 1}}), &f(&["id"]))
                .unwrap_err()
                .contains("an object")
        );
        let big: Value =
            serde_json::from_str("[18446744073709551615, 18446744073709551614]").expect("json");
        assert_eq!(
            primary_key(&json!({"id": big[0]}), &f(&["id"])),
            Ok(vec![json!(u64::MAX)])
        );
        let beyond: Value =
            serde_json::from_str(r#"{"id": 123456789012345678901234}"#).expect("json");
        assert!(
            primary_key(&beyond, &f(&["id"]))
                .unwrap_err()
                .contains("too large to keep exactly")
        );
        assert_eq!(
            primary_key(&json!({"id": 1.5}), &f(&["id"])),
            Ok(vec![json!(1.5)])
        );
        assert!(
            primary_key(&json!([1]), &f(&["id"]))
                .unwrap_err()
                .contains("an array")
        );
    }
}
