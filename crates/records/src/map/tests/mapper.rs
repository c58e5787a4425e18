//! The mapper: values, defaults, required, expressions, transforms,
//! violations and traces.

use holdfast_spec::{FieldKind, FieldMap, FieldSource, Path, Template, Transform};
use serde_json::{Value, json};

use crate::map::{FieldTrace, Mapper, Violation};

fn ts(formats: &[&str]) -> FieldKind {
    FieldKind::Timestamp {
        formats: formats.iter().map(|f| (*f).to_owned()).collect(),
    }
}

fn path(column: &str, source: &str) -> FieldMap {
    FieldMap {
        column: column.to_owned(),
        source: FieldSource::Path(Path::parse(source).expect("valid path")),
        kind: FieldKind::Any,
        transform: Vec::new(),
        values: None,
        default: None,
        required: false,
    }
}

fn expr(column: &str, source: &str) -> FieldMap {
    FieldMap {
        source: FieldSource::Expr(Template::new(source)),
        ..path(column, "$")
    }
}

fn mapper(fields: &[FieldMap]) -> Mapper {
    Mapper::new(fields).expect("mapper compiles")
}

fn violation(pointer: &str, message: &str) -> Violation {
    Violation {
        pointer: pointer.to_owned(),
        message: message.to_owned(),
    }
}

#[test]
fn values_map_with_and_without_default() {
    let status = FieldMap {
        values: Some(vec![
            ("A".to_owned(), json!("active")),
            ("I".to_owned(), json!("inactive")),
        ]),
        ..path("status", "$.status")
    };
    let with_default = mapper(&[FieldMap {
        default: Some(json!("unknown")),
        ..status.clone()
    }]);
    for (record, stored) in [
        (json!({"status": "A"}), "active"),
        (json!({"status": "I"}), "inactive"),
        (json!({"status": "X"}), "unknown"),
        (json!({}), "unknown"),
    ] {
        assert_eq!(
            with_default.apply(&record),
            Ok(vec![json!(stored)]),
            "{record}"
        );
    }
    let strict = mapper(&[status]);
    assert_eq!(
        strict.apply(&json!({"status": "A"})),
        Ok(vec![json!("active")])
    );
    assert_eq!(
        strict.apply(&json!({"status": "X"})),
        Err(vec![violation("/status", "`X` is not one of A, I")])
    );
    assert_eq!(
        strict.apply(&json!({"status": null})),
        Ok(vec![Value::Null])
    );
}

#[test]
fn required_missing() {
    let m = mapper(&[FieldMap {
        required: true,
        ..path("email", "$.contact.email")
    }]);
    let missing = Err(vec![violation(
        "/contact/email",
        "required value is missing",
    )]);
    assert_eq!(m.apply(&json!({})), missing);
    assert_eq!(m.apply(&json!({"contact": {"email": null}})), missing);
    assert_eq!(
        m.apply(&json!({"contact": {"email": ""}})),
        Ok(vec![json!("")])
    );
    let defaulted = mapper(&[FieldMap {
        default: Some(json!("none")),
        required: true,
        ..path("email", "$.email")
    }]);
    assert_eq!(defaulted.apply(&json!({})), Ok(vec![json!("none")]));
}

#[test]
fn expressions_and_transforms() {
    let m = mapper(&[
        expr("full_name", "record.name.first ~ ' ' ~ record.name.last"),
        FieldMap {
            transform: vec![Transform::Trim, Transform::Lower],
            ..path("email", "$.email")
        },
        FieldMap {
            kind: FieldKind::Integer,
            transform: vec![Transform::Expr(Template::new("value * 100"))],
            ..path("cents", "$.amount")
        },
        expr("tag", "'%}' ~ record.missing.deeper"),
        expr("nothing", "record.missing.deeper"),
    ]);
    assert_eq!(
        m.columns(),
        ["full_name", "email", "cents", "tag", "nothing"]
    );
    let record = json!({"name": {"first": "Ada", "last": "Lovelace"}, "email": "  Ada@Example.COM ", "amount": 12.5});
    let stored = vec![
        json!("Ada Lovelace"),
        json!("ada@example.com"),
        json!(1250),
        json!("%}"),
        Value::Null,
    ];
    assert_eq!(m.apply(&record), Ok(stored));
    assert!(
        Mapper::new(&[expr("bad", "record.(")])
            .is_err_and(|e| e.to_string().starts_with("column `bad`: "))
    );
    assert!(Mapper::new(&[path("a", "$.a"), path("a", "$.b")]).is_err());
}

