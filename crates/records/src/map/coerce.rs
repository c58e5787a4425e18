//! Coercion: a raw JSON value into a column's stored type, or a message that
//! names what was found.

use holdfast_spec::FieldKind;
use serde_json::{Number, Value};

use super::{decimal, time};

/// Coerces `value` into `kind`'s stored form. Null stays null.
///
/// Stored forms: `string` text; `integer` a JSON integer; `decimal` exact
/// canonical text ("1234.50"); `boolean` a JSON boolean; `timestamp` RFC 3339
/// UTC text ("2024-03-04T08:00:00Z"); `date` "YYYY-MM-DD"; `any` unchanged.
///
/// # Errors
/// A lowercase message naming the value found (and, for times, the formats
/// tried) when `value` has no such form.
pub fn coerce(kind: &FieldKind, value: &Value) -> Result<Value, String> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    match kind {
        FieldKind::Any => Ok(value.clone()),
        FieldKind::String => string(value),
        FieldKind::Integer => integer(value),
        FieldKind::Decimal { thousands, point } => decimal::decimal(value, *thousands, *point),
        FieldKind::Boolean => boolean(value),
        FieldKind::Timestamp { formats } => time::timestamp(formats, value),
        FieldKind::Date { formats } => time::date(formats, value),
    }
}

/// How `kind` coerces, for `holdfast explain`: "decimal (thousands ',')".
pub(crate) fn describe(kind: &FieldKind) -> String {
    match kind {
        FieldKind::Any => "any (unchanged)".to_owned(),
        FieldKind::String => "string".to_owned(),
        FieldKind::Integer => "integer".to_owned(),
        FieldKind::Decimal { thousands, point } => {
            let mut parts = Vec::new();
            if let Some(sep) = thousands {
                parts.push(format!("thousands '{sep}'"));
            }
            if *point != '.' {
                parts.push(format!("point '{point}'"));
            }
            if parts.is_empty() {
                "decimal".to_owned()
            } else {
                format!("decimal ({})", parts.join(", "))
            }
        }
        FieldKind::Boolean => "boolean".to_owned(),
        FieldKind::Timestamp { formats } => {
            format!("timestamp from {}", time::timestamp_formats(formats))
        }
        FieldKind::Date { formats } => format!("date from {}", time::date_formats(formats)),
    }
}

/// How a found value is named in messages: JSON text, short, or its kind.
pub(crate) fn found(value: &Value) -> String {
    match value {
        Value::Object(_) => "an object".to_owned(),
        Value::Array(_) => "an array".to_owned(),
        Value::String(s) if s.is_empty() => "an empty string".to_owned(),
        Value::String(s) if s.chars().count() > 60 => {
            let head: String = s.chars().take(57).collect();
            format!("{:?}", format!("{head}..."))
        }
        other => other.to_string(),
    }
}

/// The value's text form for `values:` lookups and `string` columns.
pub(crate) fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn string(value: &Value) -> Result<Value, String> {
    text(value)
        .map(Value::String)
        .ok_or_else(|| format!("expected text, found {}", found(value)))
}

fn integer(value: &Value) -> Result<Value, String> {
    let fail = || format!("expected an integer, found {}", found(value));
    let exact = match value {
        Value::Number(n) if n.is_i64() => return Ok(value.clone()),
        Value::Number(n) => decimal::number(n),
        Value::String(s) => decimal::parse(s, true),
        _ => None,
    };
    let exact = exact.filter(decimal::Exact::is_integral).ok_or_else(fail)?;
    let magnitude: i128 = match exact.int.len() {
        0..=20 => exact.int.parse().map_err(|_| fail())?,
        _ => i128::MAX,
    };
    let signed = if exact.negative {
        -magnitude
    } else {
        magnitude
    };
    i64::try_from(signed)
        .map(|i| Value::Number(Number::from(i)))
        .map_err(|_| format!("integer out of range, found {}", found(value)))
}

fn boolean(value: &Value) -> Result<Value, String> {
    let parsed = match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_f64() {
            Some(1.0) => Some(true),
            Some(0.0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "1" | "on" => Some(true),
            "false" | "no" | "n" | "0" | "off" => Some(false),
            _ => None,
        },
        _ => None,
    };
    parsed
        .map(Value::Bool)
        .ok_or_else(|| format!("expected a boolean, found {}", found(value)))
}
