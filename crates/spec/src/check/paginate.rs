//! Pagination: the strategy, `stop_when`, `max_pages` and the end signals
//! `expect_more` and `expect_total`.

use super::context::Ctx;
use super::templates::{self, STOP_WHEN_SCOPE};
use super::values;
use crate::model::{Paginate, Path, StopWhen, Strategy};
use crate::raw::{RawPaginate, Scalar};

/// Page size for `offset` when none is given.
const DEFAULT_LIMIT: u64 = 100;

/// Checks `paginate:` at `path` (absent means a single request).
pub(crate) fn paginate(
    ctx: &mut Ctx<'_>,
    path: &str,
    raw: Option<&RawPaginate>,
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
    let strategy = strategy(ctx, path, raw);
    Some(Paginate {
        strategy: strategy?,
        stop_when: values::optional(stop_when)?,
        max_pages: values::optional(max_pages)?,
        expect_more: values::optional(expect_more)?,
        expect_total: values::optional(expect_total)?,
    })
}

fn strategy(ctx: &mut Ctx<'_>, path: &str, raw: &RawPaginate) -> Option<Strategy> {
    let param = |ctx: &mut Ctx<'_>, key: &str, value: Option<&String>, default: &str| {
        let name = value.map_or(default, String::as_str);
        values::param_name(ctx, &format!("{path}.{key}"), name)
    };
    let next = |ctx: &mut Ctx<'_>, next: Option<&String>, example: &str| {
        let source = ctx.require(next, path, "next", example)?;
        values::json_path(ctx, &format!("{path}.next"), source)
    };
    Some(match raw {
        RawPaginate::None { .. } => Strategy::None,
        RawPaginate::LinkHeader { .. } => Strategy::LinkHeader,
        RawPaginate::Cursor {
            next: n, param: p, ..
        } => {
            let next = next(ctx, n.as_ref(), "\"$.meta.next_cursor\"");
            let param = match ctx.require(p.as_ref(), path, "param", "cursor") {
                Some(p) => param(ctx, "param", Some(p), ""),
                None => None,
            };
            Strategy::Cursor {
                next: next?,
                param: param?,
            }
        }
        RawPaginate::NextUrl { next: n, .. } => Strategy::NextUrl {
            next: next(ctx, n.as_ref(), "\"$.links.next\"")?,
        },
        RawPaginate::Offset {
            param: p,
            limit_param,
            limit,
            ..
        } => {
            let p = param(ctx, "param", p.as_ref(), "offset");
            let lp = param(ctx, "limit_param", limit_param.as_ref(), "limit");
            let limit = match limit {
                Some(n) => values::number(ctx, &format!("{path}.limit"), n, 1),
                None => Some(DEFAULT_LIMIT),
            };
            Strategy::Offset {
                param: p?,
                limit_param: lp?,
                limit: limit?,
            }
        }
        RawPaginate::Page {
            param: p,
            start,
            size_param,
            size,
            ..
        } => {
            let p = param(ctx, "param", p.as_ref(), "page");
            let sp = size_param
                .as_ref()
                .map(|n| param(ctx, "size_param", Some(n), ""));
            let size = size
                .as_ref()
                .map(|n| values::number(ctx, &format!("{path}.size"), n, 1));
            let start = match start {
                Some(n) => values::number(ctx, &format!("{path}.start"), n, 0),
                None => Some(1),
            };
            if size_param.is_some() && size.is_none() {
                ctx.missing(path, "size", "100");
                return None;
            }
            Strategy::Page {
                param: p?,
                start: start?,
                size_param: values::optional(sp)?,
                size: values::optional(size)?,
            }
        }
    })
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
fn signal(ctx: &mut Ctx<'_>, path: &str, source: &str, example: &str) -> Option<Path> {
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
mod tests {
    use super::*;
    use crate::env::Env;
    use crate::span::SpanIndex;

    fn check(raw: &RawPaginate) -> (Option<Paginate>, Vec<String>) {
        let index = SpanIndex::default();
        let env = Env::default();
        let mut ctx = Ctx::new(&index, &env);
        let p = paginate(&mut ctx, "p", Some(raw));
        (p, ctx.finish().into_iter().map(|d| d.message).collect())
    }

    #[test]
    fn offset_defaults() {
        let raw = RawPaginate::Offset {
            param: None,
            limit_param: None,
            limit: None,
            stop_when: None,
            max_pages: Some(Scalar("5".into())),
            expect_more: None,
            expect_total: None,
        };
        let (p, errors) = check(&raw);
        assert!(errors.is_empty(), "{errors:?}");
        let p = p.expect("valid");
        assert_eq!(p.max_pages, Some(5));
        assert!(
            matches!(p.strategy, Strategy::Offset { ref param, ref limit_param, limit: 100 } if param == "offset" && limit_param == "limit")
        );
    }

    #[test]
    fn stop_when_is_a_path_or_a_condition() {
        let raw = |s: &str| RawPaginate::LinkHeader {
            stop_when: Some(s.into()),
            max_pages: None,
            expect_more: None,
            expect_total: None,
        };
        assert!(matches!(
            check(&raw("$.done")).0.and_then(|p| p.stop_when),
            Some(StopWhen::Path(_))
        ));
        assert!(matches!(
            check(&raw("records == 0")).0.and_then(|p| p.stop_when),
            Some(StopWhen::Condition(_))
        ));
        let (p, errors) = check(&raw("{{ records == 0 }}"));
        assert!(p.is_none());
        assert!(
            errors[0].contains("without braces") || errors[0].contains("condition"),
            "{errors:?}"
        );
        let (_, errors) = check(&raw("cursor == 0"));
        assert_eq!(
            errors,
            ["unknown variable `cursor` in template `cursor == 0`"]
        );
    }

    #[test]
    fn cursor_needs_next_and_param() {
        let raw = RawPaginate::Cursor {
            next: None,
            param: None,
            stop_when: None,
            max_pages: Some(Scalar("0".into())),
            expect_more: None,
            expect_total: None,
        };
        let (p, errors) = check(&raw);
        assert!(p.is_none());
        assert_eq!(
            errors,
            [
                "expected a number of at least 1, found 0",
                "missing key `next`",
                "missing key `param`"
            ]
        );
    }

    #[test]
    fn end_signals_are_json_paths() {
        let raw = |more: &str, total: &str| RawPaginate::LinkHeader {
            stop_when: None,
            max_pages: None,
            expect_more: Some(more.into()),
            expect_total: Some(total.into()),
        };
        let (p, errors) = check(&raw("$.has_more", " $.meta.total "));
        assert!(errors.is_empty(), "{errors:?}");
        let p = p.expect("valid");
        assert_eq!(
            p.expect_more.map(|p| p.source).as_deref(),
            Some("$.has_more")
        );
        assert_eq!(
            p.expect_total.map(|p| p.source).as_deref(),
            Some("$.meta.total")
        );
        let (p, errors) = check(&raw("has_more", "$.meta["));
        assert!(p.is_none());
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(
            errors[0],
            "expected a JSONPath into the response body, found `has_more`"
        );
        assert!(
            errors[1].starts_with("invalid JSONPath `$.meta[`"),
            "{errors:?}"
        );
    }

    #[test]
    fn page_size_param_needs_size() {
        let raw = RawPaginate::Page {
            param: None,
            start: None,
            size_param: Some("per_page".into()),
            size: None,
            stop_when: None,
            max_pages: None,
            expect_more: None,
            expect_total: None,
        };
        assert_eq!(check(&raw).1, ["missing key `size`"]);
    }
}
