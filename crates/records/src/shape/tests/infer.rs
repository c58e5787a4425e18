use serde_json::{Value, json};

use super::shape_of;
use crate::shape::{DRAFT_2020_12, Shape, infer_schema};

const FIRST: [&str; 5] = ["Ada", "Alan", "Grace", "Edsger", "Barbara"];
const LAST: [&str; 5] = ["Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov"];

/// A contact like `crates/mock`'s, plus an optional `website`, a `score` that is sometimes
/// fractional and a `birthday` that is once not a date.
fn contact(id: u64) -> Value {
    let i = id as usize;
    let (first, last) = (FIRST[i % 5], LAST[(i / 2) % 5]);
    let email = format!(
        "{}.{}{id}@example.com",
        first.to_lowercase(),
        last.to_lowercase()
    );
    let tags: Vec<&str> = ["vip", "newsletter", "beta"]
        .into_iter()
        .take(i % 4)
        .collect();
    let mut c = json!({
        "id": id,
        "email": email,
        "name": {"first": first, "last": last},
        "properties": {
            "email": email.replace("example", "Example"),
            "phone": if id.is_multiple_of(3) { Value::Null } else { json!(format!("+44 20 7946 {id:04}")) },
        },
        "company": if id % 3 == 1 { Value::Null } else { json!("Acme Ltd") },
        "amount": {"value": format!("{}.{:02}", id * 17, id % 100), "currency": "EUR"},
        "status": if id.is_multiple_of(4) { "I" } else { "A" },
        "created": format!("{:02}/03/2021", id % 28 + 1),
        "tags": tags,
        "updated_at": format!("2024-01-01T00:00:{id:02}Z"),
        "version": 1,
        "score": if id == 7 { json!(3.5) } else { json!(id) },
        "birthday": if id == 4 { json!("unknown") } else { json!(format!("1990-05-{id:02}")) },
    });
    if id.is_multiple_of(3) {
        c["website"] = json!(format!("https://example.com/{id}"));
    }
    c
}

fn contacts() -> Vec<Value> {
    (1..=10).map(contact).collect()
}

#[test]
fn the_schema_of_crm_contacts() {
    let schema = infer_schema(&shape_of(&contacts()), "contacts");
    let string = json!({"type": "string"});
    let want = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "contacts",
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "email": {"type": "string", "format": "email"},
            "name": {
                "type": "object",
                "properties": {"first": string, "last": string},
                "required": ["first", "last"],
                "additionalProperties": true,
            },
            "properties": {
                "type": "object",
                "properties": {
                    "email": {"type": "string", "format": "email"},
                    "phone": {"type": ["string", "null"]},
                },
                "required": ["email", "phone"],
                "additionalProperties": true,
            },
            "company": {"type": ["string", "null"]},
            "amount": {
                "type": "object",
                "properties": {"value": string, "currency": string},
                "required": ["currency", "value"],
                "additionalProperties": true,
            },
            "status": string,
            "created": string,
            "tags": {"type": "array", "items": string},
            "updated_at": {"type": "string", "format": "date-time"},
            "version": {"type": "integer"},
            "score": {"type": "number"},
            "birthday": string,
            "website": {"type": "string", "format": "uri"},
        },
        "required": [
            "amount", "birthday", "company", "created", "email", "id", "name", "properties",
            "score", "status", "tags", "updated_at", "version",
        ],
        "additionalProperties": true,
    });
    assert_eq!(schema, want);
}

#[test]
fn the_schema_accepts_its_samples_and_rejects_drift() {
    let records = contacts();
    let schema = infer_schema(&shape_of(&records), "contacts");
    let validator = jsonschema::validator_for(&schema);
    assert!(validator.is_ok(), "{validator:?}");
    let Ok(validator) = validator else { return };
    for r in &records {
        assert!(validator.is_valid(r), "{r}");
    }
    let mut drifted = contact(5);
    drifted["amount"] = json!("85.05");
    assert!(!validator.is_valid(&drifted));
    let mut missing = contact(5);
    missing.as_object_mut().map(|m| m.remove("email"));
    assert!(!validator.is_valid(&missing));
    let mut extra = contact(5);
    extra["new_field"] = json!(1);
    assert!(validator.is_valid(&extra));
}

#[test]
fn nested_arrays_nulls_and_mixed_types() {
    let records = [
        json!({"items": [{"sku": "a", "qty": 1}], "x": null, "m": 1}),
        json!({"items": [{"sku": "b"}], "x": null, "m": "one"}),
    ];
    let schema = infer_schema(&shape_of(&records), "orders");
    let want = json!({
        "$schema": DRAFT_2020_12,
        "title": "orders",
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {
                "type": "object",
                "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}},
                "required": ["sku"],
                "additionalProperties": true,
            }},
            "x": {},
            "m": {"type": ["string", "integer"]},
        },
        "required": ["items", "m", "x"],
        "additionalProperties": true,
    });
    assert_eq!(schema, want);
}

#[test]
fn an_empty_shape_accepts_anything() {
    let want = json!({"$schema": DRAFT_2020_12, "title": "t"});
    assert_eq!(infer_schema(&Shape::default(), "t"), want);
}
