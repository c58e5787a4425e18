//! `format:` a known name, and settings that fit it.

use super::context::Ctx;
use super::names::suggestion;
use crate::model::{CsvOptions, Format, XmlOptions};
use crate::raw::{RawFormat, RawFormatSettings};

/// The format names.
const NAMES: &[&str] = &["json", "jsonl", "csv", "xml"];

/// Checks `{stream}.format`; `Format::Json` when absent.
pub(crate) fn format(ctx: &mut Ctx<'_>, stream: &str, raw: Option<&RawFormat>) -> Option<Format> {
    let path = format!("{stream}.format");
    match raw {
        None => Some(Format::Json),
        Some(RawFormat::Name(name)) => {
            let settings = RawFormatSettings {
                kind: Some(name.clone()),
                delimiter: None,
                quote: None,
                escape: None,
                header: None,
                columns: None,
                records: None,
                arrays: None,
            };
            kind(ctx, &path, name).and_then(|k| build(ctx, &path, k, &settings))
        }
        Some(RawFormat::Settings(settings)) => {
            let name = ctx.require(settings.kind.as_ref(), &path, "type", "csv")?;
            let k = kind(ctx, &format!("{path}.type"), name)?;
            build(ctx, &path, k, settings)
        }
    }
}

fn kind<'n>(ctx: &mut Ctx<'_>, at: &str, name: &'n str) -> Option<&'n str> {
    if NAMES.contains(&name) {
        return Some(name);
    }
    let lines = ["ndjson", "jsonlines", "json_lines", "json-lines", "ldjson"];
    let near = if lines.contains(&name.to_ascii_lowercase().as_str()) {
        "; JSON Lines is `jsonl`".to_owned()
    } else {
        suggestion(name, NAMES.iter().copied())
    };
    let help = if near.is_empty() {
        "use `json` (the default), `jsonl`, `csv` or `xml`".to_owned()
    } else {
        format!("use `json`, `jsonl`, `csv` or `xml`{near}")
    };
    ctx.error(
        at,
        format!("unknown format `{name}`: expected json, jsonl, csv or xml"),
        help,
    );
    None
}

fn build(ctx: &mut Ctx<'_>, path: &str, kind: &str, raw: &RawFormatSettings) -> Option<Format> {
    let csv_keys = [
        ("delimiter", raw.delimiter.is_some()),
        ("quote", raw.quote.is_some()),
        ("escape", raw.escape.is_some()),
        ("header", raw.header.is_some()),
        ("columns", raw.columns.is_some()),
    ];
    let xml_keys = [
        ("records", raw.records.is_some()),
        ("arrays", raw.arrays.is_some()),
    ];
    let mut ok = true;
    for (key, present) in csv_keys.iter().chain(&xml_keys) {
        let belongs = if csv_keys.iter().any(|(k, _)| k == key) {
            "csv"
        } else {
            "xml"
        };
        if *present && belongs != kind {
            ctx.error_at_key(
                &format!("{path}.{key}"),
                format!("`{key}` is a setting of `type: {belongs}`, not of `type: {kind}`"),
                format!("remove `{key}:`, or use `type: {belongs}`"),
            );
            ok = false;
        }
    }
    let format = match kind {
        "json" => Some(Format::Json),
        "jsonl" => Some(Format::Jsonl),
        "csv" => csv(ctx, path, raw).map(Format::Csv),
        _ => xml(ctx, path, raw).map(Format::Xml),
    };
    format.filter(|_| ok)
}

