//! `incremental.cursor_format`: how the cursor is written, checked so a
//! `lookback` can always be applied to it.

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

use super::context::Ctx;
use super::names::suggestion;
use crate::model::CursorFormat;

/// The named formats (besides strftime patterns).
const WORDS: [&str; 3] = ["rfc3339", "epoch_seconds", "epoch_millis"];

/// Checks `cursor_format` at `path`: a named format, or a strftime pattern
/// chrono can both write and read back as a time (so a cursor written in it
/// can be moved back by `lookback` and sent in the same form).
pub(crate) fn cursor_format(
    ctx: &mut Ctx<'_>,
    path: &str,
    raw: Option<&str>,
) -> Option<CursorFormat> {
    let Some(written) = raw else {
        return Some(CursorFormat::Auto);
    };
    match written.trim() {
        "rfc3339" => return Some(CursorFormat::Rfc3339),
        "epoch_seconds" => return Some(CursorFormat::EpochSeconds),
        "epoch_millis" => return Some(CursorFormat::EpochMillis),
        _ => {}
    }
    let example = "use a strftime pattern such as `%Y-%m-%d %H:%M:%S`";
    if !written.contains('%') {
        let list: Vec<String> = WORDS.iter().map(|w| format!("`{w}`")).collect();
        let near = suggestion(written.trim(), WORDS.iter().copied());
        ctx.error(
            path,
            format!("unknown cursor format `{written}`"),
            format!("{example}, or one of {}{near}", list.join(", ")),
        );
        return None;
    }
    if StrftimeItems::new(written).any(|item| matches!(item, Item::Error)) {
        ctx.error(
            path,
            format!("invalid strftime pattern `{written}`"),
            "use chrono's specifiers, e.g. `%Y-%m-%d %H:%M:%S`, `%d.%m.%Y` or `%z`; write `%%` for a literal `%`",
        );
        return None;
    }
    if !reads_back(written) {
        ctx.error(
            path,
            format!("a cursor written as `{written}` cannot be read back as a time"),
            format!(
                "the pattern must name at least a full date (year, month and day) so `lookback` can move it back: {example}"
            ),
        );
        return None;
    }
    Some(CursorFormat::Pattern(written.to_owned()))
}

/// Whether a time written with `pattern` parses again with it.
fn reads_back(pattern: &str) -> bool {
    let Some(sample) = Utc.with_ymd_and_hms(2024, 2, 1, 13, 4, 5).single() else {
        return false;
    };
    let text = sample.format(pattern).to_string();
    DateTime::parse_from_str(&text, pattern).is_ok()
        || NaiveDateTime::parse_from_str(&text, pattern).is_ok()
        || NaiveDate::parse_from_str(&text, pattern).is_ok()
}
