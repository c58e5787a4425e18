use serde_json::{Value, json};

use super::shape_of;
use crate::shape::{Drift, DriftKind, Shape, page_capped};

/// `n` records built by `f` from their index.
fn page(n: u64, f: impl Fn(u64) -> Value) -> Shape {
    let records: Vec<Value> = (0..n).map(f).collect();
    shape_of(&records)
}

fn d(kind: DriftKind, path: &str, before: &str, after: &str, example: Option<Value>) -> Drift {
    Drift {
        kind,
        path: path.into(),
        before: before.into(),
        after: after.into(),
        example,
    }
}

#[test]
fn a_string_turning_into_value_and_currency_is_a_type_change() {
    let known = page(10, |i| json!({"id": i, "amount": "12.50"}));
    let new = page(
        10,
        |i| json!({"id": i, "amount": {"value": "12.50", "currency": "EUR"}}),
    );
    let money = json!({"value": "12.50", "currency": "EUR"});
    let drifts = new.drift_from(&known);
    assert_eq!(
        drifts,
        [
            d(
                DriftKind::TypeChanged,
                "amount",
                "string",
                "object",
                Some(money)
            ),
            d(
                DriftKind::FieldAdded,
                "amount.currency",
                "absent",
                "string",
                Some(json!("EUR"))
            ),
            d(
                DriftKind::FieldAdded,
                "amount.value",
                "absent",
                "string",
                Some(json!("12.50"))
            ),
        ]
    );
    assert_eq!(
        drifts[0].to_string(),
        "field `amount` changed type: string → object"
    );
    assert_eq!(
        drifts[1].to_string(),
        "field `amount.currency` added: string"
    );
}

#[test]
fn one_record_becoming_an_array_is_a_type_change() {
    let known = page(10, |i| json!({"owner": {"id": i}}));
    let new = page(10, |i| json!({"owner": [{"id": i}]}));
    assert_eq!(
        new.drift_from(&known),
        [
            d(
                DriftKind::TypeChanged,
                "owner",
                "object",
                "array",
                Some(json!([{"id": 0}]))
            ),
            d(
                DriftKind::FieldAdded,
                "owner[]",
                "absent",
                "object",
                Some(json!({"id": 0}))
            ),
        ]
    );
}

#[test]
fn a_renamed_field_is_removed_and_added() {
    let known = page(10, |i| json!({"id": i, "name": "Ada"}));
    let new = page(5, |i| json!({"id": i, "full_name": "Ada"}));
    let drifts = new.drift_from(&known);
    assert_eq!(
        drifts,
        [
            d(
                DriftKind::FieldAdded,
                "full_name",
                "absent",
                "string",
                Some(json!("Ada"))
            ),
            d(
                DriftKind::FieldRemoved,
                "name",
                "string",
                "absent",
                Some(json!("Ada"))
            ),
        ]
    );
    assert_eq!(drifts[1].to_string(), "field `name` removed (was string)");
}

#[test]
fn a_new_optional_field_is_added_once_with_its_children_implied() {
    let known = page(10, |i| json!({"id": i}));
    let new = page(10, |i| {
        if i == 3 {
            json!({"id": i, "nick": {"short": "A"}})
        } else {
            json!({"id": i})
        }
    });
    assert_eq!(
        new.drift_from(&known),
        [d(
            DriftKind::FieldAdded,
            "nick",
            "absent",
            "object",
            Some(json!({"short": "A"}))
        )]
    );
    let mut merged = known.clone();
    merged.merge(&new);
    assert_eq!(new.drift_from(&merged), []);
}

#[test]
fn a_null_where_there_was_none_is_reported() {
    let known = page(10, |_| json!({"phone": "+44 20 7946 0001"}));
    let new = page(
        10,
        |i| json!({"phone": if i.is_multiple_of(2) { Value::Null } else { json!("+44") }}),
    );
    let drifts = new.drift_from(&known);
    assert_eq!(
        drifts,
        [d(
            DriftKind::BecameNullable,
            "phone",
            "string",
            "string | null",
            Some(json!("+44"))
        )]
    );
    assert_eq!(
        drifts[0].to_string(),
        "field `phone` became nullable: string → string | null"
    );
    // The other way round (nulls stop) is not reported.
    assert_eq!(known.drift_from(&new), []);
}

#[test]
fn nothing_drifts_without_a_change() {
    let known = page(
        10,
        |i| json!({"id": i, "amount": 12, "tags": ["a"], "note": null}),
    );
    assert_eq!(known.drift_from(&known), []);
    // integer → number is compatible, and an always-null field's first type is not drift.
    let new = page(
        10,
        |i| json!({"id": i, "amount": 12.5, "tags": [], "note": "hi"}),
    );
    assert_eq!(new.drift_from(&known), []);
    // No baseline, no drift.
    assert_eq!(new.drift_from(&Shape::default()), []);
}

#[test]
fn absent_fields_are_removed_only_when_always_present_and_the_page_is_big_enough() {
    let known = page(10, |i| {
        if i.is_multiple_of(2) {
            json!({"id": i, "always": 1, "sometimes": 1})
        } else {
            json!({"id": i, "always": 1})
        }
    });
    // A small page without either field: no drift.
    assert_eq!(page(4, |i| json!({"id": i})).drift_from(&known), []);
    // A page of MIN_OBJECTS_FOR_REMOVAL: only the always-present field is gone.
    assert_eq!(
        page(5, |i| json!({"id": i})).drift_from(&known),
        [d(
            DriftKind::FieldRemoved,
            "always",
            "integer",
            "absent",
            Some(json!(1))
        )]
    );
    // Members count against their parent objects, not records.
    let known = page(10, |i| {
        if i < 5 {
            json!({"m": {"a": 1}})
        } else {
            json!({"m": null})
        }
    });
    assert_eq!(page(10, |_| json!({"m": {}})).drift_from(&known).len(), 1);
    assert_eq!(page(10, |_| json!({"m": null})).drift_from(&known), []);
    // Empty arrays do not remove their items.
    let known = page(10, |_| json!({"tags": ["a"]}));
    assert_eq!(page(10, |_| json!({"tags": []})).drift_from(&known), []);
}

#[test]
fn page_size_caps_are_spotted() {
    let table = [
        (100, 100, true, false),
        (100, 50, true, true),
        (100, 50, false, false),
        (100, 100, false, false),
        (100, 120, true, false),
        (0, 0, true, false),
    ];
    for (asked, got, had_next, capped) in table {
        assert_eq!(
            page_capped(asked, got, had_next),
            capped,
            "{asked} {got} {had_next}"
        );
    }
    let drift = Drift::page_size_capped(100, 50);
    assert_eq!(
        drift,
        d(DriftKind::PageSizeCapped, "", "asked 100", "got 50", None)
    );
    assert_eq!(drift.to_string(), "page size capped: asked 100, got 50");
}

#[test]
fn drift_serializes_in_snake_case() {
    let drift = Drift::page_size_capped(10, 5);
    let value = serde_json::to_value(&drift).ok();
    let want = json!({"kind": "page_size_capped", "path": "", "before": "asked 10",
                      "after": "got 5", "example": null});
    assert_eq!(value, Some(want));
    assert_eq!(DriftKind::TypeChanged.to_string(), "type_changed");
}
