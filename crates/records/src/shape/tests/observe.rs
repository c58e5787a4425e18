use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::shape_of;
use crate::shape::{FieldShape, JsonType, MAX_DEPTH, MAX_ITEMS, Shape, StrFormat};

fn types(ts: &[JsonType]) -> BTreeSet<JsonType> {
    ts.iter().copied().collect()
}

#[test]
fn nested_paths_arrays_and_nulls_are_recorded() {
    let records = [
        json!({"name": {"first": "Ada"}, "tags": ["a", "b"], "note": null,
               "items": [{"sku": "x", "qty": 1}, {"sku": "y", "qty": 1.5}]}),
        json!({"name": {"first": "Alan"}, "tags": [], "items": [{"sku": "z"}]}),
    ];
    let shape = shape_of(&records);
    assert_eq!(shape.records, 2);
    let paths: Vec<&str> = shape.fields.keys().map(String::as_str).collect();
    assert_eq!(
        paths,
        [
            "",
            "items",
            "items[]",
            "items[].qty",
            "items[].sku",
            "name",
            "name.first",
            "note",
            "tags",
            "tags[]"
        ]
    );
    let f = |p: &str| shape.fields.get(p).cloned().unwrap_or_default();
    assert_eq!(
        f("items[].qty"),
        FieldShape {
            types: types(&[JsonType::Integer, JsonType::Number]),
            nullable: false,
            seen: 2,
            objects: 0,
            example: Some(json!(1.5)),
            formats: None,
        }
    );
    assert_eq!((f("items[]").seen, f("items[]").objects), (3, 3));
    assert_eq!(
        (f("items[].sku").seen, f("tags[]").seen, f("tags").seen),
        (3, 2, 2)
    );
    assert_eq!(
        f("note"),
        FieldShape {
            nullable: true,
            seen: 1,
            ..FieldShape::default()
        }
    );
    assert_eq!(f("").objects, 2);
    assert_eq!(f("name.first").example, Some(json!("Ada")));
    assert_eq!(f("name.first").formats, Some(BTreeSet::new()));
    assert_eq!(f("tags").example, Some(json!(["a", "b"])));
}

#[test]
fn integers_and_floats_are_told_apart() {
    let shape = shape_of(&[json!({"n": 1, "f": 1.0, "big": u64::MAX, "neg": -3})]);
    let ty = |p: &str| {
        shape
            .fields
            .get(p)
            .map(|f| f.types.clone())
            .unwrap_or_default()
    };
    assert_eq!(ty("n"), types(&[JsonType::Integer]));
    assert_eq!(ty("big"), types(&[JsonType::Integer]));
    assert_eq!(ty("neg"), types(&[JsonType::Integer]));
    assert_eq!(ty("f"), types(&[JsonType::Number]));
}

#[test]
fn examples_are_short_and_follow_the_newest_type() {
    let long = "x".repeat(200);
    let wide: serde_json::Map<String, Value> =
        (0..10).map(|i| (format!("k{i}"), json!(i))).collect();
    let records = [
        json!({"s": long, "o": wide, "deep": {"a": {"b": {"c": 1}}}, "v": "text"}),
        json!({"v": {"value": "12.50", "currency": "EUR"}}),
    ];
    let shape = shape_of(&records);
    let ex = |p: &str| shape.fields.get(p).and_then(|f| f.example.clone());
    assert_eq!(ex("s"), Some(json!(format!("{}…", "x".repeat(80)))));
    assert_eq!(
        ex("o"),
        Some(
            json!({"k0": 0, "k1": 1, "k2": 2, "k3": 3, "k4": 4, "k5": 5, "k6": 6, "k7": 7,
                    "…": "2 more keys"})
        )
    );
    assert_eq!(ex("deep"), Some(json!({"a": {"b": "{… 1 keys}"}})));
    assert_eq!(ex("v"), Some(json!({"value": "12.50", "currency": "EUR"})));
}

#[test]
fn string_formats_narrow_with_every_sample() {
    let records = [
        json!({"at": "2024-01-01T00:00:00Z", "d": "2024-01-01", "mixed": "2024-01-01"}),
        json!({"at": "2024-01-02T10:00:00+01:00", "d": "2024-12-31", "mixed": "soon"}),
    ];
    let shape = shape_of(&records);
    let fmt = |p: &str| shape.fields.get(p).and_then(|f| f.formats.clone());
    assert_eq!(fmt("at"), Some(BTreeSet::from([StrFormat::DateTime])));
    assert_eq!(fmt("d"), Some(BTreeSet::from([StrFormat::Date])));
    assert_eq!(fmt("mixed"), Some(BTreeSet::new()));
}

#[test]
fn depth_and_array_items_are_capped() {
    let mut deep = json!("leaf");
    for _ in 0..10 {
        deep = json!({ "d": deep });
    }
    let items: Vec<Value> = (0..50).map(|i| json!({ "i": i })).collect();
    let shape = shape_of(&[deep, json!({ "a": items })]);
    let deepest = shape
        .fields
        .keys()
        .filter(|p| p.starts_with('d'))
        .max_by_key(|p| p.len());
    assert_eq!(
        deepest.map(String::as_str),
        Some(["d"; MAX_DEPTH].join(".").as_str())
    );
    let seen = |p: &str| shape.fields.get(p).map_or(0, |f| f.seen);
    assert_eq!(
        (seen("a[]"), seen("a[].i")),
        (MAX_ITEMS as u64, MAX_ITEMS as u64)
    );
}

#[test]
fn merging_equals_observing_everything() {
    let records: Vec<Value> = (0..6)
        .map(|i| match i % 3 {
            0 => json!({"a": i, "b": null, "at": "2024-01-01T00:00:00Z"}),
            1 => json!({"a": "x", "c": [1, 2], "at": "2024-01-01"}),
            _ => json!({"a": 1.5, "b": {"x": true}}),
        })
        .collect();
    let whole = shape_of(&records);
    let mut from_empty = Shape::default();
    from_empty.merge(&whole);
    assert_eq!(from_empty, whole);
    // Examples may come from either side; everything else adds up exactly.
    let without_examples = |mut s: Shape| {
        s.fields.values_mut().for_each(|f| f.example = None);
        s
    };
    let mut merged = shape_of(&records[..2]);
    merged.merge(&shape_of(&records[2..]));
    assert_eq!(
        merged.fields.get("a").and_then(|f| f.example.clone()),
        Some(json!("x"))
    );
    assert_eq!(without_examples(merged), without_examples(whole));
}

#[test]
fn observing_100k_small_records_is_fast() {
    let mut shape = Shape::default();
    let started = std::time::Instant::now();
    for i in 0..100_000u64 {
        let record = json!({"id": i, "name": {"first": "Ada", "last": "Lovelace"},
                            "active": i.is_multiple_of(2), "tags": ["a", "b"], "score": null});
        shape.observe(&record);
    }
    eprintln!("observed 100k records in {:?}", started.elapsed());
    assert_eq!(shape.records, 100_000);
    assert_eq!(shape.fields.len(), 9);
    assert_eq!(shape.fields.get("tags[]").map(|f| f.seen), Some(200_000));
}
