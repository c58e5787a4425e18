//! `tests:` — what `holdfast test` expects of a stream's replayed cassette.

use std::collections::BTreeMap;

use serde_json::Value;

/// The expectations of one stream's cassette replay.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamTest {
    /// The stream.
    pub stream: String,
    /// The cassette as written (relative to the connector file), if named.
    pub cassette: Option<String>,
    /// How many records must land: at least, at most (inclusive).
    pub records: Option<(Option<u64>, Option<u64>)>,
    /// How many records the replay quarantines (default 0).
    pub quarantined: u64,
    /// Records that must be in the table after the replay.
    pub expect: Vec<ExpectedRecord>,
}

/// One record a test expects.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedRecord {
    /// Its primary key's values, in key order.
    pub key: Vec<Value>,
    /// Name (a column, a top-level raw field, or a JSON pointer) → value.
    pub fields: BTreeMap<String, Value>,
}
