//! The transformation layer: stored columns computed from raw records.

use super::{Path, Template};

/// One mapped column.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldMap {
    /// The column name (an identifier; not a primary key column, not `_…`).
    pub column: String,
    /// Where the value comes from.
    pub source: FieldSource,
    /// The stored type and how raw values are coerced into it.
    pub kind: FieldKind,
    /// Filters applied after the value is taken and before it is coerced.
    pub transform: Vec<Transform>,
    /// Raw value → stored value, for enums (`{ A: active, I: inactive }`); a
    /// value not in the map gets `default` (or is invalid when there is none).
    pub values: Option<Vec<(String, serde_json::Value)>>,
    /// The value when the source is missing or null (or not in `values`).
    pub default: Option<serde_json::Value>,
    /// True when a missing or null value (with no `default`) makes the record invalid.
    pub required: bool,
}

/// Where a mapped value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldSource {
    /// A JSONPath into the raw record (`$.properties.email`); the first match.
    Path(Path),
    /// A Jinja expression over `record` (the raw record), for computed fields:
    /// `record.name.first ~ ' ' ~ record.name.last`.
    Expr(Template),
}

/// A filter in `transform:`.
#[derive(Debug, Clone, PartialEq)]
pub enum Transform {
    /// Lower-case a string.
    Lower,
    /// Upper-case a string.
    Upper,
    /// Trim whitespace around a string.
    Trim,
    /// Read a string as JSON text (`parse: json`); other values pass as
    /// they are, text that is not JSON makes the record invalid.
    ParseJson,
    /// A Jinja expression over `value` (the value so far) and `record`.
    Expr(Template),
}

/// The stored type of a mapped column.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum FieldKind {
    /// The value as it is (JSON).
    #[default]
    Any,
    /// Text; numbers and booleans are written as text.
    String,
    /// A whole number; "42" and 42.0 are accepted, 4.2 is not.
    Integer,
    /// An exact decimal kept as text (never a float): "1234.50".
    Decimal {
        /// The thousands separator to remove first, if the API uses one ("1,234.50").
        thousands: Option<char>,
        /// The decimal separator (default '.'; "1.234,50" has ',').
        point: char,
    },
    /// true/false from booleans, "true"/"false", "yes"/"no", "y"/"n", "1"/"0", 1/0.
    Boolean,
    /// An instant, stored as RFC 3339 UTC text.
    Timestamp {
        /// Accepted input formats, tried in order: strftime patterns
        /// (`%d/%m/%Y %H:%M`), `rfc3339`, `epoch_seconds`, `epoch_millis`.
        /// Empty: `rfc3339`, then epoch seconds/millis for numbers.
        formats: Vec<String>,
    },
    /// A calendar date, stored as `YYYY-MM-DD`.
    Date {
        /// Accepted input formats (strftime, or `rfc3339` for a timestamp's date).
        formats: Vec<String>,
    },
}
