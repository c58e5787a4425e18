//! Timestamps as stored: RFC 3339 UTC text, sortable as strings.

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
