use super::*;
use serde_json::json;

const AUTO: CursorFormat = CursorFormat::Auto;
const FIVE: Duration = Duration::from_secs(300);

fn minus(cursor: Value) -> Value {
    cursor_minus(&AUTO, &cursor, FIVE).unwrap_or_else(|e| panic!("{cursor}: {e}"))
}

fn minus_in(format: &CursorFormat, cursor: Value) -> Value {
    cursor_minus(format, &cursor, FIVE).unwrap_or_else(|e| panic!("{cursor}: {e}"))
}

#[test]
fn max_by_type() {
    assert_eq!(cursor_max(&AUTO, None, &json!(null)), None);
    assert_eq!(
        cursor_max(&AUTO, Some(&json!(5)), &json!(12)),
        Some(json!(12))
    );
    assert_eq!(
        cursor_max(&AUTO, Some(&json!(12)), &json!(5)),
        Some(json!(12))
    );
    // 10:00+02:00 is 08:00Z, earlier than 09:00Z although it sorts later as text.
    assert_eq!(
        cursor_max(
            &AUTO,
            Some(&json!("2024-03-04T09:00:00Z")),
            &json!("2024-03-04T10:00:00+02:00")
        ),
        Some(json!("2024-03-04T09:00:00Z"))
    );
    assert_eq!(
        cursor_max(&AUTO, Some(&json!("b")), &json!("a")),
        Some(json!("b"))
    );
}

/// Epoch numbers held as strings of different lengths sort wrongly as text
/// ("999" > "1000"); they compare as numbers.
#[test]
fn epoch_strings_compare_as_numbers() {
    assert_eq!(
        cursor_max(&AUTO, Some(&json!("999999999")), &json!("1000000000")),
        Some(json!("1000000000"))
    );
    assert_eq!(
        cursor_max(
            &CursorFormat::EpochMillis,
            Some(&json!("99999")),
            &json!("100000")
        ),
        Some(json!("100000"))
    );
    // a fraction is later than the whole second before it
    assert_eq!(
        cursor_max(
            &AUTO,
            Some(&json!("2024-02-01 00:00:01")),
            &json!("2024-02-01 00:00:01.5")
        ),
        Some(json!("2024-02-01 00:00:01.5"))
    );
    // dd.mm.yyyy sorts wrongly as text; with its pattern it compares as dates
    let dotted = CursorFormat::Pattern("%d.%m.%Y %H:%M".to_owned());
    assert_eq!(
        cursor_max(
            &dotted,
            Some(&json!("31.01.2024 10:00")),
            &json!("01.02.2024 09:00")
        ),
        Some(json!("01.02.2024 09:00"))
    );
}

#[test]
fn lookback_keeps_the_form() {
    // RFC 3339: zone, separator and decimals as written
    assert_eq!(
        minus(json!("2024-01-01T00:05:00Z")),
        json!("2024-01-01T00:00:00Z")
    );
    assert_eq!(
        minus(json!("2024-01-01T00:02:00.250+02:00")),
        json!("2023-12-31T23:57:00.250+02:00")
    );
    assert_eq!(
        minus(json!("2024-01-01t00:05:00.123456z")),
        json!("2024-01-01t00:00:00.123456z")
    );
    // SQLite's own form, with and without fraction, with `T`
    assert_eq!(
        minus(json!("2024-02-01 00:00:01")),
        json!("2024-01-31 23:55:01")
    );
    assert_eq!(
        minus(json!("2024-02-01 00:00:01.007")),
        json!("2024-01-31 23:55:01.007")
    );
    assert_eq!(
        minus(json!("2024-02-01T00:00:01")),
        json!("2024-01-31T23:55:01")
    );
    assert_eq!(
        minus(json!("2024-02-01 00:04:00+0100")),
        json!("2024-01-31 23:59:00+0100")
    );
    // a date goes back to the day the earlier time falls on
    assert_eq!(minus(json!("2024-02-01")), json!("2024-01-31"));
    // epoch seconds and milliseconds, numbers and strings
    assert_eq!(minus(json!(1_709_546_400)), json!(1_709_546_100));
    assert_eq!(
        minus(json!(1_709_546_400_000_i64)),
        json!(1_709_546_100_000_i64)
    );
    assert_eq!(minus(json!("1709546400")), json!("1709546100"));
    assert_eq!(minus(json!("1709546400000")), json!("1709546100000"));
    assert_eq!(minus(json!(1_709_546_400.5)), json!(1_709_546_100.5));
    assert_eq!(minus(json!("1709546400.250")), json!("1709546100.250"));
}

