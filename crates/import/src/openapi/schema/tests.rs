//! OpenAPI schemas to JSON Schema 2020-12.

use serde_json::{Value, json};

use super::*;

fn doc(version: &str, schemas: Value) -> Doc {
    let text = json!({
        "openapi": version,
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {"schemas": schemas}
    })
    .to_string();
    Doc::parse(&text).expect("a document")
}

fn convert(doc: &Doc, name: &str) -> Converted {
    let node = json!({ "$ref": format!("#/components/schemas/{name}") });
    let converted = json_schema(doc, &node, "#/x").unwrap_or_else(|e| panic!("{e}"));
    assert!(
        jsonschema::meta::is_valid(&converted.schema),
        "not a valid 2020-12 schema: {}",
        converted.schema
    );
    assert!(jsonschema::validator_for(&converted.schema).is_ok());
    converted
}

#[test]
fn nullable_becomes_a_null_type_also_in_enums_and_references() {
    let d = doc(
        "3.0.3",
        json!({
            "S": {"type": "object", "properties": {
                "a": {"type": "string", "nullable": true},
                "b": {"type": "string", "enum": ["x", "y"], "nullable": true},
                "c": {"allOf": [{"$ref": "#/components/schemas/U"}], "nullable": true},
                "d": {"$ref": "#/components/schemas/U", "nullable": true},
                "e": {"type": "integer", "nullable": false}
            }},
            "U": {"type": "object", "properties": {"id": {"type": "integer"}}}
        }),
    );
    let s = convert(&d, "S").schema;
    let p = &s["properties"];
    assert_eq!(p["a"], json!({"type": ["string", "null"]}));
    assert_eq!(
        p["b"],
        json!({"type": ["string", "null"], "enum": ["x", "y", null]})
    );
    assert_eq!(p["c"]["anyOf"][1], json!({"type": "null"}));
    assert_eq!(
        p["c"]["anyOf"][0]["allOf"][0]["properties"]["id"]["type"],
        "integer"
    );
    assert_eq!(p["d"]["type"], json!(["object", "null"]));
    assert_eq!(p["e"], json!({"type": "integer"}));
    let validator = jsonschema::validator_for(&s).expect("compiles");
    assert!(validator.is_valid(&json!({"a": null, "b": null, "c": null, "d": null})));
    assert!(!validator.is_valid(&json!({"e": null})));
}

#[test]
fn openapi_keywords_are_dropped_but_properties_of_those_names_stay() {
    let d = doc(
        "3.0.3",
        json!({"S": {
            "type": "object",
            "description": "long text",
            "discriminator": {"propertyName": "kind"},
            "xml": {"name": "s"},
            "externalDocs": {"url": "https://x"},
            "example": {"kind": "a"},
            "x-internal": true,
            "readOnly": true,
            "additionalProperties": false,
            "properties": {
                "example": {"type": "string", "example": "e"},
                "xml": {"type": "string"},
                "n": {"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 9, "exclusiveMaximum": false}
            }
        }}),
    );
    let s = convert(&d, "S").schema;
    assert_eq!(
        s,
        json!({
            "$schema": DIALECT,
            "type": "object",
            "readOnly": true,
            "additionalProperties": false,
            "properties": {
                "example": {"type": "string"},
                "xml": {"type": "string"},
                "n": {"type": "number", "exclusiveMinimum": 0, "maximum": 9}
            }
        })
    );
}

#[test]
fn recursive_schemas_are_cut_where_they_recur() {
    let d = doc(
        "3.0.3",
        json!({"Node": {"type": "object", "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
            "parent": {"$ref": "#/components/schemas/Node", "nullable": true}
        }}}),
    );
    let c = convert(&d, "Node");
    let items = &c.schema["properties"]["children"]["items"];
    assert_eq!(items["type"], "object");
    assert!(
        items["$comment"]
            .as_str()
            .unwrap_or_default()
            .contains("refers back to itself")
    );
    assert_eq!(
        c.schema["properties"]["parent"]["type"],
        json!(["object", "null"])
    );
    assert_eq!(
        c.cuts.into_iter().collect::<Vec<_>>(),
        [("#/components/schemas/Node".to_owned(), true)]
    );
}

#[test]
fn deep_reference_chains_are_cut_to_their_type() {
    let d = doc(
        "3.0.3",
        json!({
            "A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}}},
            "B": {"type": "object", "properties": {"c": {"$ref": "#/components/schemas/C"}}},
            "C": {"type": "object", "properties": {"d": {"$ref": "#/components/schemas/D"}}},
            "D": {"type": "object", "properties": {"e": {"type": "string"}}}
        }),
    );
    let c = convert(&d, "A");
    let cut = &c.schema["properties"]["b"]["properties"]["c"];
    assert_eq!(cut["type"], "object");
    assert!(
        cut["$comment"]
            .as_str()
            .unwrap_or_default()
            .contains("nested 2 references deep")
    );
    assert!(cut.get("properties").is_none());
    assert_eq!(
        c.cuts.into_iter().collect::<Vec<_>>(),
        [("#/components/schemas/C".to_owned(), false)]
    );
}

#[test]
fn openapi_31_keeps_ref_siblings_and_its_own_null_types() {
    let d = doc(
        "3.1.0",
        json!({
            "S": {"type": "object", "properties": {
                "u": {"$ref": "#/components/schemas/U", "description": "who", "required": ["id"]},
                "t": {"type": ["string", "null"], "examples": ["a"]},
                "any": true
            }},
            "U": {"type": "object", "properties": {"id": {"type": "integer"}}}
        }),
    );
    let s = convert(&d, "S").schema;
    assert_eq!(
        s["properties"]["u"]["allOf"][1],
        json!({"required": ["id"]})
    );
    assert_eq!(
        s["properties"]["t"],
        json!({"type": ["string", "null"], "examples": ["a"]})
    );
    assert_eq!(s["properties"]["any"], json!(true));
}

#[test]
fn a_schema_that_is_not_a_mapping_is_located() {
    let d = doc(
        "3.0.3",
        json!({"S": {"type": "object", "properties": {"a": "string"}}}),
    );
    let node = json!({"$ref": "#/components/schemas/S"});
    let e = json_schema(&d, &node, "#/x").expect_err("refused");
    assert_eq!(
        e.to_string(),
        "#/components/schemas/S/properties/a: a schema must be a mapping (or `true`/`false` in OpenAPI 3.1)"
    );
}
