use serde_json::json;

use super::*;
use crate::env::Env;
use crate::model::{FieldKind, Template};
use crate::span::SpanIndex;

/// The columns of `yaml` (a `map:` value) for a stream keyed by `id`, and
/// "message @ path | help" lines.
fn check(yaml: &str) -> (Option<Vec<FieldMap>>, Vec<String>) {
    let raw: Entries<RawColumn> = yaml_serde::from_str(yaml).unwrap_or_else(|e| panic!("{e}"));
    let index = SpanIndex::default();
    let env = Env::default();
    let mut ctx = Ctx::new(&index, &env);
    let out = map(&mut ctx, "streams.s", &raw, &["id".to_owned()]);
    let messages = ctx.finish().into_iter().map(|d| {
        format!(
            "{} @ {} | {}",
            d.message,
            d.key_path,
            d.help.unwrap_or_default()
        )
    });
    (out, messages.collect())
}

fn valid(yaml: &str) -> Vec<FieldMap> {
    let (columns, errors) = check(yaml);
    assert!(errors.is_empty(), "{errors:?}");
    columns.expect("valid")
}

fn errors(yaml: &str) -> Vec<String> {
    let (columns, errors) = check(yaml);
    assert!(columns.is_none(), "expected errors for {yaml}");
    errors
}

#[test]
fn shorthand_and_defaults() {
    let columns = valid("{ email: $.properties.email, n: { from: $.n } }");
    assert_eq!(columns.len(), 2);
    assert_eq!(columns[0].column, "email");
    assert!(matches!(&columns[0].source, FieldSource::Path(p) if p.source == "$.properties.email"));
    assert_eq!(columns[0], plain("email", columns[0].source.clone()));
    assert_eq!(columns[1].kind, FieldKind::Any);
    assert!(!columns[1].required && columns[1].values.is_none() && columns[1].default.is_none());
    assert_eq!(valid("{}"), []);
}

#[test]
fn column_names() {
    assert_eq!(
        errors("{ first-name: $.a, _x: $.b, ID: $.c, Email: $.d, email: $.e, _: $.f }"),
        [
            "invalid column name `first-name`: expected letters, digits and `_`, not starting with a digit @ streams.s.map.first-name | rename it, e.g. `first_name`",
            "invalid column name `_x`: names starting with `_` are reserved (`_raw`) @ streams.s.map._x | rename it, e.g. `x`",
            "column `ID` is the primary key `id` @ streams.s.map.ID | the key is stored as its own column already: drop `ID` from `map`, or rename it (e.g. `ID_value`)",
            "column `email` is mapped twice (as `Email` above) @ streams.s.map.email | column names ignore case: give each column its own name",
            "invalid column name `_`: names starting with `_` are reserved (`_raw`) @ streams.s.map._ | rename it, e.g. `value`",
        ]
    );
}

#[test]
fn sources() {
    let columns = valid("{ full: { expr: \"record.a ~ ' ' ~ record.b\" } }");
    assert_eq!(
        columns[0].source,
        FieldSource::Expr(Template::new("record.a ~ ' ' ~ record.b"))
    );
    assert_eq!(
        errors("{ a: { from: $.a, expr: record.a }, b: { type: string }, c: email, d: \"$[\" }"),
        [
            "a column takes `from` or `expr`, not both @ streams.s.map.a.expr | keep `from` to read a JSONPath, or `expr` to compute the value from `record`",
            "missing key `from` or `expr` @ streams.s.map.b | add `from: \"$.field\"` (a JSONPath), or `expr: \"record.name.first ~ ' ' ~ record.name.last\"`",
            "invalid JSONPath `email`: at position 0, parser error @ streams.s.map.c | a JSONPath starts with `$`: write `\"$.email\"`",
            "invalid JSONPath `$[`: at position 1, parser error @ streams.s.map.d | write an RFC 9535 JSONPath, e.g. `$.properties.email`",
        ]
    );
}

#[test]
fn expressions_read_only_record() {
    let out = errors(
        "{ a: { expr: \"recrd.x\" }, b: { expr: \"{{ record.x }}\" }, c: { expr: \"record.x +\" } }",
    );
    assert_eq!(out.len(), 3, "{out:?}");
    assert_eq!(
        out[0],
        "unknown variable `recrd` in template `recrd.x` @ streams.s.map.a.expr | available here: `record`; did you mean `record`?"
    );
    assert_eq!(
        out[1],
        "`expr` is an expression, found a template `{{ record.x }}` @ streams.s.map.b.expr | remove the `{{ }}`: write the expression alone, e.g. `expr: \"record.x\"`"
    );
    assert!(out[2].starts_with("syntax error"), "{out:?}");
    assert!(
        out[2].ends_with(
            "| write a Jinja expression, e.g. `record.name.first ~ ' ' ~ record.name.last`"
        ),
        "{out:?}"
    );
    let out = errors("{ a: { expr: value } }");
    assert!(out[0].starts_with("unknown variable `value`"), "{out:?}");
}

