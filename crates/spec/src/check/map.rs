//! A stream's `map:`: the stored columns, where each value comes from and
//! how it is transformed and coerced.

mod kind;

use super::context::Ctx;
use super::json::to_json;
use super::names::{self, suggestion};
use super::templates::{self, EXPR_SCOPE, TRANSFORM_SCOPE};
use crate::model::{FieldMap, FieldSource, Path, Transform};
use crate::raw::{Entries, RawColumn, RawField, Strings};

/// The example computed column shown in help lines.
const EXPR_EXAMPLE: &str = "record.name.first ~ ' ' ~ record.name.last";
/// The example transform expression shown in help lines.
const TRANSFORM_EXAMPLE: &str = "value * 100";
/// The transforms that are names, not expressions.
const TRANSFORM_NAMES: [&str; 3] = ["lower", "upper", "trim"];

/// Checks the `map:` of the stream at `path`, keeping file order;
/// `primary_key` is the stream's key as written (stored already, so not a
/// column here).
pub(crate) fn map(
    ctx: &mut Ctx<'_>,
    path: &str,
    raw: &Entries<RawColumn>,
    primary_key: &[String],
) -> Option<Vec<FieldMap>> {
    let mut columns = Vec::with_capacity(raw.0.len());
    for (i, (column, spec)) in raw.0.iter().enumerate() {
        let at = format!("{path}.map.{column}");
        let earlier = raw.0[..i].iter().map(|(c, _)| c.as_str());
        let name_ok = column_name(ctx, &at, column, earlier, primary_key);
        let field = match spec {
            RawColumn::Path(from) => {
                let source = json_path(ctx, &at, from).map(FieldSource::Path);
                source.map(|source| plain(column, source))
            }
            RawColumn::Field(field) => self::field(ctx, &at, column, field),
        };
        columns.push(field.filter(|_| name_ok));
    }
    columns.into_iter().collect()
}

/// A column that takes the value as it is.
fn plain(column: &str, source: FieldSource) -> FieldMap {
    FieldMap {
        column: column.to_owned(),
        source,
        kind: crate::model::FieldKind::Any,
        transform: Vec::new(),
        values: None,
        default: None,
        required: false,
    }
}

fn column_name<'c>(
    ctx: &mut Ctx<'_>,
    at: &str,
    column: &str,
    mut earlier: impl Iterator<Item = &'c str>,
    primary_key: &[String],
) -> bool {
    if !names::identifier(ctx, at, column, "column name")
        || !names::long_identifier(ctx, at, column, "column name")
    {
        return false;
    }
    if column.starts_with('_') {
        let trimmed = column.trim_start_matches('_');
        let example = if trimmed.is_empty() { "value" } else { trimmed };
        ctx.error_at_key(
            at,
            format!(
                "invalid column name `{column}`: names starting with `_` are reserved (`_raw`)"
            ),
            format!("rename it, e.g. `{example}`"),
        );
        return false;
    }
    if let Some(key) = primary_key.iter().find(|k| k.eq_ignore_ascii_case(column)) {
        ctx.error_at_key(
            at,
            format!("column `{column}` is the primary key `{key}`"),
            format!(
                "the key is stored as its own column already: drop `{column}` from `map`, or rename it (e.g. `{column}_value`)"
            ),
        );
        return false;
    }
    if let Some(first) = earlier.find(|c| c.eq_ignore_ascii_case(column)) {
        ctx.error_at_key(
            at,
            format!("column `{column}` is mapped twice (as `{first}` above)"),
            "column names ignore case: give each column its own name",
        );
        return false;
    }
    true
}

fn field(ctx: &mut Ctx<'_>, at: &str, column: &str, raw: &RawField) -> Option<FieldMap> {
    let source = source(ctx, at, raw);
    let kind = kind::kind(ctx, at, raw);
    let parse = parse(ctx, at, raw.parse.as_deref());
    let transform = raw
        .transform
        .as_ref()
        .map_or(Some(Vec::new()), |t| transforms(ctx, at, t))
        .zip(parse)
        .map(|(mut list, parse)| {
            if let Some(first) = parse {
                list.insert(0, first);
            }
            list
        });
    let values = values(ctx, at, raw.map.as_ref());
    let default = raw
        .default
        .as_ref()
        .map(|d| json(ctx, &format!("{at}.default"), d));
    Some(FieldMap {
        column: column.to_owned(),
        source: source?,
        kind: kind?,
        transform: transform?,
        values: values?,
        default: super::values::optional(default)?,
        required: raw.required.unwrap_or(false),
    })
}

/// `parse: json`, the transform that runs first; `Some(None)` when absent.
fn parse(ctx: &mut Ctx<'_>, at: &str, raw: Option<&str>) -> Option<Option<Transform>> {
    match raw.map(str::trim) {
        None => Some(None),
        Some("json") => Some(Some(Transform::ParseJson)),
        Some(other) => {
            let near = suggestion(other, ["json"]);
            ctx.error(
                &format!("{at}.parse"),
                format!("unknown `parse` format `{other}`"),
                format!("write `parse: json` for JSON held in a string{near}"),
            );
            None
        }
    }
}