#[test]
fn named_formats() {
    // 12 digits read alone would be milliseconds; the format says seconds
    assert_eq!(
        minus_in(&CursorFormat::EpochSeconds, json!(100_000_000_000_i64)),
        json!(99_999_999_700_i64)
    );
    assert_eq!(
        minus_in(&CursorFormat::EpochMillis, json!("90000000000")),
        json!("89999700000")
    );
    assert_eq!(
        minus_in(
            &CursorFormat::Pattern("%d.%m.%Y %H:%M".to_owned()),
            json!("01.02.2024 00:03")
        ),
        json!("31.01.2024 23:58")
    );
    assert_eq!(
        minus_in(
            &CursorFormat::Pattern("%Y%m%d%H%M%S".to_owned()),
            json!(20_240_201_000_001_i64)
        ),
        json!(20_240_131_235_501_i64)
    );
    assert_eq!(
        minus_in(
            &CursorFormat::Pattern("%a, %d %b %Y %H:%M:%S %z".to_owned()),
            json!("Thu, 01 Feb 2024 00:00:01 +0100")
        ),
        json!("Wed, 31 Jan 2024 23:55:01 +0100")
    );
    // rfc3339 asked: SQLite's form is not that
    assert!(cursor_minus(&CursorFormat::Rfc3339, &json!("2024-02-01 00:00:01"), FIVE).is_err());
}

#[test]
fn an_unreadable_cursor_is_an_error_not_a_skip() {
    let e = cursor_minus(&AUTO, &json!("last tuesday"), FIVE).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("\"last tuesday\""), "{text}");
    assert!(text.contains("YYYY-MM-DD HH:MM:SS"), "{text}");
    assert!(cursor_minus(&AUTO, &json!(true), FIVE).is_err());
    assert!(cursor_minus(&AUTO, &json!("2024-13-01"), FIVE).is_err());
    let pattern = CursorFormat::Pattern("%d.%m.%Y".to_owned());
    let e = cursor_minus(&pattern, &json!("2024-02-01"), FIVE).unwrap_err();
    assert!(e.to_string().contains("cursor_format: \"%d.%m.%Y\""), "{e}");
    // no lookback: nothing to apply, the value passes as it is
    assert_eq!(
        cursor_minus(&AUTO, &json!("last tuesday"), Duration::ZERO),
        Ok(json!("last tuesday"))
    );
}

/// Found by `fuzz/run record_map`: a cursor near the ends of its range,
/// or a huge `lookback:`, overflowed (a panic in debug builds; in release
/// a numeric cursor wrapped to near `i64::MAX`, so the next incremental
/// sync asked for records newer than that and silently got none).
#[test]
fn issue_13_fuzz_cursor_lookback_never_overflows() {
    let max = Duration::from_secs(u64::MAX);
    assert_eq!(minus(json!(i64::MIN)), json!(i64::MIN));
    assert_eq!(minus(json!(i64::MIN + 100)), json!(i64::MIN));
    assert_eq!(
        cursor_minus(&AUTO, &json!(1_709_546_400_000_i64), max),
        Ok(json!(i64::MIN))
    );
    assert_eq!(cursor_minus(&AUTO, &json!(-5), max), Ok(json!(i64::MIN)));
    assert_eq!(
        cursor_minus(&AUTO, &json!(u64::MAX), FIVE),
        Ok(json!(i64::MAX))
    );
    // the fuzzer's input: `9000000000000\n{"updated_at":"0000-01-01T00:00:00Z"}`
    let huge = Duration::from_secs(9_000_000_000_000);
    assert_eq!(
        cursor_minus(&AUTO, &json!("0000-01-01T00:00:00Z"), huge),
        Ok(json!("0000-01-01T00:00:00Z"))
    );
    assert_eq!(
        cursor_minus(&AUTO, &json!("0001-06-01T00:00:00+02:00"), max),
        Ok(json!("0000-01-01T00:00:00+02:00"))
    );
    assert_eq!(
        minus(json!("0000-01-01T00:04:00Z")),
        json!("0000-01-01T00:00:00Z"),
        "never before the earliest four-digit year"
    );
    assert_eq!(
        minus(json!("9999-12-31T23:59:59.5+00:00")),
        json!("9999-12-31T23:54:59.5+00:00")
    );
}