#[test]
fn transforms() {
    let columns = valid(
        "{ a: { from: $.a, transform: lower }, b: { from: $.b, transform: [trim, upper, \"value * 100\", \"value ~ record.x\"] } }",
    );
    assert_eq!(columns[0].transform, [Transform::Lower]);
    assert_eq!(
        columns[1].transform,
        [
            Transform::Trim,
            Transform::Upper,
            Transform::Expr(Template::new("value * 100")),
            Transform::Expr(Template::new("value ~ record.x")),
        ]
    );
    assert_eq!(
        errors("{ a: { from: $.a, transform: [lowercase, \"vale * 2\", \"\"] } }"),
        [
            "unknown transform `lowercase` @ streams.s.map.a.transform[0] | use `lower`, `upper`, `trim`, or an expression over `value` and `record` such as `value * 100`; did you mean `lower`?",
            "unknown variable `vale` in template `vale * 2` @ streams.s.map.a.transform[1] | available here: `record`, `value`; did you mean `value`?",
            "unknown transform `` @ streams.s.map.a.transform[2] | use `lower`, `upper`, `trim`, or an expression over `value` and `record` such as `value * 100`",
        ]
    );
}

#[test]
fn values_default_and_required() {
    let columns = valid(
        "{ status: { from: $.s, map: { A: active, I: { x: [1] } }, default: unknown, required: true } }",
    );
    assert_eq!(
        columns[0].values,
        Some(vec![
            ("A".to_owned(), json!("active")),
            ("I".to_owned(), json!({"x": [1]})),
        ])
    );
    assert_eq!(columns[0].default, Some(json!("unknown")));
    assert!(columns[0].required);
    assert_eq!(
        errors(
            "{ a: { from: $.a, map: { 1: one, true: yes, \"2\": !t two } }, b: { from: $.b, map: {} }, c: { from: $.c, default: .nan } }"
        ),
        [
            "key `1` in `map` is not a string @ streams.s.map.a.map.1 | quote it: `\"1\": …`",
            "key `true` in `map` is not a string @ streams.s.map.a.map.true | quote it: `\"true\": …`",
            "not a JSON value: YAML tags such as `!t` are not JSON @ streams.s.map.a.map.2 | write a string, number, boolean, list or mapping",
            "`map` is empty @ streams.s.map.b.map | list raw value → stored value, e.g. `{ A: active, I: inactive }`, or remove it",
            "not a JSON value: `.nan` is not a JSON number @ streams.s.map.c.default | write a string, number, boolean, list or mapping",
        ]
    );
}

#[test]
fn types() {
    let kinds: Vec<FieldKind> = valid("{ a: { from: $.a, type: any }, b: { from: $.a, type: string }, c: { from: $.a, type: integer }, d: { from: $.a, type: boolean }, e: { from: $.a, type: decimal }, f: { from: $.a, type: decimal, thousands: '.', point: ',' }, g: { from: $.a, type: timestamp }, h: { from: $.a, type: timestamp, formats: ['%d/%m/%Y %H:%M', rfc3339, epoch_seconds, epoch_millis] }, i: { from: $.a, type: date, formats: '%d.%m.%Y' } }")
        .into_iter()
        .map(|c| c.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            FieldKind::Any,
            FieldKind::String,
            FieldKind::Integer,
            FieldKind::Boolean,
            FieldKind::Decimal {
                thousands: None,
                point: '.'
            },
            FieldKind::Decimal {
                thousands: Some('.'),
                point: ','
            },
            FieldKind::Timestamp { formats: vec![] },
            FieldKind::Timestamp {
                formats: vec![
                    "%d/%m/%Y %H:%M".into(),
                    "rfc3339".into(),
                    "epoch_seconds".into(),
                    "epoch_millis".into()
                ]
            },
            FieldKind::Date {
                formats: vec!["%d.%m.%Y".into()]
            },
        ]
    );
}

