//! A JSON Schema (draft 2020-12) inferred from a [`Shape`], as a starting point users edit.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::path::{Seg, split_path};
use super::{FieldShape, JsonType, Shape};

/// The `$schema` of inferred schemas.
pub const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

/// Infers a JSON Schema draft 2020-12 from `shape`, titled `title`.
///
/// Rules, per path:
/// - `type`: the non-null types seen, `"null"` added when nullable; one type is written as a
///   string, several as an array. `integer` only when every number was an integer, `number`
///   as soon as one was not. A path only ever seen as `null` gets no `type` (one `null` says
///   nothing about the type that will come).
/// - `format` (strings): `date-time`, `date`, `email` or `uri`, only when *every* string
///   sample matched it (see [`StrFormat`](super::StrFormat)).
/// - objects: `properties` for every member seen, `required` (sorted) for the members present
///   — `null` counts — in every object seen at that path, and `additionalProperties: true`:
///   new fields are left to drift detection, not rejected.
/// - arrays: `items` from what was seen in the inspected items, when any.
///
/// Paths below [`MAX_DEPTH`](super::MAX_DEPTH) were not observed and are left open. An empty
/// shape gives a schema accepting anything.
pub fn infer_schema(shape: &Shape, title: &str) -> Value {
    let mut children: BTreeMap<&str, Vec<(Seg, &str, &FieldShape)>> = BTreeMap::new();
    for (path, field) in &shape.fields {
        if let Some((parent, seg)) = split_path(path) {
            children.entry(parent).or_default().push((seg, path, field));
        }
    }
    let mut schema = Map::new();
    schema.insert("$schema".into(), json!(DRAFT_2020_12));
    schema.insert("title".into(), json!(title));
    if let Some(root) = shape.fields.get("") {
        schema.extend(field_schema(&children, "", root));
    }
    Value::Object(schema)
}

type Children<'a> = BTreeMap<&'a str, Vec<(Seg, &'a str, &'a FieldShape)>>;

fn field_schema(children: &Children<'_>, path: &str, field: &FieldShape) -> Map<String, Value> {
    let mut out = Map::new();
    let has = |t| field.types.contains(&t);
    let mut types: Vec<&str> = field
        .types
        .iter()
        .filter(|&&t| !(t == JsonType::Integer && has(JsonType::Number)))
        .map(|t| t.as_str())
        .collect();
    if !types.is_empty() {
        if field.nullable {
            types.push("null");
        }
        let ty = match types.as_slice() {
            [one] => json!(one),
            many => json!(many),
        };
        out.insert("type".into(), ty);
    }
    if has(JsonType::String)
        && let Some(format) = field.formats.as_ref().and_then(|f| f.first())
    {
        out.insert("format".into(), json!(format.as_str()));
    }
    let mine = children.get(path).map(Vec::as_slice).unwrap_or_default();
    if has(JsonType::Object) {
        let mut properties = Map::new();
        let mut required = Vec::new();
        for (seg, child_path, child) in mine {
            if let Seg::Key(key) = seg {
                let schema = field_schema(children, child_path, child);
                properties.insert(key.clone(), Value::Object(schema));
                if child.seen == field.objects {
                    required.push(key.clone());
                }
            }
        }
        if !properties.is_empty() {
            out.insert("properties".into(), Value::Object(properties));
        }
        if !required.is_empty() {
            required.sort();
            out.insert("required".into(), json!(required));
        }
        out.insert("additionalProperties".into(), json!(true));
    }
    if has(JsonType::Array) {
        let items = mine.iter().find(|(seg, ..)| *seg == Seg::Item);
        if let Some((_, item_path, item)) = items {
            let schema = field_schema(children, item_path, item);
            out.insert("items".into(), Value::Object(schema));
        }
    }
    out
}
