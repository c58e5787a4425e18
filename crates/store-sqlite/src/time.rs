//! Timestamps as stored: RFC 3339 UTC text, sortable as strings (unix
//! milliseconds where the job queue compares them).

use chrono::{DateTime, SecondsFormat, Utc};
use holdfast_store::{StoreError, StoreErrorKind};

pub(crate) fn to_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(crate) fn from_text(s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            StoreError::new(
                StoreErrorKind::Schema,
                "reading a timestamp",
                format!("`{s}` is not RFC 3339: {e}"),
            )
        })
}

/// Unix milliseconds, as the job queue stores `run_at` and `lease_until`.
pub(crate) fn to_millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_millis(ms: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| {
        StoreError::new(
            StoreErrorKind::Schema,
            "reading a timestamp",
            format!("{ms} is not a time in unix milliseconds"),
        )
    })
}

/// An optional time column.
pub(crate) fn from_opt_text(s: Option<&str>) -> Result<Option<DateTime<Utc>>, StoreError> {
    s.map(from_text).transpose()
}
