//! Primary keys: the values that identify a record.

use serde_json::Value;

/// The values of `fields` in `record`, or why the record has no usable key
/// (it is then quarantined, never written).
///
/// # Errors
/// A reason naming the field when one is missing, null, or not a string/number/boolean.
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
            Some(v @ (Value::String(_) | Value::Number(_) | Value::Bool(_))) => Ok(v.clone()),
            Some(v) => Err(format!(
                "primary key field `{f}` is {}; keys must be strings or numbers",
                kind(v)
            )),
        })
        .collect()
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
        assert!(
            primary_key(&json!([1]), &f(&["id"]))
                .unwrap_err()
                .contains("an array")
        );
    }
}
