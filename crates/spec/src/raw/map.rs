//! What a stream keeps of each record: its JSON Schema and its `map:` of
//! stored columns.

use std::fmt;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

/// `schema:` a JSON Schema (draft 2020-12 unless its `$schema` says
/// otherwise): a file path or the schema itself, written in YAML.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawSchema {
    /// `schema: schemas/contact.json`: a JSON file, relative to the
    /// connector file's folder. Read once, when the file is loaded; never
    /// fetched from the network.
    File(String),
    /// `schema: { type: object, required: [id] }`: the schema inline.
    Inline(yaml_serde::Value),
}

/// One `map:` entry: a JSONPath (`id: "$.id"`, the same as
/// `{ from: "$.id" }`) or the full settings.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawColumn {
    /// `column: "$.path"`.
    Path(String),
    /// `column: { from: …, type: …, … }`.
    Field(Box<RawField>),
}

/// A mapped column, e.g. `{ from: "$.amount.value", type: decimal, thousands: "," }`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a column (a mapping with `from:` or `expr:`)"
)]
pub(crate) struct RawField {
    /// An RFC 9535 JSONPath into the raw record, e.g. `"$.properties.email"`;
    /// the first match is taken. Exactly one of `from` and `expr`.
    pub(crate) from: Option<String>,
    /// A computed column: a Jinja expression over `record` (the raw record),
    /// without braces, e.g. `"record.name.first ~ ' ' ~ record.name.last"`.
    pub(crate) expr: Option<String>,
    /// The stored type: `any` (default: the value as it is), `string`,
    /// `integer`, `decimal` (exact, kept as text), `boolean`, `timestamp`
    /// (stored as RFC 3339 UTC) or `date` (stored as `YYYY-MM-DD`).
    #[serde(rename = "type")]
    pub(crate) kind: Option<String>,
    /// Applied to the value before it is coerced, in order: `lower`,
    /// `upper`, `trim`, or an expression over `value` (the value so far)
    /// and `record`, e.g. `"value * 100"`; one, or a list.
    pub(crate) transform: Option<Strings>,
    /// `json`: the value is JSON held in a string (common in exports); it
    /// is parsed before `transform`, so `"value.email"` reads inside it.
    /// Text that is not JSON makes the record invalid (quarantine).
    pub(crate) parse: Option<String>,
    /// `type: decimal` only: the thousands separator to remove first, one
    /// character, e.g. `","` for `1,234.50`. Default: none.
    pub(crate) thousands: Option<String>,
    /// `type: decimal` only: the decimal separator, one character. Default `"."`.
    pub(crate) point: Option<String>,
    /// `type: timestamp` or `date` only: the input formats, tried in order:
    /// strftime patterns (`"%d/%m/%Y %H:%M"`), `rfc3339`, and for
    /// timestamps `epoch_seconds` and `epoch_millis`. Default: `rfc3339`,
    /// and epoch seconds or milliseconds for numbers.
    pub(crate) formats: Option<Strings>,
    /// Raw value → stored value, for codes: `{ A: active, I: inactive }`.
    /// Keys are strings (quote `"1"`); a value not listed gets `default`,
    /// or makes the record invalid.
    pub(crate) map: Option<yaml_serde::Mapping>,
    /// The value stored when the source is missing or null (or not in `map`).
    pub(crate) default: Option<yaml_serde::Value>,
    /// `true`: a missing or null value (with no `default`) makes the record
    /// invalid. Default `false`.
    pub(crate) required: Option<bool>,
}

/// One string or a list of strings (`transform: lower` or `[trim, lower]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Strings {
    /// The strings, in order.
    pub(crate) items: Vec<String>,
    /// Written as a list (so each item has a `[i]` key path).
    pub(crate) listed: bool,
}

impl<'de> Deserialize<'de> for RawSchema {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SchemaVisitor)
    }
}

struct SchemaVisitor;

impl<'de> Visitor<'de> for SchemaVisitor {
    type Value = RawSchema;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON Schema file path (`schemas/contact.json`) or a schema mapping")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawSchema, E> {
        Ok(RawSchema::File(v.to_owned()))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawSchema, A::Error> {
        let mapping = yaml_serde::Mapping::deserialize(MapAccessDeserializer::new(map))?;
        Ok(RawSchema::Inline(yaml_serde::Value::Mapping(mapping)))
    }
}

impl<'de> Deserialize<'de> for RawColumn {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ColumnVisitor)
    }
}

struct ColumnVisitor;

impl<'de> Visitor<'de> for ColumnVisitor {
    type Value = RawColumn;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSONPath (`\"$.id\"`) or a mapping with `from:` or `expr:`")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawColumn, E> {
        Ok(RawColumn::Path(v.to_owned()))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawColumn, A::Error> {
        let field = RawField::deserialize(MapAccessDeserializer::new(map))?;
        Ok(RawColumn::Field(Box::new(field)))
    }
}

impl<'de> Deserialize<'de> for Strings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StringsVisitor)
    }
}

struct StringsVisitor;

impl<'de> Visitor<'de> for StringsVisitor {
    type Value = Strings;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a list of strings")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Strings, E> {
        Ok(Strings {
            items: vec![v.to_owned()],
            listed: false,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strings, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = seq.next_element::<String>()? {
            out.push(item);
        }
        Ok(Strings {
            items: out,
            listed: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_shorthand_and_settings() {
        let column: RawColumn = yaml_serde::from_str("\"$.id\"").expect("path");
        assert_eq!(column, RawColumn::Path("$.id".into()));
        let column: RawColumn =
            yaml_serde::from_str("{ from: $.a, transform: [trim, lower], formats: rfc3339 }")
                .expect("field");
        let RawColumn::Field(field) = column else {
            panic!("expected a field")
        };
        assert_eq!(field.from.as_deref(), Some("$.a"));
        let transform = field.transform.expect("transform");
        assert_eq!(
            (transform.items, transform.listed),
            (vec!["trim".into(), "lower".into()], true)
        );
        let formats = field.formats.expect("formats");
        assert_eq!(
            (formats.items, formats.listed),
            (vec!["rfc3339".into()], false)
        );
        let err = yaml_serde::from_str::<RawColumn>("[a]").expect_err("a list");
        assert!(err.to_string().contains("expected a JSONPath"), "{err}");
    }

    #[test]
    fn reads_a_path_or_an_inline_schema() {
        let s: RawSchema = yaml_serde::from_str("schemas/c.json").expect("path");
        assert_eq!(s, RawSchema::File("schemas/c.json".into()));
        let s: RawSchema = yaml_serde::from_str("{ type: object }").expect("inline");
        assert!(matches!(
            s,
            RawSchema::Inline(yaml_serde::Value::Mapping(_))
        ));
        assert!(yaml_serde::from_str::<RawSchema>("[1]").is_err());
    }
}
