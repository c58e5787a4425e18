//! Decimals, booleans, integers, strings and `any`.

use holdfast_spec::FieldKind;
use serde_json::{Value, json};

use super::table;

fn dec(thousands: Option<char>, point: char) -> FieldKind {
    FieldKind::Decimal { thousands, point }
}
#[test]
fn decimals() {
    let s = |v: &str| Ok(json!(v));
    table(
        &dec(Some(','), '.'),
        &[
            (json!("1,234.50"), s("1234.50")),
            (json!("1,234,567"), s("1234567")),
            (json!("-1,234"), s("-1234")),
            (json!("1234.5"), s("1234.5")),
            (json!("1,2,3"), Err("expected a decimal, found \"1,2,3\"")),
            (
                json!("12,34.5"),
                Err("expected a decimal, found \"12,34.5\""),
            ),
        ],
    );
    table(
        &dec(Some('.'), ','),
        &[
            (json!("1.234,50"), s("1234.50")),
            (json!("1.234.567"), s("1234567")),
            (json!("1,5"), s("1.5")),
        ],
    );
    table(
        &dec(None, '.'),
        &[
            (json!(1234.5), s("1234.5")),
            (json!(42), s("42")),
            (json!("-0.10"), s("-0.10")),
            (json!("-0.00"), s("0.00")),
            (json!("+007.5"), s("7.5")),
            (json!(".5"), s("0.5")),
            (json!(" 3 "), s("3")),
            (
                json!("12345678901234567890.12"),
                s("12345678901234567890.12"),
            ),
            (json!(12345678901234567890_u64), s("12345678901234567890")),
            (json!(1e-7), s("0.0000001")),
            (json!(1e21), s("1000000000000000000000")),
            (json!("12abc"), Err("expected a decimal, found \"12abc\"")),
            (json!("1,2,3"), Err("expected a decimal, found \"1,2,3\"")),
            (json!("1.2.3"), Err("expected a decimal, found \"1.2.3\"")),
            (json!("1e3"), Err("expected a decimal, found \"1e3\"")),
            (json!(""), Err("expected a decimal, found an empty string")),
            (json!("-"), Err("expected a decimal, found \"-\"")),
            (json!(true), Err("expected a decimal, found true")),
            (json!({"v": 1}), Err("expected a decimal, found an object")),
        ],
    );
}

/// A JSON number with more digits than a float keeps has already lost them
/// when the body was parsed: a decimal column says so instead of storing
/// the rounded value as if it were exact.
#[test]
fn decimals_beyond_float_precision_are_refused() {
    let parsed = |text: &str| -> Value { serde_json::from_str(text).expect("json") };
    let lost = "came as a JSON number with more significant digits than a float keeps";
    for text in [
        "12345678901234567.89",
        "0.12345678901234567891",
        "1.2345678901234567e30",
    ] {
        let Err(e) = crate::map::coerce::coerce(&dec(None, '.'), &parsed(text)) else {
            panic!("{text} passed as exact");
        };
        assert!(e.contains(lost), "{text}: {e}");
    }
    // 15 significant digits (and integers of any i64/u64 size) are exact.
    table(
        &dec(None, '.'),
        &[
            (parsed("1234567890.12345"), Ok(json!("1234567890.12345"))),
            (parsed("0.000000000000001"), Ok(json!("0.000000000000001"))),
            (
                parsed("18446744073709551615"),
                Ok(json!("18446744073709551615")),
            ),
        ],
    );
}

#[test]
fn booleans() {
    let yes = [
        "true", "TRUE", "yes", "Yes", "y", "Y", "1", "on", "ON", " true ",
    ];
    let no = ["false", "False", "no", "NO", "n", "N", "0", "off", "Off"];
    let mut rows: Vec<(Value, Result<Value, &str>)> = Vec::new();
    rows.extend(yes.iter().map(|s| (json!(s), Ok(json!(true)))));
    rows.extend(no.iter().map(|s| (json!(s), Ok(json!(false)))));
    rows.extend([
        (json!(true), Ok(json!(true))),
        (json!(false), Ok(json!(false))),
        (json!(1), Ok(json!(true))),
        (json!(0), Ok(json!(false))),
        (json!("maybe"), Err("expected a boolean, found \"maybe\"")),
        (json!("t"), Err("expected a boolean, found \"t\"")),
        (json!(""), Err("expected a boolean, found an empty string")),
        (json!(2), Err("expected a boolean, found 2")),
        (json!([true]), Err("expected a boolean, found an array")),
    ]);
    table(&FieldKind::Boolean, &rows);
}

#[test]
fn integers_strings_and_any() {
    table(
        &FieldKind::Integer,
        &[
            (json!("42"), Ok(json!(42))),
            (json!(" 42 "), Ok(json!(42))),
            (json!("-7"), Ok(json!(-7))),
            (json!(42), Ok(json!(42))),
            (json!(42.0), Ok(json!(42))),
            (json!("1e3"), Ok(json!(1000))),
            (json!(null), Ok(Value::Null)),
            (json!(4.2), Err("expected an integer, found 4.2")),
            (json!("4.2"), Err("expected an integer, found \"4.2\"")),
            (json!("1e-1"), Err("expected an integer, found \"1e-1\"")),
            (json!("abc"), Err("expected an integer, found \"abc\"")),
            (json!(true), Err("expected an integer, found true")),
            (
                json!("99999999999999999999"),
                Err("integer out of range, found \"99999999999999999999\""),
            ),
        ],
    );
    table(
        &FieldKind::String,
        &[
            (json!("a b"), Ok(json!("a b"))),
            (json!(12.5), Ok(json!("12.5"))),
            (json!(false), Ok(json!("false"))),
            (json!({"a": 1}), Err("expected text, found an object")),
            (json!([1]), Err("expected text, found an array")),
        ],
    );
    table(
        &FieldKind::Any,
        &[(json!({"a": [1]}), Ok(json!({"a": [1]})))],
    );
}
