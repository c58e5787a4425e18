//! A mapped column's `type:` and the settings that only some types take
//! (`thousands`/`point` for decimals, `formats` for timestamps and dates).

use chrono::format::{Item, StrftimeItems};

use super::super::context::Ctx;
use super::super::names::suggestion;
use crate::model::FieldKind;
use crate::raw::{RawField, Strings};

/// Every `type:`, the default first.
const TYPES: [&str; 7] = [
    "any",
    "string",
    "integer",
    "decimal",
    "boolean",
    "timestamp",
    "date",
];

/// Names other tools use, only to suggest ours.
const ALIASES: [(&str, &str); 12] = [
    ("int", "integer"),
    ("long", "integer"),
    ("bool", "boolean"),
    ("number", "decimal"),
    ("numeric", "decimal"),
    ("float", "decimal"),
    ("double", "decimal"),
    ("str", "string"),
    ("text", "string"),
    ("datetime", "timestamp"),
    ("instant", "timestamp"),
    ("json", "any"),
];

/// Timestamp formats besides strftime patterns.
const TIMESTAMP_WORDS: [&str; 3] = ["rfc3339", "epoch_seconds", "epoch_millis"];

/// Checks `type:` of the column at `at` and the settings that go with it.
pub(super) fn kind(ctx: &mut Ctx<'_>, at: &str, field: &RawField) -> Option<FieldKind> {
    let written = field.kind.as_deref().unwrap_or("any");
    let Some(&name) = TYPES.iter().find(|t| **t == written) else {
        unknown_type(ctx, &format!("{at}.type"), written);
        return None;
    };
    let mut ok = true;
    let misplaced = [
        (
            "thousands",
            field.thousands.is_some(),
            ["decimal", "decimal"],
        ),
        ("point", field.point.is_some(), ["decimal", "decimal"]),
        ("formats", field.formats.is_some(), ["timestamp", "date"]),
    ];
    for (key, present, types) in misplaced {
        if present && !types.contains(&name) {
            ok = false;
            let wanted = if types[0] == types[1] {
                format!("`type: {}`", types[0])
            } else {
                format!("`type: {}` or `type: {}`", types[0], types[1])
            };
            let help = if field.kind.is_some() {
                format!("remove `{key}`: this column is `type: {name}`")
            } else {
                format!("add `type: {}`, or remove `{key}`", types[0])
            };
            ctx.error(
                &format!("{at}.{key}"),
                format!("`{key}` only applies to {wanted}"),
                help,
            );
        }
    }
    let kind = match name {
        "string" => Some(FieldKind::String),
        "integer" => Some(FieldKind::Integer),
        "decimal" => decimal(ctx, at, field),
        "boolean" => Some(FieldKind::Boolean),
        "timestamp" => formats(ctx, at, field.formats.as_ref(), true)
            .map(|formats| FieldKind::Timestamp { formats }),
        "date" => formats(ctx, at, field.formats.as_ref(), false)
            .map(|formats| FieldKind::Date { formats }),
        _ => Some(FieldKind::Any),
    };
    kind.filter(|_| ok)
}

fn unknown_type(ctx: &mut Ctx<'_>, path: &str, written: &str) {
    let list: Vec<String> = TYPES.iter().map(|t| format!("`{t}`")).collect();
    let lower = written.to_ascii_lowercase();
    let near = ALIASES
        .iter()
        .find(|(alias, _)| *alias == lower)
        .map(|(_, ours)| format!("; did you mean `{ours}`?"))
        .unwrap_or_else(|| suggestion(written, TYPES));
    ctx.error(
        path,
        format!("unknown type `{written}`"),
        format!("use one of {}{near}", list.join(", ")),
    );
}

fn decimal(ctx: &mut Ctx<'_>, at: &str, field: &RawField) -> Option<FieldKind> {
    let thousands = separator(ctx, at, "thousands", field.thousands.as_deref());
    let point = separator(ctx, at, "point", field.point.as_deref());
    let (thousands, point) = (thousands?, point?.unwrap_or('.'));
    if thousands == Some(point) {
        let other = if point == '.' { ',' } else { '.' };
        ctx.error(
            &format!("{at}.thousands"),
            format!("`thousands` and `point` are both `{point}`"),
            format!("they must differ, e.g. `thousands: \"{point}\"` with `point: \"{other}\"`"),
        );
        return None;
    }
    Some(FieldKind::Decimal { thousands, point })
}

/// One character that is not a digit or a sign; `Some(None)` when absent.
fn separator(ctx: &mut Ctx<'_>, at: &str, key: &str, raw: Option<&str>) -> Option<Option<char>> {
    let Some(text) = raw else {
        return Some(None);
    };
    let mut chars = text.chars();
    let example = if key == "point" { "," } else { "." };
    match (chars.next(), chars.next()) {
        (Some(c), None) if !(c.is_ascii_digit() || c == '-' || c == '+') => Some(Some(c)),
        (Some(_), None) => {
            ctx.error(
                &format!("{at}.{key}"),
                format!("`{key}` cannot be a digit or a sign, found `{text}`"),
                format!("use the separator the API writes, e.g. `{key}: \"{example}\"`"),
            );
            None
        }
        _ => {
            ctx.error(
                &format!("{at}.{key}"),
                format!("`{key}` must be one character, found `{text}`"),
                format!("use the separator the API writes, e.g. `{key}: \"{example}\"`"),
            );
            None
        }
    }
}

fn formats(
    ctx: &mut Ctx<'_>,
    at: &str,
    raw: Option<&Strings>,
    timestamp: bool,
) -> Option<Vec<String>> {
    let Some(raw) = raw else {
        return Some(Vec::new());
    };
    let path = format!("{at}.formats");
    if raw.items.is_empty() {
        ctx.error(
            &path,
            "`formats` is empty",
            "list the formats the API writes, e.g. `[\"%d/%m/%Y\", rfc3339]`, or remove it for the default",
        );
        return None;
    }
    let mut ok = true;
    for (i, f) in raw.items.iter().enumerate() {
        let item = if raw.listed {
            format!("{path}[{i}]")
        } else {
            path.clone()
        };
        ok &= format(ctx, &item, f, timestamp);
    }
    ok.then(|| raw.items.clone())
}

/// A strftime pattern chrono can read, or one of the format words.
fn format(ctx: &mut Ctx<'_>, path: &str, f: &str, timestamp: bool) -> bool {
    let words: &[&str] = if timestamp {
        &TIMESTAMP_WORDS
    } else {
        &TIMESTAMP_WORDS[..1]
    };
    if words.contains(&f) {
        return true;
    }
    if TIMESTAMP_WORDS.contains(&f) {
        ctx.error(
            path,
            format!("`{f}` is not a date format"),
            "epoch numbers are instants: use `type: timestamp`, or a strftime pattern such as `%d.%m.%Y`",
        );
        return false;
    }
    if !f.contains('%') {
        let list: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
        let near = suggestion(f, words.iter().copied());
        ctx.error(
            path,
            format!("unknown format `{f}`"),
            format!(
                "use a strftime pattern such as `%d/%m/%Y`, or {}{near}",
                list.join(", ")
            ),
        );
        return false;
    }
    if StrftimeItems::new(f).any(|item| matches!(item, Item::Error)) {
        ctx.error(
            path,
            format!("invalid strftime pattern `{f}`"),
            "use chrono's specifiers, e.g. `%Y-%m-%d %H:%M:%S`, `%d/%m/%Y` or `%z`; write `%%` for a literal `%`",
        );
        return false;
    }
    true
}
