//! Incremental cursors: which value is later, and stepping back by a
//! lookback, both in the form the API writes its cursor.
//!
//! Without `cursor_format`, a cursor is read as RFC 3339 (any offset, any
//! fraction), `YYYY-MM-DD HH:MM:SS[.fff]` (also with `T`, no zone: read as
//! UTC), `YYYY-MM-DD`, or an epoch number (a JSON number or a numeric
//! string): seconds, or milliseconds when its whole part has 12 or more
//! digits (seconds that large are after the year 5138, milliseconds that
//! small before 1973-03-03; name `epoch_seconds` or `epoch_millis` when that
//! guess is wrong). A cursor moved back is written exactly as it came: same
//! format, separator, zone, number of decimals and JSON type.

mod form;

use std::cmp::Ordering;
use std::time::Duration;

use holdfast_spec::CursorFormat;
use serde_json::Value;

use crate::RecordsError;

/// The later of `current` and `candidate`, compared as times (or epoch
/// numbers) when `format` reads both, else numbers as numbers and anything
/// else as text. Null never wins.
pub fn cursor_max(
    format: &CursorFormat,
    current: Option<&Value>,
    candidate: &Value,
) -> Option<Value> {
    match (current, candidate) {
        (None, Value::Null) => None,
        (None, c) => Some(c.clone()),
        (Some(cur), Value::Null) => Some(cur.clone()),
        (Some(cur), c) => Some(if compare(format, c, cur) == Ordering::Greater {
            c.clone()
        } else {
            cur.clone()
        }),
    }
}

/// `cursor` moved back by `lookback`, written in the form it came in
/// (never before year 0 for text, never past `i64` for whole numbers, so a
/// cursor near the ends of its range cannot wrap and skip every record).
///
/// # Errors
/// [`RecordsError::Cursor`] when `lookback` is not zero and `cursor` cannot
/// be read in `format`: a lookback that cannot be applied is never skipped.
pub fn cursor_minus(
    format: &CursorFormat,
    cursor: &Value,
    lookback: Duration,
) -> Result<Value, RecordsError> {
    if lookback.is_zero() || cursor.is_null() {
        return Ok(cursor.clone());
    }
    let reading = readable(format, cursor)?;
    let back = i128::try_from(lookback.as_nanos()).unwrap_or(i128::MAX);
    Ok(reading.write(reading.at.saturating_sub(back)))
}

/// Checks that `cursor` can be read in `format` (so `lookback` can move it).
///
/// # Errors
/// [`RecordsError::Cursor`] naming the value and the forms tried.
pub fn cursor_readable(format: &CursorFormat, cursor: &Value) -> Result<(), RecordsError> {
    readable(format, cursor).map(|_| ())
}

fn readable(format: &CursorFormat, cursor: &Value) -> Result<form::Reading, RecordsError> {
    form::read(format, cursor).ok_or_else(|| RecordsError::Cursor {
        value: cursor.to_string().chars().take(100).collect(),
        tried: form::tried(format),
    })
}

fn compare(format: &CursorFormat, a: &Value, b: &Value) -> Ordering {
    if let (Some(x), Some(y)) = (form::read(format, a), form::read(format, b)) {
        return x.at.cmp(&y.at);
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            _ => Ordering::Equal,
        },
        (Value::String(x), Value::String(y)) => x.cmp(y),
        _ => a.to_string().cmp(&b.to_string()),
    }
}

#[cfg(test)]
mod tests;
