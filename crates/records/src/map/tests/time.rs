//! Timestamps and dates: formats, offsets, epochs, and failures.

use holdfast_spec::FieldKind;
use serde_json::{Value, json};

use super::table;

fn ts(formats: &[&str]) -> FieldKind {
    FieldKind::Timestamp {
        formats: formats.iter().map(|f| (*f).to_owned()).collect(),
    }
}

fn day(formats: &[&str]) -> FieldKind {
    FieldKind::Date {
        formats: formats.iter().map(|f| (*f).to_owned()).collect(),
    }
}

#[test]
fn timestamps() {
    let t = |s: &str| Ok(json!(s));
    let ten = t("2024-03-04T10:00:00Z");
    table(
        &ts(&["%d/%m/%Y"]),
        &[(json!("03/04/2024"), t("2024-04-03T00:00:00Z"))],
    );
    table(
        &ts(&["%m/%d/%Y"]),
        &[(json!("03/04/2024"), t("2024-03-04T00:00:00Z"))],
    );
    let rows = [
        (
            json!("2024-03-04T10:00:00+02:00"),
            t("2024-03-04T08:00:00Z"),
        ),
        (
            json!("2024-03-04T10:00:00.250Z"),
            t("2024-03-04T10:00:00.250Z"),
        ),
        (json!(1709546400), ten.clone()),
        (json!(1709546400000_u64), ten.clone()),
        (json!(1709546400123_u64), t("2024-03-04T10:00:00.123Z")),
        (json!(1709546400.5), t("2024-03-04T10:00:00.500Z")),
        (json!(null), Ok(Value::Null)),
    ];
    table(&ts(&[]), &rows);
    table(&ts(&["rfc3339"]), &rows[..2]);
    table(
        &ts(&["epoch_seconds"]),
        &[
            (json!("1709546400"), ten.clone()),
            (json!(1709546400), ten.clone()),
        ],
    );
    table(
        &ts(&["epoch_millis"]),
        &[
            (json!("1709546400000"), ten.clone()),
            (json!(1709546400123.5), t("2024-03-04T10:00:00.123500Z")),
            (json!("1709546400000.25"), t("2024-03-04T10:00:00.000250Z")),
        ],
    );
    // Formats are tried in order: the first that reads the value wins.
    let both = ts(&["%m/%d/%Y", "%d/%m/%Y", "rfc3339", "epoch_seconds"]);
    table(
        &both,
        &[
            (json!("03/04/2024"), t("2024-03-04T00:00:00Z")),
            (json!("25/04/2024"), t("2024-04-25T00:00:00Z")),
            (json!("2024-03-04T10:00:00Z"), ten.clone()),
            (json!("1709546400"), ten.clone()),
        ],
    );
    table(
        &ts(&["%d/%m/%Y %H:%M"]),
        &[(json!("04/03/2024 10:30"), t("2024-03-04T10:30:00Z"))],
    );
    table(
        &ts(&["%Y-%m-%d %H:%M %z"]),
        &[(json!("2024-03-04 10:00 +0200"), t("2024-03-04T08:00:00Z"))],
    );
    table(
        &ts(&["%Y%m%d"]),
        &[(json!(20240304), t("2024-03-04T00:00:00Z"))],
    );
    table(
        &ts(&["%d/%m/%Y", "rfc3339"]),
        &[
            (
                json!("soon"),
                Err("expected a timestamp, found \"soon\" (tried %d/%m/%Y, rfc3339)"),
            ),
            (
                json!("04/03/2024 10:30"),
                Err("expected a timestamp, found \"04/03/2024 10:30\" (tried %d/%m/%Y, rfc3339)"),
            ),
        ],
    );
    let tried = "(tried rfc3339, epoch_seconds, epoch_millis)";
    table(
        &ts(&[]),
        &[
            (
                json!("1709546400"),
                Err(&format!(
                    "expected a timestamp, found \"1709546400\" {tried}"
                )),
            ),
            (
                json!(true),
                Err(&format!("expected a timestamp, found true {tried}")),
            ),
            (
                json!("2024-13-04T10:00:00Z"),
                Err(&format!(
                    "expected a timestamp, found \"2024-13-04T10:00:00Z\" {tried}"
                )),
            ),
        ],
    );
}

#[test]
fn dates() {
    let d = |s: &str| Ok(json!(s));
    table(
        &day(&[]),
        &[
            (json!("2024-03-04"), d("2024-03-04")),
            // rfc3339 keeps the date in the value's own offset.
            (json!("2024-03-04T23:30:00-05:00"), d("2024-03-04")),
            (
                json!("04/03/2024"),
                Err("expected a date, found \"04/03/2024\" (tried %Y-%m-%d, rfc3339)"),
            ),
        ],
    );
    table(
        &day(&["%d/%m/%Y"]),
        &[(json!("03/04/2024"), d("2024-04-03"))],
    );
    table(
        &day(&["epoch_seconds"]),
        &[(json!(1709546400), d("2024-03-04"))],
    );
}