#[test]
fn every_violation_is_reported_with_its_pointer() {
    let m = mapper(&[
        path("id", "$.id"),
        FieldMap {
            kind: FieldKind::Integer,
            ..path("count", "$.stats.count")
        },
        FieldMap {
            kind: ts(&["%d/%m/%Y"]),
            ..path("created", "$.items[0].created")
        },
        FieldMap {
            required: true,
            ..path("email", "$.email")
        },
        FieldMap {
            kind: FieldKind::Integer,
            ..expr("score", "record.id ~ 'x'")
        },
    ]);
    let record = json!({"id": 7, "stats": {"count": "abc"}, "items": [{"created": "yesterday"}]});
    assert_eq!(
        m.apply(&record),
        Err(vec![
            violation("/stats/count", "expected an integer, found \"abc\""),
            violation(
                "/items/0/created",
                "expected a timestamp, found \"yesterday\" (tried %d/%m/%Y)"
            ),
            violation("/email", "required value is missing"),
            violation("/score", "expected an integer, found \"7x\""),
        ])
    );
}

#[test]
fn trace_of_one_record() {
    let m = mapper(&[
        FieldMap {
            kind: FieldKind::Decimal {
                thousands: Some(','),
                point: '.',
            },
            ..path("amount", "$.amount.value")
        },
        FieldMap {
            kind: ts(&["%d/%m/%Y"]),
            transform: vec![Transform::Trim],
            ..path("created", "$.created")
        },
        FieldMap {
            kind: FieldKind::Integer,
            ..path("missing", "$.nope")
        },
        expr("name", "record.name | upper"),
    ]);
    let record = json!({"amount": {"value": "1,234.50"}, "created": " 03/04/2024 ", "name": "ada"});
    let trace = |column: &str,
                 source: &str,
                 raw: Option<Value>,
                 transformed: Option<Value>,
                 stored,
                 coercion: &str| FieldTrace {
        column: column.to_owned(),
        source: source.to_owned(),
        raw,
        transformed,
        stored,
        coercion: coercion.to_owned(),
    };
    assert_eq!(
        m.trace(&record),
        vec![
            trace(
                "amount",
                "$.amount.value",
                Some(json!("1,234.50")),
                Some(json!("1,234.50")),
                Ok(json!("1234.50")),
                "decimal (thousands ',')"
            ),
            trace(
                "created",
                "$.created",
                Some(json!(" 03/04/2024 ")),
                Some(json!("03/04/2024")),
                Ok(json!("2024-04-03T00:00:00Z")),
                "timestamp from %d/%m/%Y"
            ),
            trace(
                "missing",
                "$.nope",
                None,
                Some(Value::Null),
                Ok(Value::Null),
                "integer"
            ),
            trace(
                "name",
                "expr: record.name | upper",
                Some(json!("ADA")),
                Some(json!("ADA")),
                Ok(json!("ADA")),
                "any (unchanged)"
            ),
        ]
    );
}

#[test]
fn mapper_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Mapper>();
}

/// Issue 14: JSON held in a string field, read with `parse: json` before
/// the other transforms; text that is not JSON is that record's violation.
#[test]
fn parse_json_reads_text_and_flags_what_is_not_json() {
    let m = mapper(&[
        FieldMap {
            transform: vec![
                Transform::ParseJson,
                Transform::Expr(Template::new("value.email")),
            ],
            kind: FieldKind::String,
            ..path("email", "$.details")
        },
        FieldMap {
            transform: vec![Transform::ParseJson],
            ..path("details", "$.details")
        },
    ]);
    let good = json!({"details": "{\"email\": \"a@b.c\", \"n\": [1, 2]}"});
    assert_eq!(
        m.apply(&good),
        Ok(vec![json!("a@b.c"), json!({"email": "a@b.c", "n": [1, 2]})])
    );
    // already JSON, or null: passes as it is
    let object = json!({"details": {"email": "x@y.z"}});
    assert_eq!(
        m.apply(&object),
        Ok(vec![json!("x@y.z"), json!({"email": "x@y.z"})])
    );
    assert_eq!(m.apply(&json!({})), Ok(vec![Value::Null, Value::Null]));
    let broken = json!({"details": "{\"email\": \"a@b"});
    let violations = m.apply(&broken).unwrap_err();
    assert_eq!(violations.len(), 2);
    assert_eq!(violations[0].pointer, "/details");
    assert!(
        violations[0]
            .message
            .contains("`parse: json`: the text is not JSON")
            && violations[0].message.contains(r#""{"email": "a@b""#),
        "{violations:?}"
    );
}

/// Issue 14: which columns' paths found a value, for `map_empty`.
#[test]
fn apply_noting_marks_paths_that_matched() {
    let m = mapper(&[
        path("email", "$.emial"),
        path("phone", "$.phone"),
        expr("computed", "1"),
        path("id", "$.id"),
    ]);
    let mut matched = vec![false; 4];
    for record in [json!({"id": 1, "phone": null}), json!({"id": 2})] {
        let _ = m.apply_noting(&record, &mut matched);
    }
    assert_eq!(matched, [false, false, true, true]);
    assert_eq!(
        m.paths(),
        [Some("$.emial"), Some("$.phone"), None, Some("$.id")]
    );
}
