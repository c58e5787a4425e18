//! An OpenAPI schema as a self-contained JSON Schema 2020-12 document.
//!
//! `$ref`s are copied in (a stream's schema is written inline in the
//! connector file), at most [`MAX_REF_DEPTH`] deep; a schema that refers
//! back to itself, or one nested deeper, is cut to its `type` with a
//! `$comment` saying so. OpenAPI 3.0's dialect is translated: `nullable:
//! true` adds `"null"` to `type` (and `enum`), a boolean `exclusiveMinimum`
//! becomes the 2020-12 number form; OpenAPI-only keywords (`discriminator`,
//! `xml`, `externalDocs`, `example`, `x-…` extensions) are dropped, and so
//! are `description`s, which would make the file long and are in the
//! document. Only keywords in schema positions are read as schemas, so a
//! property named `example` stays.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::OpenApiError;
use super::document::{Doc, Version, child, ref_of};

/// How many `$ref`s deep a schema is copied in before being cut.
pub(crate) const MAX_REF_DEPTH: usize = 2;

/// The JSON Schema dialect written.
pub(crate) const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// A converted schema and what was cut from it.
#[derive(Debug)]
pub(crate) struct Converted {
    /// The JSON Schema 2020-12 document (`$schema` set).
    pub(crate) schema: Value,
    /// The references that were cut: recursive ones (`true`) or too deep.
    pub(crate) cuts: BTreeSet<(String, bool)>,
}

/// `node` (at `at`) as a JSON Schema 2020-12 document.
pub(crate) fn json_schema(doc: &Doc, node: &Value, at: &str) -> Result<Converted, OpenApiError> {
    let mut c = Converter {
        doc,
        stack: Vec::new(),
        cuts: BTreeSet::new(),
    };
    let body = c.convert(node, at)?;
    let schema = match body {
        Value::Object(mut map) => {
            let mut out = Map::new();
            out.insert("$schema".into(), DIALECT.into());
            out.append(&mut map);
            Value::Object(out)
        }
        // `true`/`false` schemas (3.1)
        other => json!({ "$schema": DIALECT, "allOf": [other] }),
    };
    Ok(Converted {
        schema,
        cuts: c.cuts,
    })
}

/// Keywords whose value is one schema.
const ONE: &[&str] = &[
    "additionalProperties",
    "items",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "additionalItems",
    "contentSchema",
];
/// Keywords whose value is a list of schemas.
const LIST: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];
/// Keywords whose value maps names to schemas.
const NAMED: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];
/// OpenAPI-only (or position-dependent) keywords left out.
const DROPPED: &[&str] = &[
    "discriminator",
    "xml",
    "externalDocs",
    "example",
    "nullable",
    "description",
    "$schema",
    "$id",
    "$anchor",
    "$dynamicAnchor",
    "$comment",
];

struct Converter<'d> {
    doc: &'d Doc,
    /// The pointers of the references being copied in, outermost first.
    stack: Vec<String>,
    cuts: BTreeSet<(String, bool)>,
}