fn csv(ctx: &mut Ctx<'_>, path: &str, raw: &RawFormatSettings) -> Option<CsvOptions> {
    let defaults = CsvOptions::default();
    let delimiter = character(ctx, path, "delimiter", raw.delimiter.as_deref(), "\";\"");
    let quote = character(ctx, path, "quote", raw.quote.as_deref(), "\"'\"");
    let escape = match raw.escape.as_deref() {
        None => Some(None),
        Some(text) => character(ctx, path, "escape", Some(text), "\"\\\\\"").map(Some),
    };
    let columns = match (raw.header, &raw.columns) {
        (Some(false), Some(columns)) => Some(Some(column_names(ctx, path, columns)?)),
        (Some(false), None) => {
            ctx.error(
                &format!("{path}.header"),
                "`header: false` needs `columns:` to name the fields",
                "add the field names in column order, e.g. `columns: [id, email, updated_at]`",
            );
            None
        }
        (_, Some(_)) => {
            ctx.error_at_key(
                &format!("{path}.columns"),
                "`columns:` names the fields of a file without a header row",
                "add `header: false`, or remove `columns:` to take the names from the header row",
            );
            None
        }
        (_, None) => Some(None),
    };
    let (delimiter, quote, escape, columns) = (
        delimiter?.unwrap_or(defaults.delimiter),
        quote?.unwrap_or(defaults.quote),
        escape?.flatten(),
        columns?,
    );
    if delimiter == quote {
        ctx.error(
            &format!("{path}.quote"),
            format!(
                "the quote and the delimiter are both `{}`",
                char::from(quote)
            ),
            "choose two different characters",
        );
        return None;
    }
    Some(CsvOptions {
        delimiter,
        quote,
        escape,
        columns,
    })
}

/// One ASCII character (or `tab`); `Some(None)` when absent.
fn character(
    ctx: &mut Ctx<'_>,
    path: &str,
    key: &str,
    text: Option<&str>,
    example: &str,
) -> Option<Option<u8>> {
    let Some(text) = text else {
        return Some(None);
    };
    if text == "tab" {
        return Some(Some(b'\t'));
    }
    match text.as_bytes() {
        [b] if b.is_ascii() && *b != b'\n' && *b != b'\r' => Some(Some(*b)),
        _ => {
            ctx.error(
                &format!("{path}.{key}"),
                format!("one character, got {text:?}"),
                format!("write one ASCII character, e.g. `{key}: {example}` (or `tab`)"),
            );
            None
        }
    }
}

fn column_names(ctx: &mut Ctx<'_>, path: &str, columns: &[String]) -> Option<Vec<String>> {
    let at = format!("{path}.columns");
    if columns.is_empty() {
        ctx.error(
            &at,
            "`columns` is empty",
            "name the fields in column order, e.g. `[id, email]`",
        );
        return None;
    }
    let mut ok = true;
    for (i, name) in columns.iter().enumerate() {
        if name.trim().is_empty() {
            ctx.error(
                &format!("{at}[{i}]"),
                "empty column name",
                "name every column",
            );
            ok = false;
        } else if columns[..i].contains(name) {
            ctx.error(
                &format!("{at}[{i}]"),
                format!("column `{name}` is named twice"),
                "give each column its own name",
            );
            ok = false;
        }
    }
    ok.then(|| columns.to_vec())
}

fn xml(ctx: &mut Ctx<'_>, path: &str, raw: &RawFormatSettings) -> Option<XmlOptions> {
    let records = match raw.records.as_deref() {
        None => Some(None),
        Some(text) => element_path(ctx, &format!("{path}.records"), text).map(Some),
    };
    let mut arrays = Vec::new();
    let mut ok = true;
    for (i, name) in raw.arrays.iter().flatten().enumerate() {
        let local = local_name(name);
        if local.is_empty() || local.contains(['/', ' ']) {
            ctx.error(
                &format!("{path}.arrays[{i}]"),
                format!("`{name}` is not an element name"),
                "list element names, e.g. `arrays: [Customer, Phone]`",
            );
            ok = false;
        } else {
            arrays.push(local.to_owned());
        }
    }
    Some(XmlOptions {
        records: records?,
        arrays,
    })
    .filter(|_| ok)
}

/// `Envelope/Body/List/Item` (a leading `/` and namespace prefixes allowed).
fn element_path(ctx: &mut Ctx<'_>, at: &str, text: &str) -> Option<Vec<String>> {
    let trimmed = text.trim().trim_start_matches('/');
    let names: Vec<String> = trimmed
        .split('/')
        .map(|n| local_name(n.trim()).to_owned())
        .collect();
    if names
        .iter()
        .any(|n| n.is_empty() || n.contains(['[', ']', '*', '$', '@', ' ']))
    {
        ctx.error(
            at,
            format!("`{text}` is not an element path"),
            "write the element names from the root down to one record, separated by `/`, \
             e.g. `Envelope/Body/GetCustomersResponse/Customer` (not a JSONPath)",
        );
        return None;
    }
    Some(names)
}

/// `soap:Envelope` is `Envelope`.
fn local_name(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

#[cfg(test)]
mod tests;