/// Exactly one of `from` (a JSONPath) and `expr` (an expression).
fn source(ctx: &mut Ctx<'_>, at: &str, raw: &RawField) -> Option<FieldSource> {
    match (&raw.from, &raw.expr) {
        (Some(from), None) => json_path(ctx, &format!("{at}.from"), from).map(FieldSource::Path),
        (None, Some(expr)) => {
            let path = format!("{at}.expr");
            let key = ("expr", "an expression");
            if !templates::no_braces(ctx, &path, key, expr, EXPR_EXAMPLE) {
                return None;
            }
            let before = ctx.error_count();
            let t = templates::expression(ctx, &path, expr.trim(), EXPR_SCOPE, EXPR_EXAMPLE);
            (ctx.error_count() == before).then_some(FieldSource::Expr(t))
        }
        (Some(_), Some(_)) => {
            ctx.error(
                &format!("{at}.expr"),
                "a column takes `from` or `expr`, not both",
                "keep `from` to read a JSONPath, or `expr` to compute the value from `record`",
            );
            None
        }
        (None, None) => {
            if !ctx.is_explained(&format!("{at}.from")) && !ctx.is_explained(&format!("{at}.expr"))
            {
                ctx.error(
                    at,
                    "missing key `from` or `expr`",
                    format!("add `from: \"$.field\"` (a JSONPath), or `expr: \"{EXPR_EXAMPLE}\"`"),
                );
            }
            None
        }
    }
}

/// A column's JSONPath; a path without `$` gets a suggestion that has one.
fn json_path(ctx: &mut Ctx<'_>, at: &str, source: &str) -> Option<Path> {
    match Path::parse(source) {
        Ok(p) => Some(p),
        Err(e) => {
            let fixed = format!("$.{source}");
            let help = if !source.starts_with('$') && Path::parse(&fixed).is_ok() {
                format!("a JSONPath starts with `$`: write `\"{fixed}\"`")
            } else {
                "write an RFC 9535 JSONPath, e.g. `$.properties.email`".to_owned()
            };
            ctx.error(at, format!("invalid JSONPath `{source}`: {e}"), help);
            None
        }
    }
}

fn transforms(ctx: &mut Ctx<'_>, at: &str, raw: &Strings) -> Option<Vec<Transform>> {
    let path = format!("{at}.transform");
    let checked: Vec<Option<Transform>> = raw
        .items
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let item = if raw.listed {
                format!("{path}[{i}]")
            } else {
                path.clone()
            };
            transform(ctx, &item, t)
        })
        .collect();
    checked.into_iter().collect()
}

/// `lower`, `upper`, `trim`, or an expression over `value` and `record`.
fn transform(ctx: &mut Ctx<'_>, path: &str, source: &str) -> Option<Transform> {
    let source = source.trim();
    match source {
        "lower" => return Some(Transform::Lower),
        "upper" => return Some(Transform::Upper),
        "trim" => return Some(Transform::Trim),
        _ => {}
    }
    let names_list = "`lower`, `upper`, `trim`";
    if source.is_empty() || (names::is_identifier(source) && !TRANSFORM_SCOPE.contains(&source)) {
        let lower = source.to_ascii_lowercase();
        let near = match TRANSFORM_NAMES.iter().find(|n| lower.starts_with(*n)) {
            Some(name) => format!("; did you mean `{name}`?"),
            None => suggestion(
                source,
                TRANSFORM_NAMES.iter().chain(TRANSFORM_SCOPE).copied(),
            ),
        };
        ctx.error(
            path,
            format!("unknown transform `{source}`"),
            format!(
                "use {names_list}, or an expression over `value` and `record` such as `{TRANSFORM_EXAMPLE}`{near}"
            ),
        );
        return None;
    }
    let key = ("transform", "an expression");
    if !templates::no_braces(ctx, path, key, source, TRANSFORM_EXAMPLE) {
        return None;
    }
    let before = ctx.error_count();
    let t = templates::expression(ctx, path, source, TRANSFORM_SCOPE, TRANSFORM_EXAMPLE);
    (ctx.error_count() == before).then_some(Transform::Expr(t))
}

/// A YAML value as JSON, reported at `path` when it cannot be.
fn json(ctx: &mut Ctx<'_>, path: &str, value: &yaml_serde::Value) -> Option<serde_json::Value> {
    match to_json(value) {
        Ok(v) => Some(v),
        Err(e) => {
            ctx.error(
                path,
                format!("not a JSON value: {e}"),
                "write a string, number, boolean, list or mapping",
            );
            None
        }
    }
}

/// A column's `map:` of raw value → stored value: string keys, JSON
/// values; `Some(None)` when absent.
fn values(
    ctx: &mut Ctx<'_>,
    at: &str,
    raw: Option<&yaml_serde::Mapping>,
) -> Option<Option<Vec<(String, serde_json::Value)>>> {
    let Some(raw) = raw else {
        return Some(None);
    };
    let path = format!("{at}.map");
    if raw.is_empty() {
        ctx.error(
            &path,
            "`map` is empty",
            "list raw value → stored value, e.g. `{ A: active, I: inactive }`, or remove it",
        );
        return None;
    }
    let mut ok = true;
    let mut out = Vec::with_capacity(raw.len());
    for (key, value) in raw {
        let Some(key) = key.as_str() else {
            ok = false;
            let text = yaml_serde::to_string(key).unwrap_or_default();
            let text = text.trim();
            ctx.error_at_key(
                &format!("{path}.{text}"),
                format!("key `{text}` in `map` is not a string"),
                format!("quote it: `\"{text}\": …`"),
            );
            continue;
        };
        match json(ctx, &format!("{path}.{key}"), value) {
            Some(v) => out.push((key.to_owned(), v)),
            None => ok = false,
        }
    }
    ok.then_some(Some(out))
}

#[cfg(test)]
mod tests;