#[test]
fn unknown_types_suggest() {
    assert_eq!(
        errors(
            "{ a: { from: $.a, type: decimel }, b: { from: $.b, type: int }, c: { from: $.c, type: varchar } }"
        ),
        [
            "unknown type `decimel` @ streams.s.map.a.type | use one of `any`, `string`, `integer`, `decimal`, `boolean`, `timestamp`, `date`; did you mean `decimal`?",
            "unknown type `int` @ streams.s.map.b.type | use one of `any`, `string`, `integer`, `decimal`, `boolean`, `timestamp`, `date`; did you mean `integer`?",
            "unknown type `varchar` @ streams.s.map.c.type | use one of `any`, `string`, `integer`, `decimal`, `boolean`, `timestamp`, `date`",
        ]
    );
}

#[test]
fn settings_belong_to_their_type() {
    assert_eq!(
        errors(
            "{ a: { from: $.a, thousands: ',' }, b: { from: $.b, type: integer, point: ',' }, c: { from: $.c, type: string, formats: [rfc3339] } }"
        ),
        [
            "`thousands` only applies to `type: decimal` @ streams.s.map.a.thousands | add `type: decimal`, or remove `thousands`",
            "`point` only applies to `type: decimal` @ streams.s.map.b.point | remove `point`: this column is `type: integer`",
            "`formats` only applies to `type: timestamp` or `type: date` @ streams.s.map.c.formats | remove `formats`: this column is `type: string`",
        ]
    );
}

#[test]
fn decimal_separators() {
    assert_eq!(
        errors(
            "{ a: { from: $.a, type: decimal, thousands: '.' }, b: { from: $.b, type: decimal, point: ',,' }, c: { from: $.c, type: decimal, thousands: '0' } }"
        ),
        [
            "`thousands` and `point` are both `.` @ streams.s.map.a.thousands | they must differ, e.g. `thousands: \".\"` with `point: \",\"`",
            "`point` must be one character, found `,,` @ streams.s.map.b.point | use the separator the API writes, e.g. `point: \",\"`",
            "`thousands` cannot be a digit or a sign, found `0` @ streams.s.map.c.thousands | use the separator the API writes, e.g. `thousands: \".\"`",
        ]
    );
}

#[test]
fn formats() {
    assert_eq!(
        errors(
            "{ a: { from: $.a, type: timestamp, formats: [RFC3339, '%d/%Q/%Y', 'dd/mm/yyyy', '%Y%'] }, b: { from: $.b, type: date, formats: [epoch_millis] }, c: { from: $.c, type: date, formats: [] } }"
        ),
        [
            "unknown format `RFC3339` @ streams.s.map.a.formats[0] | use a strftime pattern such as `%d/%m/%Y`, or `rfc3339`, `epoch_seconds`, `epoch_millis`; did you mean `rfc3339`?",
            "invalid strftime pattern `%d/%Q/%Y` @ streams.s.map.a.formats[1] | use chrono's specifiers, e.g. `%Y-%m-%d %H:%M:%S`, `%d/%m/%Y` or `%z`; write `%%` for a literal `%`",
            "unknown format `dd/mm/yyyy` @ streams.s.map.a.formats[2] | use a strftime pattern such as `%d/%m/%Y`, or `rfc3339`, `epoch_seconds`, `epoch_millis`",
            "invalid strftime pattern `%Y%` @ streams.s.map.a.formats[3] | use chrono's specifiers, e.g. `%Y-%m-%d %H:%M:%S`, `%d/%m/%Y` or `%z`; write `%%` for a literal `%`",
            "`epoch_millis` is not a date format @ streams.s.map.b.formats[0] | epoch numbers are instants: use `type: timestamp`, or a strftime pattern such as `%d.%m.%Y`",
            "`formats` is empty @ streams.s.map.c.formats | list the formats the API writes, e.g. `[\"%d/%m/%Y\", rfc3339]`, or remove it for the default",
        ]
    );
    assert_eq!(
        errors("{ a: { from: $.a, type: date, formats: rfc339 } }"),
        [
            "unknown format `rfc339` @ streams.s.map.a.formats | use a strftime pattern such as `%d/%m/%Y`, or `rfc3339`; did you mean `rfc3339`?"
        ]
    );
}

#[test]
fn every_column_is_checked() {
    let out = errors(
        "{ a: { from: \"$[\", type: nope, transform: nope }, _b: { from: $.b, type: decimal, point: '' } }",
    );
    assert_eq!(out.len(), 5, "{out:?}");
}
