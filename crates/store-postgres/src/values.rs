//! JSON values as Postgres parameters: keys as JSON text (cast to `jsonb`),
//! mapped values as text in their column's type, checked first so a value
//! that does not fit names its column.

use holdfast_store::{Column, ColumnKind, StoreError, StoreErrorKind};
use serde_json::Value;

/// A primary key value as JSON text (bound as `$n::jsonb`).
///
/// # Errors
/// [`StoreErrorKind::InvalidData`] for objects, arrays and null.
pub(crate) fn key_text(value: &Value, column: &str, table: &str) -> Result<String, StoreError> {
    match value {
        Value::String(_) | Value::Number(_) | Value::Bool(_) => Ok(value.to_string()),
        other => Err(StoreError::new(
            StoreErrorKind::InvalidData,
            format!("upserting into `{table}`"),
            format!(
                "primary key `{column}` must be a string or a number, found {}",
                json_kind(other)
            ),
        )),
    }
}

/// The key values of one record as JSON text, checked against the table's key.
pub(crate) fn key_texts(
    key: &[Value],
    columns: &[String],
    table: &str,
) -> Result<Vec<String>, StoreError> {
    if key.len() != columns.len() {
        return Err(StoreError::new(
            StoreErrorKind::InvalidData,
            format!("upserting into `{table}`"),
            format!(
                "a record has {} key values but the table has {} primary key columns",
                key.len(),
                columns.len()
            ),
        ));
    }
    key.iter()
        .zip(columns)
        .map(|(v, c)| key_text(v, c, table))
        .collect()
}

/// A mapped value as the text Postgres casts to the column's type; `None` for null.
///
/// # Errors
/// [`StoreErrorKind::InvalidData`] when the value cannot be the column's type.
pub(crate) fn mapped_text(
    value: &Value,
    column: &Column,
    table: &str,
) -> Result<Option<String>, StoreError> {
    let refuse = |expected: &str| {
        StoreError::new(
            StoreErrorKind::InvalidData,
            format!("writing column `{}` of `{table}`", column.name),
            format!("the column holds {expected}, found {value}"),
        )
    };
    if value.is_null() {
        return Ok(None);
    }
    let text = match column.kind {
        ColumnKind::Any => value.to_string(),
        ColumnKind::Text => match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        },
        ColumnKind::Integer => match value {
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => i.to_string(),
                (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e18 => (f as i64).to_string(),
                _ => return Err(refuse("whole numbers")),
            },
            Value::Bool(b) => i64::from(*b).to_string(),
            Value::String(s) if s.trim().parse::<i64>().is_ok() => s.trim().to_owned(),
            _ => return Err(refuse("whole numbers")),
        },
        ColumnKind::Boolean => match value {
            Value::Bool(b) => b.to_string(),
            Value::Number(n) if n.as_i64() == Some(0) => "false".to_owned(),
            Value::Number(n) if n.as_i64() == Some(1) => "true".to_owned(),
            Value::String(s) if matches!(s.as_str(), "true" | "false") => s.clone(),
            _ => return Err(refuse("true or false")),
        },
    };
    if text.contains('\0') {
        return Err(refuse(
            "text without NUL characters (PostgreSQL cannot store them)",
        ));
    }
    Ok(Some(text))
}

/// A map key for "the same primary key" within one batch. Coarser than
/// Postgres' JSONB equality, never finer: numbers compare as `f64`, so `1`
/// and `1.0` (equal as JSONB) are the same key.
pub(crate) fn identity(key: &[Value]) -> String {
    let mut out = String::new();
    for v in key {
        match v {
            Value::Number(n) => out.push_str(&format!("n{:?};", n.as_f64().unwrap_or(f64::NAN))),
            other => {
                out.push_str(&other.to_string());
                out.push(';');
            }
        }
    }
    out
}

/// "null", "an object", … for messages.
pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A counter as a Postgres `bigint`.
pub(crate) fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn col(kind: ColumnKind) -> Column {
        Column {
            name: "c".into(),
            kind,
        }
    }

    #[test]
    fn mapped_values_fit_their_columns() {
        let text = |v: Value, k| mapped_text(&v, &col(k), "t");
        assert_eq!(
            text(json!("1.50"), ColumnKind::Text)
                .ok()
                .flatten()
                .as_deref(),
            Some("1.50")
        );
        assert_eq!(
            text(json!(7), ColumnKind::Text).ok().flatten().as_deref(),
            Some("7")
        );
        assert_eq!(
            text(json!(3.0), ColumnKind::Integer)
                .ok()
                .flatten()
                .as_deref(),
            Some("3")
        );
        assert!(text(json!(1.5), ColumnKind::Integer).is_err());
        assert!(text(json!("x"), ColumnKind::Boolean).is_err());
        assert_eq!(text(json!(null), ColumnKind::Boolean).ok().flatten(), None);
        assert_eq!(
            text(json!({"a": [1]}), ColumnKind::Any)
                .ok()
                .flatten()
                .as_deref(),
            Some(r#"{"a":[1]}"#)
        );
        assert!(text(json!("a\u{0}b"), ColumnKind::Text).is_err());
    }

    #[test]
    fn keys_keep_their_json_type() {
        assert_eq!(
            key_text(&json!("1"), "id", "t").ok().as_deref(),
            Some("\"1\"")
        );
        assert_eq!(key_text(&json!(1), "id", "t").ok().as_deref(), Some("1"));
        let err = key_text(&json!({"x": 1}), "id", "t")
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("must be a string or a number")));
        assert_eq!(identity(&[json!(1)]), identity(&[json!(1.0)]));
        assert_ne!(identity(&[json!(1)]), identity(&[json!("1")]));
    }
}