impl Converter<'_> {
    fn convert(&mut self, node: &Value, at: &str) -> Result<Value, OpenApiError> {
        let map = match node {
            Value::Object(map) => map,
            Value::Bool(_) => return Ok(node.clone()),
            _ => {
                return Err(super::document::invalid(
                    at,
                    "a schema must be a mapping (or `true`/`false` in OpenAPI 3.1)",
                ));
            }
        };
        if ref_of(node).is_some() {
            return self.reference(node, map, at);
        }
        let mut out = Map::new();
        for (key, value) in map {
            if DROPPED.contains(&key.as_str()) || key.starts_with("x-") {
                continue;
            }
            let here = child(at, key);
            let converted = if ONE.contains(&key.as_str()) && !value.is_array() {
                self.convert(value, &here)?
            } else if LIST.contains(&key.as_str()) || (key == "items" && value.is_array()) {
                let items = value.as_array().map(Vec::as_slice).unwrap_or_default();
                let mut list = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    list.push(self.convert(item, &child(&here, &i.to_string()))?);
                }
                Value::Array(list)
            } else if NAMED.contains(&key.as_str()) {
                let mut named = Map::new();
                for (name, schema) in value.as_object().into_iter().flatten() {
                    named.insert(name.clone(), self.convert(schema, &child(&here, name))?);
                }
                Value::Object(named)
            } else {
                value.clone()
            };
            out.insert(key.clone(), converted);
        }
        if key_is(map, "items", Value::is_array) {
            // draft 4 tuple form (never valid OpenAPI, but seen): 2020-12 names it prefixItems
            if let Some(items) = out.remove("items") {
                out.insert("prefixItems".into(), items);
            }
        }
        exclusive_bounds(&mut out);
        let nullable = map.get("nullable") == Some(&Value::Bool(true));
        Ok(if nullable {
            with_null(out)
        } else {
            Value::Object(out)
        })
    }

    /// A `$ref` copied in, or cut when it recurs or is too deep.
    fn reference(
        &mut self,
        node: &Value,
        map: &Map<String, Value>,
        at: &str,
    ) -> Result<Value, OpenApiError> {
        // follow a chain of bare references (`A: {$ref: B}`) first; a cycle
        // of them holds no schema at all and is an error
        let (target, pointer) = self.doc.deref(node, at)?;
        let recursive = self.stack.contains(&pointer);
        let resolved = if recursive || self.stack.len() >= MAX_REF_DEPTH {
            self.cuts.insert((pointer.clone(), recursive));
            cut(target, &pointer, recursive)
        } else {
            self.stack.push(pointer.clone());
            let converted = self.convert(target, &pointer);
            self.stack.pop();
            converted?
        };
        // 3.0 ignores a `$ref`'s siblings; 3.1 applies them too
        let siblings: Map<String, Value> = map
            .iter()
            .filter(|(k, _)| *k != "$ref")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if self.doc.version == Version::V30 {
            // siblings are ignored, but `nullable` beside a `$ref` is common
            // enough, and meant, to be honoured
            return Ok(match resolved {
                Value::Object(m) if map.get("nullable") == Some(&Value::Bool(true)) => with_null(m),
                other => other,
            });
        }
        let extra = self.convert(&Value::Object(siblings), at)?;
        Ok(match extra {
            Value::Object(m) if m.is_empty() => resolved,
            extra => json!({ "allOf": [resolved, extra] }),
        })
    }
}

/// What stands for a schema that is not copied in: its `type` (nullable
/// kept), so an object stays an object, and a comment saying why.
fn cut(target: &Value, pointer: &str, recursive: bool) -> Value {
    let why = if recursive {
        format!("{pointer} refers back to itself here: cut, not checked below this point")
    } else {
        format!(
            "{pointer} is nested {MAX_REF_DEPTH} references deep: cut, not checked below this point"
        )
    };
    let mut out = Map::new();
    out.insert("$comment".into(), why.into());
    if let Some(t) = target.get("type") {
        out.insert("type".into(), t.clone());
    }
    if target.get("nullable") == Some(&Value::Bool(true)) {
        with_null(out)
    } else {
        Value::Object(out)
    }
}

fn key_is(map: &Map<String, Value>, key: &str, test: fn(&Value) -> bool) -> bool {
    map.get(key).is_some_and(test)
}

/// OpenAPI 3.0's `exclusiveMinimum: true` + `minimum: n` is 2020-12's
/// `exclusiveMinimum: n` (likewise for the maximum).
fn exclusive_bounds(out: &mut Map<String, Value>) {
    for (exclusive, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        match out.get(exclusive) {
            Some(Value::Bool(true)) => {
                out.remove(exclusive);
                if let Some(n) = out.remove(bound) {
                    out.insert(exclusive.into(), n);
                }
            }
            Some(Value::Bool(false)) => {
                out.remove(exclusive);
            }
            _ => {}
        }
    }
}

/// The schema `out` that also accepts `null`: `"null"` added to its `type`
/// (and `enum`); one without a type but with a composition or reference
/// becomes `anyOf: [it, {type: null}]`; one with neither accepts null
/// already.
fn with_null(mut out: Map<String, Value>) -> Value {
    let null = Value::String("null".into());
    match out.get_mut("type") {
        Some(Value::String(t)) => {
            let t = Value::String(std::mem::take(t));
            if t != null {
                out.insert("type".into(), Value::Array(vec![t, null]));
            }
        }
        Some(Value::Array(types)) => {
            if !types.contains(&null) {
                types.push(null);
            }
        }
        _ => {
            let composed = ["allOf", "anyOf", "oneOf", "not", "$ref", "const"]
                .iter()
                .any(|k| out.contains_key(*k));
            if composed {
                return json!({ "anyOf": [Value::Object(out), { "type": "null" }] });
            }
        }
    }
    if let Some(Value::Array(values)) = out.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests;
