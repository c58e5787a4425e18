//! Pagination: the strategy, `stop_when`, `max_pages` and the end signals
//! `expect_more` and `expect_total`.

mod place;
mod strategy;

use super::context::Ctx;
use super::templates::{self, STOP_WHEN_SCOPE};
use super::values;
use crate::model::{Body, Paginate, Path, Place, StopWhen, Strategy};
use crate::raw::{RawPaginate, Scalar};

/// Checks `paginate:` at `path` (absent means a single request).
pub(crate) fn paginate(
    ctx: &mut Ctx<'_>,
    path: &str,
    raw: Option<&RawPaginate>,
    has_body: bool,
) -> Option<Paginate> {
    let Some(raw) = raw else {
        return Some(Paginate {
            strategy: Strategy::None,
            stop_when: None,
            max_pages: None,
            expect_more: None,
            expect_total: None,
        });
    };
    let g = guards(raw);
    let stop_when = g
        .stop_when
        .map(|s| self::stop_when(ctx, &format!("{path}.stop_when"), s));
    let max_pages = g
        .max_pages
        .map(|n| values::number(ctx, &format!("{path}.max_pages"), n, 1));
    let expect_more = g
        .expect_more
        .map(|s| signal(ctx, &format!("{path}.expect_more"), s, "`$.has_more`"));
    let expect_total = g
        .expect_total
        .map(|s| signal(ctx, &format!("{path}.expect_total"), s, "`$.meta.total`"));
    let strategy = strategy::strategy(ctx, path, raw, has_body);
    Some(Paginate {
        strategy: strategy?,
        stop_when: values::optional(stop_when)?,
        max_pages: values::optional(max_pages)?,
        expect_more: values::optional(expect_more)?,
        expect_total: values::optional(expect_total)?,
    })
}

/// Reports a body pointer that runs into a string, number or boolean of
/// the request's body (it could never be set there).
pub(crate) fn fits_body(ctx: &mut Ctx<'_>, path: &str, paginate: &Paginate, body: Option<&Body>) {
    let Some(body) = body else {
        return;
    };
    let places: Vec<(&str, &Place)> = match &paginate.strategy {
        Strategy::Cursor { param, .. }
        | Strategy::LastRecord { param, .. }
        | Strategy::Relay { param, .. } => vec![("at", param)],
        Strategy::Offset {
            param, limit_param, ..
        } => vec![("at", param), ("limit_at", limit_param)],
        Strategy::Page {
            param, size_param, ..
        } => std::iter::once(("at", param))
            .chain(size_param.iter().map(|p| ("size_at", p)))
            .collect(),
        _ => Vec::new(),
    };
    for (key, place) in places {
        let Place::Body(pointer) = place else {
            continue;
        };
        let Some(mut template) = body.template() else {
            ctx.error(
                &format!("{path}.{key}"),
                "a page value cannot be put into a text `body:`",
                "send the page value as a query parameter or header (`in: query`), or send a \
                 `json:` body",
            );
            continue;
        };
        if let Err(e) = pointer.set(&mut template, serde_json::Value::Null) {
            ctx.error(
                &format!("{path}.{key}"),
                format!("the pointer cannot be set in the request body: {e}"),
                "point at a key of an object in the body (objects on the way are created)",
            );
        }
    }
}

/// A JSONPath when it starts with `$`, otherwise a Jinja condition.
fn stop_when(ctx: &mut Ctx<'_>, path: &str, source: &str) -> Option<StopWhen> {
    let source = source.trim();
    if source.starts_with('$') {
        return values::json_path(ctx, path, source).map(StopWhen::Path);
    }
    if source.contains("{{") || source.contains("{%") {
        ctx.error(
            path,
            format!("`stop_when` is a condition, found a template `{source}`"),
            "write the expression without braces, e.g. `records == 0`",
        );
        return None;
    }
    let before = ctx.error_count();
    let t = templates::condition(ctx, path, source, STOP_WHEN_SCOPE, "records == 0");
    (ctx.error_count() == before).then_some(StopWhen::Condition(t))
}

/// An end signal: a JSONPath into the response body (a Jinja condition is
/// not one; `stop_when` is where conditions go).
pub(super) fn signal(ctx: &mut Ctx<'_>, path: &str, source: &str, example: &str) -> Option<Path> {
    let source = source.trim();
    if !source.starts_with('$') {
        ctx.error(
            path,
            format!("expected a JSONPath into the response body, found `{source}`"),
            format!("write a path starting with `$`, e.g. {example}"),
        );
        return None;
    }
    values::json_path(ctx, path, source)
}

/// The keys every strategy shares.
struct Guards<'r> {
    stop_when: Option<&'r str>,
    max_pages: Option<&'r Scalar>,
    expect_more: Option<&'r str>,
    expect_total: Option<&'r str>,
}

/// The guards every strategy shares.
fn guards(raw: &RawPaginate) -> Guards<'_> {
    let (stop_when, max_pages, expect_more, expect_total) = match raw {
        RawPaginate::None {
            stop_when,
            max_pages,
            expect_more,
            expect_total,
        }
        | RawPaginate::Cursor {
            stop_when,
            max_pages,
            expect_more,
            expect_total,
            ..
        }
        | RawPaginate::NextUrl {
            stop_when,
            max_pages,
            expect_more,
            expect_total,
            ..
        }
        | RawPaginate::LinkHeader {
            stop_when,
            max_pages,
            expect_more,
            expect_total,
            ..
        }
        | RawPaginate::Offset {
            stop_when,
            max_pages,
            expect_more,
            expect_total,
            ..
        }
        | RawPaginate::Page {
            stop_when,
            max_pages,
            expect_more,
            expect_total,
            ..
        }
        | RawPaginate::LastRecord {
            stop_when,
            max_pages,
            expect_more,
            expect_total,
            ..
        }
        | RawPaginate::Relay {
            stop_when,
            max_pages,
            expect_more,
            expect_total,
            ..
        } => (stop_when, max_pages, expect_more, expect_total),
    };
    Guards {
        stop_when: stop_when.as_deref(),
        max_pages: max_pages.as_ref(),
        expect_more: expect_more.as_deref(),
        expect_total: expect_total.as_deref(),
    }
}

#[cfg(test)]
mod tests;
