//! `format:` how a stream's bodies are written.

use std::fmt;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, MapAccess, Visitor};

/// How a stream's response bodies (and bulk files) are written: a name
/// (`format: csv`) or settings (`format: { type: csv, delimiter: ";" }`).
/// Default `json`. Gzip, deflate and zip compression are recognised by
/// their first bytes and need no setting.
#[derive(Debug)]
pub(crate) enum RawFormat {
    /// `json`, `jsonl`, `csv` or `xml` with default settings.
    Name(String),
    /// A mapping with `type:` and that format's settings.
    Settings(RawFormatSettings),
}

/// A format and its settings, e.g. `{ type: csv, delimiter: ";" }` or
/// `{ type: xml, records: Envelope/Body/GetCustomersResponse/Customer,
/// arrays: [Customer, Phone] }`.
///
/// - `json`: one JSON document per body; `records:` selects in it.
/// - `jsonl`: JSON Lines, one object per line (blank lines skipped); a line
///   that is not an object, or a last line cut off, is an error.
/// - `csv`: the header row names the fields; every value is a string
///   (`map:` types them); a row with more or fewer fields than the header
///   is an error, never padded. A UTF-8 byte order mark is skipped.
/// - `xml`: elements become objects, attributes `"@name"` keys, the text
///   of an element with attributes or children `"#text"`, a plain
///   element's text a string (`""` when empty, `null` with
///   `xsi:nil="true"`), repeated elements arrays; namespace prefixes are
///   dropped (`soap:Envelope` is `Envelope`). A SOAP Fault is an error.
///
/// With `jsonl`, `csv`, and `xml` with `records:`, the stream's own
/// `records:` may be left out.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "format settings (a mapping with `type:`, e.g. `{ type: csv, delimiter: \";\" }`)"
)]
pub(crate) struct RawFormatSettings {
    /// Required. `json`, `jsonl`, `csv` or `xml`.
    #[serde(rename = "type")]
    pub(crate) kind: Option<String>,
    /// csv: the character between fields, e.g. `";"`, `"|"` or `tab`.
    /// Default `","`.
    pub(crate) delimiter: Option<String>,
    /// csv: the character around a field that holds delimiters, quotes or
    /// line breaks. Default `'"'`.
    pub(crate) quote: Option<String>,
    /// csv: the character that escapes a quote inside a quoted field, e.g.
    /// `"\\"`. Default: none (a quote inside a quoted field is doubled, `""`).
    pub(crate) escape: Option<String>,
    /// csv: `false` when the file has no header row; then `columns:` names
    /// the fields. Default `true`.
    pub(crate) header: Option<bool>,
    /// csv with `header: false`: the field names in column order, e.g.
    /// `[id, email, updated_at]`; every row must have this many fields.
    pub(crate) columns: Option<Vec<String>>,
    /// xml: the element path of one record from the root, by local names,
    /// e.g. `Envelope/Body/GetCustomersResponse/Customer`. Each such
    /// element is one record (large files are read element by element);
    /// the stream's `records:` then defaults to it. Without it the whole
    /// document is one JSON value (`{ "Envelope": { … } }`) that
    /// `records:` selects in.
    pub(crate) records: Option<String>,
    /// xml: element names that are always arrays, even when one occurs
    /// once, e.g. `[Customer, Phone]`; other repeated elements become arrays
    /// only where they repeat.
    pub(crate) arrays: Option<Vec<String>>,
}

impl<'de> Deserialize<'de> for RawFormat {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FormatVisitor)
    }
}

struct FormatVisitor;

impl<'de> Visitor<'de> for FormatVisitor {
    type Value = RawFormat;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a format name (`json`, `jsonl`, `csv`, `xml`) or settings, e.g. \
             `{ type: csv, delimiter: \";\" }`",
        )
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawFormat, E> {
        Ok(RawFormat::Name(v.to_owned()))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawFormat, A::Error> {
        RawFormatSettings::deserialize(MapAccessDeserializer::new(map)).map(RawFormat::Settings)
    }
}
