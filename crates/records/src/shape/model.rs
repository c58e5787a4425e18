//! The shape types: what was seen at each field path of a run of records.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::StrFormat;

/// The observed structure of records: field path → what was seen there.
///
/// Paths read `name.first`; array items are `tags[]` and their members `items[].sku`; the root
/// record itself is `""`. Keys containing `.`, `[`, `]`, `\` or `"` are escaped with `\`, and an
/// empty key is written `""`. Build one with [`Shape::observe`], combine with [`Shape::merge`],
/// compare with [`Shape::drift_from`], turn into a JSON Schema with
/// [`infer_schema`](super::infer_schema).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Shape {
    /// How many records were observed.
    pub records: u64,
    /// What was seen at each path, sorted by path (a parent sorts before its children).
    pub fields: BTreeMap<String, FieldShape>,
}

/// What was seen at one field path.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FieldShape {
    /// The non-null types seen. `integer` and `number` are kept apart (so a schema can say
    /// `integer`), but drift treats them as one type.
    pub types: BTreeSet<JsonType>,
    /// Whether `null` was seen.
    pub nullable: bool,
    /// How many times the path was present, `null` included: once per record for a top-level
    /// field, once per parent object for a member, once per inspected item for `[]`.
    pub seen: u64,
    /// How many of those times the value was an object: what a member's `seen` is compared
    /// with to tell whether it is always present (required).
    #[serde(default)]
    pub objects: u64,
    /// A short example of the newest type seen: strings cut at 80 characters, objects and
    /// arrays cut to a few entries and two levels. `None` while only `null` was seen.
    pub example: Option<serde_json::Value>,
    /// The formats every string sample matched; `None` until a string is seen, then narrowed
    /// by each sample (an empty set: no format fits them all).
    #[serde(default)]
    pub formats: Option<BTreeSet<StrFormat>>,
}

impl FieldShape {
    /// The non-null types joined with ` | ` (`string | object`), or `null` if only `null`
    /// was seen.
    pub fn describe_types(&self) -> String {
        if self.types.is_empty() {
            return "null".to_owned();
        }
        let names: Vec<&str> = self.types.iter().map(|t| t.as_str()).collect();
        names.join(" | ")
    }

    /// [`describe_types`](Self::describe_types) plus ` | null` when nullable.
    pub fn describe(&self) -> String {
        let types = self.describe_types();
        if self.nullable && !self.types.is_empty() {
            format!("{types} | null")
        } else {
            types
        }
    }
}

/// A JSON value's type, `null` aside (that is [`FieldShape::nullable`]).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum JsonType {
    /// A string.
    String,
    /// A number without fraction or exponent in the source (it fits an `i64` or `u64`).
    Integer,
    /// Any other number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// An object.
    Object,
    /// An array.
    Array,
}

impl JsonType {
    /// The type of `value`, or `None` for `null`.
    pub fn of(value: &serde_json::Value) -> Option<JsonType> {
        use serde_json::Value;
        Some(match value {
            Value::Null => return None,
            Value::Bool(_) => Self::Boolean,
            Value::Number(n) if n.is_i64() || n.is_u64() => Self::Integer,
            Value::Number(_) => Self::Number,
            Value::String(_) => Self::String,
            Value::Array(_) => Self::Array,
            Value::Object(_) => Self::Object,
        })
    }

    /// The JSON Schema name: `string`, `integer`, `number`, `boolean`, `object`, `array`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Integer => "integer",
            Self::Number => "number",
            Self::Boolean => "boolean",
            Self::Object => "object",
            Self::Array => "array",
        }
    }

    /// The type drift compares: `integer` counts as `number`.
    pub(crate) fn widened(self) -> JsonType {
        if self == Self::Integer {
            Self::Number
        } else {
            self
        }
    }
}

impl fmt::Display for JsonType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
